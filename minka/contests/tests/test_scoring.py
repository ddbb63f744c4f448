"""Each criterion kind on hand-computed cases, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minka.contests.engine.model import (
    CriterionKind,
    EvidenceReading,
    EvidenceStatus,
    IndicatorReading,
    Polarity,
)
from minka.contests.engine.scoring import CriterionPoints, cut_score, points_round
from minka.contests.tests.cases import S1, S2, D, criterion, muni, rules

LOWER, HIGHER = Polarity.LOWER_IS_BETTER, Polarity.HIGHER_IS_BETTER
THRESHOLD, IMPROVEMENT = CriterionKind.THRESHOLD, CriterionKind.IMPROVEMENT
PEER, EVIDENCE = CriterionKind.PEER, CriterionKind.EVIDENCE


def score_one(c, value=None, *, baseline=None, target=None, cut=S1) -> CriterionPoints:
    """The points of one municipality for one criterion given one reading."""
    readings = [
        IndicatorReading(
            "080101",
            cut,
            c.code,
            None if value is None else D(value),
            baseline=None if baseline is None else D(baseline),
            target=None if target is None else D(target),
            period="2025S1",
            source="HIS",
        )
    ]
    (points,) = cut_score(rules((c,)), cut, [muni("080101")], indicators=readings)
    return points


# --- threshold --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("polarity", "value", "points", "met"),
    [
        (LOWER, "18.5", D("10"), True),  # anaemia 18.5 % ≤ 20 %
        (LOWER, "20", D("10"), True),  # at the target counts
        (LOWER, "20.1", D("0"), False),
        (HIGHER, "85", D("10"), True),  # e.g. coverage 85 % ≥ 20 %
        (HIGHER, "20", D("10"), True),
        (HIGHER, "19.9", D("0"), False),
    ],
)
def test_threshold_by_both_polarities(polarity, value, points, met) -> None:
    c = criterion("DIT-01", THRESHOLD, "10", polarity=polarity, target="20")
    result = score_one(c, value)
    assert (result.points, result.met) == (points, met)
    assert result.explanation.value == D(value)
    assert result.explanation.target == D("20")
    assert (result.explanation.period, result.explanation.source) == ("2025S1", "HIS")


def test_threshold_explanation_in_both_languages() -> None:
    c = criterion("DIT-01", THRESHOLD, "10", polarity=LOWER, target="20")
    met = score_one(c, "18.5").explanation
    assert met.rule.text("es") == "Valor igual o menor que 20 en el corte: 10 puntos."
    assert met.rule.text("en") == "A value at or below 20 at the cut: 10 points."
    assert met.outcome.text("es") == "Valor 18,5, meta 20: cumple; 10,00 puntos."
    assert met.outcome.text("en") == "Value 18.5, target 20: met; 10.00 points."
    assert score_one(c, "21").explanation.outcome.code == "threshold_unmet"


def test_threshold_municipality_target_replaces_the_rules_target() -> None:
    c = criterion("DIT-01", THRESHOLD, "10", polarity=LOWER, target="20")
    assert score_one(c, "24", target="25").points == D("10")
    own = criterion("DIT-01", THRESHOLD, "10", polarity=LOWER)  # no rules' target
    assert score_one(own, "24", target="25").points == D("10")
    assert score_one(own, "24").explanation.outcome.code == "no_target"


# --- improvement -------------------------------------------------------------------------


def test_improvement_40_to_30_toward_20_at_5_points_is_2_50() -> None:
    c = criterion("DIT-02", IMPROVEMENT, "5", polarity=LOWER)
    result = score_one(c, "30", baseline="40", target="20")
    # (30 − 40) / (20 − 40) = 0.5 of the way; 5 × 0.5 = 2.50
    assert result.points == D("2.50")
    assert not result.met  # the target (20) is not reached
    assert result.explanation.outcome.text("en") == (
        "From 40 to 30 toward the target 20: 50.00 % of the way; 2.50 points."
    )


def test_improvement_over_the_target_is_capped() -> None:
    c = criterion("DIT-02", IMPROVEMENT, "5", polarity=LOWER)
    result = score_one(c, "15", baseline="40", target="20")  # 125 % of the way
    assert result.points == D("5.00")
    assert result.met
    assert result.explanation.outcome.code == "improvement_capped"
    capped = criterion("DIT-02", IMPROVEMENT, "5", polarity=LOWER, cap="0.8")
    assert score_one(capped, "25", baseline="40", target="20").points == D("3.75")  # 75 %
    assert score_one(capped, "15", baseline="40", target="20").points == D("4.00")  # 80 %


def test_improvement_regression_and_standstill_earn_0() -> None:
    c = criterion("DIT-02", IMPROVEMENT, "5", polarity=LOWER)
    worse = score_one(c, "45", baseline="40", target="20")
    assert (worse.points, worse.met, worse.explanation.outcome.code) == (
        D("0"),
        False,
        "improvement_none",
    )
    assert score_one(c, "40", baseline="40", target="20").points == D("0")


def test_improvement_higher_is_better() -> None:
    c = criterion("AGUA-02", IMPROVEMENT, "10", polarity=HIGHER, target="80")
    # chlorinated systems 50 % → 65 % toward 80 %: 15/30 = 0.5 → 5.00
    assert score_one(c, "65", baseline="50").points == D("5.00")
    assert score_one(c, "45", baseline="50").points == D("0")
    assert score_one(c, "90", baseline="50").points == D("10.00")


def test_improvement_rounds_half_up_once() -> None:
    c = criterion("DIT-02", IMPROVEMENT, "5", polarity=LOWER)
    # (39.9 − 40) / (20 − 40) = 0.005; 5 × 0.005 = 0.025 → 0.03 (half up, not half even)
    assert score_one(c, "39.9", baseline="40", target="20").points == D("0.03")
    assert points_round(D("2.345")) == D("2.35")
    assert points_round(D("2.344")) == D("2.34")


def test_improvement_when_the_baseline_already_met_the_target() -> None:
    c = criterion("DIT-02", IMPROVEMENT, "5", polarity=LOWER)
    kept = score_one(c, "18", baseline="19", target="20")
    assert (kept.points, kept.met) == (D("5.00"), True)
    lost = score_one(c, "21", baseline="19", target="20")
    assert (lost.points, lost.met, lost.explanation.outcome.code) == (
        D("0"),
        False,
        "improvement_baseline_lost",
    )


def test_improvement_without_baseline_or_value_is_no_data() -> None:
    c = criterion("DIT-02", IMPROVEMENT, "5", polarity=LOWER, target="20")
    assert score_one(c, "30").explanation.outcome.code == "no_baseline"
    no_value = score_one(c, None, baseline="40")
    assert (no_value.points, no_value.explanation.outcome.code) == (D("0"), "no_data")
    assert no_value.explanation.outcome.text("en") == "No data: 0 points."


# --- peer comparison ----------------------------------------------------------------------


def peer_case(polarity):
    c = criterion("DIT-03", PEER, "5", polarity=polarity)
    municipalities = [
        muni("a1", "A"),
        muni("a2", "A"),
        muni("a3", "A"),
        muni("a4", "A"),
        muni("b1", "B"),
        muni("b2", "B"),
    ]
    values = {"a1": "10", "a2": "20", "a3": "36", "a4": None, "b1": "50", "b2": "70"}
    readings = [
        IndicatorReading(code, S1, "DIT-03", None if v is None else D(v))
        for code, v in values.items()
    ]
    points = cut_score(rules((c,)), S1, municipalities, indicators=readings)
    return {p.municipality: p for p in points}


def test_peer_comparison_against_the_category_average_computed_by_hand() -> None:
    by = peer_case(HIGHER)
    # Category A: (10 + 20 + 36) / 3 = 22 (a4 has no value and does not count).
    assert by["a1"].explanation.average == D(22)
    assert by["a1"].explanation.peers == 3
    assert [by[c].points for c in ("a1", "a2", "a3")] == [D(0), D(0), D(5)]
    assert (by["a4"].points, by["a4"].explanation.outcome.code) == (D(0), "no_data")
    # Category B: (50 + 70) / 2 = 60, its own average.
    assert by["b1"].explanation.average == D(60)
    assert [by["b1"].points, by["b2"].points] == [D(0), D(5)]
    assert (
        by["a1"]
        .explanation.rule.text("en")
        .endswith("(municipalities without a value do not count in the average).")
    )
    assert by["a3"].explanation.outcome.text("en") == (
        "Value 36, category average 22.00 (3 municipalities with a value): met; 5.00 points."
    )


def test_peer_comparison_lower_is_better() -> None:
    by = peer_case(LOWER)
    assert [by[c].points for c in ("a1", "a2", "a3", "b1", "b2")] == [D(5), D(5), D(0), D(5), D(0)]


def test_peer_at_the_average_counts_as_met() -> None:
    c = criterion("DIT-03", PEER, "5", polarity=HIGHER)
    readings = [
        IndicatorReading("a1", S1, "DIT-03", D("10")),
        IndicatorReading("a2", S1, "DIT-03", D("10")),
    ]
    points = cut_score(rules((c,)), S1, [muni("a1"), muni("a2")], indicators=readings)
    assert [p.points for p in points] == [D(5), D(5)]


# --- evidence -------------------------------------------------------------------------------


def evidence_points(status: EvidenceStatus | None) -> CriterionPoints:
    c = criterion("PLAN-01", EVIDENCE, "10")
    readings = (
        []
        if status is None
        else [
            EvidenceReading(
                "080101",
                S1,
                "PLAN-01",
                status,
                reviewer="evaluadora",
                evidence_ids=("ev-17", "ev-18"),
            )
        ]
    )
    (points,) = cut_score(rules((c,)), S1, [muni("080101")], evidence=readings)
    return points


def test_evidence_approved_earns_the_points_with_reviewer_and_evidence() -> None:
    result = evidence_points(EvidenceStatus.APPROVED)
    assert (result.points, result.met) == (D("10"), True)
    assert result.explanation.reviewer == "evaluadora"
    assert result.explanation.evidence_ids == ("ev-17", "ev-18")
    assert result.explanation.outcome.text("es") == (
        "Evidencia ev-17, ev-18 aprobada por evaluadora: 10,00 puntos."
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (EvidenceStatus.OBSERVED, "evidence_observed"),
        (EvidenceStatus.REJECTED, "evidence_rejected"),
        (EvidenceStatus.MISSING, "evidence_missing"),
        (None, "no_data"),
    ],
)
def test_evidence_not_approved_earns_0_and_says_why(status, code) -> None:
    result = evidence_points(status)
    assert (result.points, result.met, result.explanation.outcome.code) == (D(0), False, code)


# --- the cut -------------------------------------------------------------------------------


def test_a_cut_scores_only_its_criteria_and_ignores_other_cuts_readings() -> None:
    only_s2 = criterion("DIT-04", THRESHOLD, "5", polarity=HIGHER, target="70", cuts=(S2,))
    both = criterion("PLAN-01", EVIDENCE, "10", cuts=(S1, S2))
    r = rules((only_s2, both))
    readings = [IndicatorReading("080101", S2, "DIT-04", D("75"))]
    s1 = cut_score(r, S1, [muni("080101")], indicators=readings)
    assert [p.criterion for p in s1] == ["PLAN-01"]
    s2 = cut_score(r, S2, [muni("080101")], indicators=readings)
    assert [(p.criterion, p.points) for p in s2] == [("DIT-04", D(5)), ("PLAN-01", D(0))]


def test_contract_violations_raise_but_missing_data_never_does() -> None:
    c = criterion("PLAN-01", EVIDENCE, "10")
    r = rules((c,))
    assert cut_score(r, S1, [muni("080101")]) != ()  # nothing at all: no data, no error
    with pytest.raises(ValueError, match="unknown municipality"):
        cut_score(
            r,
            S1,
            [muni("080101")],
            evidence=[EvidenceReading("999999", S1, "PLAN-01", EvidenceStatus.APPROVED)],
        )
    with pytest.raises(ValueError, match="IndicatorReading"):
        cut_score(
            r, S1, [muni("080101")], indicators=[IndicatorReading("080101", S1, "PLAN-01", D(1))]
        )
    with pytest.raises(ValueError, match="unknown cut"):
        cut_score(r, "2030S1", [muni("080101")])
    twice = [EvidenceReading("080101", S1, "PLAN-01", EvidenceStatus.APPROVED)] * 2
    with pytest.raises(ValueError, match="two readings"):
        cut_score(r, S1, [muni("080101")], evidence=twice)


def test_points_are_decimal_with_two_places() -> None:
    c = criterion("DIT-02", IMPROVEMENT, "5", polarity=LOWER)
    result = score_one(c, "30", baseline="40", target="20")
    assert isinstance(result.points, Decimal)
    assert result.points.as_tuple().exponent == -2
