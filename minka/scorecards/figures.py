"""The figures of one line of a scorecard (a population indicator or a performance measure),
computed from a series of results. Pure: no Django, plain data in and out.

`measure_figures` answers what a Clear Impact scorecard shows beside a curve: the current
value and its period, the target and how far it is reached, the change from the baseline,
and the current trend ("↓ 2 periods"). The choices, so that every figure can be checked by
hand:

- The current value is the last value that is not None; its period is that value's period.
  Missing periods (None) are never read as zero (DESIGN.md: "missing is not zero").
- `percent_of_target` = 100 × current / target, whatever the polarity: 30 against a target
  of 20 is 150 % (for a lower-is-better indicator that means "still 50 % above the
  target"; the page says which way is better through the trend colour and the polarity).
  None without a current value, without a target, or with a target of 0 (no ratio to 0).
- `baseline_change_percent` = 100 × (current − baseline) / |baseline|: the relative change
  from the baseline, negative when the value went down whatever the sign of the baseline.
  None without a current value, without a baseline, or with a baseline of 0. Which value
  is the baseline (a recorded baseline, the value of the indicator's base year, or the
  first value of the series) is the caller's decision.
- The trend is read from consecutive *known* values: None values are skipped, so a gap in
  the reports neither breaks nor starts a trend. `trend` is the direction of the latest
  change (`up`, `down`, `flat`); `trend_periods` is how many changes in a row, ending with
  the latest, went in that same direction — Clear Impact's "current trend: N periods".
  [40, 38, 35, 36, 33, 30] is `down` for 2 periods (36 → 33 → 30). Two values are equal
  ("flat") when they differ by less than `FLAT_TOLERANCE` relative to the larger of them,
  so that the rounding noise of a recomputed ratio (30.000000000000004) is no movement.
  Fewer than two known values: no trend (None, 0 periods).
- `trend_better` is True when the direction is the good one by polarity (down for a
  lower-is-better indicator, up for a higher-is-better one), False when it is the bad
  one, and None when flat or unknown.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

FLAT_TOLERANCE = 1e-9


class Trend(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


@dataclass(frozen=True)
class MeasureFigures:
    current: float | None
    current_period: str | None
    target: float | None
    percent_of_target: float | None
    baseline: float | None
    baseline_change_percent: float | None
    trend: Trend | None
    trend_periods: int
    trend_better: bool | None


def _direction(before: float, after: float) -> Trend:
    if math.isclose(before, after, rel_tol=FLAT_TOLERANCE, abs_tol=FLAT_TOLERANCE):
        return Trend.FLAT
    return Trend.UP if after > before else Trend.DOWN


def _trend(values: Sequence[float]) -> tuple[Trend | None, int]:
    """The direction of the latest change and how many changes in a row went that way."""
    directions = [_direction(a, b) for a, b in itertools.pairwise(values)]
    if not directions:
        return None, 0
    latest = directions[-1]
    periods = 0
    for direction in reversed(directions):
        if direction is not latest:
            break
        periods += 1
    return latest, periods


def _ratio_percent(numerator: float, denominator: float | None) -> float | None:
    if denominator is None or denominator == 0:
        return None
    return 100 * numerator / denominator


def measure_figures(
    *,
    series: Sequence[tuple[str, float | None]],
    target: float | None,
    baseline: float | None,
    higher_is_better: bool,
) -> MeasureFigures:
    """The figures of a series of (period id, value) pairs given in time order."""
    known = [(period, value) for period, value in series if value is not None]
    current_period, current = known[-1] if known else (None, None)
    trend, trend_periods = _trend([value for _period, value in known])
    trend_better: bool | None = None
    if trend in (Trend.UP, Trend.DOWN):
        trend_better = (trend is Trend.UP) == higher_is_better
    percent_of_target = baseline_change = None
    if current is not None:
        percent_of_target = _ratio_percent(current, target)
        if baseline is not None:
            baseline_change = _ratio_percent(current - baseline, abs(baseline))
    return MeasureFigures(
        current=current,
        current_period=current_period,
        target=target,
        percent_of_target=percent_of_target,
        baseline=baseline,
        baseline_change_percent=baseline_change,
        trend=trend,
        trend_periods=trend_periods,
        trend_better=trend_better,
    )
