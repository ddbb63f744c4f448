"""The dense axes and rollups (rollup.py), on small hand-made trees and periods."""

from __future__ import annotations

import numpy as np

from minka.analytics.engine.dimensions import Dimensions, period_from_key
from minka.analytics.engine.rollup import (
    PeriodAxis,
    TerritoryAxis,
    space_sum,
    time_last,
    time_sum,
)
from minka.analytics.engine.tests.cases import catalogue, element, tree

# 1 > (2 > 4, 5), (3 > 6); 7 has a parent outside the catalogue: a root.
TREE = tree({1: None, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 99})


def test_territories_are_ordered_by_depth_then_parent_and_levels_roll_deepest_first():
    axis = TerritoryAxis.build(TREE, np.array([4, 5, 6, 7]))
    assert axis.ids.tolist() == [1, 7, 2, 3, 4, 5, 6]
    deepest, middle = axis.levels
    # Depth 2: positions 4..6 (4, 5 under 2 at position 2; 6 under 3 at position 3).
    assert (deepest.low, deepest.high) == (4, 7)
    assert deepest.starts.tolist() == [0, 2] and deepest.parents.tolist() == [2, 3]
    assert (middle.low, middle.high, middle.parents.tolist()) == (2, 4, [0])
    assert axis.positions(np.array([6, 8, 1])).tolist() == [6, -1, 0]


def test_only_territories_with_facts_and_their_ancestors_are_on_the_axis():
    axis = TerritoryAxis.build(TREE, np.array([6]))
    assert axis.ids.tolist() == [1, 3, 6]


def test_space_sum_adds_children_into_parents_level_by_level():
    axis = TerritoryAxis.build(TREE, np.array([4, 5, 6, 7, 2]))
    cube = np.zeros((len(axis.ids), 1, 1), dtype=np.int64)
    own = {4: 1, 5: 2, 6: 4, 7: 8, 2: 16}
    for territory, value in own.items():
        cube[axis.positions(np.array([territory]))[0], 0, 0] = value
    space_sum(cube, axis)
    found = dict(zip(axis.ids.tolist(), cube[:, 0, 0].tolist(), strict=True))
    # 2 = its own 16 + 1 + 2 = 19; 3 = 4; 1 = 19 + 4 = 23; 7 is a root on its own.
    assert found == {1: 23, 7: 8, 2: 19, 3: 4, 4: 1, 5: 2, 6: 4}


def _periods(*ids: str) -> PeriodAxis:
    dims = Dimensions(catalogue([element("S")]))
    dims.periods_add(ids)
    return PeriodAxis.build(dims)


def _ids(periods: PeriodAxis) -> list[str]:
    return [period_from_key(int(k)).id for k in periods.keys]


def test_time_sum_fills_quarters_semesters_and_years_from_months():
    periods = _periods("202301", "202302", "202304", "202312")
    ids = _ids(periods)
    cube = np.zeros((1, len(ids), 1))
    for text, value in (("202301", 1.0), ("202302", 2.0), ("202304", 4.0), ("202312", 8.0)):
        cube[0, ids.index(text), 0] = value
    time_sum(cube, periods, 3)
    found = dict(zip(ids, cube[0, :, 0].tolist(), strict=True))
    assert (found["2023Q1"], found["2023Q2"], found["2023Q4"]) == (3, 4, 8)
    assert (found["2023S1"], found["2023S2"], found["2023"]) == (7, 8, 15)


def test_time_last_takes_the_latest_sub_period_that_has_a_value():
    periods = _periods("202301", "202302", "202304")
    ids = _ids(periods)
    cube = np.zeros((1, len(ids), 1))
    present = np.zeros(cube.shape, dtype=bool)
    for text, value in (("202301", 5.0), ("202302", 7.0), ("202304", 3.0)):
        cube[0, ids.index(text), 0] = value
        present[0, ids.index(text), 0] = True
    time_last(cube, present, periods, 3)
    found = {text: cube[0, n, 0] for n, text in enumerate(ids) if present[0, n, 0]}
    # Q1: February's 7 (the latest month with a value); Q2, S1 and 2023: April's 3.
    assert (found["2023Q1"], found["2023Q2"], found["2023S1"], found["2023"]) == (7, 3, 3, 3)
