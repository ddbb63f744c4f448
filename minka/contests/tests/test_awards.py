"""Awards: a worked example under each remainder policy, and properties (hypothesis)."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from minka.contests.engine.awards import awards_allocate
from minka.contests.engine.model import (
    Eligibility,
    RemainderPolicy,
    TieBreaker,
    TieBreakerKind,
    Tier,
    TierScope,
)
from minka.contests.engine.scoring import Ranking, ranking_build
from minka.contests.tests.cases import D, earnings, rules

CATEGORY, GLOBAL = TierScope.CATEGORY, TierScope.GLOBAL


def worked_example(policy: RemainderPolicy):
    """Fund S/ 1 000,01; tiers promise S/ 900,00: Oro 300 in A and in B, Plata 2 × 150
    across categories, a medal in each category. Eligible: a1 (90), a2 (80), b1 (70);
    a3 (40) is below the minimum of 50."""
    r = rules(
        tiers=(
            Tier("Oro", 1, D("300.00"), CATEGORY),
            Tier("Plata", 2, D("150.00"), GLOBAL),
            Tier("Medalla", 1, None, CATEGORY),
        ),
        eligibility=Eligibility(minimum_total=D(50)),
        remainder=policy,
        fund="1000.01",
    )
    rows = [
        earnings("a1", "A", DIT="9"),
        earnings("a2", "A", DIT="8"),
        earnings("a3", "A", DIT="4"),
        earnings("b1", "B", DIT="7"),
    ]
    return r, awards_allocate(r, ranking_build(r, rows))


def lines(allocation):
    return [
        (a.tier, a.municipality.code, a.category, a.place, a.rank, a.amount)
        for a in allocation.awards
    ]


def test_redistribute_splits_the_remainder_to_the_cent() -> None:
    _, allocation = worked_example(RemainderPolicy.REDISTRIBUTE)
    # Awarded before the remainder: 300 + 300 + 150 = 750. Remainder: 1 000,01 − 750 =
    # 250,01 (one Plata place unfilled: 150; never promised by the tiers: 100,01).
    # In cents, 25 001 × 30 000 / 75 000 = 10 000,4 → 10 000 for each Oro,
    # 25 001 × 15 000 / 75 000 = 5 000,2 → 5 000 for Plata; the one cent left goes to the
    # first award (Oro A).
    assert lines(allocation) == [
        ("Oro", "a1", "A", 1, 1, D("400.01")),
        ("Oro", "b1", "B", 1, 1, D("400.00")),
        ("Plata", "a2", None, 1, 2, D("200.00")),
    ]
    assert sum(a.amount for a in allocation.awards) == D("1000.01") == allocation.awarded
    assert allocation.remainder == D("0.00") and allocation.balanced
    assert [m.text("en") for m in allocation.explanation] == [
        "Plata (all categories): 1 of 2 places filled; S/ 150,00 not awarded.",
        "Medalla (Categoría A): 0 of 1 medals awarded.",
        "Medalla (Categoría B): 0 of 1 medals awarded.",
        "The award tiers give S/ 900,00 of a fund of S/ 1 000,01: the rules leave "
        "S/ 100,01 unassigned.",
        "The remainder of S/ 250,01 is split among the 3 winners of money in proportion to "
        "their awards, to the cent (leftover cents go in the order of the awards).",
    ]


def test_carry_over_keeps_the_remainder_and_says_where_it_came_from() -> None:
    _, allocation = worked_example(RemainderPolicy.CARRY_OVER)
    assert [a.amount for a in allocation.awards] == [D("300.00"), D("300.00"), D("150.00")]
    assert allocation.awarded == D("750.00")
    assert allocation.remainder == D("250.01")
    assert allocation.awarded + allocation.remainder == allocation.fund
    assert not allocation.balanced
    codes = [m.code for m in allocation.explanation]
    assert codes == [
        "tier_unfilled",
        "tier_unfilled_medal",
        "tier_unfilled_medal",
        "fund_above_tiers",
        "remainder_carried_over",
    ]
    assert allocation.explanation[-1].text("es") == (
        "El remanente de S/ 250,01 pasa a la siguiente edición del concurso."
    )


def test_return_keeps_the_remainder_apart() -> None:
    _, allocation = worked_example(RemainderPolicy.RETURN)
    assert (allocation.awarded, allocation.remainder) == (D("750.00"), D("250.01"))
    assert allocation.explanation[-1].code == "remainder_returned"


def test_medals_never_move_money() -> None:
    r = rules(
        tiers=(Tier("Oro", 1, D("600.00"), GLOBAL), Tier("Medalla", 2, None, CATEGORY)),
        fund="1000.00",
    )
    rows = [
        earnings("a1", "A", DIT="9"),
        earnings("a2", "A", DIT="8"),
        earnings("b1", "B", DIT="7"),
    ]
    allocation = awards_allocate(r, ranking_build(r, rows))
    assert lines(allocation) == [
        ("Oro", "a1", None, 1, 1, D("1000.00")),  # the whole remainder: the only money award
        ("Medalla", "a2", "A", 1, 2, None),
        ("Medalla", "b1", "B", 1, 1, None),
    ]
    assert allocation.awarded == D("1000.00")


def test_nobody_eligible_leaves_the_whole_fund_and_says_why() -> None:
    r = rules(tiers=(Tier("Oro", 1, D("500.00")),), eligibility=Eligibility(minimum_total=D(99)))
    allocation = awards_allocate(r, ranking_build(r, [earnings("a1", DIT="5")]))
    assert allocation.awards == ()
    assert allocation.remainder == D("1000.00")
    assert allocation.explanation[-1].text("en") == (
        "No municipality won money: the remainder of S/ 1 000,00 cannot be split and stays "
        "unawarded."
    )


def test_a_fund_fully_promised_and_awarded_says_so() -> None:
    r = rules(tiers=(Tier("Oro", 1, D("500.00")),))
    allocation = awards_allocate(
        r, ranking_build(r, [earnings("a1", "A", DIT="5"), earnings("b1", "B", DIT="5")])
    )
    assert [a.amount for a in allocation.awards] == [D("500.00"), D("500.00")]
    assert [m.code for m in allocation.explanation] == ["fund_distributed"]


# --- properties -------------------------------------------------------------------------

CENTS = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)


@st.composite
def contests(draw):
    categories = draw(st.sampled_from([("A",), ("A", "B"), ("A", "B", "C")]))
    tiers = []
    for i in range(draw(st.integers(1, 4))):
        scope = draw(st.sampled_from([CATEGORY, GLOBAL]))
        named = draw(st.lists(st.sampled_from(categories), unique=True, max_size=2))
        amount = draw(st.none() | CENTS)
        tiers.append(
            Tier(
                f"T{i}",
                draw(st.integers(1, 4)),
                amount,
                scope,
                tuple(named) if scope == CATEGORY else (),
            )
        )
    breakers = draw(
        st.lists(
            st.sampled_from(
                [
                    TieBreaker(TieBreakerKind.COMPONENT, "DIT"),
                    TieBreaker(TieBreakerKind.POPULATION_ASC),
                    TieBreaker(TieBreakerKind.POPULATION_DESC),
                ]
            ),
            unique=True,
            max_size=2,
        )
    )
    base = rules(
        categories=categories,
        tiers=tuple(tiers),
        tie_breakers=tuple(breakers),
        remainder=draw(st.sampled_from(list(RemainderPolicy))),
        eligibility=Eligibility(minimum_total=D(draw(st.integers(0, 60)))),
    )
    slack = draw(st.integers(0, 100_000))
    fund = base.promised() + Decimal(slack) / 100
    if fund == 0:
        fund = Decimal("0.01")
    r = rules(
        categories=categories,
        tiers=tuple(tiers),
        tie_breakers=tuple(breakers),
        remainder=base.remainder,
        eligibility=base.eligibility,
        fund=str(fund),
    )
    rows = [
        earnings(
            f"{i:06d}",
            draw(st.sampled_from(categories)),
            draw(st.sampled_from([500, 1000, 5000])),
            DIT=str(draw(st.integers(0, 10))),
        )  # few values: many ties
        for i in range(draw(st.integers(0, 25)))
    ]
    return r, rows


def expected_key(r, result):
    """The stated rule, written again: total desc, the tie-breakers in order, code asc."""
    key: list[object] = [-result.total]
    for breaker in r.tie_breakers:
        if breaker.kind == TieBreakerKind.COMPONENT:
            key.append(-result.component(breaker.component).score)
        elif breaker.kind == TieBreakerKind.POPULATION_ASC:
            key.append(result.municipality.population)
        else:
            key.append(-result.municipality.population)
    key.append(result.municipality.code)
    return tuple(key)


@settings(max_examples=150, deadline=None)
@given(contests(), st.randoms(use_true_random=False))
def test_allocation_properties(contest, rnd: random.Random) -> None:
    r, rows = contest
    ranking = ranking_build(r, rows)
    allocation = awards_allocate(r, ranking)

    # The fund to the cent: awards + remainder, and under redistribute nothing left over
    # whenever someone won money.
    amounts = [a.amount for a in allocation.awards if a.amount is not None]
    assert sum(amounts, D(0)) == allocation.awarded
    assert allocation.awarded + allocation.remainder == r.fund
    assert all(a == a.quantize(D("0.01")) for a in [*amounts, allocation.remainder])
    if r.remainder == RemainderPolicy.REDISTRIBUTE and amounts:
        assert allocation.awarded == r.fund and allocation.remainder == 0
    # Medals carry no money; money awards never get less than their tier's amount.
    for award in allocation.awards:
        if award.base is None:
            assert award.amount is None and award.extra == 0
        else:
            assert award.amount >= award.base

    # Nobody wins twice; only the eligible win.
    codes = [a.municipality.code for a in allocation.awards]
    assert len(codes) == len(set(codes))
    by_code = {x.municipality.code: x for x in ranking.results}
    assert all(by_code[c].eligible for c in codes)

    # Same input, same output; the order of the input changes nothing.
    assert awards_allocate(r, ranking_build(r, rows)) == allocation
    shuffled_rows = rows[:]
    rnd.shuffle(shuffled_rows)
    assert awards_allocate(r, ranking_build(r, shuffled_rows)) == allocation
    shuffled_results = list(ranking.results)
    rnd.shuffle(shuffled_results)
    assert awards_allocate(r, Ranking(tuple(shuffled_results))) == allocation

    # Ties follow the stated rule: ranks are the order of the stated key...
    for category in r.categories:
        members = ranking.category(category.code)
        assert [m.rank for m in members] == list(range(1, len(members) + 1))
        assert list(members) == sorted(members, key=lambda x: expected_key(r, x))
    # ...and each place goes to the best-ranked eligible municipality not yet awarded:
    # every eligible municipality left without an award ranks below every winner of a tier
    # it competed in.
    awarded = set(codes)
    for award in allocation.awards:
        winner = by_code[award.municipality.code]
        for other in ranking.results:
            if other.municipality.code in awarded or not other.eligible:
                continue
            if award.category is None or other.municipality.category == award.category:
                assert expected_key(r, winner) < expected_key(r, other)
