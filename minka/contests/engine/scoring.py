"""Points per municipality, cut and criterion, with the why; then the consolidated ranking.

DESIGN: "A score is explainable: every point has a criterion, a rule, the evidence or data
that earned it, and who approved it." So every `CriterionPoints` carries an `Explanation`:
the rule in words, what happened at the cut in words, and the data behind it (the value,
baseline, target, category average, period and source of the frozen analytics value, or
the evidence's status, reviewer and ids).

Missing data is never an error: it earns 0 with the reason "no data" (missing is not zero:
it is not counted as a value of 0 in any average either).

Rounding happens in one place, `points_round` (0.01, ROUND_HALF_UP), applied to each figure
the engine publishes when it is made: a criterion's points, a component's percentage and
its weighted score. Sums of rounded figures (component earned points, the total) are exact,
so the components shown always add up to the total shown, and every comparison
(eligibility, ranking) uses the rounded figure: what is shown is what counts.

Consolidation (`consolidate`, or `ranking_build` from component points, which is what a
simulation has):
- a component's earned points: Σ over its criteria and their cuts; its maximum: Σ criterion
  maximum × number of cuts that evaluate it (a cut not scored earns nothing);
- a component's score: weight × earned / maximum (rounded);
- the total: Σ component scores, so between 0 and Σ weights;
- eligibility, with every reason a municipality is not eligible (`model.Eligibility`);
- rank within the category: total descending, then the rules' tie-breakers in order, then
  the municipality's code ascending; every rank is distinct. The global rank (for global
  tiers) orders all municipalities with the same key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from minka.contests.engine.messages import Message, msg
from minka.contests.engine.model import (
    CENT,
    FALLBACK_TIE_BREAKER,
    Criterion,
    CriterionKind,
    EvidenceReading,
    EvidenceStatus,
    IndicatorReading,
    Municipality,
    Polarity,
    Rules,
    TieBreaker,
    TieBreakerKind,
    rules_require_valid,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def points_round(value: Decimal) -> Decimal:
    """The one rounding of the engine: to 0.01, half up (2.345 → 2.35)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Explanation(NamedTuple):
    """Why a criterion earned what it earned at a cut: the rule, the outcome and the data
    behind it (fields that do not apply are empty).

    `outcome` is built on demand from `outcome_code` and the data (a national contest has
    ~150,000 of these per run; most are never read). A NamedTuple rather than a frozen
    dataclass for the same reason: as immutable, several times cheaper to create.
    """

    rule: Message
    outcome_code: str
    points: Decimal
    value: Decimal | None = None
    baseline: Decimal | None = None
    target: Decimal | None = None
    average: Decimal | None = None  # PEER: the category's average at the cut, exact
    peers: int = 0  # PEER: how many municipalities of the category had a value
    period: str = ""  # the period and source of the frozen analytics value
    source: str = ""
    status: EvidenceStatus | None = None
    reviewer: str = ""
    evidence_ids: tuple[str, ...] = ()

    @property
    def outcome(self) -> Message:
        """What happened at the cut, in words (`messages.CATALOGUE[outcome_code]`)."""
        params: dict[str, object] = {
            "points": self.points,
            "reviewer": self.reviewer or "?",
            "evidence": self.evidence_ids,
            "peers": self.peers,
        }
        for name in ("value", "baseline", "target"):
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        if self.average is not None:
            params["average"] = points_round(self.average)  # shown rounded, compared exactly
        if None not in (self.value, self.baseline, self.target) and self.target != self.baseline:
            share = (self.value - self.baseline) / (self.target - self.baseline)  # type: ignore[operator]
            params["progress"] = points_round(share * HUNDRED)
        return msg(self.outcome_code, **params)


class CriterionPoints(NamedTuple):
    """What a municipality earned for a criterion at a cut. `met` is whether the rule's
    condition held (evidence approved, threshold reached, target reached, at or better
    than the average): a mandatory criterion must be met at each of its cuts."""

    municipality: str
    cut: str
    criterion: str
    points: Decimal
    met: bool
    explanation: Explanation


def _better_or_equal(value: Decimal, reference: Decimal, polarity: Polarity | None) -> bool:
    if polarity == Polarity.LOWER_IS_BETTER:
        return value <= reference
    return value >= reference


def criterion_rule(criterion: Criterion) -> Message:
    """The criterion's rule in words (the same for every municipality and cut)."""
    lower = criterion.polarity == Polarity.LOWER_IS_BETTER
    if criterion.kind == CriterionKind.EVIDENCE:
        return msg("rule_evidence", points=criterion.points)
    if criterion.kind == CriterionKind.THRESHOLD:
        if criterion.target is None:
            code = "rule_threshold_own_lower" if lower else "rule_threshold_own_higher"
            return msg(code, points=criterion.points)
        code = "rule_threshold_lower" if lower else "rule_threshold_higher"
        return msg(code, points=criterion.points, target=criterion.target)
    if criterion.kind == CriterionKind.IMPROVEMENT:
        return msg("rule_improvement", points=criterion.points, cap=criterion.cap * HUNDRED)
    code = "rule_peer_lower" if lower else "rule_peer_higher"
    return msg(code, points=criterion.points)


def _evidence_points(
    criterion: Criterion, rule: Message, reading: EvidenceReading | None
) -> tuple[bool, Explanation]:
    if reading is None:
        return False, Explanation(rule, "no_data", ZERO)
    approved = reading.status == EvidenceStatus.APPROVED
    return approved, Explanation(
        rule,
        f"evidence_{reading.status}",
        points_round(criterion.points) if approved else ZERO,
        status=reading.status,
        reviewer=reading.reviewer,
        evidence_ids=reading.evidence_ids,
    )


def _indicator_points(
    criterion: Criterion,
    rule: Message,
    reading: IndicatorReading | None,
    average: tuple[Decimal, int] | None,
) -> tuple[bool, Explanation]:
    if reading is None:
        return False, Explanation(rule, "no_data", ZERO)
    value, polarity = reading.value, criterion.polarity
    target = reading.target if reading.target is not None else criterion.target
    period, source = reading.period, reading.source
    if value is None:
        return False, Explanation(rule, "no_data", ZERO, period=period, source=source)

    if criterion.kind == CriterionKind.PEER:
        assert average is not None  # the reading has a value, so its category has an average
        mean, peers = average
        met = _better_or_equal(value, mean, polarity)
        return met, Explanation(
            rule,
            "peer_met" if met else "peer_unmet",
            points_round(criterion.points) if met else ZERO,
            value,
            average=mean,
            peers=peers,
            period=period,
            source=source,
        )

    if target is None:
        return False, Explanation(rule, "no_target", ZERO, value, period=period, source=source)

    if criterion.kind == CriterionKind.THRESHOLD:
        met = _better_or_equal(value, target, polarity)
        return met, Explanation(
            rule,
            "threshold_met" if met else "threshold_unmet",
            points_round(criterion.points) if met else ZERO,
            value,
            target=target,
            period=period,
            source=source,
        )

    # IMPROVEMENT
    baseline = reading.baseline
    if baseline is None:
        return False, Explanation(
            rule, "no_baseline", ZERO, value, target=target, period=period, source=source
        )
    gap = target - baseline
    if (gap < 0) if polarity == Polarity.LOWER_IS_BETTER else (gap > 0):
        share = (value - baseline) / gap  # one formula for both polarities: gap has the sign
        if share <= 0:
            code, points = "improvement_none", ZERO
        else:
            code = "improvement_capped" if share > criterion.cap else "improvement_progress"
            points = points_round(criterion.points * min(share, criterion.cap))
        met = share >= 1
    else:
        # The baseline already met the target: there is no way to progress, so the criterion
        # is met (and earns its maximum) while the value still meets the target.
        met = _better_or_equal(value, target, polarity)
        code = "improvement_baseline_met" if met else "improvement_baseline_lost"
        points = points_round(criterion.maximum) if met else ZERO
    return met, Explanation(
        rule, code, points, value, baseline, target, period=period, source=source
    )


def _index(
    readings: Iterable[EvidenceReading | IndicatorReading],
    cut: str,
    municipalities: Mapping[str, Municipality],
    criteria: Mapping[str, Criterion],
) -> dict[tuple[str, str], EvidenceReading | IndicatorReading]:
    index: dict[tuple[str, str], EvidenceReading | IndicatorReading] = {}
    for reading in readings:
        if reading.cut != cut:
            continue
        if reading.municipality not in municipalities:
            raise ValueError(f"reading for an unknown municipality {reading.municipality!r}")
        criterion = criteria.get(reading.criterion)
        if criterion is None:
            raise ValueError(f"reading for an unknown criterion {reading.criterion!r}")
        evidence_kind = criterion.kind == CriterionKind.EVIDENCE
        if evidence_kind != isinstance(reading, EvidenceReading):
            raise ValueError(
                f"a {type(reading).__name__} for the {criterion.kind} criterion {criterion.code!r}"
            )
        key = (reading.municipality, reading.criterion)
        if key in index:
            raise ValueError(f"two readings for {key} at cut {cut!r}")
        index[key] = reading
    return index


def cut_score(
    rules: Rules,
    cut: str,
    municipalities: Sequence[Municipality],
    evidence: Iterable[EvidenceReading] = (),
    indicators: Iterable[IndicatorReading] = (),
) -> tuple[CriterionPoints, ...]:
    """Points of every municipality for every criterion the cut evaluates.

    Readings of other cuts are ignored; a municipality without a reading for a criterion
    earns 0 with "no data". The PEER average is taken over the municipalities of the same
    category given here that have a value for the criterion at this cut (those without a
    value do not count). Raises ValueError for inputs that break the contract (unknown
    cut, municipality, criterion or category; a reading of the wrong kind; two readings
    for the same municipality and criterion) — never for missing data.
    """
    rules_require_valid(rules)
    if cut not in rules.cuts:
        raise ValueError(f"unknown cut {cut!r}")
    by_code = {m.code: m for m in municipalities}
    if len(by_code) != len(municipalities):
        raise ValueError("two municipalities with the same code")
    categories = {c.code for c in rules.categories}
    for municipality in municipalities:
        if municipality.category not in categories:
            raise ValueError(f"unknown category {municipality.category!r}")
    criteria = {c.code: c for c in rules.criteria}
    readings = _index(evidence, cut, by_code, criteria)
    readings.update(_index(indicators, cut, by_code, criteria))

    evaluated = [c for c in rules.criteria if cut in c.cuts]
    averages: dict[tuple[str, str], tuple[Decimal, int]] = {}
    for criterion in evaluated:
        if criterion.kind != CriterionKind.PEER:
            continue
        sums: dict[str, list[Decimal]] = defaultdict(list)
        for municipality in municipalities:
            reading = readings.get((municipality.code, criterion.code))
            if isinstance(reading, IndicatorReading) and reading.value is not None:
                sums[municipality.category].append(reading.value)
        for category, values in sums.items():
            averages[(criterion.code, category)] = (sum(values, ZERO) / len(values), len(values))

    result: list[CriterionPoints] = []
    for criterion in evaluated:
        rule = criterion_rule(criterion)
        evidence_kind = criterion.kind == CriterionKind.EVIDENCE
        for municipality in municipalities:
            reading = readings.get((municipality.code, criterion.code))
            if isinstance(reading, EvidenceReading) or (evidence_kind and reading is None):
                met, why = _evidence_points(criterion, rule, reading)
            else:
                average = averages.get((criterion.code, municipality.category))
                met, why = _indicator_points(criterion, rule, reading, average)
            result.append(
                CriterionPoints(municipality.code, cut, criterion.code, why.points, met, why)
            )
    return tuple(result)


# --- consolidation -------------------------------------------------------------------


@dataclass(frozen=True)
class Earnings:
    """A municipality's points per component over all cuts, and the mandatory criteria it
    did not meet as (criterion, cut); cut None when only the criterion is known (a
    simulation's SCORES.csv)."""

    municipality: Municipality
    earned: Mapping[str, Decimal]
    mandatory_unmet: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class ComponentResult:
    component: str
    earned: Decimal  # points earned, all criteria and cuts
    maximum: Decimal  # points that could be earned
    percent: Decimal  # 100 × earned / maximum, rounded
    score: Decimal  # weight × earned / maximum, rounded: what the total adds up


@dataclass(frozen=True)
class MunicipalityResult:
    """A municipality's consolidated result. `rank` is its place in its category (1 =
    best, all distinct); `global_rank` its place among all municipalities. `decided_by`
    says, when its total equals that of the municipality ranked just above it in its
    category, which tie-breaker put it below (a tie-breaker's label, or "code");
    `global_decided_by` the same in the global order."""

    municipality: Municipality
    components: tuple[ComponentResult, ...]
    total: Decimal
    eligible: bool
    reasons: tuple[Message, ...]
    rank: int
    global_rank: int
    decided_by: str | None = None
    global_decided_by: str | None = None

    def component(self, code: str) -> ComponentResult:
        for component in self.components:
            if component.component == code:
                return component
        raise KeyError(code)


@dataclass(frozen=True)
class Ranking:
    """Every municipality's result, by category (in the rules' order) then rank."""

    results: tuple[MunicipalityResult, ...]

    def category(self, code: str) -> tuple[MunicipalityResult, ...]:
        return tuple(r for r in self.results if r.municipality.category == code)

    def global_order(self) -> tuple[MunicipalityResult, ...]:
        return tuple(sorted(self.results, key=lambda r: r.global_rank))


def _breaker_key(breaker: TieBreaker, result: MunicipalityResult) -> Decimal | int:
    """Smaller sorts first."""
    if breaker.kind == TieBreakerKind.COMPONENT:
        return -result.component(breaker.component).score
    if breaker.kind == TieBreakerKind.POPULATION_ASC:
        return result.municipality.population
    return -result.municipality.population


def rank_key(rules: Rules, result: MunicipalityResult) -> tuple[object, ...]:
    """The ordering of the ranking (smaller first): total descending, the rules'
    tie-breakers in order, the municipality's code ascending."""
    return (
        -result.total,
        *(_breaker_key(b, result) for b in rules.tie_breakers),
        result.municipality.code,
    )


def _decided_by(rules: Rules, above: MunicipalityResult, below: MunicipalityResult) -> str | None:
    if above.total != below.total:
        return None
    for breaker in rules.tie_breakers:
        if _breaker_key(breaker, above) != _breaker_key(breaker, below):
            return breaker.label
    return FALLBACK_TIE_BREAKER


def _result(rules: Rules, maxima: Mapping[str, Decimal], earnings: Earnings) -> MunicipalityResult:
    components = []
    for component in rules.components:
        earned = earnings.earned.get(component.code, ZERO)
        maximum = maxima[component.code]
        ratio = earned / maximum
        components.append(
            ComponentResult(
                component.code,
                earned,
                maximum,
                points_round(ratio * HUNDRED),
                points_round(component.weight * ratio),
            )
        )
    total = sum((c.score for c in components), ZERO)
    eligibility = rules.eligibility
    reasons: list[Message] = []
    if total < eligibility.minimum_total:
        reasons.append(msg("below_minimum_total", total=total, minimum=eligibility.minimum_total))
    if eligibility.mandatory_required:
        for criterion, cut in earnings.mandatory_unmet:
            if cut is None:
                reasons.append(msg("mandatory_unmet_any", criterion=criterion))
            else:
                reasons.append(msg("mandatory_unmet", criterion=criterion, cut=cut))
    for component_result in components:
        minimum = eligibility.minimum_component_percent.get(component_result.component)
        if minimum is not None and component_result.percent < minimum:
            reasons.append(
                msg(
                    "below_component_minimum",
                    component=component_result.component,
                    percent=component_result.percent,
                    minimum=minimum,
                )
            )
    return MunicipalityResult(
        earnings.municipality,
        tuple(components),
        total,
        not reasons,
        tuple(reasons),
        rank=0,
        global_rank=0,
    )


def ranking_build(rules: Rules, earnings: Iterable[Earnings]) -> Ranking:
    """Totals, eligibility and ranks from each municipality's points per component.

    Raises ValueError for a municipality twice, an unknown category or component, or
    earned points outside 0..maximum.
    """
    rules_require_valid(rules)
    components = {c.code for c in rules.components}
    maxima = {code: rules.component_maximum(code) for code in components}
    categories = [c.code for c in rules.categories]
    seen: set[str] = set()
    results = []
    for item in earnings:
        code = item.municipality.code
        if code in seen:
            raise ValueError(f"municipality {code!r} twice")
        seen.add(code)
        if item.municipality.category not in categories:
            raise ValueError(f"unknown category {item.municipality.category!r}")
        for component, earned in item.earned.items():
            if component not in components:
                raise ValueError(f"unknown component {component!r}")
            if not ZERO <= earned <= maxima[component]:
                raise ValueError(f"{code}: {earned} points out of range in {component!r}")
        results.append(_result(rules, maxima, item))

    keyed = sorted(results, key=lambda r: rank_key(rules, r))
    global_rank = {}
    global_decided: dict[str, str | None] = {}
    for position, result in enumerate(keyed):
        global_rank[result.municipality.code] = position + 1
        above = keyed[position - 1] if position else None
        global_decided[result.municipality.code] = (
            _decided_by(rules, above, result) if above else None
        )
    ranked: list[MunicipalityResult] = []
    for category in categories:
        members = [r for r in keyed if r.municipality.category == category]
        for position, result in enumerate(members):
            code = result.municipality.code
            above = members[position - 1] if position else None
            ranked.append(
                MunicipalityResult(
                    result.municipality,
                    result.components,
                    result.total,
                    result.eligible,
                    result.reasons,
                    rank=position + 1,
                    global_rank=global_rank[code],
                    decided_by=_decided_by(rules, above, result) if above else None,
                    global_decided_by=global_decided[code],
                )
            )
    return Ranking(tuple(ranked))


def consolidate(
    rules: Rules, municipalities: Sequence[Municipality], points: Iterable[CriterionPoints]
) -> Ranking:
    """The ranking from the points of every cut (`cut_score` of each cut, together).

    A mandatory criterion is unmet at a cut when its points there are not `met` or were
    never scored. Raises ValueError for points of an unknown municipality or criterion,
    or the same municipality, criterion and cut twice.
    """
    rules_require_valid(rules)
    by_code = {m.code: m for m in municipalities}
    criteria = {c.code: c for c in rules.criteria}
    earned: dict[str, dict[str, Decimal]] = {m.code: {} for m in municipalities}
    met: set[tuple[str, str, str]] = set()
    seen: set[tuple[str, str, str]] = set()
    for item in points:
        criterion = criteria.get(item.criterion)
        if criterion is None or item.municipality not in by_code:
            raise ValueError(f"points for unknown {item.municipality!r}/{item.criterion!r}")
        key = (item.municipality, item.criterion, item.cut)
        if key in seen:
            raise ValueError(f"points twice for {key}")
        seen.add(key)
        totals = earned[item.municipality]
        totals[criterion.component] = totals.get(criterion.component, ZERO) + item.points
        if item.met:
            met.add(key)
    mandatory = [c for c in rules.criteria if c.mandatory]
    earnings = [
        Earnings(
            municipality,
            earned[municipality.code],
            tuple(
                (c.code, cut)
                for c in mandatory
                for cut in c.cuts
                if (municipality.code, c.code, cut) not in met
            ),
        )
        for municipality in municipalities
    ]
    return ranking_build(rules, earnings)
