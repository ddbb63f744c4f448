"""Data quality: outliers, plausible bounds and validation rules, as plain computation.

Why a robust method: a district's monthly counts are few (a dozen to a hundred points) and
the very error we look for (a typing slip that turns 10 into 95, an extra zero) inflates the
mean and the standard deviation enough to hide itself. The modified z-score of Iglewicz and
Hoaglin uses the median and the median absolute deviation (MAD) instead, which one wild
value cannot move:

    M_i = 0.6745 · (x_i − median) / MAD,   flagged when |M_i| > 3.5

0.6745 is the 0.75 quantile of the standard normal, so M is on the scale of an ordinary
z-score for normal data. When more than half of the values are equal, MAD is 0 and M is
undefined; then the mean absolute deviation around the median is used, scaled by 1.2533
(√(π/2), its ratio to σ for normal data): M_i = (x_i − median) / (1.2533 · MeanAD). When
that is 0 too, every value equals the median and nothing is an outlier.

Invariants:
- nothing here changes or drops a value: results only say what to list for review;
- a series shorter than `MIN_SERIES` is not judged (reason "too_few"), never flagged;
- a validation rule with a missing side is not evaluated ("skipped"), never a violation:
  missing is not zero.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from minka.analytics.engine.formula import Formula, formula_evaluate

THRESHOLD = 3.5
"""|M| above this is an outlier (Iglewicz and Hoaglin's recommendation)."""

MAD_CONSTANT = 0.6745
MEAN_AD_CONSTANT = 1.2533
MIN_SERIES = 5
"""Fewest values (the candidate included) a series needs before anything is judged."""

Number = Decimal | float | int


class OutlierMethod(StrEnum):
    MAD = "mad"  # median absolute deviation
    MEAN_AD = "mean_ad"  # mean absolute deviation, when MAD is 0


class SkipReason(StrEnum):
    TOO_FEW = "too_few"  # fewer than MIN_SERIES values
    NO_SPREAD = "no_spread"  # every value equals the median


@dataclass(frozen=True)
class OutlierScore:
    """The modified z-score of one value of a series, or why there is none."""

    value: float
    median: float | None
    spread: float | None  # MAD, or MeanAD when `method` is MEAN_AD
    method: OutlierMethod | None
    score: float | None  # M; None when skipped
    skipped: SkipReason | None = None
    threshold: float = THRESHOLD

    @property
    def is_outlier(self) -> bool:
        return self.score is not None and abs(self.score) > self.threshold


def outlier_scores(series: Sequence[Number], *, threshold: float = THRESHOLD) -> list[OutlierScore]:
    """The modified z-score of every value of `series` (a territory's own history of one
    data element and disaggregation, in any order), computed over the whole series."""
    values = [float(x) for x in series]
    if len(values) < MIN_SERIES:
        return [
            OutlierScore(x, None, None, None, None, SkipReason.TOO_FEW, threshold) for x in values
        ]
    median = statistics.median(values)
    deviations = [abs(x - median) for x in values]
    mad = statistics.median(deviations)
    if mad > 0:
        return [
            OutlierScore(
                x, median, mad, OutlierMethod.MAD, MAD_CONSTANT * (x - median) / mad, None,
                threshold,
            )
            for x in values
        ]
    mean_ad = statistics.fmean(deviations)
    if mean_ad > 0:
        return [
            OutlierScore(
                x, median, mean_ad, OutlierMethod.MEAN_AD,
                (x - median) / (MEAN_AD_CONSTANT * mean_ad), None, threshold,
            )
            for x in values
        ]
    return [
        OutlierScore(x, median, 0.0, None, None, SkipReason.NO_SPREAD, threshold) for x in values
    ]


def outlier_score(
    value: Number, history: Sequence[Number], *, threshold: float = THRESHOLD
) -> OutlierScore:
    """The modified z-score of `value` against its series: `history` (the other values of
    the same territory, element and disaggregation) plus the value itself."""
    return outlier_scores([*history, value], threshold=threshold)[-1]


class Bound(StrEnum):
    BELOW = "below"
    ABOVE = "above"


def bounds_check(
    value: Number, *, minimum: Number | None = None, maximum: Number | None = None
) -> Bound | None:
    """Whether `value` lies outside the element's plausible range (both ends inclusive)."""
    if minimum is not None and Decimal(str(value)) < Decimal(str(minimum)):
        return Bound.BELOW
    if maximum is not None and Decimal(str(value)) > Decimal(str(maximum)):
        return Bound.ABOVE
    return None


class RuleOutcome(StrEnum):
    PASSED = "passed"
    VIOLATED = "violated"
    SKIPPED = "skipped"  # a side is missing: not evaluated


@dataclass(frozen=True)
class RuleResult:
    outcome: RuleOutcome
    left: Decimal | None
    right: Decimal | None


_OPERATORS = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

RULE_OPERATORS = frozenset(_OPERATORS)


def rule_check(
    *,
    left: Formula,
    operator: str,
    right: Formula,
    values: Mapping[tuple[str, str | None, int], Decimal | None],
    constants: Mapping[str, Decimal] | None = None,
) -> RuleResult:
    """Evaluate `left operator right` for one territory and period.

    `values` maps (code, disaggregation, offset) to the value the formulas read (see
    `formula_evaluate`). A side that evaluates to nothing (a missing value, a division by
    zero) leaves the rule unevaluated: SKIPPED, not a violation.
    """
    if operator not in _OPERATORS:
        raise ValueError(f"unknown operator {operator!r}")
    constants = constants or {}
    a = formula_evaluate(left, values, constants)
    b = formula_evaluate(right, values, constants)
    if a is None or b is None:
        return RuleResult(RuleOutcome.SKIPPED, a, b)
    passed = _OPERATORS[operator](a, b)
    return RuleResult(RuleOutcome.PASSED if passed else RuleOutcome.VIOLATED, a, b)
