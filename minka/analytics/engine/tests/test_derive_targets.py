"""Targets, forecasts and status (derive_targets.py): which target a row is judged against,
worked out by hand in the comments, and the status and forecast arithmetic against the SQL
it replaced, bit for bit."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minka.analytics.engine.derive_targets import Targets, judge
from minka.analytics.engine.model import IndicatorSpec, Polarity, Target
from minka.analytics.engine.periods import PeriodType
from minka.analytics.engine.tests.cases import MONTHLY, catalogue, element, facts, results


def monthly(territory: int, first: int, numbers: list[float]) -> list[tuple[object, ...]]:
    return [("S", territory, f"2023{first + n:02d}", number) for n, number in
            enumerate(numbers)]


def test_the_nearest_later_target_by_end_and_among_equal_ends_the_finest():
    cat = catalogue(
        [element("S")], [IndicatorSpec("I", "#{S}", MONTHLY)],
        targets=(Target("I", 11, "2023Q2", 100.0), Target("I", 11, "202306", 60.0),
                 Target("I", 11, "2023S1", 80.0), Target("I", 11, "2023", 200.0)),
    )
    # 10, 12, ..., 22 from January to July: slope 2 from March on.
    found = results(cat, facts(*monthly(11, 1, [10, 12, 14, 16, 18, 20, 22])))
    row = {p: found[("I", 11, p, "")] for p in (
        "202304", "202306", "202307", "2023Q1", "2023Q2", "2023S1", "2023")}
    # April: 2023Q2, 202306 and 2023S1 all end on June 30, the nearest later end; 202306
    # starts last. Forecast: 16 + 2 x (June - April = 2 months) = 20; judged on it (the
    # target ends later): 60 - 20 = 40 > 0.1 x 60: off track.
    assert (row["202304"]["target"], row["202304"]["target_period"]) == (60, "202306")
    assert (row["202304"]["forecast"], row["202304"]["status"],
            row["202304"]["forecast_meets_target"]) == (20, "off_track", False)
    # June has a target of its own: judged on the value 20; the forecast is 20 + 2 x 0.
    assert (row["202306"]["target_period"], row["202306"]["forecast"]) == ("202306", 20)
    # July: after June 30 the next end is December 31 (2023). 22 + 2 x 5 = 32.
    assert (row["202307"]["target_period"], row["202307"]["forecast"]) == ("2023", 32)
    # Coarser rows: their own periods' targets; 2023Q1 (ends March 31) takes the nearest
    # later end like any row: June 30, the finest of the three (202306); one quarter of
    # slope to go but no quarterly slope (one quarter before): no forecast, no status.
    assert [row[p]["target_period"] for p in ("2023Q2", "2023S1", "2023")] == [
        "2023Q2", "2023S1", "2023"]
    assert (row["2023Q1"]["target_period"], row["2023Q1"]["target"],
            row["2023Q1"]["forecast"], row["2023Q1"]["status"]) == ("202306", 60, None, None)
    # Another territory has no target.
    other = results(cat, facts(*monthly(12, 1, [10, 12, 14, 16])))[("I", 12, "202304", "")]
    assert (other["target"], other["target_period"], other["status"]) == (None, None, None)


def test_a_target_that_ends_before_the_period_never_applies():
    cat = catalogue(
        [element("S")], [IndicatorSpec("I", "#{S}", MONTHLY)],
        targets=(Target("I", 11, "2022", 50.0), Target("I", 12, "2021", 50.0),
                 Target("I", 12, "2024", 70.0)),
    )
    found = results(cat, facts(*monthly(11, 1, [10, 12, 14]), *monthly(12, 1, [10, 12, 14])))
    # 11's only target ended in 2022: nothing to judge in 2023.
    march = found[("I", 11, "202303", "")]
    assert (march["target"], march["target_period"], march["forecast"], march["status"],
            march["forecast_meets_target"]) == (None, None, None, None, None)
    # 12: 2021 ended before; 2024 ends later: 14 + 2 x (202412 - 202303 = 21) = 56 < 70,
    # misses by 14 > 7: off track.
    march = found[("I", 12, "202303", "")]
    assert (march["target_period"], march["forecast"], march["status"]) == (
        "2024", 56, "off_track")


def test_status_at_the_edge_of_the_tolerance():
    cat = catalogue(
        [element("S"), element("T")],
        [IndicatorSpec("I", "#{S}", MONTHLY, tolerance=0.25),
         IndicatorSpec("J", "#{T}", MONTHLY, polarity=Polarity.LOWER_IS_BETTER,
                       tolerance=0.5)],
        targets=tuple(Target(code, t, "202301", value) for t in (11, 12, 13)
                      for code, value in (("I", 40.0), ("J", -20.0))),
    )
    found = results(cat, facts(
        ("S", 11, "202301", 40), ("S", 12, "202301", 30), ("S", 13, "202301", 29.5),
        ("T", 11, "202301", -20), ("T", 12, "202301", -10), ("T", 13, "202301", -9)))
    # I, higher is better, target 40, tolerance 0.25 x 40 = 10: gaps 0, 10, 10.5.
    assert [found[("I", t, "202301", "")]["status"] for t in (11, 12, 13)] == [
        "on_track", "at_risk", "off_track"]
    # J, lower is better, target -20, tolerance 0.5 x |-20| = 10: gaps 0, 10, 11.
    assert [found[("J", t, "202301", "")]["status"] for t in (11, 12, 13)] == [
        "on_track", "at_risk", "off_track"]
    # One month: no slope, no forecast, nothing to say about meeting the target.
    assert found[("I", 11, "202301", "")]["forecast_meets_target"] is None


def test_one_period_spelled_two_ways_is_one_target_the_last_given():
    weekly = PeriodType.WEEKLY
    cat = catalogue(
        [element("S", period_type=weekly)], [IndicatorSpec("I", "#{S}", weekly)],
        targets=(Target("I", 11, "2023W5", 10.0), Target("I", 11, "2023W05", 12.0),
                 Target("I", 99, "2023W5", 1.0)),  # 99 is no territory: ignored
    )
    found = results(cat, facts(("S", 11, "2023W5", 11)))
    rows = [k for k in found if k[0] == "I" and k[1] == 11 and k[2] == "2023W5"]
    assert len(rows) == 1
    assert (found[rows[0]]["target"], found[rows[0]]["target_period"]) == (12, "2023W5")


_REFERENCE = """
    WITH forecasts AS (
        SELECT *, value + trend_slope * steps AS forecast FROM judged),
    gaps AS (
        SELECT *,
            CASE WHEN higher_is_better
                THEN target_value - CASE WHEN target_later THEN forecast ELSE value END
                ELSE CASE WHEN target_later THEN forecast ELSE value END - target_value
            END AS gap
        FROM forecasts)
    SELECT
        CASE WHEN gap IS NULL THEN -1 WHEN gap <= 0 THEN 0
             WHEN gap <= tolerance * abs(target_value) THEN 1 ELSE 2 END AS status,
        forecast,
        CASE WHEN forecast IS NULL OR target_value IS NULL THEN NULL
             WHEN higher_is_better THEN forecast >= target_value
             ELSE forecast <= target_value END AS forecast_meets_target
    FROM gaps ORDER BY n"""
"""The status and forecast of the SQL view `derive.py` had before numpy."""

_FINITE = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e308, -1e308]),
                   st.floats(-1e6, 1e6))
_NUMBERS = st.one_of(_FINITE, st.sampled_from([float("inf"), float("-inf"), float("nan")]))
"""Values are finite or NULL (`indicators.py`); slopes and targets can be anything (a
slope's sums can overflow): NaN + NaN keeps either NaN's bits, as it pleases the CPU."""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_FINITE, st.booleans(), _NUMBERS, st.booleans(), _NUMBERS,
                          st.integers(0, 30), st.booleans(), st.booleans(),
                          st.sampled_from([0.0, 0.1, 0.25])), min_size=1, max_size=30))
def test_status_and_forecast_equal_the_sql_bit_for_bit(cases):
    count = len(cases)
    value, has_value, slope, has_slope, target, steps, later, higher, tolerance = (
        np.array(c) for c in zip(*cases, strict=True))
    has_slope &= has_value  # a row without a value has no slope
    end_ordinal = np.zeros((count, 5), dtype=np.int64)
    end_ordinal[:, 3] = steps + 100  # monthly rows at ordinal 100
    targets = Targets(
        territories=1, exact=np.zeros(0, np.int64), exact_at=np.zeros(0, np.int64),
        later=np.zeros(0, np.int64), later_at=np.zeros(0, np.int64),
        value=target.astype(np.float64), end=np.where(later, 10, 5).astype(np.int64),
        period_code=np.zeros(count, np.int64), period_id=("2023",) * count,
        end_ordinal=end_ordinal)
    judged = judge(targets, np.arange(count), period_key=np.full(count, 3_000_100),
                   period_end=np.full(count, 5), value=value.astype(np.float64),
                   has_value=has_value, slope=slope.astype(np.float64), has_slope=has_slope,
                   higher=higher, tolerance=tolerance.astype(np.float64))
    con = duckdb.connect()
    con.register("judged", pa.table({
        "n": np.arange(count), "value": pa.array(value, pa.float64(), mask=~has_value),
        "trend_slope": pa.array(slope, pa.float64(), mask=~has_slope),
        "steps": pa.array(steps, pa.int32()), "target_value": target,
        "target_later": later, "higher_is_better": higher, "tolerance": tolerance}))
    expected = con.execute(_REFERENCE).to_arrow_table()
    assert judged.status.tolist() == expected.column("status").to_pylist()
    forecast = expected.column("forecast").combine_chunks()
    assert judged.forecast_valid.tolist() == forecast.is_valid().to_pylist()
    bits = judged.forecast.view(np.int64)[judged.forecast_valid]
    assert bits.tolist() == forecast.drop_null().to_numpy().view(np.int64).tolist()
    meets = expected.column("forecast_meets_target").to_pylist()
    assert [bool(m) if v else None for m, v in zip(
        judged.meets, judged.forecast_valid, strict=True)] == meets


@pytest.mark.parametrize("text", ["2023", "2023Q1"])
def test_targets_of_unparsable_or_unknown_indicators_are_ignored(text):
    cat = catalogue(
        [element("S")], [IndicatorSpec("I", "#{S}", MONTHLY)],
        targets=(Target("I", 11, "2023-01", 5.0), Target("X", 11, text, 5.0)),
    )
    found = results(cat, facts(("S", 11, "202301", 1)))
    assert found[("I", 11, "202301", "")]["target"] is None
