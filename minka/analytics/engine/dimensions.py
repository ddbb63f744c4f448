"""The small tables the engine's SQL joins against, built in Python from the catalogue.

Why in Python: period arithmetic, the territory tree and the breakdown rules are decided
once, here, with the functions of `periods.py` and the dataclasses of `model.py`, and handed
to DuckDB as tables. The SQL then only joins integer keys; it never parses a period id or
walks a tree, so it cannot disagree with the rest of the engine.

Keys (all integers, so joins are cheap and offsets are additions):
- `period_key` = type rank × `KEY_STRIDE` + the period's ordinal within its type. Ranks go
  coarse to fine (yearly 0 … weekly 4), so `period_key < (rank + 1) * KEY_STRIDE` selects a
  type and everything coarser; `period_key - n` is the period n steps earlier of the same
  type (`period_ordinal` agrees with `period_offset`, a test checks it).
- `element_id`, `indicator_id`: 1-based positions in the codes sorted, so id order is code
  order (the store is sorted by them).
- `breakdown_id`: 0 for the total (""), then 1-based positions of the option codes sorted.

Invariants: a `Dimensions` is built from a valid catalogue (`catalogue_check` raises
otherwise) and only grows (`periods_add`), so keys handed out never change meaning.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa

from minka.analytics.engine.formula import Formula, FormulaError, formula_parse
from minka.analytics.engine.model import (
    POPULATION_WEIGHT,
    Aggregation,
    Catalogue,
    ElementSpec,
    IndicatorSpec,
    TerritoryNode,
)
from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    PeriodType,
    period_children,
    period_offset,
    period_parent,
    period_parse,
)

KEY_STRIDE = 1_000_000
"""Ordinals of every type stay below this (weeks since 0001 reach ~522,000)."""

TYPE_RANK: dict[PeriodType, int] = {
    PeriodType.YEARLY: 0,
    PeriodType.SIXMONTHLY: 1,
    PeriodType.QUARTERLY: 2,
    PeriodType.MONTHLY: 3,
    PeriodType.WEEKLY: 4,
}
RANK_TYPE: dict[int, PeriodType] = {rank: type_ for type_, rank in TYPE_RANK.items()}

# The next coarser type a period rolls up into, one step at a time: weeks go to the month of
# their Thursday, which nests in the quarter of that Thursday, and so on (see periods.py).
NEXT_COARSER: dict[PeriodType, PeriodType] = {
    PeriodType.WEEKLY: PeriodType.MONTHLY,
    PeriodType.MONTHLY: PeriodType.QUARTERLY,
    PeriodType.QUARTERLY: PeriodType.SIXMONTHLY,
    PeriodType.SIXMONTHLY: PeriodType.YEARLY,
}

_PER_YEAR = {
    PeriodType.YEARLY: 1,
    PeriodType.SIXMONTHLY: 2,
    PeriodType.QUARTERLY: 4,
    PeriodType.MONTHLY: 12,
}

_ANCHORS: dict[PeriodType, Period] = {
    type_: period_parse(text)
    for type_, text in (
        (PeriodType.YEARLY, "2000"),
        (PeriodType.SIXMONTHLY, "2000S1"),
        (PeriodType.QUARTERLY, "2000Q1"),
        (PeriodType.MONTHLY, "200001"),
        (PeriodType.WEEKLY, "2000W1"),
    )
}


def period_ordinal(period: Period) -> int:
    """Consecutive integers per type: calendar periods since year 0, weeks since 0001-01-01.

    Used only to number periods; stepping is `period_offset`'s job, and a test checks that
    `period_ordinal(period_offset(p, n)) == period_ordinal(p) + n`.
    """
    if period.type is PeriodType.WEEKLY:
        return (period.start.toordinal() - 1) // 7
    per_year = _PER_YEAR[period.type]
    return period.start.year * per_year + (period.start.month - 1) * per_year // 12


def sql_run(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyConnection:
    """Execute one statement; with MINKA_ENGINE_TRACE set, log its duration (profiling)."""
    if not _TRACE:
        return con.execute(sql)
    started, cpu = time.perf_counter(), time.process_time()
    result = con.execute(sql)
    _log.info("%.3f s (cpu %.3f s)  %s", time.perf_counter() - started,
              time.process_time() - cpu, " ".join(sql.split())[:140])
    return result


@contextlib.contextmanager
def step_traced(label: str) -> Iterator[None]:
    """Log the duration of a step that is not one SQL statement, as `sql_run` does."""
    if not _TRACE:
        yield
        return
    started, cpu = time.perf_counter(), time.process_time()
    yield
    _log.info("%.3f s (cpu %.3f s)  %s", time.perf_counter() - started,
              time.process_time() - cpu, label)


_TRACE = bool(os.environ.get("MINKA_ENGINE_TRACE"))
_log = logging.getLogger("minka.analytics.engine")


def period_key(period: Period) -> int:
    return TYPE_RANK[period.type] * KEY_STRIDE + period_ordinal(period)


def period_from_key(key: int) -> Period:
    """The period of a key (inverse of `period_key`), stepping from a fixed anchor."""
    type_ = RANK_TYPE[key // KEY_STRIDE]
    anchor = _ANCHORS[type_]
    return period_offset(anchor, key % KEY_STRIDE - period_ordinal(anchor))


def coarser_types(period_type: PeriodType) -> list[PeriodType]:
    """The type itself and every coarser one, finest first."""
    return [t for t in sorted(TYPE_RANK, key=TYPE_RANK.__getitem__, reverse=True)
            if TYPE_RANK[t] <= TYPE_RANK[period_type]]


@functools.lru_cache(maxsize=65536)
def period_last_of_type(period: Period, period_type: PeriodType) -> Period:
    """The period of `period_type` in which `period` ends (for forecasts to a target).

    Finer types give the last child (weeks by their Thursday, as rollups count them);
    coarser types give the containing period.
    """
    if TYPE_RANK[period_type] >= TYPE_RANK[period.type]:
        return period_children(period, period_type)[-1]
    parent = period_parent(period, period_type)
    assert parent is not None
    return parent


def base_period(period: Period, base_year: int) -> Period | None:
    """The same sub-period of `base_year` (2023Q3 → 2015Q3); None if it does not exist.

    DHIS2 ids start with the 4-digit year, so the base id is the id with its year replaced;
    parsing it checks that it exists (2015W53 does not).
    """
    try:
        return period_parse(f"{base_year:04d}{period.id[4:]}")
    except PeriodError:
        return None


# --- The catalogue -------------------------------------------------------------------------


class CatalogueError(ValueError):
    """A catalogue the engine cannot compute: a cycle, a duplicate, an unknown weight."""


def catalogue_check(catalogue: Catalogue) -> None:
    """Raise CatalogueError for what would make results ambiguous; formulas must parse."""
    for what, codes in (
        ("element", [e.code for e in catalogue.elements]),
        ("indicator", [i.code for i in catalogue.indicators]),
        ("territory", [t.id for t in catalogue.territories]),
    ):
        seen: set[object] = set()
        for code in codes:
            if code in seen:
                raise CatalogueError(f"duplicate {what} {code!r}")
            seen.add(code)
    elements = {e.code: e for e in catalogue.elements}
    for element in catalogue.elements:
        weight = element.weight
        weighed_by_element = element.aggregation is Aggregation.AVERAGE and weight not in (
            None, POPULATION_WEIGHT)
        if weighed_by_element and weight not in elements:
            raise CatalogueError(f"{element.code} is weighted by unknown element {weight!r}")
        if "|" in "".join(element.options) or "" in element.options:
            raise CatalogueError(f"{element.code} has an option with '|' or an empty code")
    average_waves(catalogue.elements)  # raises on a cycle of weights
    territory_depths(catalogue.territories)  # raises on a cycle of parents
    for indicator in catalogue.indicators:
        try:
            formula_parse(indicator.formula)
        except FormulaError as error:
            raise CatalogueError(f"indicator {indicator.code}: {error.message}") from error


def weight_of(element: ElementSpec) -> str | None:
    """The code of the element that weighs an AVERAGE element, None otherwise."""
    if element.aggregation is not Aggregation.AVERAGE:
        return None
    return None if element.weight in (None, POPULATION_WEIGHT) else element.weight


def average_waves(elements: Sequence[ElementSpec]) -> list[list[ElementSpec]]:
    """AVERAGE elements in the order their weights allow: a wave only needs earlier ones."""
    by_code = {e.code: e for e in elements}
    pending = [e for e in elements if e.aggregation is Aggregation.AVERAGE]
    done: set[str] = {e.code for e in elements if e.aggregation is not Aggregation.AVERAGE}
    waves: list[list[ElementSpec]] = []
    while pending:
        wave = [e for e in pending
                if (w := weight_of(e)) is None or w in done or w not in by_code]
        if not wave:
            raise CatalogueError(
                "average elements weigh each other in a cycle: "
                + ", ".join(sorted(e.code for e in pending))
            )
        waves.append(sorted(wave, key=lambda e: e.code))
        done.update(e.code for e in wave)
        pending = [e for e in pending if e.code not in done]
    return waves


def territory_depths(territories: Sequence[TerritoryNode]) -> dict[int, int]:
    """Depth of every territory (roots 0); a parent outside the catalogue makes a root."""
    parent = {t.id: t.parent_id for t in territories}
    depths: dict[int, int] = {}
    for start in parent:
        chain: list[int] = []
        node: int | None = start
        while node is not None and node in parent and node not in depths:
            if node in chain:
                raise CatalogueError(f"territory {node} is its own ancestor")
            chain.append(node)
            node = parent[node]
        depth = depths[node] + 1 if node is not None and node in depths else 0
        for member in reversed(chain):
            depths[member] = depth
            depth += 1
    return depths


def indicator_formulas(catalogue: Catalogue) -> dict[str, Formula]:
    return {i.code: formula_parse(i.formula) for i in catalogue.indicators}


def indicator_breakdowns(formula: Formula, elements: dict[str, ElementSpec]) -> list[str]:
    """The breakdowns an indicator reports: "" and every option all plain references share.

    A plain reference (`#{X}`) reads the result's breakdown; an explicit one (`#{X.OPT}`)
    always reads OPT. So breakdown O exists only when every plain reference's element has O;
    a formula with no plain reference reports the total only. Unknown elements have none.
    """
    plain = [code for code, disaggregation in formula.references if disaggregation is None]
    if not plain:
        return [""]
    shared = set.intersection(*(set(elements[c].options) if c in elements else set()
                                for c in plain))
    return ["", *sorted(shared)]


def continuation_map(
    territories: Sequence[TerritoryNode],
) -> list[tuple[int, int, date, date | None]]:
    """(retired, successor, after, until): whose figures continue a retired territory.

    For a period starting after `after` (and, when `until` is set, on or before it), the
    retired territory's figure is the sum of its successors'. A successor that was itself
    retired with successors is followed: up to its own `valid_to` it counts, after that its
    successors do. Cycles stop at the first repeat.
    """
    by_id = {t.id: t for t in territories}
    rows: list[tuple[int, int, date, date | None]] = []

    def follow(retired: int, node: TerritoryNode, after: date, seen: frozenset[int]) -> None:
        for successor_id in node.successor_ids:
            successor = by_id.get(successor_id)
            if successor is None or successor_id in seen or successor_id == retired:
                continue
            continued = successor.valid_to is not None and successor.successor_ids
            if continued and successor.valid_to is not None:
                if successor.valid_to > after:
                    rows.append((retired, successor_id, after, successor.valid_to))
                follow(retired, successor, max(after, successor.valid_to),
                       seen | {successor_id})
            else:
                rows.append((retired, successor_id, after, None))

    for territory in territories:
        if territory.valid_to is not None and territory.successor_ids:
            follow(territory.id, territory, territory.valid_to, frozenset({territory.id}))
    return sorted(set(rows), key=lambda row: (row[0], row[1], row[2]))


# --- Tables --------------------------------------------------------------------------------


@dataclass
class Dimensions:
    """The catalogue coded for SQL, plus the periods in play; registers its tables in DuckDB.

    Tables (views over Arrow): dim_element, dim_indicator, dim_breakdown, dim_territory,
    dim_period; the rules that only numpy reads (breakdowns of a combination, population
    by year, where a weight is read) are methods. `seen` holds the
    (element, period, combination) triples of the facts the dimensions were built for.
    """

    catalogue: Catalogue
    element_id: dict[str, int] = field(init=False)
    indicator_id: dict[str, int] = field(init=False)
    breakdown_id: dict[str, int] = field(init=False)
    depths: dict[int, int] = field(init=False)
    periods: dict[int, Period] = field(init=False, default_factory=dict)
    seen: list[tuple[str, str, str]] = field(init=False, default_factory=list)
    formulas: dict[str, Formula] = field(init=False)
    elements: dict[str, ElementSpec] = field(init=False)
    indicators: dict[str, IndicatorSpec] = field(init=False)

    def __post_init__(self) -> None:
        catalogue = self.catalogue
        self.elements = {e.code: e for e in catalogue.elements}
        self.indicators = {i.code: i for i in catalogue.indicators}
        self.element_id = {code: n for n, code in enumerate(sorted(self.elements), 1)}
        self.indicator_id = {code: n for n, code in enumerate(sorted(self.indicators), 1)}
        options = sorted({o for e in catalogue.elements for o in e.options})
        self.breakdown_id = {"": 0, **{o: n for n, o in enumerate(options, 1)}}
        self.depths = territory_depths(catalogue.territories)
        self.formulas = indicator_formulas(catalogue)

    @property
    def max_depth(self) -> int:
        return max(self.depths.values(), default=0)

    def periods_add(self, ids: Iterable[str]) -> list[str]:
        """Add periods (and every coarser period containing them); return the ids refused."""
        refused: list[str] = []
        for text in ids:
            try:
                period = period_parse(text)
            except PeriodError:
                refused.append(text)
                continue
            self.periods_add_periods([period])
        return refused

    def periods_add_periods(self, periods: Iterable[Period]) -> None:
        for period in periods:
            key = period_key(period)
            if key in self.periods:
                continue
            self.periods[key] = period
            for coarser in coarser_types(period.type)[1:]:
                parent = period_parent(period, coarser)
                assert parent is not None
                self.periods.setdefault(period_key(parent), parent)

    def periods_add_keys(self, keys: Iterable[int]) -> None:
        self.periods_add_periods(period_from_key(k) for k in keys if k not in self.periods)

    # Registration: each table is replaced whole, so re-registering after periods_add works.

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Register every table."""
        self.register_static(con)
        self.register_periods(con)

    def register_static(self, con: duckdb.DuckDBPyConnection) -> None:
        catalogue = self.catalogue
        elements = sorted(self.elements.values(), key=lambda e: e.code)
        _table(con, "dim_element", {
            "element_id": pa.array([self.element_id[e.code] for e in elements], pa.int32()),
            "code": pa.array([e.code for e in elements], pa.string()),
            "type_rank": pa.array([TYPE_RANK[e.period_type] for e in elements], pa.int32()),
        })
        indicators = sorted(self.indicators.values(), key=lambda i: i.code)
        _table(con, "dim_indicator", {
            "indicator_id": pa.array([self.indicator_id[i.code] for i in indicators],
                                     pa.int32()),
            "code": pa.array([i.code for i in indicators], pa.string()),
            "type_rank": pa.array([TYPE_RANK[i.period_type] for i in indicators], pa.int32()),
        })
        _table(con, "dim_breakdown", {
            "breakdown_id": pa.array(list(self.breakdown_id.values()), pa.int32()),
            "code": pa.array(list(self.breakdown_id), pa.string()),
        })
        territories = sorted(catalogue.territories, key=lambda t: t.id)
        known = {t.id for t in territories}
        has_children = {t.parent_id for t in territories if t.parent_id in known}
        _table(con, "dim_territory", {
            "territory_id": pa.array([t.id for t in territories], pa.int64()),
            "parent_id": pa.array([t.parent_id if t.parent_id in known else None
                                   for t in territories], pa.int64()),
            "depth": pa.array([self.depths[t.id] for t in territories], pa.int32()),
            "has_children": pa.array([t.id in has_children for t in territories], pa.bool_()),
        })

    def combination_breakdowns(self, element: ElementSpec, combination: str) -> list[int]:
        """The breakdown ids a value of `element` in `combination` counts in.

        SUM and LAST values add up over combinations: a combination counts for the total
        and for each of its options the element declares. AVERAGE and NONE values cannot be
        added: only the combination "" gives the total and only the one-option combination
        "O" gives breakdown O; other combinations are not reported.
        """
        options = [o for o in combination.split("|") if o] if combination else []
        if element.aggregation in (Aggregation.SUM, Aggregation.LAST):
            return [0, *sorted({self.breakdown_id[o] for o in options if o in element.options})]
        if combination == "":
            return [0]
        if len(options) == 1 and options[0] == combination and combination in element.options:
            return [self.breakdown_id[combination]]
        return []

    def register_periods(self, con: duckdb.DuckDBPyConnection) -> None:
        keys = sorted(self.periods)
        periods = [self.periods[k] for k in keys]
        next_keys: list[int | None] = []
        for period in periods:
            coarser = NEXT_COARSER.get(period.type)
            parent = period_parent(period, coarser) if coarser else None
            next_keys.append(period_key(parent) if parent else None)
        _table(con, "dim_period", {
            "period_key": pa.array(keys, pa.int32()),
            "period": pa.array([p.id for p in periods], pa.string()),
            "period_type": pa.array([p.type.value for p in periods], pa.string()),
            "type_rank": pa.array([TYPE_RANK[p.type] for p in periods], pa.int32()),
            "ordinal": pa.array([k % KEY_STRIDE for k in keys], pa.int32()),
            "start": pa.array([p.start for p in periods], pa.date32()),
            "end": pa.array([p.end for p in periods], pa.date32()),
            "year": pa.array([year_of(p) for p in periods], pa.int32()),
            "next_key": pa.array(next_keys, pa.int32()),
        })

    def population_by_year(self, years: Iterable[int]) -> dict[tuple[int, int], float]:
        """{(territory_id, year): population} for `years`: each year's figure, or the
        nearest earlier year's, else the nearest later year's."""
        figures: dict[int, dict[int, float]] = {}
        for territory_id, year, population in self.catalogue.population:
            figures.setdefault(territory_id, {})[year] = float(population)
        found: dict[tuple[int, int], float] = {}
        for territory_id, by_year in figures.items():
            known = sorted(by_year)
            for year in years:
                index = bisect.bisect_right(known, year)
                found[(territory_id, year)] = by_year[known[index - 1] if index else known[0]]
        return found

    def weight_period(self, element: ElementSpec, period: Period) -> Period:
        """Where an AVERAGE element's named weight is read for a value of `period` (of the
        element's type or coarser): the weight element's value for the same period, or for
        the coarser period containing it when the weight is coarser."""
        weight = self.elements[weight_of(element) or ""]
        if TYPE_RANK[weight.period_type] < TYPE_RANK[period.type]:
            parent = period_parent(period, weight.period_type)
            assert parent is not None
            return parent
        return period


def year_of(period: Period) -> int:
    """The year a period belongs to (a week's is its Thursday's)."""
    year = period_parent(period, PeriodType.YEARLY)
    assert year is not None
    return year.start.year


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, pa.Array]) -> None:
    arrow_table(con, name, pa.table(columns))


def arrow_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Make the rows of an Arrow table queryable as `name` in this connection (a view over
    the Arrow data, replaced when registered again): cheaper than copying small tables."""
    con.register(name, table)
