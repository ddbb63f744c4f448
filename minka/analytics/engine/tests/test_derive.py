"""Derived figures (derive.py): change, trend, forecast, status, rank and completeness, on
series computed by hand in the comments."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minka.analytics.engine import derive, derive_series
from minka.analytics.engine.derive import derive_compute, derive_inputs
from minka.analytics.engine.dimensions import (
    Dimensions,
    period_from_key,
    period_key,
    period_ordinal,
)
from minka.analytics.engine.model import IndicatorSpec, Polarity, Target, TerritoryNode
from minka.analytics.engine.periods import PeriodType, period_offset, period_parse
from minka.analytics.engine.pipeline import result_dictionaries, result_types_create
from minka.analytics.engine.tests.cases import (
    MONTHLY,
    catalogue,
    element,
    facts,
    results,
    tree,
)

MONTHS = ("202301", "202302", "202303", "202304", "202305")
FOUR = tree({1: None, 10: 1, 11: 10, 12: 10, 13: 10, 14: 10})


def series(territory: int, numbers, months=MONTHS):
    return [("S", territory, month, number) for month, number in zip(months, numbers,
                                                                      strict=True)]


def indicator(polarity=Polarity.HIGHER_IS_BETTER, **kwargs) -> IndicatorSpec:
    return IndicatorSpec("I", "#{S}", MONTHLY, polarity=polarity, **kwargs)


def test_change_from_the_previous_period_and_from_the_base_year():
    found = results(
        catalogue([element("S")], [indicator(base_year=2022)]),
        facts(("S", 11, "202201", 5), *series(11, (10, 12, None, 16, 18))[:2],
              *series(11, (10, 12, None, 16, 18))[3:]),
    )
    row = {p: found[("I", 11, p, "")] for p in ("202301", "202302", "202304", "2023")}
    # February: 12 - 10 = 2. April: March has no value: no change. January: December 2022
    # has none either.
    assert row["202302"]["change_previous"] == 2
    assert row["202304"]["change_previous"] is None
    assert row["202301"]["change_previous"] is None
    # Against the base year 2022: January 2023 - January 2022 = 10 - 5 = 5;
    # 2023 (10 + 12 + 16 + 18 = 56) - 2022 (5) = 51; February 2022 has no value.
    assert row["202301"]["change_base"] == 5
    assert row["2023"]["change_base"] == 51
    assert row["202302"]["change_base"] is None


def test_trend_is_the_least_squares_slope_over_the_last_five_periods_with_three_values():
    found = results(catalogue([element("S")], [indicator()]),
                    facts(*series(11, (1, 2, 4, 4, 4))))
    slope = {p: found[("I", 11, p, "")]["trend_slope"] for p in MONTHS}
    # 202302 has only 2 points: no trend.
    assert slope["202302"] is None
    # 202303: points (-2, 1), (-1, 2), (0, 4): mean x -1, mean y 7/3;
    # Sxy = (-1)(1 - 7/3) + 0 + (1)(4 - 7/3) = 4/3 + 5/3 = 3, Sxx = 2: slope 1.5.
    assert slope["202303"] == pytest.approx(1.5, rel=1e-12)
    # 202305: (-4, 1) (-3, 2) (-2, 4) (-1, 4) (0, 4): mean x -2, mean y 3;
    # Sxy = (-2)(-2) + (-1)(-1) + 0 + (1)(1) + (2)(1) = 8, Sxx = 10: slope 0.8.
    assert slope["202305"] == pytest.approx(0.8, rel=1e-12)


def test_a_gap_in_the_series_is_skipped_but_the_window_stays_five_periods():
    months = ("202301", "202302", "202304", "202305", "202306")
    found = results(catalogue([element("S")], [indicator()]),
                    facts(*series(11, (10, 12, 16, 18, 20), months)))
    # 202305: periods 202301..202305 with a value: x -4, -3, -1, 0 and y 10, 12, 16, 18,
    # all on y = 18 + 2x: slope 2. 202306: 202302..202306: x -4, -2, -1, 0: slope 2 again.
    assert found[("I", 11, "202305", "")]["trend_slope"] == pytest.approx(2, rel=1e-12)
    assert found[("I", 11, "202306", "")]["trend_slope"] == pytest.approx(2, rel=1e-12)


@pytest.mark.parametrize(
    ("polarity", "numbers", "targets", "statuses"),
    [
        # Higher is better; 10, 12, ... 18: slope 2; May's forecast for December is
        # 18 + 2 x 7 = 32. Target 30: met (on track); 34: misses by 2 <= 0.1 x 34
        # (at risk); 40: misses by 8 > 4 (off track).
        (Polarity.HIGHER_IS_BETTER, (10, 12, 14, 16, 18), (30, 34, 40),
         ("on_track", "at_risk", "off_track")),
        # Lower is better; 30, 28, ... 22: slope -2; forecast 22 - 2 x 7 = 8. Target 10:
        # met; 7.5: misses by 0.5 <= 0.75 (at risk); 5: misses by 3 > 0.5 (off track).
        (Polarity.LOWER_IS_BETTER, (30, 28, 26, 24, 22), (10, 7.5, 5),
         ("on_track", "at_risk", "off_track")),
    ],
)
def test_status_judges_the_forecast_against_a_later_target(polarity, numbers, targets,
                                                           statuses):
    territories = (11, 12, 13)
    cat = catalogue(
        [element("S")], [indicator(polarity)], territories=FOUR,
        targets=tuple(Target("I", t, "2023", float(v)) for t, v in zip(territories, targets,
                                                                       strict=True)),
    )
    found = results(cat, facts(*(f for t in territories for f in series(t, numbers))))
    may = [found[("I", t, "202305", "")] for t in territories]
    assert [r["forecast"] for r in may] == [pytest.approx(32 if polarity == "higher" else 8)] * 3
    assert [r["status"] for r in may] == list(statuses)
    assert [r["target_period"] for r in may] == ["2023"] * 3
    assert [r["forecast_meets_target"] for r in may] == [True, False, False]
    # February has two values: no trend, so no forecast and nothing to judge.
    february = found[("I", 11, "202302", "")]
    assert (february["target"], february["forecast"], february["status"]) == (
        targets[0], None, None)


def test_an_exact_period_target_is_judged_on_the_value_and_a_nearer_target_comes_first():
    cat = catalogue(
        [element("S")], [indicator()],
        targets=(Target("I", 11, "202303", 15.0), Target("I", 11, "2023Q2", 100.0),
                 Target("I", 11, "2023", 30.0)),
    )
    found = results(cat, facts(*series(11, (10, 12, 14, 16, 18))))
    march = found[("I", 11, "202303", "")]
    # March has its own target 15: the value 14 misses by 1 <= 1.5: at risk; the forecast
    # is 14 + slope 2 x 0 periods left = 14.
    assert (march["target"], march["target_period"], march["status"], march["forecast"]) == (
        15, "202303", "at_risk", 14)
    # April: the nearest later target by end is 2023Q2 (ends in June), not 2023.
    april = found[("I", 11, "202304", "")]
    assert april["target_period"] == "2023Q2"
    # January: 202303 ends first.
    assert found[("I", 11, "202301", "")]["target_period"] == "202303"
    assert found[("I", 11, "2023", "")]["target_period"] == "2023"


def test_ranks_among_siblings_share_the_smallest_rank_on_ties():
    higher = results(catalogue([element("S")], [indicator()], territories=FOUR),
                     facts(("S", 11, "202301", 9), ("S", 12, "202301", 7),
                           ("S", 13, "202301", 7), ("S", 14, "202301", 5)))
    # 9 > 7 = 7 > 5: 1, 2, 2, 4 of 4.
    assert [(higher[("I", t, "202301", "")]["rank"], higher[("I", t, "202301", "")]["rank_of"])
            for t in (11, 12, 13, 14)] == [(1, 4), (2, 4), (2, 4), (4, 4)]
    lower = results(
        catalogue([element("S")], [indicator(Polarity.LOWER_IS_BETTER)], territories=FOUR),
        facts(("S", 11, "202301", 9), ("S", 12, "202301", 7), ("S", 13, "202301", 7),
              ("S", 14, "202301", 5)))
    # Lower is better: 5, then 7 and 7, then 9: 4, 2, 2, 1.
    assert [lower[("I", t, "202301", "")]["rank"] for t in (11, 12, 13, 14)] == [4, 2, 2, 1]


def test_only_siblings_with_a_value_that_exist_in_the_period_are_ranked():
    territories = (
        TerritoryNode(1, None, "region"), TerritoryNode(10, 1, "province"),
        TerritoryNode(11, 10, "district"), TerritoryNode(12, 10, "district"),
        TerritoryNode(13, 10, "district", valid_from=date(2024, 1, 1)),
    )
    ratio = IndicatorSpec("I", "#{S} / #{D}", MONTHLY)
    found = results(
        catalogue([element("S"), element("D")], [ratio], territories=territories),
        facts(("S", 11, "202301", 1), ("D", 11, "202301", 2),
              ("S", 12, "202301", 1), ("D", 12, "202301", 0),
              ("S", 13, "202301", 3), ("D", 13, "202301", 4)),
    )
    # 12 has no value (zero denominator); 13 did not exist in 2023 yet: 11 is 1 of 1.
    assert (found[("I", 11, "202301", "")]["rank"],
            found[("I", 11, "202301", "")]["rank_of"]) == (1, 1)
    assert found[("I", 12, "202301", "")]["rank"] is None
    assert found[("I", 13, "202301", "")]["rank"] is None
    # Completeness: 11 and 12 existed and reported; 13 was not expected in 2023.
    province = found[("I", 10, "202301", "")]
    assert (province["reported_children"], province["expected_children"]) == (2, 2)


@given(st.sampled_from(["2023", "2023S2", "2023Q4", "202312", "2020W53", "2015W1", "1900"]),
       st.integers(-600, 600))
def test_period_ordinals_agree_with_period_offset(text, steps):
    period = period_parse(text)
    moved = period_offset(period, steps)
    assert period_ordinal(moved) == period_ordinal(period) + steps
    assert period_from_key(period_key(moved)) == moved


def test_period_keys_order_types_coarse_to_fine():
    keys = [period_key(period_parse(t)) for t in ("2023", "2023S1", "2023Q1", "202301",
                                                     "2023W1")]
    assert keys == sorted(keys)
    assert period_key(period_parse("2023W1")) // 1_000_000 == 4
    assert period_parse("2023W1").type == PeriodType.WEEKLY


def _values(rows: list[tuple[int, str, float | None]]) -> pa.Table:
    """Indicator values of indicator 1, total breakdown, from (territory, period, value)."""
    return pa.table({
        "indicator_id": pa.array([1] * len(rows), pa.int32()),
        "territory_id": pa.array([r[0] for r in rows], pa.int64()),
        "period_key": pa.array([period_key(period_parse(r[1])) for r in rows], pa.int32()),
        "breakdown_id": pa.array([0] * len(rows), pa.int32()),
        "value": pa.array([r[2] for r in rows], pa.float64()),
        "numerator": pa.array([None] * len(rows), pa.float64()),
        "denominator": pa.array([None] * len(rows), pa.float64()),
        "reason": pa.array([None if r[2] is not None else "missing_data" for r in rows],
                           pa.string()),
        "from_successors": pa.array([False] * len(rows), pa.bool_()),
    })


@pytest.mark.parametrize(("dense_extra", "row_group"), [
    (derive_series.DENSE_EXTRA, derive.ROW_GROUP_ROWS), (-(10**9), 3)])
def test_rows_out_of_scope_are_read_but_not_output(monkeypatch, dense_extra, row_group):
    # Rows found through the index's table, or by binary search; the result made a row
    # group at a time, or three rows at a time.
    monkeypatch.setattr(derive_series, "DENSE_EXTRA", dense_extra)
    monkeypatch.setattr(derive, "ROW_GROUP_ROWS", row_group)
    cat = catalogue([element("S")], [indicator(base_year=2022)], territories=FOUR,
                    targets=(Target("I", 11, "2023", 30.0),))
    dims = Dimensions(cat)
    dims.periods_add(["202201", "202203", "202301", "202302", "202303"])
    con = duckdb.connect()
    try:
        result_types_create(con, dims)
        inputs = derive_inputs(dims, result_dictionaries(con))
        con.register("value", _values([
            (10, "202303", 25.0), (11, "202203", 4.0), (11, "202301", 10.0),
            (11, "202302", 12.0), (11, "202303", 15.0), (12, "202303", 16.0),
            (13, "202303", None), (99, "202303", 1.0)]))
        key = period_key(period_parse("202303"))
        con.register("scope", pa.table({
            "indicator_id": pa.array([1, 1, 1, 1], pa.int32()),
            "period_key": pa.array([key, key, key, key + 1], pa.int32()),
            "territory_id": pa.array([10, 11, 99, 11], pa.int64())}))
        found = {(r["territory_id"], r["period"]): r for r in derive_compute(
            con, inputs, values="value", scope="scope").to_pylist()}
    finally:
        con.close()
    # In scope: 10 and 11 in March (99 is outside the tree; 11 in April has no row).
    assert sorted(found) == [(10, "202303"), (11, "202303")]
    march = found[(11, "202303")]
    # Read from rows out of scope: the previous month (15 - 12 = 3), the trend through
    # (-2, 10), (-1, 12), (0, 15) (slope 2.5), the base month 202203 (15 - 4 = 11) and the
    # sibling 12 (16 > 15: rank 2 of 2; 13 has no value).
    assert (march["change_previous"], march["trend_slope"], march["change_base"]) == (
        3, 2.5, 11)
    assert (march["rank"], march["rank_of"]) == (2, 2)
    # The target 2023 ends later: 15 + 2.5 x 9 = 37.5 meets 30.
    assert (march["target"], march["forecast"], march["status"]) == (30, 37.5, "on_track")
    assert (march["period_type"], march["breakdown"], march["reason"]) == ("Monthly", "", None)
    # 10's children: 11, 12 and 13 have rows, 14 does not; all four exist.
    assert (found[(10, "202303")]["reported_children"],
            found[(10, "202303")]["expected_children"]) == (3, 4)
    assert (march["reported_children"], march["expected_children"]) == (None, None)
