"""Data element aggregates: facts rolled up the territory tree and over periods, in numpy.

What it computes, per data element × territory × period × breakdown (see
`model.Aggregation` for the rules and `Dimensions.combination_breakdowns` for breakdowns):

- SUM: the sum of every fact of the territory's subtree in the period's sub-periods.
- AVERAGE: at the element's own period type, the weighted mean over the territories of the
  subtree that recorded a value (each weighed by its population for the period's year, or
  by the weight element's total at that territory and period, or equally); then, for
  coarser periods, the plain mean of the own-type periods that have a value. A territory
  without a weight is left out of the mean; when nothing in a subtree can be weighed, a
  territory that recorded a value keeps it, and one that did not has a row without a value
  (its children reported: completeness counts them).
- LAST: per recording territory, the value of the latest own-type sub-period that has one;
  then summed over the subtree.
- NONE: only where and when recorded: no rollup in space or in time.

Missing is not zero: a row exists only where at least one fact lies beneath, so a territory
or period with no facts has no aggregate at all.

A retired territory with successors gets, for every period that starts after its
`valid_to`, rows computed from its successors (sum; AVERAGE: weighted mean; NONE: none),
flagged `continued`; these rows never roll up, so the former parent does not count them.

How (the performance design, ADR 0006): the batch's facts are read once from the store as
integer codes and each element becomes a dense cube [territory, period, breakdown] over
the batch's axes (`rollup.py`): rolling up is a block sum per tree level and per period
type, never a hash of every row. (The SQL version this replaced spent ~21 CPU s of a
national refresh on `GROUP BY`s.)

Sums are exact (`exact.py`): values are summed as integers of 10⁻⁶ (data values have 6
decimals), so no figure depends on the order the facts arrive in; AVERAGE's weighted sums
too (value units × whole-number weights, or weights to 10⁻⁶), and its means over periods
sum the own-type means as integers of 10⁻⁹. Every figure is then one correctly rounded
division (`exact.quotient`): a district's own 0.1 stays 0.1 (0.1 × 3 / 3 in doubles is
0.10000000000000002), and equal means are equal doubles, so ranks tie where they should.

Result: `ElementValues`, whose `rows(element)` are the element's (territory_id,
period_key, breakdown_id, value, continued), made from the cubes when read (value NaN for
an AVERAGE row nothing could weigh).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from minka.analytics.engine.dimensions import (
    TYPE_RANK,
    Dimensions,
    average_waves,
    continuation_map,
    period_key,
    sql_run,
    step_traced,
    weight_of,
)
from minka.analytics.engine.exact import (
    Fixed,
    fixed,
    fixed_product,
    quotient,
    weight_scale,
)
from minka.analytics.engine.model import POPULATION_WEIGHT, Aggregation, ElementSpec
from minka.analytics.engine.rollup import (
    PeriodAxis,
    TerritoryAxis,
    space_sum,
    time_last,
    time_sum,
)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

def elements_needed(dims: Dimensions, codes: Collection[str]) -> set[str]:
    """`codes` and every element their averages are weighted by (transitively)."""
    needed: set[str] = set()
    pending = [c for c in codes if c in dims.elements]
    while pending:
        code = pending.pop()
        if code in needed:
            continue
        needed.add(code)
        weight = weight_of(dims.elements[code])
        if weight is not None:
            pending.append(weight)
    return needed


def fact_dims_register(con: duckdb.DuckDBPyConnection) -> None:
    """Copies of the element and period dimensions keyed by the fact table's ENUM types
    (codes the facts never use do not cast: NULL), to filter facts on integers."""
    sql_run(con, """CREATE OR REPLACE TEMP TABLE dim_fact_element AS
        SELECT *, TRY_CAST(code AS fact_element) AS fact_code FROM dim_element""")
    sql_run(con, """CREATE OR REPLACE TEMP TABLE dim_fact_period AS
        SELECT *, TRY_CAST(period AS fact_period) AS fact_period FROM dim_period""")


def element_values_compute(
    con: duckdb.DuckDBPyConnection,
    dims: Dimensions,
    *,
    facts: str,
    element_codes: Collection[str],
) -> ElementValues:
    """The aggregates of `element_codes` (and of their weights) from `facts`.

    `facts` is a relation with the fact table's columns (element, period and combination
    of the store's ENUM types); the dimension tables must be registered with every period
    of those facts. Facts of unknown elements or territories, of a period that is not of
    the element's type, of a combination with no breakdown, or not finite are ignored.
    Aggregates of a period are complete only if `facts` holds every fact of its
    sub-periods (the incremental refresh relies on this and keeps only the periods it fed
    completely).
    """
    specs = [dims.elements[c] for c in sorted(elements_needed(dims, element_codes))]
    fact_dims_register(con)
    with step_traced(f"aggregate: read facts of {len(specs)} elements"):
        batch = _facts_read(con, dims, facts, specs)
    with step_traced(f"aggregate: {len(specs)} elements, {len(batch.value)} facts"):
        cubes: dict[str, Cube] = {}
        plain = [e for e in specs if e.aggregation is not Aggregation.AVERAGE]
        for spec in plain + [e for wave in average_waves(specs) for e in wave]:
            cubes[spec.code] = _cube(dims, batch, spec, cubes)
        return _element_values(dims, batch, cubes)


# --- Reading the facts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """The batch's facts as codes on its axes, one entry per fact that counts somewhere."""

    territories: TerritoryAxis
    periods: PeriodAxis
    element: Ints  # index into the batch's elements (sorted codes)
    position: Ints  # territory position
    period: Ints  # period index
    combination: Ints  # index into `combinations`
    combinations: list[str]
    value: Floats
    codes: list[str]


def _dictionary(column: pa.ChunkedArray) -> tuple[Ints, list[str]]:
    """(codes, values) of a text column (ENUM columns arrive dictionary-encoded)."""
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    column = pa.chunked_array(column.chunks or [pa.array([], column.type)], column.type)
    column = column.unify_dictionaries()
    values = column.chunk(0).dictionary.to_pylist() if column.num_chunks else []
    codes = [np.asarray(chunk.indices.to_numpy(), dtype=np.int64) if not chunk.null_count
             else np.asarray(chunk.indices.cast(pa.int64()).fill_null(-1).to_numpy(),
                             dtype=np.int64) for chunk in column.chunks]
    return (np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)), values


def _facts_read(con: duckdb.DuckDBPyConnection, dims: Dimensions, facts: str,
                specs: list[ElementSpec]) -> Batch:
    ids = ", ".join(str(dims.element_id[e.code]) for e in specs) or "NULL"
    table = sql_run(con, f"""SELECT element, territory_id, period, combination, value
        FROM {facts} WHERE element IN (SELECT fact_code FROM dim_fact_element
                                        WHERE element_id IN ({ids}))""").to_arrow_table()
    codes = [e.code for e in specs]
    element_codes, element_values = _dictionary(table.column("element"))
    by_code = {code: n for n, code in enumerate(codes)}
    element = np.array([by_code.get(v, -1) for v in element_values] + [-1],
                       dtype=np.int64)[element_codes]
    periods = PeriodAxis.build(dims)
    period_codes, period_values = _dictionary(table.column("period"))
    on_axis = {dims.periods[int(k)].id: n for n, k in enumerate(periods.keys.tolist())}
    period = np.array([on_axis.get(v, -1) for v in period_values] + [-1],
                      dtype=np.int64)[period_codes]
    combination, combinations = _dictionary(table.column("combination"))
    territory_ids = np.asarray(table.column("territory_id").to_numpy(), dtype=np.int64)
    value = np.asarray(table.column("value").to_numpy(), dtype=np.float64)
    del table
    own_rank = np.array([TYPE_RANK[e.period_type] for e in specs] + [-1], dtype=np.int64)
    keep = ((element >= 0) & (period >= 0) & (combination >= 0) & np.isfinite(value))
    keep &= periods.ranks[period] == own_rank[element]
    # Each fact's territory as a position in the catalogue, then on the batch's axis:
    # lookups in small tables, never a sort of millions of facts.
    catalogue_ids = np.sort(np.array([t.id for t in dims.catalogue.territories], np.int64))
    at = _catalogue_positions(catalogue_ids, territory_ids)
    keep &= at >= 0
    active = catalogue_ids[np.bincount(at[keep], minlength=len(catalogue_ids)) > 0]
    territories = TerritoryAxis.build(dims.catalogue.territories, active)
    on_axis_of = np.append(territories.positions(catalogue_ids), -1)
    position = on_axis_of[at]  # at = -1 reads the appended -1
    keep &= position >= 0
    return Batch(territories=territories, periods=periods, element=element[keep],
                 position=position[keep], period=period[keep],
                 combination=combination[keep], combinations=combinations,
                 value=value[keep], codes=codes)


def _catalogue_positions(catalogue_ids: Ints, territory_ids: Ints) -> Ints:
    """The position of each territory id in `catalogue_ids` (sorted), −1 if absent: a
    direct table when the ids span little (INEI codes, database keys), else a search."""
    if not len(catalogue_ids) or not len(territory_ids):
        return np.full(len(territory_ids), -1, dtype=np.int64)
    low, high = int(catalogue_ids[0]), int(catalogue_ids[-1])
    if high - low < 50_000_000:
        table = np.full(high - low + 2, -1, dtype=np.int64)  # the last cell: out of range
        table[catalogue_ids - low] = np.arange(len(catalogue_ids))
        offset = territory_ids - low
        offset[(offset < 0) | (offset > high - low)] = high - low + 1
        return table[offset]
    found = np.minimum(np.searchsorted(catalogue_ids, territory_ids), len(catalogue_ids) - 1)
    return np.where(catalogue_ids[found] == territory_ids, found, -1)


# --- One element ------------------------------------------------------------------------------


@dataclass
class Cube:
    """An element's aggregates on the batch's axes: `value[t, k, b]` (NaN: no value) where
    `present` (a row exists); `units` the exact sums (SUM, LAST, NONE) for continuations;
    `breakdowns[b]` the breakdown id of column b."""

    spec: ElementSpec
    value: Floats
    present: Bools
    units: Fixed | None
    breakdowns: list[int]


def _cube(dims: Dimensions, batch: Batch, spec: ElementSpec, done: dict[str, Cube]) -> Cube:
    shape_tk = (len(batch.territories.ids), len(batch.periods.keys))
    breakdowns = [0, *sorted(dims.breakdown_id[o] for o in spec.options)]
    mine = batch.element == batch.codes.index(spec.code)
    units, count = _own_cells(dims, batch, spec, mine, shape_tk, breakdowns)
    rank = TYPE_RANK[spec.period_type]
    if spec.aggregation is Aggregation.AVERAGE:
        weights = _weights(dims, batch, spec, done)
        value, present = _average(batch, units, count, weights, rank)
        return Cube(spec, value, present, None, breakdowns)
    present = count > 0
    if spec.aggregation is Aggregation.LAST:
        time_last(units.units, present, batch.periods, rank)
    if spec.aggregation is not Aggregation.NONE:
        counts = present.astype(np.int64)
        space_sum(units.units, batch.territories)
        space_sum(counts, batch.territories)
        if spec.aggregation is Aggregation.SUM:
            time_sum(units.units, batch.periods, rank)
            time_sum(counts, batch.periods, rank)
        present = counts > 0
    return Cube(spec, units.doubles(), present, units, breakdowns)


def _own_cells(dims: Dimensions, batch: Batch, spec: ElementSpec, mine: Bools,
               shape_tk: tuple[int, int], breakdowns: list[int]) -> tuple[Fixed, Ints]:
    """The exact sums and counts of the element's facts per (territory, own period,
    breakdown) cell: each fact counts in the breakdowns of its combination."""
    combination = batch.combination[mine]
    used = np.flatnonzero(np.bincount(combination, minlength=len(batch.combinations)))
    local = np.full(len(batch.combinations), -1, dtype=np.int64)
    local[used] = np.arange(len(used))
    # Cells numbered combination first, so each combination's cells are one contiguous
    # block that adds into its breakdowns' blocks; turned to [t, k, b] once at the end.
    places = shape_tk[0] * shape_tk[1]
    cells = local[combination] * places
    cells += batch.position[mine] * shape_tk[1]
    cells += batch.period[mine]
    exact = fixed(batch.value[mine])
    by_combination = np.zeros(places * len(used), dtype=exact.units.dtype)
    np.add.at(by_combination, cells, exact.units)
    by_combination = by_combination.reshape(len(used), places)
    tally = np.bincount(cells, minlength=places * len(used)).reshape(len(used), places)
    units = np.zeros((len(breakdowns), places), dtype=by_combination.dtype)
    count = np.zeros((len(breakdowns), places), dtype=np.int64)
    column = {b: n for n, b in enumerate(breakdowns)}
    for n, c in enumerate(used.tolist()):
        for breakdown in dims.combination_breakdowns(spec, batch.combinations[c]):
            units[column[breakdown]] += by_combination[n]
            count[column[breakdown]] += tally[n]
    shape = (*shape_tk, len(breakdowns))
    return (Fixed(np.ascontiguousarray(units.T).reshape(shape), exact.scale),
            np.ascontiguousarray(count.T).reshape(shape))


def _weights(dims: Dimensions, batch: Batch, spec: ElementSpec, done: dict[str, Cube]
             ) -> Floats:
    """weight[t, k] of an AVERAGE element for every period of its type or coarser: the
    territory's population for the period's year, the weight element's total for the same
    (or containing) period, or 1; NaN where unknown."""
    territories, periods = batch.territories, batch.periods
    shape = (len(territories.ids), len(periods.keys))
    if spec.weight is None:
        return np.ones(shape)
    if spec.weight == POPULATION_WEIGHT:
        years = sorted(set(periods.years.tolist()))
        figures = dims.population_by_year(years)
        table = np.full((len(territories.ids), len(years)), np.nan)
        for position, territory_id in enumerate(territories.ids.tolist()):
            for n, year in enumerate(years):
                table[position, n] = figures.get((territory_id, year), np.nan)
        return table[:, np.searchsorted(years, periods.years)]
    weight = done[spec.weight]
    where = np.full(len(periods.keys), -1, dtype=np.int64)
    for n, key in enumerate(periods.keys.tolist()):
        period = dims.periods[key]
        if TYPE_RANK[period.type] <= TYPE_RANK[spec.period_type]:
            read = dims.weight_period(spec, period)
            where[n] = int(periods.index_of(np.array([period_key(read)]))[0])
    total = np.where(weight.present[:, :, 0], weight.value[:, :, 0], np.nan)
    return np.where(where >= 0, total[:, np.maximum(where, 0)], np.nan)


MEAN_SCALE = 10**9
"""AVERAGE's own-type means enter the mean over periods as integers of 10⁻⁹ (their sum is
then exact, so equal months in another order give an equal year)."""
MOST_PERIODS = 60
"""The most own-type periods one coarser period holds (53 weeks in a year)."""


def _average(batch: Batch, own: Fixed, count: Ints, weights: Floats, rank: int
             ) -> tuple[Floats, Bools]:
    """(value, present) of an AVERAGE element from its own cells (see the module).

    Every mean is one correctly rounded division of exact sums (`exact.quotient`): a
    district's own 22.8 stays 22.8, and equal means are equal doubles.
    """
    recorded = count > 0
    own_mean = quotient(own, Fixed(count, 1))  # duplicates of a value are averaged
    weight = np.broadcast_to(weights[:, :, None], own_mean.shape)
    known = recorded & ~np.isnan(weight)
    scale = weight_scale(weight[known])
    terms_weight = fixed(weight[known], scale)
    terms = fixed_product(fixed(own_mean[known]), terms_weight)
    weighted = np.zeros(own_mean.shape, dtype=terms.units.dtype)
    weighted[known] = terms.units
    weights_sum = np.zeros(own_mean.shape, dtype=terms_weight.units.dtype)
    weights_sum[known] = terms_weight.units
    counts = recorded.astype(np.int64)
    for cube in (weighted, weights_sum, counts):
        space_sum(cube, batch.territories)
    # Each own-type period: the weighted mean, else the territory's own value, else none.
    own_type = batch.periods.ranks == rank
    weighed = weights_sum[:, own_type] != 0
    mean = np.where(weighed, quotient(Fixed(weighted[:, own_type], terms.scale),
                                      Fixed(weights_sum[:, own_type], scale)),
                    own_mean[:, own_type])
    # Coarser periods: the plain mean of the own-type periods that have a value.
    valued_mean = ~np.isnan(mean)
    units = fixed(np.where(valued_mean, mean, 0.0), MEAN_SCALE, most_terms=MOST_PERIODS)
    total = np.zeros(own_mean.shape, dtype=units.units.dtype)
    total[:, own_type] = units.units
    valued = np.zeros(own_mean.shape, dtype=np.int64)
    valued[:, own_type] = valued_mean
    for cube in (total, valued, counts):
        time_sum(cube, batch.periods, rank)
    value = quotient(Fixed(total, MEAN_SCALE), Fixed(valued, 1))
    value[:, own_type] = mean
    return value, counts > 0


# --- Rows, and territories continued by their successors ------------------------------------


Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class ElementValues:
    """A batch's element aggregates, read one element at a time (`rows`).

    Held as the cubes themselves: the rows of an element are made only when read, and only
    those asked for (a national batch has millions of them).
    """

    territory_ids: Ints
    period_keys: Ints
    cubes: dict[int, Cube]  # by element_id
    kept: Bools  # [t, k]: False where a retired territory's successors take over
    continued: dict[int, list[Columns]]  # rows continued from successors, by element_id

    def rows(self, element_id: int, *, period_limit: int, territories: Ints | None = None
             ) -> Columns:
        """The element's rows (territory_id, period_key, breakdown_id, value — NaN where
        NULL — and continued) of periods keyed below `period_limit`, of `territories` if
        given; none for an element not in the batch."""
        parts = []
        cube = self.cubes.get(element_id)
        if cube is not None:
            wanted = self.kept & (self.period_keys < period_limit)[None, :]
            if territories is not None:
                wanted &= np.isin(self.territory_ids, territories)[:, None]
            cells = np.flatnonzero(cube.present if wanted.all()
                                   else cube.present & wanted[:, :, None])
            rest, b = np.divmod(cells, len(cube.breakdowns))
            t, k = np.divmod(rest, len(self.period_keys))
            parts.append(_columns(self.territory_ids[t], self.period_keys[k],
                                  np.asarray(cube.breakdowns)[b],
                                  cube.value.reshape(-1)[cells], continued=False))
        for part in self.continued.get(element_id, []):
            keep = part["period_key"] < period_limit
            if territories is not None:
                keep &= np.isin(part["territory_id"], territories)
            parts.append({name: column[keep] for name, column in part.items()})
        if len(parts) == 1:
            return parts[0]
        return {name: np.concatenate([p[name] for p in parts]) if parts else np.zeros(0, t)
                for name, t in _COLUMN_TYPES.items()}


_COLUMN_TYPES = {"territory_id": np.int64, "period_key": np.int64, "breakdown_id": np.int64,
                 "value": np.float64, "continued": np.bool_}


def _columns(territory: Ints, key: Ints, breakdown: Ints, value: Floats, *,
             continued: bool) -> Columns:
    return {"territory_id": territory, "period_key": key, "breakdown_id": breakdown,
            "value": value, "continued": np.full(len(territory), continued)}


def _element_values(dims: Dimensions, batch: Batch, cubes: dict[str, Cube]
                    ) -> ElementValues:
    """The batch's ElementValues: the cubes, which cells successors take over, and the
    rows they continue."""
    territories, periods = batch.territories, batch.periods
    after = {t.id: t.valid_to for t in dims.catalogue.territories
             if t.valid_to is not None and t.successor_ids}
    retired = {r for r, _, _, _ in continuation_map(dims.catalogue.territories)}
    kept = np.ones((len(territories.ids), len(periods.keys)), dtype=bool)
    for position, territory_id in enumerate(territories.ids.tolist()):
        if territory_id in retired:
            kept[position] = [start <= after[territory_id] for start in periods.starts]
    continued: dict[int, list[Columns]] = {}
    for code, columns in _continued(dims, batch, cubes):
        continued.setdefault(dims.element_id[code], []).append(columns)
    for cube in cubes.values():
        cube.units = None  # exact sums were only needed for the continued rows
    return ElementValues(territory_ids=territories.ids, period_keys=periods.keys,
                         cubes={dims.element_id[c]: cube for c, cube in cubes.items()},
                         kept=kept, continued=continued)


def _continued(dims: Dimensions, batch: Batch, cubes: dict[str, Cube]
               ) -> list[tuple[str, Columns]]:
    """Rows of retired territories after their `valid_to`, from their successors: SUM and
    LAST exactly summed, AVERAGE the successors' values weighted as in space (float sums
    in successor order), NONE none."""
    entries = continuation_map(dims.catalogue.territories)
    if not entries:
        return []
    territories, periods = batch.territories, batch.periods
    successor_at = territories.positions(np.array([s for _, s, _, _ in entries],
                                                  dtype=np.int64))
    parts: list[tuple[str, Columns]] = []
    for code in sorted(cubes):
        cube = cubes[code]
        if cube.spec.aggregation is Aggregation.NONE:
            continue
        weights = (_weights(dims, batch, cube.spec, cubes)
                   if cube.spec.aggregation is Aggregation.AVERAGE else None)
        sums: dict[int, list[np.ndarray]] = {}
        for (retired, _, start, until), at in zip(entries, successor_at.tolist(), strict=True):
            if at < 0:
                continue
            keys = np.array([begin > start and (until is None or begin <= until)
                             for begin in periods.starts])
            present = cube.present[at] & keys[:, None]
            state = sums.setdefault(retired, _continuation_state(cube, weights))
            state[0] |= present
            if weights is None:
                assert cube.units is not None
                state[1] = state[1] + np.where(present, cube.units.units[at], 0)
            else:
                value = np.where(present, cube.value[at], np.nan)
                weight = np.broadcast_to(weights[at][:, None], value.shape)
                usable = ~np.isnan(value) & ~np.isnan(weight)
                state[1] += np.where(usable, value * weight, 0.0)
                state[2] += np.where(usable, weight, 0.0)
        for retired, state in sorted(sums.items()):
            present = state[0]
            if weights is None:
                assert cube.units is not None
                value = Fixed(state[1], cube.units.scale).doubles()
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    value = np.where(state[2] != 0, state[1] / state[2], np.nan)
            k, b = np.nonzero(present)
            parts.append((code, _columns(np.full(len(k), retired), periods.keys[k],
                                         np.asarray(cube.breakdowns)[b], value[k, b],
                                         continued=True)))
    return parts


def _continuation_state(cube: Cube, weights: Floats | None) -> list[np.ndarray]:
    shape = cube.present.shape[1:]
    if weights is None:
        assert cube.units is not None
        return [np.zeros(shape, dtype=bool), np.zeros(shape, dtype=cube.units.units.dtype)]
    return [np.zeros(shape, dtype=bool), np.zeros(shape), np.zeros(shape)]
