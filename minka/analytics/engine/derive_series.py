"""The figures of a row that read other rows: change, trend, rank, children — in numpy.

`derive.py` computes them for the rows of one batch, which it hands over as Arrow columns
sorted in `derive.RESULT_ORDER` (indicator, period, breakdown, territory); the figures come
back as Arrow arrays aligned with those rows, so the final assembly reads values and
figures from one relation instead of joining two tables of tens of millions of rows on
four keys.

Why numpy and not SQL windows: DuckDB's two window passes (series lags, sibling ranks)
took ~43 s of a 90 s national refresh and barely used the second core. Here each figure is
two sorts and a few vectorised shifts and masks.

The semantics are those of the SQL this replaces, bit for bit:

- a series partition is (indicator, territory) ordered by `position` = breakdown ×
  `SERIES_STRIDE` + period key, so the k-th row before is the "lag k" of SQL, and a lag
  from another breakdown is never within the trend window;
- `change_previous` = value − the value of the row just before, when that row is the
  period just before (position − 1);
- `trend_slope`: the OLS slope through (0, value) and (x_k, v_k) for the lags k = 1…4 that
  have a value within p-4 … p, when the row has a value and there are ≥ 3 points. Each
  row's sums are fixed expressions over its own window, evaluated in the same order as
  the SQL did (`n = 1 + m1 + … + m4`, `sx = 0 + m1·x1 + …`, `sxx = 0 + (m1·x1)·x1 + …`,
  `sxy = 0 + (m1·x1)·y1 + …`, `sy = value + m1·y1 + …`, with m_k ∈ {0, 1}, and the masked
  terms included): the same inputs give the same bits whatever else is in the batch,
  which is what lets an incremental refresh match a full one. Never running sums;
- `rank` among siblings (same indicator, parent, period and breakdown; roots among roots)
  that are eligible (territory valid in the period, not continued from successors, with a
  value); 1 is best by polarity, ties share the smallest rank ("1, 2, 2, 4", −0 ties 0),
  `rank_of` counts the eligible siblings. NULL for rows that are not eligible;
- `reported`: the rows of the territory's direct children in the same indicator, period
  and breakdown whose territory is valid in the period and that are not continued from
  successors (0 when none; the view shows it for territories with children).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

TREND_WINDOW = 5
"""A trend uses the periods p-4 … p."""
TREND_MINIMUM = 3
"""… and needs at least 3 of them with a value."""
SERIES_STRIDE = 100_000_000
"""`position` = breakdown × this + period_key (period keys stay below it)."""
CHUNK_ROWS = 1 << 16
"""Rows per chunk of the vectorised steps: their temporaries stay in the CPU cache. On a
whole batch (millions of rows), allocating and faulting in a fresh array for each of the
~60 temporaries cost more than the arithmetic, and one big sort more than many small."""
_PERIOD_SPAN = 1 << 24
"""Period keys stay below this (5 types × `KEY_STRIDE`): (territory, period) pairs pack
into one integer."""

Ints = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
_Array = TypeVar("_Array", Ints, Floats, Bools)


@dataclass(frozen=True)
class TerritoryTree:
    """The territories as arrays: `ids` sorted, `parents[i]` a code for the parent of
    `ids[i]` (0 for a root, equal codes for equal parents), `parent_positions[i]` the
    parent's position in `ids` (−1 for a root), `invalid` the sorted packed (territory
    position, period key) pairs in which a territory does not exist; `children[i]` the
    direct children of `ids[i]` and `invalid_children` the sorted packed (parent position,
    period key) pairs, one per child that does not exist in the period (so the children
    expected in a period are `children` minus those)."""

    ids: Ints
    parents: Ints
    parent_positions: Ints
    invalid: Ints
    children: Ints
    invalid_children: Ints

    @classmethod
    def build(cls, territory_ids: Ints, parent_ids: pa.Array,
              invalid_pairs: tuple[Ints, Ints]) -> TerritoryTree:
        order = np.argsort(territory_ids, kind="stable")
        ids = np.asarray(territory_ids, dtype=np.int64)[order]
        parent = parent_ids.take(pa.array(order))
        has_parent = np.asarray(parent.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        raw = np.asarray(parent.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        _, dense = np.unique(raw, return_inverse=True)
        parents = np.where(has_parent, dense.astype(np.int64) + 1, 0)
        found = np.minimum(np.searchsorted(ids, raw), max(len(ids) - 1, 0))
        in_tree = has_parent & (ids[found] == raw) if len(ids) else has_parent
        parent_positions = np.where(in_tree, found, -1).astype(np.int64)
        invalid_ids, invalid_periods = invalid_pairs
        position = np.searchsorted(ids, invalid_ids).astype(np.int64)
        periods = np.asarray(invalid_periods, dtype=np.int64)
        invalid = np.sort(position * _PERIOD_SPAN + periods)
        parent_at = parent_positions[position] if len(ids) else position
        invalid_children = np.sort(parent_at[parent_at >= 0] * _PERIOD_SPAN
                                   + periods[parent_at >= 0])
        children = np.bincount(parent_positions[parent_positions >= 0],
                               minlength=len(ids)).astype(np.int64)
        return cls(ids=ids, parents=parents, parent_positions=parent_positions,
                   invalid=invalid, children=children, invalid_children=invalid_children)

    def locate(self, territory_ids: Ints) -> tuple[Ints, Bools]:
        """(position, known) of each territory id: `known` is False for ids outside the
        tree, whose position is then any valid one."""
        if not len(self.ids):
            count = len(territory_ids)
            return np.zeros(count, dtype=np.int64), np.zeros(count, dtype=bool)
        where = np.minimum(np.searchsorted(self.ids, territory_ids), len(self.ids) - 1)
        return where.astype(np.int64), self.ids[where] == territory_ids

    def with_children(self, where: Ints) -> Bools:
        """Whether the territories at `where` have children (in any period)."""
        if not len(self.ids):
            return np.zeros(len(where), dtype=bool)
        return np.asarray(self.children[where] > 0, dtype=bool)

    def children_expected(self, where: Ints, period_key: Int32s) -> Ints:
        """The direct children of the territories at `where` that exist in the periods
        `period_key` (pairwise)."""
        if not len(self.ids):
            return np.zeros(len(where), dtype=np.int64)
        expected = self.children[where]
        if len(self.invalid_children):
            # Only the rows of territories with such a child are looked up.
            partial = np.zeros(len(self.ids), dtype=bool)
            partial[self.invalid_children // _PERIOD_SPAN] = True
            chosen = np.flatnonzero(partial[where])
            pair = where[chosen] * _PERIOD_SPAN + period_key[chosen]
            expected[chosen] -= (np.searchsorted(self.invalid_children, pair, side="right")
                                 - np.searchsorted(self.invalid_children, pair))
        return expected


@dataclass(frozen=True)
class Rows:
    """The columns the figures read, one entry per row of the batch (in RESULT_ORDER), in
    their narrowest types (a national batch has millions of rows)."""

    indicator_id: Int32s
    territory_id: Ints
    period_key: Int32s
    breakdown_id: Int32s
    value: Floats  # NaN where NULL (values are finite or NULL)
    has_value: Bools
    from_successors: Bools  # NULL counts as True: such a row is never ranked

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Rows:
        def int32s(name: str) -> Int32s:
            return np.asarray(table.column(name).to_numpy(), dtype=np.int32)

        value = table.column("value")
        continued = table.column("from_successors").fill_null(True)
        return cls(
            indicator_id=int32s("indicator_id"),
            territory_id=np.asarray(table.column("territory_id").to_numpy(), dtype=np.int64),
            period_key=int32s("period_key"),
            breakdown_id=int32s("breakdown_id"),
            value=np.asarray(value.to_numpy(), dtype=np.float64),
            has_value=np.asarray(value.is_valid().to_numpy(), dtype=bool),
            from_successors=np.asarray(continued.to_numpy(), dtype=bool),
        )


def series_figures(rows: Rows, tree: TerritoryTree, higher: Collection[int], *,
                   located: tuple[Ints, Bools] | None = None) -> dict[str, pa.Array]:
    """change_previous, trend_slope, rank, rank_of and reported (children counted) for every
    row, aligned with `rows`.

    Rows of territories outside the tree get NULLs (the final assembly drops them).
    `higher`: the ids of the indicators where a higher value is better; `located`: the
    rows' `tree.locate`, if the caller has it.
    """
    where, known = located if located is not None else tree.locate(rows.territory_id)
    # The two halves are independent and numpy releases the GIL in its loops and sorts:
    # on a 2-core machine they run side by side.
    with ThreadPoolExecutor(max_workers=1) as pool:
        ranks = pool.submit(_siblings, rows, tree, where, known, higher)
        figures = _series(rows, len(tree.ids) + 1, where, known)
        figures.update(ranks.result())
    return figures


def _runs(*keys: npt.NDArray[np.integer[Any]]) -> Ints:
    """0-based run numbers of consecutive equal key tuples."""
    count = len(keys[0])
    starts = np.zeros(count, dtype=bool)
    if count:
        starts[0] = True
    for key in keys:
        starts[1:] |= key[1:] != key[:-1]
    return np.cumsum(starts, dtype=np.int64) - 1


def _lag(values: _Array, k: int) -> _Array:
    """`values` shifted k rows later (the first k rows are zero or False)."""
    out = np.zeros_like(values)
    out[k:] = values[:-k]
    return out


def _series(rows: Rows, codes: int, where: Ints, known: Bools) -> dict[str, pa.Array]:
    """change_previous and trend_slope in the rows' order (`codes`: territory codes)."""
    count = len(rows.indicator_id)
    # Series order: (indicator, territory, breakdown, period). The rows come sorted by
    # (indicator, period, breakdown, territory), so a stable sort on (indicator, territory,
    # breakdown) leaves each series' periods in order. Unknown territories share code 0:
    # their rows are dropped at the end and never reach a known territory's partition.
    territory = np.where(known, where + 1, 0)
    indicators = int(rows.indicator_id.max()) + 1 if count else 1
    breakdowns = int(rows.breakdown_id.max()) + 1 if count else 1
    smallest = min(int(rows.indicator_id.min()), int(rows.breakdown_id.min())) if count else 0
    if smallest >= 0 and indicators * codes * breakdowns < (1 << 62):
        key = (rows.indicator_id.astype(np.int64) * codes + territory) * breakdowns
        key += rows.breakdown_id
        order = np.argsort(key, kind="stable")
        part = key[order]
        del key
        part //= breakdowns  # the (indicator, territory) partition
    else:  # pragma: no cover - ids beyond any catalogue
        order = np.lexsort((rows.breakdown_id, territory, rows.indicator_id))
        part = _runs(rows.indicator_id[order], territory[order])
    del territory

    change, slope = np.empty(count), np.empty(count)
    change_null, slope_null = np.empty(count, dtype=bool), np.empty(count, dtype=bool)
    lookback = TREND_WINDOW - 1
    for start in range(0, count, CHUNK_ROWS):
        # Each row reads at most `lookback` rows before it: a chunk starts that much early.
        low, stop = max(start - lookback, 0), min(start + CHUNK_ROWS, count)
        chosen = order[low:stop]
        position = rows.breakdown_id[chosen].astype(np.int64) * SERIES_STRIDE
        position += rows.period_key[chosen]
        has_value = rows.has_value[chosen] & known[chosen]
        figures = _series_chunk(part[low:stop], position, rows.value[chosen], has_value)
        # Back to the rows' order: a scatter through the sort's permutation.
        skip, back = start - low, chosen[start - low:]
        change[back], slope[back] = figures[0][skip:], figures[2][skip:]
        change_null[back], slope_null[back] = ~figures[1][skip:], ~figures[3][skip:]
    return {
        "change_previous": pa.array(change, mask=change_null),
        "trend_slope": pa.array(slope, mask=slope_null),
    }


def _series_chunk(part: Ints, position: Ints, value: Floats, has_value: Bools
                  ) -> tuple[Floats, Bools, Floats, Bools]:
    """(change, change valid, slope, slope valid) of consecutive rows in series order; a
    row's lags are the rows before it in the chunk with the same `part`."""
    count = len(part)
    n = np.ones(count)
    sx = np.zeros(count)
    sy = value.copy()
    sxx = np.zeros(count)
    sxy = np.zeros(count)
    change = np.zeros(count)
    change_valid = np.zeros(count, dtype=bool)
    with np.errstate(all="ignore"):  # IEEE results (inf, NaN) as DuckDB's
        for k in range(1, TREND_WINDOW):
            same = np.zeros(count, dtype=bool)
            same[k:] = part[k:] == part[:-k]
            lag_position = _lag(position, k)
            lag_has = same & _lag(has_value, k)
            lag_value = np.where(lag_has, _lag(value, k), 0.0)
            m = (lag_has & (lag_position >= position - (TREND_WINDOW - 1))).astype(np.float64)
            x = np.where(same, lag_position - position, 0).astype(np.float64)
            if k == 1:
                change_valid = has_value & lag_has & (lag_position == position - 1)
                change = value - lag_value
            mx = m * x
            n = n + m
            sx = sx + mx
            sy = sy + m * lag_value
            sxx = sxx + mx * x
            sxy = sxy + mx * lag_value
        slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    return change, change_valid, slope, has_value & (n >= TREND_MINIMUM)


def _siblings(rows: Rows, tree: TerritoryTree, where: Ints, known: Bools,
              higher: Collection[int]) -> dict[str, pa.Array]:
    """rank and rank_of, and reported (children counted), in the rows' order.

    A row counts for its parent's `reported` (same indicator, period and breakdown) when its
    territory is valid in the period and it is not continued from successors, with or
    without a value; it is also ranked when it has a value.
    """
    count = len(rows.indicator_id)
    counted = known & ~rows.from_successors
    if len(tree.invalid):
        pair = where * _PERIOD_SPAN + rows.period_key
        found = np.minimum(np.searchsorted(tree.invalid, pair), len(tree.invalid) - 1)
        counted &= tree.invalid[found] != pair
        del pair, found
    eligible = counted & rows.has_value
    # Siblings: (indicator, period, breakdown) is a run of the rows' order (a slice); the
    # parent code splits it. Slices are ranked a chunk of whole slices at a time, each
    # chunk starting at the first slice that starts at or after a multiple of CHUNK_ROWS.
    first = np.zeros(count, dtype=bool)  # the first row of each slice
    first[:1] = True
    for key in (rows.indicator_id, rows.period_key, rows.breakdown_id):
        first[1:] |= key[1:] != key[:-1]
    slice_starts = np.flatnonzero(first)
    chunk_starts = np.searchsorted(slice_starts, np.arange(0, count, CHUNK_ROWS))
    bounds = np.unique(np.append(
        slice_starts[chunk_starts[chunk_starts < len(slice_starts)]], count))
    parents = int(tree.parents.max()) + 1 if len(tree.ids) else 1
    places = len(tree.ids) + 1
    higher_ids = np.array(sorted(higher), dtype=np.int64)
    rank = np.zeros(count, dtype=np.int32)
    rank_of = np.zeros(count, dtype=np.int32)
    reported = np.zeros(count, dtype=np.int32)
    for low, stop in itertools.pairwise(bounds):
        slices = np.cumsum(first[low:stop])  # 1-based slice number within the chunk
        # reported: children counted per (slice, parent), looked up by (slice, territory).
        children = np.flatnonzero(counted[low:stop])
        parent_at = tree.parent_positions[where[low + children]]
        children, parent_at = children[parent_at >= 0], parent_at[parent_at >= 0]
        if len(children):
            keys = slices[children] * places + parent_at
            unique, counts = np.unique(keys, return_counts=True)
            own = slices * places + where[low:stop]
            at = np.minimum(np.searchsorted(unique, own), len(unique) - 1)
            reported[low:stop] = np.where((unique[at] == own) & known[low:stop],
                                          counts[at], 0)
        chosen = low + np.flatnonzero(eligible[low:stop])
        if not len(chosen):
            continue
        parent = tree.parents[where[chosen]] if len(tree.ids) else np.zeros(len(chosen), int)
        value = rows.value[chosen]
        signed = np.where(np.isin(rows.indicator_id[chosen], higher_ids), -value, value)
        group = slices[chosen - low] * parents + parent  # < rows × territories: no overflow
        order = np.lexsort((signed, group))
        ranks, sizes = _ranks_sorted(group[order], signed[order])
        rank[chosen[order]] = ranks
        rank_of[chosen[order]] = sizes
    return {
        "rank": pa.array(rank, mask=~eligible),
        "rank_of": pa.array(rank_of, mask=~eligible),
        "reported": pa.array(reported),
    }


def _ranks_sorted(group: Ints, signed: Floats) -> tuple[Ints, Ints]:
    """(rank, group size) of rows sorted by (group, signed): ties share the smallest rank."""
    size = len(group)
    index = np.arange(size, dtype=np.int64)
    first = np.ones(size, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    new_value = first.copy()
    new_value[1:] |= signed[1:] != signed[:-1]
    group_start = np.maximum.accumulate(np.where(first, index, 0))
    value_start = np.maximum.accumulate(np.where(new_value, index, 0))
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, size))
    return value_start - group_start + 1, np.repeat(sizes, sizes)
