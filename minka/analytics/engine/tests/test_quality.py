"""Data-quality computations, checked against values worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minka.analytics.engine.formula import formula_parse
from minka.analytics.engine.quality import (
    Bound,
    OutlierMethod,
    RuleOutcome,
    SkipReason,
    bounds_check,
    outlier_score,
    outlier_scores,
    rule_check,
)


def test_the_wild_value_of_a_quiet_series_is_flagged():
    # 10, 11, 9, 10, 12, 10, 95: median 10; absolute deviations 0, 1, 1, 0, 2, 0, 85,
    # sorted 0 0 0 1 1 2 85, so MAD = 1 and M(95) = 0.6745 * 85 / 1 = 57.3325.
    scores = outlier_scores([10, 11, 9, 10, 12, 10, 95])
    last = scores[-1]
    assert last.median == 10
    assert last.spread == 1
    assert last.method is OutlierMethod.MAD
    assert last.score == pytest.approx(57.3325)
    assert last.is_outlier
    # 12: M = 0.6745 * 2 / 1 = 1.349, not an outlier; the others even less.
    assert scores[4].score == pytest.approx(1.349)
    assert [s.is_outlier for s in scores] == [False] * 6 + [True]


def test_outlier_score_judges_the_value_against_its_history():
    result = outlier_score(95, [10, 11, 9, 10, 12, 10])
    assert result.score == pytest.approx(57.3325)
    assert outlier_score(11, [10, 11, 9, 10, 12, 10]).is_outlier is False


def test_threshold_is_strict():
    # 10, 10, 10, 12, 12 -> median 10, deviations 0 0 0 2 2, MAD 0 -> mean AD = 4/5 = 0.8;
    # M(12) = 2 / (1.2533 * 0.8) = 1.99473...
    scores = outlier_scores([10, 10, 10, 12, 12])
    assert scores[-1].method is OutlierMethod.MEAN_AD
    assert scores[-1].score == pytest.approx(2 / (1.2533 * 0.8))
    assert not scores[-1].is_outlier


def test_mad_zero_falls_back_to_mean_absolute_deviation():
    # 5, 5, 5, 5, 5, 40: median 5, deviations 0 0 0 0 0 35 -> MAD 0;
    # mean AD = 35 / 6; M(40) = 35 / (1.2533 * 35 / 6) = 6 / 1.2533 = 4.7874...
    result = outlier_score(40, [5, 5, 5, 5, 5])
    assert result.method is OutlierMethod.MEAN_AD
    assert result.spread == pytest.approx(35 / 6)
    assert result.score == pytest.approx(6 / 1.2533)
    assert result.is_outlier


def test_a_constant_series_has_no_outlier():
    result = outlier_score(7, [7, 7, 7, 7])
    assert result.skipped is SkipReason.NO_SPREAD
    assert result.score is None
    assert not result.is_outlier


def test_a_short_series_is_not_judged():
    result = outlier_score(1000, [1, 2, 3])
    assert result.skipped is SkipReason.TOO_FEW
    assert not result.is_outlier


@given(st.lists(st.integers(min_value=-10**6, max_value=10**6), min_size=5, max_size=40))
def test_scores_do_not_change_with_the_order_of_the_series(values):
    forward = {round(s.score, 9) for s in outlier_scores(values) if s.score is not None}
    backward = {round(s.score, 9) for s in outlier_scores(values[::-1]) if s.score is not None}
    assert forward == backward


def test_bounds_are_inclusive():
    assert bounds_check(Decimal("0"), minimum=0, maximum=100) is None
    assert bounds_check(Decimal("100"), minimum=0, maximum=100) is None
    assert bounds_check(Decimal("-0.5"), minimum=0) is Bound.BELOW
    assert bounds_check(Decimal("100.01"), maximum=100) is Bound.ABOVE
    assert bounds_check(Decimal("5")) is None


def _values(**cells):
    return {(code, None, 0): value for code, value in cells.items()}


def test_rule_passes_and_fails():
    left, right = formula_parse("#{ANEMIA}"), formula_parse("#{SCREENED}")
    ok = rule_check(left=left, operator="<=", right=right,
                    values=_values(ANEMIA=Decimal(30), SCREENED=Decimal(100)))
    assert ok.outcome is RuleOutcome.PASSED
    bad = rule_check(left=left, operator="<=", right=right,
                     values=_values(ANEMIA=Decimal(130), SCREENED=Decimal(100)))
    assert bad.outcome is RuleOutcome.VIOLATED
    assert (bad.left, bad.right) == (Decimal(130), Decimal(100))


def test_rule_with_a_missing_side_is_skipped_not_violated():
    result = rule_check(
        left=formula_parse("#{A}"), operator="==", right=formula_parse("#{B} + #{C}"),
        values=_values(A=Decimal(3), B=Decimal(3)),
    )
    assert result.outcome is RuleOutcome.SKIPPED
    assert result.right is None


def test_rule_with_sums_on_a_side():
    result = rule_check(
        left=formula_parse("#{A}"), operator="==", right=formula_parse("#{B} + #{C}"),
        values=_values(A=Decimal(5), B=Decimal(3), C=Decimal(2)),
    )
    assert result.outcome is RuleOutcome.PASSED


def test_unknown_operator_is_refused():
    with pytest.raises(ValueError):
        rule_check(left=formula_parse("1"), operator="=<", right=formula_parse("2"), values={})
