"""Indicator values: each indicator's formula over the element aggregates of its inputs.

Which rows (`indicator_values_compute`): one per territory × period × breakdown where a
frame input (`_frame_inputs`) has an aggregate, reading each input's aggregate for the same
territory, the period `k` steps earlier for `#{X}[-k]`, and the row's breakdown (or OPT,
whatever the row's, for `#{X.OPT}`). The formula over those rows: `formula_arrays.py`.

Why arrays and how: a national refresh evaluates tens of millions of figures. A batch's
aggregates are read once, one element at a time (`ElementRows`); each aggregate gets a
place on a dense grid of (period, territory) pairs (`_Grid`), and each input of an
indicator fills the cells (breakdown, place) it is read at; one scan of the cells gives the
rows, in the store's order, and each input's value at each. Nothing is hashed or sorted.
(Before, each formula was translated to DuckDB SQL: a FULL JOIN of its inputs and a
nested SELECT per formula node, one statement per indicator, each reading the aggregates
again: 11.2 CPU s of a national refresh against 7.9 now, reading them included.)

Element aggregates are finite or NULL (`aggregate.py` drops non-finite facts), so NULL is
read as NaN on the way in.

An indicator is evaluated on aggregated element values (`aggregate.py`): a region's ratio
is Σnumerator / Σdenominator over its districts, never a mean of district ratios.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa

from minka.analytics.engine.dimensions import (
    KEY_STRIDE,
    RANK_TYPE,
    TYPE_RANK,
    Dimensions,
    arrow_table,
    indicator_breakdowns,
    sql_run,
    step_traced,
)
from minka.analytics.engine.formula_arrays import InputKey, formula_values

INDICATOR_VALUE_COLUMNS = pa.schema([
    ("indicator_id", pa.int32()),
    ("territory_id", pa.int64()),
    ("period_key", pa.int32()),
    ("breakdown_id", pa.int32()),
    ("value", pa.float64()),
    ("numerator", pa.float64()),
    ("denominator", pa.float64()),
    ("reason", pa.string()),
    ("from_successors", pa.bool_()),
])
"""The relation `indicator_value` (the derived figures read it with SQL)."""

# --- Which cells: the inputs joined on (breakdown, period, territory) ----------------------


def _frame_inputs(inputs: Collection[InputKey]) -> set[InputKey]:
    """Inputs whose presence makes a result row: offset-0 plain references, else offset-0
    references, else all. So a row exists where the indicator's own period has data."""
    for keep in (lambda k: k[2] == 0 and k[1] is None, lambda k: k[2] == 0, lambda k: True):
        chosen = {k for k in inputs if keep(k)}
        if chosen:
            return chosen
    return set()


@dataclass(frozen=True)
class _Grid:
    """Where a batch's values can fall: a *place* is a (period, territory) pair, numbered
    period number × territories + territory number; an indicator's *cell* is a (breakdown,
    place) pair, numbered breakdown number × places + place.

    Periods are numbered type by type, coarse first, each type a contiguous block from its
    first period with an aggregate to its last plus the batch's longest offset: so period
    number + k is the period k steps later of the same type (as `period_key + k` is),
    number order is period_key order, and a type and the coarser ones are the numbers
    below `type_end[rank]`. Territories are those with an aggregate, in id order.
    """

    period_keys: np.ndarray  # the period_key of each period number
    shift: np.ndarray  # by rank: a period's number is its key + shift[rank]
    type_end: np.ndarray  # by rank
    territory_ids: np.ndarray  # the territory_id of each territory number

    @property
    def places(self) -> int:
        return len(self.period_keys) * len(self.territory_ids)

    def period_numbers(self, keys: np.ndarray) -> np.ndarray:
        """The numbers of period keys, -1 for a key outside the grid."""
        rank = keys // KEY_STRIDE
        number = keys + self.shift[rank]
        start = np.concatenate([[0], self.type_end[:-1]])
        inside = (number >= start[rank]) & (number < self.type_end[rank])
        return np.where(inside, number, -1)


def _grid_build(read: Sequence[Mapping[str, np.ndarray]],
                lookback: int) -> tuple[_Grid, list[np.ndarray]]:
    """The grid of these elements' aggregates and the places of each's (by tables indexed
    by period key and by territory id: two lookups a row)."""
    seen = np.zeros(max(int(r["period_key"].max()) for r in read) + 1, bool)
    for rows in read:
        seen[rows["period_key"]] = True  # keys stay below 5 * KEY_STRIDE
    present = np.flatnonzero(seen)
    ranks = len(RANK_TYPE)
    shift = np.zeros(ranks, np.int64)
    type_end = np.zeros(ranks, np.int64)
    blocks: list[np.ndarray] = []
    end = 0
    for rank in range(ranks):
        keys = present[(present >= rank * KEY_STRIDE) & (present < (rank + 1) * KEY_STRIDE)]
        if len(keys):
            shift[rank] = end - keys[0]
            blocks.append(np.arange(keys[0], keys[-1] + lookback + 1))
            end += len(blocks[-1])
        type_end[rank] = end
    territory_ids, territories = _territory_numbers([r["territory_id"] for r in read])
    place_of_period = np.zeros(len(seen), np.int64)
    place_of_period[present] = (present + shift[present // KEY_STRIDE]) * len(territory_ids)
    grid = _Grid(np.concatenate(blocks), shift, type_end, territory_ids)
    return grid, [place_of_period[rows["period_key"]] + territory
                  for rows, territory in zip(read, territories, strict=True)]


def _territory_numbers(ids: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the distinct ids sorted, each id's position among them): by a table indexed by id
    when the ids are small (INEI codes, database keys), else by sorting."""
    rows = sum(len(i) for i in ids)
    low, high = min(int(i.min()) for i in ids), max(int(i.max()) for i in ids)
    if low < 0 or high >= max(1 << 20, 4 * rows):
        distinct = np.unique(np.concatenate(ids))
        return distinct, [np.searchsorted(distinct, i) for i in ids]
    seen = np.zeros(high + 1, bool)
    for some in ids:
        seen[some] = True
    number = np.cumsum(seen) - 1
    return np.flatnonzero(seen), [number[i] for i in ids]


@dataclass(frozen=True)
class _Aggregates:
    """One element's aggregates at their places (see `_Grid`)."""

    place: np.ndarray
    breakdown: np.ndarray  # breakdown_id
    value: np.ndarray  # float64, NaN where NULL
    continued: np.ndarray | None  # None: none is
    breakdowns: frozenset[int]  # the breakdown_ids present
    end: int  # above the last place

    @classmethod
    def of(cls, place: np.ndarray, breakdown: np.ndarray, value: np.ndarray,
           continued: np.ndarray | None) -> _Aggregates:
        if continued is not None and not continued.any():
            continued = None
        return cls(place, breakdown, value, continued,
                   frozenset(np.flatnonzero(np.bincount(breakdown)).tolist()),
                   int(place.max()) + 1 if len(place) else 0)

    def take(self, rows: np.ndarray) -> _Aggregates:
        return _Aggregates.of(self.place[rows], self.breakdown[rows], self.value[rows],
                              None if self.continued is None else self.continued[rows])


@dataclass(frozen=True)
class _Placed:
    """An input's aggregates in an indicator's cells (each cell at most once: an element
    has one aggregate per territory, period and breakdown)."""

    cell: np.ndarray
    value: np.ndarray
    continued: np.ndarray | None


def _input_place(aggregates: _Aggregates, grid: _Grid, *, periods: int,
                 breakdowns: np.ndarray, breakdown_number: np.ndarray, option: int | None,
                 lookback: int, allowed: np.ndarray | None) -> _Placed:
    """The cells an input's aggregates fill: those of the indicator's `periods` (its type
    and coarser); a plain reference's aggregate of breakdown B fills B's cell, an explicit
    one's (`#{X.OPT}`, `option`) every breakdown's; an aggregate of period p fills period
    p + `lookback` (`#{X}[-k]` is read k periods later), where `allowed` (by period number)
    allows it, if given."""
    territories = len(grid.territory_ids)
    keep = None
    if aggregates.end > periods * territories:
        keep = aggregates.place < periods * territories
    if option is not None:
        keep = _and(keep, aggregates.breakdown == option)
    elif not aggregates.breakdowns <= set(breakdowns.tolist()):
        keep = _and(keep, breakdown_number[aggregates.breakdown] >= 0)
    if allowed is not None:
        keep = _and(keep, allowed[aggregates.place // territories + lookback])
    if keep is not None:
        aggregates = aggregates.take(np.flatnonzero(keep))
    place = aggregates.place
    if lookback:
        place = place + lookback * territories
    if option is not None:
        return _Placed(
            np.concatenate([place + b * grid.places for b in range(len(breakdowns))]),
            np.tile(aggregates.value, len(breakdowns)),
            None if aggregates.continued is None
            else np.tile(aggregates.continued, len(breakdowns)))
    if len(breakdowns) > 1:
        number = breakdown_number[aggregates.breakdown]
        number *= grid.places
        number += place
        place = number
    return _Placed(place, aggregates.value, aggregates.continued)


def _and(mask: np.ndarray | None, more: np.ndarray) -> np.ndarray:
    return more if mask is None else mask & more


def _indicator_values(dims: Dimensions, code: str, grid: _Grid,
                      aggregates: Mapping[int, _Aggregates],
                      scoped_keys: np.ndarray | None) -> pa.Table | None:
    """One indicator's rows in RESULT_ORDER (None: no row); see `indicator_values_compute`."""
    formula = dims.formulas[code]
    inputs = sorted(formula.inputs, key=lambda k: (k[0], k[1] or "", k[2]))
    breakdowns = np.array(sorted(dims.breakdown_id[b] for b in indicator_breakdowns(
        formula, dims.elements)), np.int64)
    breakdown_number = np.full(max(dims.breakdown_id.values()) + 1, -1, np.int64)
    breakdown_number[breakdowns] = np.arange(len(breakdowns))
    periods = int(grid.type_end[TYPE_RANK[dims.indicators[code].period_type]])
    allowed = None
    if scoped_keys is not None:
        allowed = np.zeros(len(grid.period_keys), bool)
        numbers = grid.period_numbers(scoped_keys)
        allowed[numbers[numbers >= 0]] = True
    placed: dict[InputKey, _Placed] = {}
    for key in inputs:
        element_code, option, offset = key
        element = aggregates.get(dims.element_id.get(element_code, -1))
        if element is None or (option is not None and option not in dims.breakdown_id):
            continue
        placed[key] = _input_place(
            element, grid, periods=periods, breakdowns=breakdowns,
            breakdown_number=breakdown_number, lookback=-offset, allowed=allowed,
            option=None if option is None else dims.breakdown_id[option])
    frames = [placed[k] for k in _frame_inputs(inputs) if k in placed]
    if not frames:
        return None
    count = len(breakdowns) * grid.places
    present = np.zeros(count, bool)
    continued = None
    for frame in frames:
        present[frame.cell] = True
        if frame.continued is not None:
            if continued is None:
                continued = np.zeros(count, bool)
            continued[frame.cell[frame.continued]] = True
    cell, territory, runs = _cells_in_order(present, grid, breakdowns)
    if not len(cell):
        return None
    columns: dict[InputKey, np.ndarray] = {}
    dense = np.empty(count)
    for key, input_ in placed.items():
        dense.fill(np.nan)
        dense[input_.cell] = input_.value
        columns[key] = dense[cell]
    found = formula_values(formula, columns, dims.catalogue.constants, len(cell))
    return pa.table({
        "indicator_id": np.full(len(cell), dims.indicator_id[code], np.int32),
        "territory_id": grid.territory_ids[territory],
        "period_key": np.repeat(runs.period_key, runs.length),
        "breakdown_id": np.repeat(runs.breakdown_id, runs.length),
        **found,
        "from_successors": (np.zeros(len(cell), bool) if continued is None
                            else continued[cell]),
    }, schema=INDICATOR_VALUE_COLUMNS)


@dataclass(frozen=True)
class _Runs:
    """Cells in order come in runs of one period and breakdown (their territories)."""

    period_key: np.ndarray  # int32
    breakdown_id: np.ndarray  # int32
    length: np.ndarray


def _cells_in_order(present: np.ndarray, grid: _Grid, breakdowns: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, _Runs]:
    """(cell, territory number, runs) of the present cells in (period, breakdown,
    territory) order: cells are numbered breakdown first, so the presence is transposed to
    that order and split into runs by searching the run boundaries."""
    periods, territories = len(grid.period_keys), len(grid.territory_ids)
    ordered = np.flatnonzero(
        present.reshape(len(breakdowns), periods, territories).transpose(1, 0, 2))
    runs = periods * len(breakdowns)  # run = period × breakdowns + breakdown
    length = np.diff(np.searchsorted(ordered, np.arange(runs + 1) * territories))
    period, breakdown = np.divmod(np.arange(runs), len(breakdowns))
    territory = ordered
    territory -= np.repeat(np.arange(runs) * territories, length)
    cell = np.repeat(breakdown * grid.places + period * territories, length)
    cell += territory
    return cell, territory, _Runs(grid.period_keys[period].astype(np.int32),
                                  breakdowns[breakdown].astype(np.int32), length)


class ElementRows(Protocol):
    """Where a batch's element aggregates are read (`aggregate.ElementValues`)."""

    def rows(self, element_id: int, *, period_limit: int, territories: np.ndarray | None = None
             ) -> dict[str, np.ndarray]:
        """territory_id, period_key, breakdown_id, value (NaN: NULL) and continued of the
        element's aggregates keyed below `period_limit` (of `territories` if given), one row
        per key."""
        ...


def indicator_values_compute(
    con: duckdb.DuckDBPyConnection,
    dims: Dimensions,
    codes: Sequence[str],
    elements: ElementRows,
    *,
    scope: str | None = None,
    territories: str | None = None,
) -> pa.Table:
    """Register as `indicator_value` (and return) the values of the indicators `codes`,
    from the batch's element aggregates `elements`, each element's rows read once for all
    of them.

    One row per indicator × territory × period (the indicator's type and coarser) ×
    breakdown (`indicator_breakdowns`) where a frame input (`_frame_inputs`) has an
    aggregate; an input `#{X}[-k]` reads X's aggregate k periods earlier, one `#{X.OPT}`
    X's aggregate of breakdown OPT whatever the row's breakdown. `from_successors`: a frame
    input's aggregate there is continued from successors. `scope`, if given, is a relation
    (indicator_id, period_key) limiting the periods computed, and `territories` one of
    territory_id limiting the territories.

    The rows are sorted by (indicator_id, period_key, breakdown_id, territory_id), the
    order of derive.RESULT_ORDER.
    """
    known = sorted({dims.element_id[c] for code in codes for c, _, _ in dims.formulas[code].inputs
                    if c in dims.element_id})
    tables: list[pa.Table] = []
    if known:
        limit = max((TYPE_RANK[dims.indicators[c].period_type] + 1) * KEY_STRIDE for c in codes)
        chosen = None if territories is None else np.asarray(sql_run(
            con, f"SELECT territory_id FROM {territories}").fetchnumpy()["territory_id"],
            np.int64)
        with step_traced(f"read element aggregates ({len(known)} elements)"):
            read = {element: elements.rows(element, period_limit=limit, territories=chosen)
                    for element in known}
        scoped: dict[int, np.ndarray] | None = None
        if scope is not None:
            rows = sql_run(con, f"SELECT indicator_id, period_key FROM {scope}").fetchnumpy()
            scoped = {int(i): np.asarray(rows["period_key"][rows["indicator_id"] == i], np.int64)
                      for i in np.unique(rows["indicator_id"])}
        with step_traced(f"numpy indicator values ({len(codes)} indicators, "
                         f"{sum(len(r['value']) for r in read.values())} aggregates)"):
            tables = _batch_values(dims, codes, read, scoped)
    table = (pa.concat_tables(tables) if tables
             else INDICATOR_VALUE_COLUMNS.empty_table())
    arrow_table(con, "indicator_value", table)
    return table


def _batch_values(dims: Dimensions, codes: Sequence[str],
                  read: Mapping[int, Mapping[str, np.ndarray]],
                  scoped: Mapping[int, np.ndarray] | None) -> list[pa.Table]:
    read = {element: rows for element, rows in read.items() if len(rows["value"])}
    if not read:
        return []
    lookback = max(dims.formulas[c].max_lookback for c in codes)
    grid, places = _grid_build(list(read.values()), lookback)
    aggregates = {
        element: _Aggregates.of(place, rows["breakdown_id"], rows["value"], rows["continued"])
        for (element, rows), place in zip(read.items(), places, strict=True)
    }
    tables = []
    for code in sorted(codes, key=dims.indicator_id.__getitem__):
        keys = None if scoped is None else scoped.get(dims.indicator_id[code],
                                                      np.zeros(0, np.int64))
        table = _indicator_values(dims, code, grid, aggregates, keys)
        if table is not None:
            tables.append(table)
    return tables
