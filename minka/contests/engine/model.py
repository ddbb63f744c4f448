"""What the contest engine is given: the rules of a seal and the readings of each cut.

Plain frozen dataclasses, no Django: the contests app will build them from its models, the
`simulate_awards` command from RULES.json and SCORES.csv (`files.py`), the benchmark
synthetically. Nothing here knows where they came from, so the same rules score a real
contest, a coordinator's simulation and a test case alike.

Money and points are `Decimal`, never float (DESIGN: "Money is Decimal"); money is in soles
(PEN) with at most two decimals.

`rules_check` states every invariant the engine relies on (codes unique, references
resolve, weights and points positive, tiers within the fund); `files.py` reports its
findings as problems of the file, and the engine refuses rules that break them
(`ValueError`), so an invariant is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from minka.contests.engine.messages import Message, Money, msg

CENT = Decimal("0.01")


class CriterionKind(StrEnum):
    """How a criterion earns its points (issue 5, item 6).

    - EVIDENCE: approved evidence (*medio de verificación*) at the cut earns all the points.
    - THRESHOLD: the indicator's value at the cut meets the target earns all the points.
    - IMPROVEMENT: points proportional to the progress from baseline to target, capped.
    - PEER: a value at or better than the average of the municipality's category at that
      cut earns all the points.
    """

    EVIDENCE = "evidence"
    THRESHOLD = "threshold"
    IMPROVEMENT = "improvement"
    PEER = "peer"


INDICATOR_KINDS = frozenset(
    {CriterionKind.THRESHOLD, CriterionKind.IMPROVEMENT, CriterionKind.PEER}
)


class Polarity(StrEnum):
    """Which direction is better for an indicator criterion."""

    LOWER_IS_BETTER = "lower"  # anaemia, chronic malnutrition, poverty
    HIGHER_IS_BETTER = "higher"  # coverage, birth registration, safe water


class EvidenceStatus(StrEnum):
    """Where a municipality's evidence for a criterion stands when the cut is scored."""

    APPROVED = "approved"
    OBSERVED = "observed"  # the evaluator asked for corrections that did not come in time
    REJECTED = "rejected"
    MISSING = "missing"  # nothing uploaded before the deadline


class TierScope(StrEnum):
    CATEGORY = "category"  # each category named by the tier has its own winners
    GLOBAL = "global"  # every municipality competes, whatever its category


class RemainderPolicy(StrEnum):
    """What happens to money no municipality won (an unfilled tier, or a fund larger than
    the tiers promise).

    - REDISTRIBUTE: split among the municipalities that won money, in proportion to their
      awards, to the cent (the whole fund is distributed, as DOMAIN §3 says is usual).
    - CARRY_OVER: kept for the next edition of the contest.
    - RETURN: returned to the treasury that funded the contest.
    """

    REDISTRIBUTE = "redistribute"
    CARRY_OVER = "carry_over"
    RETURN = "return"


class TieBreakerKind(StrEnum):
    """What decides between two municipalities with the same total, in the rules' order.

    - COMPONENT: the higher score in a component (`component:PLAN`).
    - POPULATION_ASC: the smaller population first (`population:asc`), e.g. to favour the
      smaller municipality; POPULATION_DESC the larger (`population:desc`).
    The engine always ends with the municipality's code in ascending order (the INEI ubigeo):
    arbitrary but public and stable, so the same input always gives the same ranking.
    """

    COMPONENT = "component"
    POPULATION_ASC = "population:asc"
    POPULATION_DESC = "population:desc"


@dataclass(frozen=True)
class TieBreaker:
    kind: TieBreakerKind
    component: str = ""  # for COMPONENT

    @property
    def label(self) -> str:
        """As written in RULES.json: `component:PLAN`, `population:asc`."""
        if self.kind == TieBreakerKind.COMPONENT:
            return f"component:{self.component}"
        return str(self.kind)


FALLBACK_TIE_BREAKER = "code"  # `MunicipalityResult.decided_by` when only the code decided


@dataclass(frozen=True)
class Component:
    """A component of the seal (planning, early-childhood interventions, safe water...).

    `weight` is its share of the total: the consolidated total is Σ weight × earned/maximum
    over the components, so its maximum is Σ weights (100 when the weights add up to 100).
    """

    code: str
    name: str
    weight: Decimal


@dataclass(frozen=True)
class Criterion:
    """One criterion of a component, evaluated at each of its `cuts`.

    `points` is what it earns at one cut when fully met; a criterion evaluated at two cuts
    can earn twice its points. `target` (THRESHOLD, IMPROVEMENT) is the rules' target; a
    reading's own target, when it has one, takes precedence (municipalities may have their
    own targets). `cap` (IMPROVEMENT) is the largest share of progress counted, 0 < cap ≤ 1:
    progress beyond the target earns no more than `points × cap`.
    """

    code: str
    component: str
    kind: CriterionKind
    points: Decimal
    cuts: tuple[str, ...]
    name: str = ""
    mandatory: bool = False
    polarity: Polarity | None = None  # indicator kinds
    target: Decimal | None = None  # THRESHOLD, IMPROVEMENT
    cap: Decimal = Decimal(1)  # IMPROVEMENT
    indicator: str = ""  # the analytics indicator the readings come from (documentation)

    @property
    def maximum(self) -> Decimal:
        """The most it can earn at one cut."""
        return self.points * self.cap if self.kind == CriterionKind.IMPROVEMENT else self.points


@dataclass(frozen=True)
class Category:
    """A group of like municipalities (e.g. by population): ranking and category tiers
    compare a municipality only with the others of its category."""

    code: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Eligibility:
    """What a municipality needs to be eligible for an award; each failure is a reason.

    - `minimum_total`: the consolidated total (same scale as the total) at least this;
    - `mandatory_required`: every mandatory criterion met at every cut that evaluates it;
    - `minimum_component_percent`: per component code, the percentage of the component's
      maximum points earned at least this (0–100).
    """

    minimum_total: Decimal = Decimal(0)
    mandatory_required: bool = True
    minimum_component_percent: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Tier:
    """A level of award: `winners` places of `amount` soles each, or a medal without money
    when `amount` is None (medals never move money).

    A CATEGORY tier gives `winners` places in each of its `categories` (every category of
    the rules when empty); a GLOBAL tier gives `winners` places among all municipalities.
    Tiers are filled in the order the rules list them, and nobody wins twice.
    """

    name: str
    winners: int
    amount: Decimal | None
    scope: TierScope = TierScope.CATEGORY
    categories: tuple[str, ...] = ()

    def places_by_category(self, rules: Rules) -> tuple[str | None, ...]:
        """The categories this tier is filled in (None: the global ranking)."""
        if self.scope == TierScope.GLOBAL:
            return (None,)
        return self.categories or tuple(c.code for c in rules.categories)

    def promised(self, rules: Rules) -> Decimal:
        """The money this tier gives when every place is filled."""
        if self.amount is None:
            return Decimal(0)
        return self.amount * self.winners * len(self.places_by_category(rules))


@dataclass(frozen=True)
class Rules:
    """The rules of one seal contest, as approved by resolution (DOMAIN §3)."""

    name: str
    fund: Decimal  # PEN
    cuts: tuple[str, ...]  # the verification cuts, in order
    components: tuple[Component, ...]
    criteria: tuple[Criterion, ...]
    categories: tuple[Category, ...]
    eligibility: Eligibility
    tiers: tuple[Tier, ...]
    tie_breakers: tuple[TieBreaker, ...] = ()
    remainder: RemainderPolicy = RemainderPolicy.REDISTRIBUTE

    def component_maximum(self, component: str) -> Decimal:
        """The most a component can earn over all its criteria and cuts."""
        return sum(
            (c.maximum * len(c.cuts) for c in self.criteria if c.component == component),
            Decimal(0),
        )

    def promised(self) -> Decimal:
        """The money the tiers give when every place is filled."""
        return sum((t.promised(self) for t in self.tiers), Decimal(0))


@dataclass(frozen=True)
class Municipality:
    """A participating municipality. `code` is its official code (INEI ubigeo in Peru)."""

    code: str
    name: str
    category: str
    population: int


@dataclass(frozen=True)
class EvidenceReading:
    """The review of a municipality's evidence for an EVIDENCE criterion at a cut."""

    municipality: str
    cut: str
    criterion: str
    status: EvidenceStatus
    reviewer: str = ""
    evidence_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndicatorReading:
    """The frozen analytics value of an indicator criterion for a municipality at a cut.

    `value` None means no value (missing is not zero: it earns 0 with "no data").
    `baseline` is needed by IMPROVEMENT; `target`, when given, replaces the criterion's.
    `period` and `source` say which analytics result the value is (e.g. "2025S1", "HIS").
    """

    municipality: str
    cut: str
    criterion: str
    value: Decimal | None
    baseline: Decimal | None = None
    target: Decimal | None = None
    period: str = ""
    source: str = ""


def _duplicates(codes: list[str]) -> list[str]:
    return sorted({c for c in codes if codes.count(c) > 1})


def rules_check(rules: Rules) -> list[tuple[str, Message]]:
    """Every way the rules break the engine's invariants, as (field, message); [] if none."""
    problems: list[tuple[str, Message]] = []

    def add(where: str, code: str, /, **params: object) -> None:
        problems.append((where, msg(code, **params)))

    if rules.fund <= 0 or rules.fund != rules.fund.quantize(CENT):
        add("fund", "money_invalid", value=rules.fund)
    if not rules.cuts:
        add("cuts", "empty_list")
    for code in _duplicates(list(rules.cuts)):
        add("cuts", "duplicate_code", code=code)
    if not rules.components:
        add("components", "empty_list")
    for code in _duplicates([c.code for c in rules.components]):
        add("components", "duplicate_code", code=code)
    for i, component in enumerate(rules.components):
        if component.weight <= 0:
            add(f"components[{i}].weight", "not_positive", value=component.weight)
    for code in _duplicates([c.code for c in rules.criteria]):
        add("criteria", "duplicate_code", code=code)
    components = {c.code for c in rules.components}
    for i, criterion in enumerate(rules.criteria):
        where = f"criteria[{i}]"
        if criterion.component not in components:
            add(f"{where}.component", "unknown_code", code=criterion.component)
        if criterion.points <= 0:
            add(f"{where}.points", "not_positive", value=criterion.points)
        if not criterion.cuts:
            add(f"{where}.cuts", "empty_list")
        for cut in criterion.cuts:
            if cut not in rules.cuts:
                add(f"{where}.cuts", "unknown_code", code=cut)
        if criterion.kind in INDICATOR_KINDS and criterion.polarity is None:
            add(f"{where}.polarity", "required")
        if criterion.kind == CriterionKind.IMPROVEMENT and not 0 < criterion.cap <= 1:
            add(f"{where}.cap", "cap_invalid", value=criterion.cap)
    for component in rules.components:
        if rules.component_maximum(component.code) <= 0:
            add("criteria", "component_without_criteria", code=component.code)
    if not rules.categories:
        add("categories", "empty_list")
    for code in _duplicates([c.code for c in rules.categories]):
        add("categories", "duplicate_code", code=code)
    categories = {c.code for c in rules.categories}
    for code, percent in rules.eligibility.minimum_component_percent.items():
        where = f"eligibility.minimum_component_percent.{code}"
        if code not in components:
            add(where, "unknown_code", code=code)
        if not 0 <= percent <= 100:
            add(where, "percent_invalid", value=percent)
    if rules.eligibility.minimum_total < 0:
        add("eligibility.minimum_total", "negative", value=rules.eligibility.minimum_total)
    for i, tier in enumerate(rules.tiers):
        where = f"tiers[{i}]"
        if tier.winners < 1:
            add(f"{where}.winners", "not_positive", value=tier.winners)
        if tier.amount is not None and (
            tier.amount <= 0 or tier.amount != tier.amount.quantize(CENT)
        ):
            add(f"{where}.amount", "money_invalid", value=tier.amount)
        for code in tier.categories:
            if code not in categories:
                add(f"{where}.categories", "unknown_code", code=code)
    for code in _duplicates([t.name for t in rules.tiers]):
        add("tiers", "duplicate_code", code=code)
    for i, breaker in enumerate(rules.tie_breakers):
        if breaker.kind == TieBreakerKind.COMPONENT and breaker.component not in components:
            add(f"tie_breakers[{i}]", "unknown_code", code=breaker.component)
    if not problems and rules.promised() > rules.fund:
        add("tiers", "tiers_exceed_fund", promised=Money(rules.promised()), fund=Money(rules.fund))
    return problems


def rules_require_valid(rules: Rules) -> None:
    """Raise ValueError when the rules break an invariant (the engine's guard)."""
    problems = rules_check(rules)
    if problems:
        where, message = problems[0]
        raise ValueError(f"invalid rules: {where}: {message.text('en')}")
