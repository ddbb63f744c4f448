"""measure_figures on series computed by hand (no database)."""

from __future__ import annotations

import pytest

from minka.scorecards.figures import MeasureFigures, Trend, measure_figures


def series(*values: float | None, start: int = 2018) -> list[tuple[str, float | None]]:
    return [(str(start + i), value) for i, value in enumerate(values)]


def test_anaemia_falling_for_two_periods_is_better():
    figures = measure_figures(
        series=series(40, 38, 35, 36, 33, 30), target=20, baseline=40, higher_is_better=False
    )
    assert figures == MeasureFigures(
        current=30,
        current_period="2023",
        target=20,
        percent_of_target=pytest.approx(150.0),  # 100 × 30 / 20
        baseline=40,
        baseline_change_percent=pytest.approx(-25.0),  # 100 × (30 − 40) / 40
        trend=Trend.DOWN,
        trend_periods=2,  # 36 → 33 → 30
        trend_better=True,
    )
    assert figures.trend == "down"


def test_the_same_fall_is_worse_when_higher_is_better():
    figures = measure_figures(
        series=series(40, 38, 35, 36, 33, 30), target=20, baseline=40, higher_is_better=True
    )
    assert (figures.trend, figures.trend_periods, figures.trend_better) == ("down", 2, False)


def test_rising_coverage_for_three_periods_is_better():
    # 60 → 55 down, then 55 → 58 → 64 → 70 up three times; 70 of 80 is 87.5 %.
    figures = measure_figures(
        series=series(60, 55, 58, 64, 70), target=80, baseline=60, higher_is_better=True
    )
    assert (figures.trend, figures.trend_periods, figures.trend_better) == ("up", 3, True)
    assert figures.percent_of_target == pytest.approx(87.5)
    assert figures.baseline_change_percent == pytest.approx(100 * 10 / 60)


def test_missing_periods_are_skipped_not_zero():
    # Known values 50, 45, 42 (2018, 2020, 2023): two falls in a row; the current value is
    # the last known one and its period is 2023, not the empty 2024.
    figures = measure_figures(
        series=series(50, None, 45, None, None, 42, None),
        target=None,
        baseline=50,
        higher_is_better=False,
    )
    assert (figures.current, figures.current_period) == (42, "2023")
    assert (figures.trend, figures.trend_periods, figures.trend_better) == ("down", 2, True)
    assert figures.baseline_change_percent == pytest.approx(-16.0)  # 100 × (42 − 50) / 50
    assert figures.percent_of_target is None


def test_empty_series_has_no_figures():
    figures = measure_figures(series=[], target=10, baseline=5, higher_is_better=True)
    assert figures == MeasureFigures(
        current=None,
        current_period=None,
        target=10,
        percent_of_target=None,
        baseline=5,
        baseline_change_percent=None,
        trend=None,
        trend_periods=0,
        trend_better=None,
    )


def test_all_none_is_like_empty():
    figures = measure_figures(
        series=series(None, None, None), target=10, baseline=None, higher_is_better=False
    )
    assert (figures.current, figures.current_period, figures.trend) == (None, None, None)
    assert (figures.trend_periods, figures.trend_better, figures.percent_of_target) == (
        0,
        None,
        None,
    )


def test_one_value_has_no_trend():
    figures = measure_figures(series=series(12.5), target=10, baseline=12.5, higher_is_better=False)
    assert (figures.current, figures.trend, figures.trend_periods) == (12.5, None, 0)
    assert figures.percent_of_target == pytest.approx(125.0)
    assert figures.baseline_change_percent == pytest.approx(0.0)


def test_flat_series_is_flat_and_neither_better_nor_worse():
    figures = measure_figures(
        series=series(20, 25, 25, 25), target=25, baseline=20, higher_is_better=True
    )
    assert (figures.trend, figures.trend_periods, figures.trend_better) == ("flat", 2, None)
    assert figures.percent_of_target == pytest.approx(100.0)


def test_rounding_noise_of_a_recomputed_ratio_is_flat():
    figures = measure_figures(
        series=series(30.0, 100 * (0.1 + 0.2)), target=None, baseline=None, higher_is_better=False
    )
    assert 100 * (0.1 + 0.2) != 30.0  # 30.000000000000004
    assert (figures.trend, figures.trend_periods) == ("flat", 1)


def test_a_flat_step_ends_a_trend():
    figures = measure_figures(
        series=series(10, 8, 6, 6, 5), target=None, baseline=None, higher_is_better=False
    )
    assert (figures.trend, figures.trend_periods) == ("down", 1)  # only 6 → 5


def test_target_zero_gives_no_percent_of_target():
    figures = measure_figures(series=series(3, 2), target=0, baseline=3, higher_is_better=False)
    assert figures.percent_of_target is None
    assert figures.target == 0
    assert figures.baseline_change_percent == pytest.approx(-100 / 3)


def test_baseline_zero_gives_no_change():
    figures = measure_figures(series=series(0, 4), target=None, baseline=0, higher_is_better=True)
    assert figures.baseline_change_percent is None


def test_change_from_a_negative_baseline_keeps_the_direction():
    # From −4 to −2 the value went up: +50 % of |−4|.
    figures = measure_figures(
        series=series(-4, -2), target=None, baseline=-4, higher_is_better=True
    )
    assert figures.baseline_change_percent == pytest.approx(50.0)
    assert (figures.trend, figures.trend_better) == ("up", True)
