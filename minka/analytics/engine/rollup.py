"""Dense axes for rolling data up the territory tree and over periods, in numpy.

An element's aggregates are held as a cube `[territory, period, breakdown]` over the batch's
axes. Rolling up is then a few block operations per level, never a hash of every row:

- the territory axis orders territories by depth, then parent, then id, so each level is a
  contiguous block and each parent's children a contiguous run of it: a level adds into its
  parents with one `reduceat` over the block;
- the period axis holds every period key in play sorted (types coarse to fine, then time),
  so each type is a contiguous block and each coarser period's sub-periods (weeks of a
  month by their Thursday, months of a quarter, …) a contiguous run of the finer block.

Rollups go one level and one period type at a time, as the rules say (districts into
provinces into regions; weeks into months into quarters into semesters into years).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from minka.analytics.engine.dimensions import (
    KEY_STRIDE,
    NEXT_COARSER,
    Dimensions,
    period_key,
    year_of,
)
from minka.analytics.engine.model import TerritoryNode
from minka.analytics.engine.periods import period_parent

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Cube = npt.NDArray[Any]


@dataclass(frozen=True)
class Runs:
    """A contiguous block [low, high) of an axis cut into runs that share a parent:
    `starts` are the runs' first positions (relative to `low`), `parents` their parents'
    positions on the same axis (outside the block)."""

    low: int
    high: int
    starts: Ints
    parents: Ints

    def lengths(self) -> Ints:
        return np.diff(np.append(self.starts, self.high - self.low))


def _runs(low: int, high: int, parent: Ints) -> Runs:
    """The runs of equal `parent` (one per position of [low, high), non-decreasing)."""
    block = parent[low:high]
    first = np.ones(len(block), dtype=bool)
    first[1:] = block[1:] != block[:-1]
    starts = np.flatnonzero(first)
    return Runs(low, high, starts.astype(np.int64), block[starts].astype(np.int64))


@dataclass(frozen=True)
class TerritoryAxis:
    """The batch's territories: those with facts and every ancestor, in rollup order.

    `ids[p]` is the territory at position p; `levels` roll each depth into the one above,
    deepest first. A parent outside the catalogue makes a root (as `territory_depths`).
    """

    ids: Ints
    levels: tuple[Runs, ...]

    @classmethod
    def build(cls, territories: Sequence[TerritoryNode], active: Ints) -> TerritoryAxis:
        """The axis for the territories `active` (ids of the catalogue, unique)."""
        parent = {t.id: t.parent_id for t in territories}
        wanted: set[int] = set()
        for start in active.tolist():
            node: int | None = start
            while node is not None and node in parent and node not in wanted:
                wanted.add(node)
                node = parent[node]
        children: dict[int | None, list[int]] = {}
        for node in sorted(wanted):
            up = parent[node]
            children.setdefault(up if up in wanted else None, []).append(node)
        # Breadth first: depth by depth, each parent's children together, parents in order.
        order: list[int] = []
        position: dict[int, int] = {}
        parents: list[int] = []
        bounds = [0]
        level: list[tuple[int | None, int]] = [(None, node) for node in children.get(None, [])]
        while level:
            for up, node in level:
                position[node] = len(order)
                order.append(node)
                parents.append(-1 if up is None else position[up])
            bounds.append(len(order))
            level = [(node, child) for _, node in level for child in children.get(node, [])]
        parent_positions = np.array(parents, dtype=np.int64)
        levels = tuple(_runs(low, high, parent_positions)
                       for low, high in reversed(list(itertools.pairwise(bounds[1:]))))
        return cls(ids=np.array(order, dtype=np.int64), levels=levels)

    def positions(self, territory_ids: Ints) -> Ints:
        """The position of each id, −1 for ids not on the axis."""
        order = np.argsort(self.ids, kind="stable")
        ranked = self.ids[order]
        found = np.minimum(np.searchsorted(ranked, territory_ids), max(len(ranked) - 1, 0))
        known = ranked[found] == territory_ids if len(ranked) else np.zeros(
            len(territory_ids), dtype=bool)
        return np.where(known, order[found] if len(ranked) else -1, -1).astype(np.int64)


@dataclass(frozen=True)
class PeriodAxis:
    """Every period key in play (`dims.periods`), sorted; `steps[r]` rolls the periods of
    type rank r into their next coarser periods (rank r − 1)."""

    keys: Ints
    ranks: Ints
    starts: list[date]
    years: Ints
    steps: dict[int, Runs]

    @classmethod
    def build(cls, dims: Dimensions) -> PeriodAxis:
        keys = sorted(dims.periods)
        index = {key: n for n, key in enumerate(keys)}
        periods = [dims.periods[k] for k in keys]
        ranks = np.array([k // KEY_STRIDE for k in keys], dtype=np.int64)
        coarser = np.full(len(keys), -1, dtype=np.int64)
        for n, period in enumerate(periods):
            next_type = NEXT_COARSER.get(period.type)
            parent = period_parent(period, next_type) if next_type else None
            if parent is not None:
                coarser[n] = index[period_key(parent)]
        steps = {}
        for rank in np.unique(ranks).tolist():
            block = np.flatnonzero(ranks == rank)
            if rank > 0 and len(block):
                steps[rank] = _runs(int(block[0]), int(block[-1]) + 1, coarser)
        return cls(keys=np.array(keys, dtype=np.int64), ranks=ranks,
                   starts=[p.start for p in periods],
                   years=np.array([year_of(p) for p in periods], dtype=np.int64), steps=steps)

    def index_of(self, period_keys: Ints) -> Ints:
        """The index of each key, −1 for keys not on the axis."""
        found = np.minimum(np.searchsorted(self.keys, period_keys), len(self.keys) - 1)
        return np.where(self.keys[found] == period_keys, found, -1).astype(np.int64)


def space_sum(cube: Cube, territories: TerritoryAxis) -> None:
    """Add every territory's cells into its parent's, deepest level first (in place)."""
    for level in territories.levels:
        cube[level.parents] += np.add.reduceat(cube[level.low:level.high], level.starts,
                                               axis=0)


def time_sum(cube: Cube, periods: PeriodAxis, finest: int) -> None:
    """Fill the coarser periods of rank < `finest` with the sums of their sub-periods, one
    type at a time (in place). The cubes summed are integers (exact sums, counts), so the
    order of the terms does not matter."""
    for rank in range(finest, 0, -1):
        step = periods.steps.get(rank)
        if step is not None:
            cube[:, step.parents] += np.add.reduceat(cube[:, step.low:step.high],
                                                     step.starts, axis=1)


def time_last(cube: Cube, present: Bools, periods: PeriodAxis, finest: int) -> None:
    """Fill the coarser periods with the cells of their latest sub-period that has one (in
    place; `present` marks the cells that have a value and is filled alike)."""
    for rank in range(finest, 0, -1):
        step = periods.steps.get(rank)
        if step is None:
            continue
        width = step.high - step.low
        at = np.where(present[:, step.low:step.high],
                      np.arange(width, dtype=np.int64)[None, :, None], -1)
        latest = np.maximum.reduceat(at, step.starts, axis=1)
        found = latest >= 0
        chosen = np.take_along_axis(cube[:, step.low:step.high], np.maximum(latest, 0), axis=1)
        cube[:, step.parents] = np.where(found, chosen, cube[:, step.parents])
        present[:, step.parents] |= found
