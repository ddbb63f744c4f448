"""Small hand-made rules and municipalities for the engine's tests (no database)."""

from __future__ import annotations

from decimal import Decimal

from minka.contests.engine.model import (
    Category,
    Component,
    Criterion,
    CriterionKind,
    Eligibility,
    Municipality,
    Polarity,
    RemainderPolicy,
    Rules,
    TieBreaker,
    Tier,
)
from minka.contests.engine.scoring import Earnings

D = Decimal
CUTS = ("2025S1", "2025S2")
S1, S2 = CUTS


def criterion(
    code: str,
    kind: CriterionKind,
    points: str = "5",
    *,
    component: str = "DIT",
    cuts: tuple[str, ...] = (S1,),
    polarity: Polarity | None = None,
    target: str | None = None,
    cap: str = "1",
    mandatory: bool = False,
) -> Criterion:
    return Criterion(
        code=code,
        component=component,
        kind=kind,
        points=D(points),
        cuts=cuts,
        polarity=polarity,
        target=None if target is None else D(target),
        cap=D(cap),
        mandatory=mandatory,
    )


def rules(
    criteria: tuple[Criterion, ...] = (),
    *,
    components: tuple[Component, ...] = (Component("DIT", "Primera infancia", D(100)),),
    categories: tuple[str, ...] = ("A", "B"),
    eligibility: Eligibility | None = None,
    tiers: tuple[Tier, ...] = (),
    tie_breakers: tuple[TieBreaker, ...] = (),
    remainder: RemainderPolicy = RemainderPolicy.REDISTRIBUTE,
    fund: str = "1000.00",
) -> Rules:
    if not criteria:
        criteria = tuple(
            criterion(f"{c.code}-1", CriterionKind.EVIDENCE, "10", component=c.code)
            for c in components
        )
    return Rules(
        name="Sello de prueba",
        fund=D(fund),
        cuts=CUTS,
        components=components,
        criteria=criteria,
        categories=tuple(Category(c, f"Categoría {c}") for c in categories),
        eligibility=eligibility or Eligibility(),
        tiers=tiers,
        tie_breakers=tie_breakers,
        remainder=remainder,
    )


def muni(code: str, category: str = "A", population: int = 1000) -> Municipality:
    return Municipality(code, f"Municipio {code}", category, population)


def earnings(code: str, category: str = "A", population: int = 1000, **earned: str) -> Earnings:
    return Earnings(muni(code, category, population), {k: D(v) for k, v in earned.items()})
