"""Awards from a ranking: who wins which tier, and where every cent of the fund goes.

DESIGN: "award allocation sums to the fund to the cent" — or the result says exactly why
not. `awards_allocate` guarantees Σ awards + remainder == fund, always, and under
`redistribute` a remainder of 0 whenever someone won money; every unawarded sol is named
in the explanation (which tier, which category, how many places, how much).

The allocation:
1. Tiers are filled in the order the rules list them. A CATEGORY tier takes, in each of its
   categories (in the rules' order), the best-ranked eligible municipalities of that
   category not yet awarded; a GLOBAL tier the same in the global ranking. Nobody wins
   twice (a medal counts as a win). Only the ranks matter, never the order of the input.
2. A tier with fewer eligible municipalities than places leaves its places empty; their
   money, and any part of the fund the tiers never promised, is the remainder.
3. The remainder policy decides: `redistribute` splits it among the awards with money in
   proportion to their amounts — each gets ⌊remainder × amount / Σ amounts⌋ to the cent,
   and the cents left (fewer than the number of awards) go one each in the order of the
   awards (tier order, category order, rank); `carry_over` and `return` keep it apart.
   Medals (no amount) never receive or move money.
Arithmetic on money is on whole cents (int), so nothing is lost to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from minka.contests.engine.messages import Message, Money, msg
from minka.contests.engine.model import (
    CENT,
    Municipality,
    RemainderPolicy,
    Rules,
    TierScope,
    rules_require_valid,
)
from minka.contests.engine.scoring import MunicipalityResult, Ranking

ZERO = Decimal(0)


@dataclass(frozen=True)
class Award:
    """A place won. `category` is the category the place was contested in (None for a
    global tier); `rank` the ranking position it was filled from (category rank, or global
    rank for a global tier); `base` the tier's amount (None for a medal) and `extra` the
    share of a redistributed remainder."""

    tier: str
    municipality: Municipality
    category: str | None
    place: int
    rank: int
    base: Decimal | None
    extra: Decimal = ZERO

    @property
    def amount(self) -> Decimal | None:
        return None if self.base is None else self.base + self.extra


@dataclass(frozen=True)
class Allocation:
    """The awards, in the order they were made, and the fate of the fund.

    Invariant: `awarded + remainder == fund`. `remainder` is 0 when the whole fund was
    awarded; otherwise `explanation` says where it came from and what the policy does
    with it.
    """

    fund: Decimal
    policy: RemainderPolicy
    awards: tuple[Award, ...]
    awarded: Decimal
    remainder: Decimal
    explanation: tuple[Message, ...]

    @property
    def balanced(self) -> bool:
        """Whether the whole fund was awarded."""
        return self.awarded == self.fund


def _cents(amount: Decimal) -> int:
    return int(amount.quantize(CENT) * 100)


def _soles(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def awards_allocate(rules: Rules, ranking: Ranking) -> Allocation:
    """Fill the tiers from the ranking and apply the remainder policy (module docstring)."""
    rules_require_valid(rules)
    categories = {c.code for c in rules.categories}
    names = {c.code: c.name for c in rules.categories}
    for result in ranking.results:
        if result.municipality.category not in categories:
            raise ValueError(f"unknown category {result.municipality.category!r}")
    eligible = [r for r in ranking.results if r.eligible]
    by_category: dict[str, list[MunicipalityResult]] = {c: [] for c in categories}
    for result in eligible:
        by_category[result.municipality.category].append(result)
    for members in by_category.values():
        members.sort(key=lambda r: (r.rank, r.municipality.code))
    overall = sorted(eligible, key=lambda r: (r.global_rank, r.municipality.code))

    awarded_codes: set[str] = set()
    awards: list[Award] = []
    notes: list[Message] = []
    for tier in rules.tiers:
        for category in tier.places_by_category(rules):
            pool = overall if category is None else by_category[category]
            filled = 0
            for result in pool:
                if filled == tier.winners:
                    break
                code = result.municipality.code
                if code in awarded_codes:
                    continue
                awarded_codes.add(code)
                filled += 1
                rank = result.global_rank if tier.scope == TierScope.GLOBAL else result.rank
                awards.append(
                    Award(tier.name, result.municipality, category, filled, rank, tier.amount)
                )
            if filled < tier.winners:
                where = names[category] if category is not None else msg("all_categories")
                if tier.amount is None:
                    notes.append(
                        msg(
                            "tier_unfilled_medal",
                            tier=tier.name,
                            category=where,
                            planned=tier.winners,
                            filled=filled,
                        )
                    )
                else:
                    unawarded = tier.amount * (tier.winners - filled)
                    notes.append(
                        msg(
                            "tier_unfilled",
                            tier=tier.name,
                            category=where,
                            planned=tier.winners,
                            filled=filled,
                            amount=Money(unawarded),
                        )
                    )

    promised = rules.promised()
    if promised < rules.fund:
        notes.append(
            msg(
                "fund_above_tiers",
                promised=Money(promised),
                fund=Money(rules.fund),
                difference=Money(rules.fund - promised),
            )
        )

    fund_cents = _cents(rules.fund)
    money = [(i, _cents(a.base)) for i, a in enumerate(awards) if a.base is not None]
    base_cents = [cents for _, cents in money]
    remainder_cents = fund_cents - sum(base_cents)
    if remainder_cents == 0:
        notes.append(msg("fund_distributed", fund=Money(rules.fund)))
    elif rules.remainder == RemainderPolicy.REDISTRIBUTE:
        if money:
            total = sum(base_cents)
            shares = [remainder_cents * b // total for b in base_cents]
            for j in range(remainder_cents - sum(shares)):
                shares[j] += 1
            for (i, _), share in zip(money, shares, strict=True):
                award = awards[i]
                awards[i] = Award(
                    award.tier,
                    award.municipality,
                    award.category,
                    award.place,
                    award.rank,
                    award.base,
                    _soles(share),
                )
            notes.append(
                msg(
                    "remainder_redistributed",
                    amount=Money(_soles(remainder_cents)),
                    winners=len(money),
                )
            )
            remainder_cents = 0
        else:
            notes.append(msg("nothing_to_redistribute", amount=Money(_soles(remainder_cents))))
    elif rules.remainder == RemainderPolicy.CARRY_OVER:
        notes.append(msg("remainder_carried_over", amount=Money(_soles(remainder_cents))))
    else:
        notes.append(msg("remainder_returned", amount=Money(_soles(remainder_cents))))

    awarded = sum((a.amount for a in awards if a.amount is not None), ZERO)
    remainder = _soles(remainder_cents)
    assert awarded + remainder == rules.fund, (awarded, remainder, rules.fund)
    return Allocation(
        rules.fund, rules.remainder, tuple(awards), _soles(_cents(awarded)), remainder, tuple(notes)
    )
