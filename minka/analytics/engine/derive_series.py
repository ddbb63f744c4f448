"""The figures of a row that read other rows: change, trend, rank, children — in numpy.

`derive.py` computes them for the rows of one batch, which it hands over sorted in
`derive.RESULT_ORDER` (indicator, period, breakdown, territory); the figures come back as
Arrow arrays aligned with those rows.

Why numpy and not SQL windows: DuckDB's two window passes (series lags, sibling ranks)
took ~43 s of a 90 s national refresh and barely used the second core. Here the batch is
laid out once (`Layout`): its *slices* (runs of one indicator, period and breakdown) and
an index of its rows by (slice, territory), so the row of the same series in an earlier
period, or of the parent in the same slice, is a lookup, not a sort.

The semantics are those of the SQL this replaces, bit for bit:

- a series is (indicator, territory, breakdown) over the periods of one type; the SQL
  ordered a partition (indicator, territory) by breakdown × 10⁸ + period key and read the
  lags k = 1…4; the lags within the window p-4 … p are exactly the series' rows in the
  periods p-1 … p-4, nearest first, which is how they are found here;
- `change_previous` = value − the value of the period just before, when both exist;
- `trend_slope`: the OLS slope through (0, value) and (−j, v_j) for the periods p-j
  (j = 1…4) that have a value, when the row has a value and there are ≥ 3 points. Each
  row's sums are fixed expressions over its own window, evaluated in the same order as
  the SQL did (`n = 1 + m1 + … + m4`, `sx = 0 + m1·x1 + …`, `sxx = 0 + (m1·x1)·x1 + …`,
  `sxy = 0 + (m1·x1)·y1 + …`, `sy = value + m1·y1 + …`, nearest first, m ∈ {0, 1}; the
  SQL's terms for lags outside the window were zeros, which change no sum that matters:
  a sum that starts at +0 stays +0 or exact, and `sy`, the only one that can start at
  −0, enters the slope only as `sx · sy` against a numerator term that is +0 or not
  zero): the same inputs give the same bits whatever else is in the batch, which is
  what lets an incremental refresh match a full one. Never running sums;
- `rank` among siblings (same indicator, parent, period and breakdown; roots among roots)
  that are eligible (territory valid in the period, not continued from successors, with a
  value); 1 is best by polarity, ties share the smallest rank ("1, 2, 2, 4", −0 ties 0),
  `rank_of` counts the eligible siblings. NULL for rows that are not eligible;
- `reported`: the rows of the territory's direct children in the same indicator, period
  and breakdown whose territory is valid in the period and that are not continued from
  successors (0 when none; the result shows it for territories with children).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

TREND_WINDOW = 5
"""A trend uses the periods p-4 … p."""
TREND_MINIMUM = 3
"""… and needs at least 3 of them with a value."""
CHUNK_ROWS = 1 << 16
"""Rows per chunk of the vectorised steps: their temporaries stay in the CPU cache. On a
whole batch (millions of rows), allocating and faulting in a fresh array for each of the
~60 temporaries cost more than the arithmetic, and one big sort more than many small."""
PERIOD_SPAN = 1 << 24
"""Period keys stay below this (5 types × `KEY_STRIDE`): a period key packs with other
integers into one."""

Ints = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


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
    children: Int32s
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
        invalid = np.sort(position * PERIOD_SPAN + periods)
        parent_at = parent_positions[position] if len(ids) else position
        invalid_children = np.sort(parent_at[parent_at >= 0] * PERIOD_SPAN
                                   + periods[parent_at >= 0])
        children = np.bincount(parent_positions[parent_positions >= 0],
                               minlength=len(ids)).astype(np.int32)
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
        return np.asarray((self.children > 0)[where], dtype=bool)

    def children_expected(self, where: Ints, period_key: Int32s) -> Int32s:
        """The direct children of the territories at `where` that exist in the periods
        `period_key` (pairwise)."""
        if not len(self.ids):
            return np.zeros(len(where), dtype=np.int32)
        expected = self.children[where]
        if len(self.invalid_children):
            # Only the rows of territories with such a child are looked up.
            partial = np.zeros(len(self.ids), dtype=bool)
            partial[self.invalid_children // PERIOD_SPAN] = True
            chosen = np.flatnonzero(partial[where])
            pair = where[chosen] * PERIOD_SPAN + period_key[chosen]
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


@dataclass(frozen=True)
class Slices:
    """The batch's slices: the runs of rows with equal (indicator, period, breakdown) in
    RESULT_ORDER (their territories ascending). Per slice: `starts` (its first row, then
    one more entry: the row count), `sizes`, `indicator`, `period_key`, `breakdown` and
    `keys` (ascending: (indicator × PERIOD_SPAN + period key) × `breakdowns` + breakdown);
    per row: `number`, its slice.

    Whatever depends on the slice only is computed once per slice and spread to its rows
    (`spread`): a national batch has millions of rows but a few thousand slices.
    """

    starts: Ints
    sizes: Ints
    indicator: Ints
    period_key: Ints
    breakdown: Ints
    breakdowns: int
    keys: Ints
    number: Ints

    @classmethod
    def of(cls, rows: Rows) -> Slices:
        count = len(rows.indicator_id)
        first = np.zeros(count, dtype=bool)
        first[:1] = True
        for key in (rows.indicator_id, rows.period_key, rows.breakdown_id):
            first[1:] |= key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        sizes = np.diff(np.append(starts, count))
        indicator = rows.indicator_id[starts].astype(np.int64)
        period_key = rows.period_key[starts].astype(np.int64)
        breakdown = rows.breakdown_id[starts].astype(np.int64)
        breakdowns = int(breakdown.max()) + 1 if count else 1
        return cls(
            starts=np.append(starts, count), sizes=sizes, indicator=indicator,
            period_key=period_key, breakdown=breakdown, breakdowns=breakdowns,
            keys=(indicator * PERIOD_SPAN + period_key) * breakdowns + breakdown,
            number=np.repeat(np.arange(len(starts), dtype=np.int64), sizes),
        )

    def spread(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Per-slice `values` repeated for each row of the slice."""
        return np.repeat(values, self.sizes)

    def find(self, period_key: Ints) -> Ints:
        """For each slice, the slice of the same indicator and breakdown in `period_key`
        (per slice), −1 where the batch has none."""
        wanted = (self.indicator * PERIOD_SPAN + period_key) * self.breakdowns
        wanted += self.breakdown
        at, found = positions(self.keys, wanted)
        return np.where(found & (period_key >= 0), at, -1)


DENSE_EXTRA = 1 << 20
"""`RowIndex` keeps a table of slices × territories when it has at most the batch's rows
and this many more entries (a lookup per row), else sorted keys (a binary search)."""


@dataclass(frozen=True)
class RowIndex:
    """The batch's rows of known territories by (slice, territory position): `table` (row
    at slice × `territories` + position, −1 none) when dense enough, else `keys` (the
    same numbers, ascending: RESULT_ORDER) and their `rows`."""

    territories: int
    table: Int32s | None
    keys: Ints
    rows: Ints

    @classmethod
    def build(cls, slices: Slices, where: Ints, known: Bools, territories: int) -> RowIndex:
        if len(slices.sizes) * territories > len(where) + DENSE_EXTRA:
            rows = np.flatnonzero(known)
            return cls(territories=territories, table=None,
                       keys=slices.number[rows] * territories + where[rows], rows=rows)
        table = np.full(len(slices.sizes) * territories, -1, dtype=np.int32)
        for start in range(0, len(where), CHUNK_ROWS):  # small temporaries
            rows = start + np.flatnonzero(known[start:start + CHUNK_ROWS])
            table[slices.number[rows] * territories + where[rows]] = rows
        empty = np.zeros(0, dtype=np.int64)
        return cls(territories=territories, table=table, keys=empty, rows=empty)

    def find(self, slice_number: Ints, where: Ints) -> Ints:
        """The row of each (slice, territory position) pair, −1 where there is none (or
        the slice is −1)."""
        wanted = slice_number * self.territories + where
        if self.table is not None:
            found = self.table[np.maximum(wanted, 0)]
            return np.where(slice_number >= 0, found, -1).astype(np.int64)
        at, present = positions(self.keys, wanted)
        return np.where(present & (slice_number >= 0), self.rows[at], -1)


def positions(sorted_keys: Ints, wanted: npt.NDArray[np.integer[Any]]) -> tuple[Ints, Bools]:
    """(position, found) of each wanted key among sorted keys; the position of a key not
    found is any valid one (0 when there are none)."""
    if not len(sorted_keys):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
    return at.astype(np.int64), np.asarray(sorted_keys[at] == wanted, dtype=bool)


@dataclass(frozen=True)
class Layout:
    """Where the batch's rows are: each row's territory position in the tree (`where`,
    `known`: `TerritoryTree.locate`), its slice (`slices`), and the rows by slice and
    territory (`index`)."""

    where: Ints
    known: Bools
    slices: Slices
    index: RowIndex

    @classmethod
    def of(cls, rows: Rows, tree: TerritoryTree) -> Layout:
        where, known = tree.locate(rows.territory_id)
        slices = Slices.of(rows)
        return cls(where=where, known=known, slices=slices,
                   index=RowIndex.build(slices, where, known, max(len(tree.ids), 1)))


def series_figures(rows: Rows, tree: TerritoryTree, higher: Collection[int], *,
                   layout: Layout | None = None) -> dict[str, pa.Array]:
    """change_previous, trend_slope, rank, rank_of and reported (children counted) for every
    row, aligned with `rows`.

    Rows of territories outside the tree get NULLs (the final assembly drops them).
    `higher`: the ids of the indicators where a higher value is better; `layout`: the
    rows' `Layout.of`, if the caller has it.
    """
    layout = layout if layout is not None else Layout.of(rows, tree)
    # The two halves are independent and numpy releases the GIL in its loops and sorts:
    # on a 2-core machine they run side by side.
    with ThreadPoolExecutor(max_workers=1) as pool:
        ranks = pool.submit(_siblings, rows, tree, layout, higher)
        figures = _series(rows, layout)
        figures.update(ranks.result())
    return figures


def _series(rows: Rows, layout: Layout) -> dict[str, pa.Array]:
    """change_previous and trend_slope, in the rows' order.

    The rows of a series within the trend window are the rows of the same territory in
    the slices of the four periods before (same indicator and breakdown), found through
    the index; the window's terms are added nearest first, as the SQL added its lags.
    """
    count = len(rows.indicator_id)
    slices, index = layout.slices, layout.index
    has_value = rows.has_value & layout.known
    earlier = [slices.find(slices.period_key - k) for k in range(1, TREND_WINDOW)]
    change, slope = np.empty(count), np.empty(count)
    change_null, slope_null = np.empty(count, dtype=bool), np.empty(count, dtype=bool)
    for start in range(0, count, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, count)
        number, where = slices.number[start:stop], layout.where[start:stop]
        value, has = rows.value[start:stop], has_value[start:stop]
        n = np.ones(stop - start)
        sx = np.zeros(stop - start)
        sy = value.copy()
        sxx = np.zeros(stop - start)
        sxy = np.zeros(stop - start)
        with np.errstate(all="ignore"):  # IEEE results (inf, NaN) as DuckDB's
            for k, slice_k in enumerate(earlier, 1):
                row = index.find(slice_k[number], where)
                lag_has = (row >= 0) & has_value[row]
                lag_value = np.where(lag_has, rows.value[row], 0.0)
                if k == 1:
                    change[start:stop] = value - lag_value
                    change_null[start:stop] = ~(has & lag_has)
                m = lag_has.astype(np.float64)
                mx = m * float(-k)
                n = n + m
                sx = sx + mx
                sy = sy + m * lag_value
                sxx = sxx + mx * float(-k)
                sxy = sxy + mx * lag_value
            slope[start:stop] = (n * sxy - sx * sy) / (n * sxx - sx * sx)
        slope_null[start:stop] = ~(has & (n >= TREND_MINIMUM))
    return {
        "change_previous": pa.array(change, mask=change_null),
        "trend_slope": pa.array(slope, mask=slope_null),
    }


def _siblings(rows: Rows, tree: TerritoryTree, layout: Layout, higher: Collection[int]
              ) -> dict[str, pa.Array]:
    """rank and rank_of, and reported (children counted), in the rows' order.

    A row counts for its parent's `reported` (same indicator, period and breakdown) when its
    territory is valid in the period and it is not continued from successors, with or
    without a value; it is also ranked when it has a value.
    """
    count = len(rows.indicator_id)
    where, known, slices = layout.where, layout.known, layout.slices
    counted = known & ~rows.from_successors
    if len(tree.invalid):
        pair = where * PERIOD_SPAN + rows.period_key
        counted &= ~positions(tree.invalid, pair)[1]
        del pair
    eligible = counted & rows.has_value
    # Siblings and parents are in the same slice: slices are taken a chunk of whole slices
    # at a time, each chunk starting at the first slice that starts at or after a multiple
    # of CHUNK_ROWS.
    slice_starts = slices.starts[:-1]
    chunk_starts = np.searchsorted(slice_starts, np.arange(0, count, CHUNK_ROWS))
    bounds = np.unique(np.append(
        slice_starts[chunk_starts[chunk_starts < len(slice_starts)]], count))
    parents = int(tree.parents.max()) + 1 if len(tree.ids) else 1
    parent_positions = tree.parent_positions if len(tree.ids) else np.full(1, -1)
    higher_slice = np.isin(slices.indicator, np.array(sorted(higher), dtype=np.int64))
    rank = np.zeros(count, dtype=np.int32)
    rank_of = np.zeros(count, dtype=np.int32)
    reported = np.zeros(count, dtype=np.int32)
    for low, stop in itertools.pairwise(bounds):
        # reported: each counted child adds one to its parent's row.
        children = low + np.flatnonzero(counted[low:stop])
        parent_at = parent_positions[where[children]]
        children, parent_at = children[parent_at >= 0], parent_at[parent_at >= 0]
        parent_row = layout.index.find(slices.number[children], parent_at)
        reported[low:stop] = np.bincount(parent_row[parent_row >= 0] - low,
                                          minlength=stop - low)
        chosen = low + np.flatnonzero(eligible[low:stop])
        if not len(chosen):
            continue
        parent = tree.parents[where[chosen]] if len(tree.ids) else np.zeros(len(chosen), int)
        number = slices.number[chosen]
        value = rows.value[chosen]
        signed = np.where(higher_slice[number], -value, value)
        group = (number - number[0]) * parents + parent  # < rows × territories
        order = _group_value_order(group, signed)
        ranks, sizes = _ranks_sorted(group[order], signed[order])
        rank[chosen[order]] = ranks
        rank_of[chosen[order]] = sizes
    return {
        "rank": pa.array(rank, mask=~eligible),
        "rank_of": pa.array(rank_of, mask=~eligible),
        "reported": pa.array(reported),
    }


def _group_value_order(group: Ints, signed: Floats) -> Ints:
    """The order of rows by (group, signed), equal values adjacent: one sort of the values,
    then one of (group, value's place) packed into an integer (cheaper than `lexsort`)."""
    count = len(group)
    by_value = np.argsort(signed)
    place = np.empty(count, dtype=np.int64)
    place[by_value] = np.arange(count)
    packed = np.sort(group * count + place)
    return by_value[packed % count]


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
