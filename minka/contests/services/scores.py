"""Scoring writes: freezing the analytics readings of a cut, and publishing the scores as
a new version (every criterion's points with its explanation, the ranking, the awards).

The engine (`contests.engine`) does the arithmetic; this module only gathers its inputs
from the database and stores its outputs. DESIGN: "Scores are frozen at each cut once
published": a cut's indicator values are copied once (`cut_readings_freeze`) and never
read again from the analytics store; a published version is never updated, so a later
data change, review or appeal shows only in the next version, with what changed.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.analytics.engine.store_files import StoreBusy
from minka.analytics.selectors import ResultRow, territory_results
from minka.contests.calendar import deadline_passed
from minka.contests.engine.awards import Allocation, awards_allocate
from minka.contests.engine.files import rules_parse
from minka.contests.engine.model import INDICATOR_KINDS, CriterionKind, Rules
from minka.contests.engine.model import EvidenceReading as EngineEvidence
from minka.contests.engine.model import EvidenceStatus as EngineStatus
from minka.contests.engine.model import IndicatorReading as EngineIndicator
from minka.contests.engine.model import Municipality as EngineMunicipality
from minka.contests.engine.scoring import (
    CriterionPoints,
    Ranking,
    consolidate,
    cut_score,
    points_round,
)
from minka.contests.message_json import explanation_dump, message_dump
from minka.contests.models import (
    READING_PLACES,
    Appeal,
    AppealStatus,
    AwardLine,
    CriterionScore,
    Cut,
    Edition,
    Evidence,
    EvidenceStatus,
    IndicatorReading,
    RankingEntry,
    Registration,
    RegistrationStatus,
    ScoreVersion,
)
from minka.contests.services.common import audit_record, require_coordinator
from minka.indicators.models import IndicatorSheet
from minka.territories.models import Area, Population, Sex

READING_QUANTUM = Decimal(1).scaleb(-READING_PLACES)


def _rules(edition: Edition) -> Rules:
    if edition.rules_version is None:
        raise ValidationError(_("The rules are not frozen yet: open registration first."))
    rules = rules_parse(edition.rules_version.document).value
    if rules is None:  # frozen rules were checked when saved; never expected
        raise ValidationError(_("The rules in force cannot be read."))
    return rules


def _approved(edition: Edition) -> list[Registration]:
    return list(
        edition.registrations.filter(status=RegistrationStatus.APPROVED)
        .select_related("municipality__territory")
        .order_by("pk")
    )


def _decimal(value: float | None) -> Decimal | None:
    """An analytics figure (a float) as the decimal that is frozen: the float's shortest
    representation, rounded half up to READING_PLACES decimals."""
    if value is None:
        return None
    return Decimal(repr(value)).quantize(READING_QUANTUM, rounding=ROUND_HALF_UP)


def _plain(value: Decimal | None) -> Decimal | None:
    """A frozen figure without the trailing zeros of its storage (30.000000 is 30), so
    explanations read "30" while every comparison is the same."""
    return None if value is None else value.normalize()


def _sheet_rows(
    sheet: IndicatorSheet, cut: Cut, registrations: Sequence[Registration]
) -> tuple[dict[int, ResultRow], dict[int, ResultRow]]:
    """The sheet's results at the cut and at its base year, by territory id."""
    base = str(sheet.base_year) if sheet.base_year else None
    periods = [cut.code] if base is None or base == cut.code else [cut.code, base]
    territories = [r.municipality.territory for r in registrations]
    try:
        rows = territory_results(indicator=sheet, territories=territories, periods=periods)
    except StoreBusy as busy:
        raise ValidationError(
            _("The indicators are being recalculated; try again in a few minutes.")
        ) from busy
    at_cut = {r.territory_id: r for r in rows if r.period == cut.code}
    at_base = {r.territory_id: r for r in rows if base is not None and r.period == base}
    return at_cut, at_base


@transaction.atomic
def cut_readings_freeze(
    *, cut: Cut, user: Any, now: datetime | None = None
) -> list[IndicatorReading]:
    """Copy, once, the analytics value of every indicator criterion (threshold,
    improvement, peer) the frozen rules evaluate at this cut, for every approved
    registration: the value at the cut's period (its code, e.g. 2025S1), the baseline at
    the indicator sheet's base year when it has one, and — only for a criterion without a
    target in the rules — the municipality's own target. A missing sheet or figure is
    stored as no value, with the reason. Refused before the cut's evaluation date and for
    a cut already frozen: the figures never move after the cut."""
    now = now or timezone.now()
    edition = cut.edition
    require_coordinator(user, edition)
    rules = _rules(edition)
    cut = Cut.objects.select_for_update().get(pk=cut.pk)
    if cut.readings_frozen_at is not None:
        raise ValidationError(
            _("The readings of %(cut)s are frozen already; they never change.") % {"cut": cut.name}
        )
    if cut.code not in rules.cuts:
        raise ValidationError(_("The rules do not evaluate %(cut)s.") % {"cut": cut.code})
    today = timezone.localtime(now, zoneinfo.ZoneInfo(edition.time_zone)).date()
    if today < cut.evaluation_date:
        raise ValidationError(
            _("The indicators of %(cut)s are read on its evaluation date, %(date)s.")
            % {"cut": cut.name, "date": cut.evaluation_date.strftime("%d/%m/%Y")}
        )
    registrations = _approved(edition)
    if not registrations:
        raise ValidationError(_("No registration has been approved yet."))
    criteria = [c for c in rules.criteria if c.kind in INDICATOR_KINDS and cut.code in c.cuts]
    sheets = {
        s.code: s for s in IndicatorSheet.objects.filter(code__in={c.indicator for c in criteria})
    }
    rows = {code: _sheet_rows(sheet, cut, registrations) for code, sheet in sheets.items()}
    readings = []
    for registration in registrations:
        territory_id = registration.municipality.territory_id
        for criterion in criteria:
            sheet = sheets.get(criterion.indicator)
            reading = IndicatorReading(
                edition=edition,
                cut=cut,
                registration=registration,
                criterion=criterion.code,
                indicator=criterion.indicator,
                period=cut.code,
                read_at=now,
            )
            if sheet is None:
                reading.reason = "no_sheet"
            else:
                at_cut, at_base = rows[sheet.code]
                row = at_cut.get(territory_id)
                base = at_base.get(territory_id)
                reading.source = sheet.source
                reading.value = _decimal(row.value if row else None)
                if reading.value is None:
                    reading.reason = (row.reason if row else None) or "no_result"
                if sheet.base_year:
                    reading.baseline_period = str(sheet.base_year)
                    reading.baseline = _decimal(base.value if base else None)
                if criterion.target is None and row is not None:
                    reading.target = _decimal(row.target)
            readings.append(reading)
    IndicatorReading.objects.bulk_create(readings)
    cut.readings_frozen_at = now
    cut.readings_frozen_by = user
    cut.save(update_fields=["readings_frozen_at", "readings_frozen_by"])
    audit_record(
        edition=edition,
        actor=user,
        action="cut_readings_freeze",
        obj=cut,
        after={
            "cut": cut.code,
            "readings": len(readings),
            "without_value": sum(1 for r in readings if r.value is None),
            "indicators": sorted(sheets),
        },
        at=now,
    )
    return readings


# --- publishing ---------------------------------------------------------------------------


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _populations(edition: Edition, registrations: Sequence[Registration]) -> dict[int, int]:
    """Each municipality's total population: the latest figure up to the edition's year
    (0 when there is none: the tie-breakers by population then treat it as smallest)."""
    found: dict[int, int] = {}
    rows = (
        Population.objects.filter(
            territory_id__in=[r.municipality.territory_id for r in registrations],
            year__lte=edition.year,
            sex=Sex.TOTAL,
            age_group="",
            area=Area.TOTAL,
        )
        .order_by("territory_id", "-year")
        .values_list("territory_id", "value")
    )
    for territory_id, value in rows:
        found.setdefault(territory_id, value)
    return found


def _codes(registrations: Sequence[Registration]) -> dict[int, str]:
    """The engine's code of each registration: the territory's official code (INEI
    ubigeo), which the engine's last tie-breaker orders by; made unique if it is not."""
    codes: dict[int, str] = {}
    taken: set[str] = set()
    for registration in registrations:
        code = registration.municipality.territory.code
        if code in taken:
            code = f"{code}-{registration.pk}"
        taken.add(code)
        codes[registration.pk] = code
    return codes


def _publish_problems(edition: Edition, cuts: Sequence[Cut], now: datetime) -> list[str]:
    problems = []
    for cut in cuts:
        if not deadline_passed(now, cut.evidence_deadline):
            problems.append(
                _("The deadline of %(cut)s has not passed: municipalities may still upload.")
                % {"cut": cut.name}
            )
        pending = (
            Evidence.objects.filter(cut=cut, registration__status=RegistrationStatus.APPROVED)
            .filter(
                Q(status=EvidenceStatus.SUBMITTED)
                | Q(status=EvidenceStatus.OBSERVED, reply_until__gte=now)
            )
            .count()
        )
        if pending:
            problems.append(
                _(
                    "%(count)s means of verification of %(cut)s still wait for a review or "
                    "for the municipality's answer."
                )
                % {"count": pending, "cut": cut.name}
            )
    appeals = Appeal.objects.filter(version__edition=edition, status=AppealStatus.OPEN).count()
    if appeals:
        problems.append(_("Resolve the %(count)s open appeals first.") % {"count": appeals})
    return problems


class _Inputs:
    """The engine's inputs for an edition, and the database rows behind them."""

    def __init__(self, edition: Edition, rules: Rules, cuts: Sequence[Cut]) -> None:
        self.registrations = _approved(edition)
        self.cuts = {c.code: c for c in cuts}
        codes = _codes(self.registrations)
        self.by_code = {codes[r.pk]: r for r in self.registrations}
        population = _populations(edition, self.registrations)
        self.municipalities = [
            EngineMunicipality(
                codes[r.pk],
                r.municipality.name,
                r.category,
                population.get(r.municipality.territory_id, 0),
            )
            for r in self.registrations
        ]
        self.criteria = {c.code: c for c in rules.criteria}
        self.files: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.reading_reasons: dict[tuple[str, str, str], str] = {}
        self.evidence = self._evidence(rules, codes)
        self.indicators = self._indicators(codes)

    def _evidence(self, rules: Rules, codes: dict[int, str]) -> list[EngineEvidence]:
        sent = {
            (e.registration_id, e.cut.code, e.criterion): e
            for e in Evidence.objects.filter(
                cut__in=self.cuts.values(), registration__in=self.registrations
            )
            .select_related("cut", "reviewed_by")
            .prefetch_related("files")
        }
        readings = []
        for criterion in rules.criteria:
            if criterion.kind != CriterionKind.EVIDENCE:
                continue
            for cut_code in criterion.cuts:
                if cut_code not in self.cuts:
                    continue
                for registration in self.registrations:
                    code = codes[registration.pk]
                    evidence = sent.get((registration.pk, cut_code, criterion.code))
                    if evidence is None:
                        readings.append(
                            EngineEvidence(code, cut_code, criterion.code, EngineStatus.MISSING)
                        )
                        continue
                    files = list(evidence.files.all())
                    self.files[(code, cut_code, criterion.code)] = [
                        {"id": f.pk, "name": f.original_name, "sha256": f.sha256} for f in files
                    ]
                    readings.append(
                        EngineEvidence(
                            code,
                            cut_code,
                            criterion.code,
                            EngineStatus(evidence.status),
                            reviewer=_person(evidence.reviewed_by),
                            evidence_ids=tuple(f"#{f.pk}" for f in files),
                        )
                    )
        return readings

    def _indicators(self, codes: dict[int, str]) -> list[EngineIndicator]:
        readings = []
        for row in IndicatorReading.objects.filter(
            cut__in=self.cuts.values(), registration__in=self.registrations
        ).select_related("cut"):
            criterion = self.criteria.get(row.criterion)
            if criterion is None or criterion.kind not in INDICATOR_KINDS:
                continue
            code = codes[row.registration_id]
            self.reading_reasons[(code, row.cut.code, row.criterion)] = row.reason
            readings.append(
                EngineIndicator(
                    code,
                    row.cut.code,
                    row.criterion,
                    _plain(row.value),
                    baseline=_plain(row.baseline),
                    target=_plain(row.target),
                    period=row.period,
                    source=row.source,
                )
            )
        return readings


def _summary(entries: Sequence[RankingEntry], awards: Sequence[AwardLine]) -> dict[str, Any]:
    """Per registration: its total, rank and award, as the audit log keeps them."""
    won = {a.registration_id: a for a in awards}
    summary: dict[str, Any] = {}
    for entry in entries:
        award = won.get(entry.registration_id)
        summary[str(entry.registration_id)] = {
            "name": entry.name,
            "total": str(entry.total),
            "rank": entry.rank,
            "award": None
            if award is None
            else {
                "tier": award.tier,
                "amount": None if award.amount is None else str(award.amount),
            },
        }
    return summary


def _store(
    version: ScoreVersion,
    inputs: _Inputs,
    points: Sequence[CriterionPoints],
    ranking: Ranking,
    allocation: Allocation,
) -> tuple[list[RankingEntry], list[AwardLine]]:
    scores = []
    for item in points:
        criterion = inputs.criteria[item.criterion]
        key = (item.municipality, item.cut, item.criterion)
        scores.append(
            CriterionScore(
                version=version,
                registration=inputs.by_code[item.municipality],
                cut=inputs.cuts[item.cut],
                criterion=item.criterion,
                points=item.points,
                maximum=points_round(criterion.maximum),
                met=item.met,
                explanation=explanation_dump(
                    item.explanation,
                    kind=str(criterion.kind),
                    evidence_files=inputs.files.get(key, ()),
                    reading_reason=inputs.reading_reasons.get(key, ""),
                ),
            )
        )
    CriterionScore.objects.bulk_create(scores, batch_size=2000)
    entries = RankingEntry.objects.bulk_create(
        [
            RankingEntry(
                version=version,
                registration=inputs.by_code[result.municipality.code],
                code=result.municipality.code,
                name=result.municipality.name,
                category=result.municipality.category,
                population=result.municipality.population,
                components=[
                    {
                        "component": c.component,
                        "earned": str(c.earned),
                        "maximum": str(c.maximum),
                        "percent": str(c.percent),
                        "score": str(c.score),
                    }
                    for c in result.components
                ],
                total=result.total,
                eligible=result.eligible,
                reasons=[message_dump(m) for m in result.reasons],
                rank=result.rank,
                global_rank=result.global_rank,
                decided_by=result.decided_by or "",
            )
            for result in ranking.results
        ]
    )
    awards = AwardLine.objects.bulk_create(
        [
            AwardLine(
                version=version,
                registration=inputs.by_code[award.municipality.code],
                order=order,
                tier=award.tier,
                category=award.category or "",
                place=award.place,
                rank=award.rank,
                base=award.base,
                extra=award.extra,
                amount=award.amount,
            )
            for order, award in enumerate(allocation.awards, start=1)
        ]
    )
    return entries, awards


@transaction.atomic
def scores_publish(
    *, edition: Edition, user: Any, reason: str, now: datetime | None = None
) -> ScoreVersion:
    """Score every cut whose readings are frozen and publish the result as version N+1:
    the engine's points (`cut_score`) with their explanations, the ranking
    (`consolidate`) and the awards (`awards_allocate`), from the approved registrations,
    their evidence decisions and the frozen readings.

    Refused, with every reason at once, while a frozen cut's evidence deadline has not
    passed, while some of its evidence waits for a review or an answer still in time,
    while an appeal is open, and without a reason. Published versions are never changed:
    the audit entry keeps each municipality's total, rank and award before and after.
    """
    now = now or timezone.now()
    require_coordinator(user, edition)
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    rules = _rules(edition)
    reason = reason.strip()
    frozen = {c.code: c for c in edition.cuts.filter(readings_frozen_at__isnull=False)}
    cuts = [frozen[code] for code in rules.cuts if code in frozen]
    if not cuts:
        raise ValidationError(_("Freeze the readings of a cut before publishing its scores."))
    problems = _publish_problems(edition, cuts, now)
    if not reason:
        problems.append(_("Say why the scores are published."))
    if problems:
        raise ValidationError(problems)
    inputs = _Inputs(edition, rules, cuts)
    if not inputs.registrations:
        raise ValidationError(_("No registration has been approved yet."))
    points = [
        p
        for cut in cuts
        for p in cut_score(
            rules, cut.code, inputs.municipalities, inputs.evidence, inputs.indicators
        )
    ]
    ranking = consolidate(rules, inputs.municipalities, points)
    allocation = awards_allocate(rules, ranking)

    previous = edition.score_versions.order_by("-number").first()
    assert edition.rules_version is not None
    version = ScoreVersion.objects.create(
        edition=edition,
        number=1 if previous is None else previous.number + 1,
        rules_version=edition.rules_version,
        cuts=[c.code for c in cuts],
        all_cuts=len(cuts) == len(rules.cuts),
        published_at=now,
        published_by=user,
        reason=reason,
        fund=allocation.fund,
        awarded=allocation.awarded,
        remainder=allocation.remainder,
        remainder_policy=str(allocation.policy),
        allocation_notes=[message_dump(m) for m in allocation.explanation],
    )
    entries, awards = _store(version, inputs, points, ranking, allocation)
    before = None
    if previous is not None:
        before = _summary(list(previous.entries.all()), list(previous.awards.all()))
    audit_record(
        edition=edition,
        actor=user,
        action="scores_publish",
        obj=version,
        before=before,
        after={
            "number": version.number,
            "cuts": version.cuts,
            "awarded": str(version.awarded),
            "remainder": str(version.remainder),
            "municipalities": _summary(entries, awards),
        },
        reason=reason,
        at=now,
    )
    return version
