"""Consolidation: component scores and weighted total, eligibility reasons, tie-breaking."""

from __future__ import annotations

import random

import pytest

from minka.contests.engine.model import (
    Component,
    CriterionKind,
    Eligibility,
    EvidenceReading,
    EvidenceStatus,
    IndicatorReading,
    Polarity,
    TieBreaker,
    TieBreakerKind,
)
from minka.contests.engine.scoring import consolidate, cut_score, ranking_build
from minka.contests.tests.cases import S1, S2, D, criterion, earnings, muni, rules

APPROVED, OBSERVED = EvidenceStatus.APPROVED, EvidenceStatus.OBSERVED


def two_cut_rules():
    return rules(
        (
            criterion(
                "PLAN-01",
                CriterionKind.EVIDENCE,
                "10",
                component="PLAN",
                cuts=(S1, S2),
                mandatory=True,
            ),
            criterion(
                "DIT-01",
                CriterionKind.THRESHOLD,
                "10",
                cuts=(S1, S2),
                polarity=Polarity.LOWER_IS_BETTER,
                target="20",
            ),
            criterion(
                "DIT-02",
                CriterionKind.IMPROVEMENT,
                "5",
                cuts=(S2,),
                polarity=Polarity.LOWER_IS_BETTER,
                target="20",
            ),
        ),
        components=(
            Component("PLAN", "Planificación", D(40)),
            Component("DIT", "Primera infancia", D(60)),
        ),
        eligibility=Eligibility(minimum_total=D(50), minimum_component_percent={"DIT": D(50)}),
    )


def two_cut_ranking():
    r = two_cut_rules()
    municipalities = [muni("m1"), muni("m2")]
    evidence = [
        EvidenceReading("m1", S1, "PLAN-01", APPROVED, "evaluadora", ("e1",)),
        EvidenceReading("m1", S2, "PLAN-01", APPROVED, "evaluadora", ("e2",)),
        EvidenceReading("m2", S1, "PLAN-01", OBSERVED, "evaluadora", ("e3",)),
        EvidenceReading("m2", S2, "PLAN-01", APPROVED, "evaluadora", ("e4",)),
    ]
    indicators = [
        IndicatorReading("m1", S1, "DIT-01", D(22)),
        IndicatorReading("m1", S2, "DIT-01", D(19)),
        IndicatorReading("m1", S2, "DIT-02", D(30), baseline=D(40)),
        IndicatorReading("m2", S1, "DIT-01", D(18)),
        IndicatorReading("m2", S2, "DIT-01", D(21)),
        IndicatorReading("m2", S2, "DIT-02", D(35), baseline=D(40)),
    ]
    points = [
        p for cut in (S1, S2) for p in cut_score(r, cut, municipalities, evidence, indicators)
    ]
    return consolidate(r, municipalities, points)


def test_weighted_total_is_the_sum_of_weight_times_earned_over_maximum() -> None:
    m1, m2 = two_cut_ranking().results
    # m1: PLAN 10 + 10 of 20 → 100 % → 40 × 1 = 40.00;
    #     DIT 0 + 10 (S1 22 > 20, S2 19 ≤ 20) + 2.50 (40 → 30 toward 20) = 12.50 of 25
    #     → 50 % → 60 × 0.5 = 30.00; total 70.00.
    plan, dit = m1.components
    assert (plan.earned, plan.maximum, plan.percent, plan.score) == (
        D(20),
        D(20),
        D("100.00"),
        D("40.00"),
    )
    assert (dit.earned, dit.maximum, dit.percent, dit.score) == (
        D("12.50"),
        D(25),
        D("50.00"),
        D("30.00"),
    )
    assert m1.total == D("70.00")
    assert m1.eligible and m1.reasons == ()
    # m2: PLAN 0 (observed) + 10 = 10 of 20 → 20.00; DIT 10 + 0 + 1.25 = 11.25 of 25
    #     → 45 % → 27.00; total 47.00.
    assert [c.score for c in m2.components] == [D("20.00"), D("27.00")]
    assert m2.total == D("47.00")


def test_every_reason_a_municipality_is_not_eligible() -> None:
    m2 = two_cut_ranking().results[1]
    assert not m2.eligible
    assert [reason.text("en") for reason in m2.reasons] == [
        "Total score 47.00 below the minimum 50.",
        "Mandatory criterion PLAN-01 not met at cut 2025S1.",
        "Component DIT: 45.00 % of its maximum points, below the minimum of 50 %.",
    ]
    assert [reason.code for reason in m2.reasons] == [
        "below_minimum_total",
        "mandatory_unmet",
        "below_component_minimum",
    ]


def test_mandatory_criteria_can_be_switched_off_and_unscored_cuts_are_unmet() -> None:
    r = two_cut_rules()
    points = cut_score(
        r, S1, [muni("m1")], evidence=[EvidenceReading("m1", S1, "PLAN-01", APPROVED)]
    )
    (result,) = consolidate(r, [muni("m1")], points).results  # S2 never scored
    assert "Mandatory criterion PLAN-01 not met at cut 2025S2." in [
        m.text("en") for m in result.reasons
    ]


def test_a_score_that_does_not_divide_evenly_is_rounded_once_half_up() -> None:
    r = rules(
        components=(
            Component("PLAN", "Planificación", D(35)),
            Component("DIT", "Primera infancia", D(65)),
        )
    )
    # PLAN: 3.33 of 10 points → 35 × 0.333 = 11.655 → 11.66 (half up, not half even)
    (result,) = ranking_build(r, [earnings("m1", PLAN="3.33", DIT="10")]).results
    assert result.component("PLAN").score == D("11.66")
    assert result.component("PLAN").percent == D("33.30")
    assert result.total == D("76.66")  # 11.66 + 65.00: the shown parts add up


def tie_case(*breakers: str):
    parsed = tuple(
        TieBreaker(TieBreakerKind.COMPONENT, b.split(":")[1])
        if b.startswith("component:")
        else TieBreaker(TieBreakerKind(b))
        for b in breakers
    )
    r = rules(
        components=(
            Component("PLAN", "Planificación", D(50)),
            Component("DIT", "Primera infancia", D(50)),
        ),
        tie_breakers=parsed,
    )
    rows = [
        earnings("x1", population=5000, PLAN="4", DIT="6"),  # 20 + 30 = 50
        earnings("x2", population=1000, PLAN="6", DIT="4"),  # 30 + 20 = 50
        earnings("x3", population=3000, PLAN="4", DIT="6"),
        earnings("x4", population=3000, PLAN="4", DIT="6"),
        earnings("x5", population=9000, PLAN="10", DIT="10"),  # 100
    ]
    return r, rows


def test_ties_follow_the_tie_breakers_in_order_then_the_code() -> None:
    r, rows = tie_case("component:DIT", "population:asc")
    ranking = ranking_build(r, rows).results
    assert [(x.municipality.code, x.rank, x.decided_by) for x in ranking] == [
        ("x5", 1, None),
        ("x3", 2, None),  # a lower total than x5: no tie
        ("x4", 3, "code"),  # same total, DIT and population as x3: the code decides
        ("x1", 4, "population:asc"),  # same DIT score, larger population
        ("x2", 5, "component:DIT"),  # lower DIT score
    ]


def test_the_order_of_the_tie_breakers_matters() -> None:
    r, rows = tie_case("population:asc", "component:DIT")
    ranking = ranking_build(r, rows).results
    assert [(x.municipality.code, x.decided_by) for x in ranking] == [
        ("x5", None),
        ("x2", None),
        ("x3", "population:asc"),
        ("x4", "code"),
        ("x1", "population:asc"),
    ]
    r, rows = tie_case("population:desc")
    assert [x.municipality.code for x in ranking_build(r, rows).results] == [
        "x5",
        "x1",
        "x3",
        "x4",
        "x2",
    ]


def test_no_tie_breakers_leave_only_the_code() -> None:
    r, rows = tie_case()
    assert [x.municipality.code for x in ranking_build(r, rows).results] == [
        "x5",
        "x1",
        "x2",
        "x3",
        "x4",
    ]


def test_rank_within_category_and_global_rank() -> None:
    r = rules()
    rows = [
        earnings("a1", "A", DIT="5"),
        earnings("b1", "B", DIT="9"),
        earnings("a2", "A", DIT="7"),
        earnings("b2", "B", DIT="1"),
    ]
    ranking = ranking_build(r, rows)
    assert [(x.municipality.code, x.rank, x.global_rank) for x in ranking.results] == [
        ("a2", 1, 2),
        ("a1", 2, 3),
        ("b1", 1, 1),
        ("b2", 2, 4),
    ]
    assert [x.municipality.code for x in ranking.global_order()] == ["b1", "a2", "a1", "b2"]


def test_the_input_order_does_not_change_the_ranking() -> None:
    r, rows = tie_case("component:DIT")
    expected = ranking_build(r, rows)
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert ranking_build(r, shuffled) == expected


def test_bad_earnings_raise() -> None:
    r = rules()
    with pytest.raises(ValueError, match="twice"):
        ranking_build(r, [earnings("a1", DIT="1"), earnings("a1", DIT="2")])
    with pytest.raises(ValueError, match="out of range"):
        ranking_build(r, [earnings("a1", DIT="11")])
    with pytest.raises(ValueError, match="unknown category"):
        ranking_build(r, [earnings("a1", "Z", DIT="1")])
