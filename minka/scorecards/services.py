"""Every write to scorecards goes through here: keyword-only, typed, atomic, with who and when.

Who may write is decided by the views with the one permission check (`Action.CHANGE` on the
scorecard's territory) before calling these; the services check what the data itself must
satisfy (a programme belongs to the scorecard it is written for, a text is not empty, an
indicator is not added twice) and raise `ValidationError` with a readable message, having
written nothing.

Texts are append-only: `scorecard_text_add` is their only write and it only ever inserts.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from minka.accounts.models import User
from minka.analytics.engine.periods import PeriodType
from minka.indicators.models import IndicatorSheet
from minka.scorecards.models import (
    PerformanceMeasure,
    Programme,
    Question,
    Scorecard,
    ScorecardIndicator,
    ScorecardText,
    TextKind,
)
from minka.territories.models import Institution, Territory


def _required(value: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError(message)
    return value


def _period_type_check(period_type: str) -> None:
    if period_type not in {member.value for member in PeriodType}:
        raise ValidationError(_("“%(value)s” is not a period type.") % {"value": period_type})


def _population_indicators_set(
    *, scorecard: Scorecard, indicators: Sequence[IndicatorSheet]
) -> None:
    """Keep the indicators given, in the order given: those already linked keep their row,
    new ones are added, those no longer given are unlinked."""
    if len({indicator.pk for indicator in indicators}) != len(indicators):
        raise ValidationError(_("An indicator is listed twice."))
    existing = {link.indicator_id: link for link in scorecard.indicators.all()}
    wanted = [indicator.pk for indicator in indicators]
    scorecard.indicators.exclude(indicator_id__in=wanted).delete()
    for order, indicator_id in enumerate(wanted):
        link = existing.get(indicator_id)
        if link is None:
            ScorecardIndicator.objects.create(
                scorecard=scorecard, indicator_id=indicator_id, order=order
            )
        elif link.order != order:
            link.order = order
            link.save(update_fields=["order"])


@transaction.atomic
def scorecard_create(
    *,
    title_es: str,
    population: str,
    result: str,
    territory: Territory,
    user: User | None,
    title_en: str = "",
    period_type: str = PeriodType.YEARLY.value,
    public: bool = False,
    indicators: Sequence[IndicatorSheet] = (),
) -> Scorecard:
    """A new scorecard with its population indicators in the order given."""
    _period_type_check(period_type)
    scorecard = Scorecard.objects.create(
        title_es=_required(title_es, _("The scorecard needs a title.")),
        title_en=title_en.strip(),
        population=_required(population, _("Say which population the result is about.")),
        result=_required(result, _("Write the result the scorecard is about.")),
        territory=territory,
        period_type=period_type,
        public=public,
        created_by=user,
        updated_by=user,
    )
    _population_indicators_set(scorecard=scorecard, indicators=indicators)
    return scorecard


@transaction.atomic
def scorecard_update(
    *,
    scorecard: Scorecard,
    title_es: str,
    population: str,
    result: str,
    territory: Territory,
    user: User | None,
    title_en: str = "",
    period_type: str = PeriodType.YEARLY.value,
    public: bool = False,
    indicators: Sequence[IndicatorSheet] = (),
) -> Scorecard:
    """Change a scorecard's own fields and its population indicators (`updated_by` and
    `updated_at` record who and when; programmes and texts are untouched)."""
    _period_type_check(period_type)
    scorecard.title_es = _required(title_es, _("The scorecard needs a title."))
    scorecard.title_en = title_en.strip()
    scorecard.population = _required(population, _("Say which population the result is about."))
    scorecard.result = _required(result, _("Write the result the scorecard is about."))
    scorecard.territory = territory
    scorecard.period_type = period_type
    scorecard.public = public
    scorecard.updated_by = user
    scorecard.save()
    _population_indicators_set(scorecard=scorecard, indicators=indicators)
    return scorecard


@transaction.atomic
def programme_create(
    *,
    scorecard: Scorecard,
    name_es: str,
    user: User | None,
    name_en: str = "",
    description: str = "",
    lead_institution: Institution | None = None,
) -> Programme:
    """A programme added after the scorecard's last one."""
    last = scorecard.programmes.aggregate(last=Max("order"))["last"]
    return Programme.objects.create(
        scorecard=scorecard,
        name_es=_required(name_es, _("The programme needs a name.")),
        name_en=name_en.strip(),
        description=description.strip(),
        lead_institution=lead_institution,
        order=0 if last is None else last + 1,
        created_by=user,
    )


@transaction.atomic
def performance_measure_add(
    *,
    programme: Programme,
    indicator: IndicatorSheet,
    question: str,
    user: User | None,
) -> PerformanceMeasure:
    """A performance measure of the programme, after its last one. An indicator answers
    one question per programme: adding it twice is refused."""
    if question not in Question.values:
        raise ValidationError(
            _("“%(value)s” is not one of the three questions.") % {"value": question}
        )
    if programme.measures.filter(indicator=indicator).exists():
        raise ValidationError(
            _("%(indicator)s is already a measure of this programme.")
            % {"indicator": indicator.name}
        )
    last = programme.measures.aggregate(last=Max("order"))["last"]
    return PerformanceMeasure.objects.create(
        programme=programme,
        indicator=indicator,
        question=question,
        order=0 if last is None else last + 1,
        added_by=user,
    )


@transaction.atomic
def scorecard_text_add(
    *,
    scorecard: Scorecard,
    kind: str,
    body: str,
    user: User | None,
    programme: Programme | None = None,
) -> ScorecardText:
    """A new version of one of the scorecard's texts (or of one of its programme's): the
    versions before it stay as they were."""
    if kind not in TextKind.values:
        raise ValidationError(_("“%(value)s” is not a kind of text.") % {"value": kind})
    if programme is not None and programme.scorecard_id != scorecard.pk:
        raise ValidationError(_("The programme is not part of this scorecard."))
    return ScorecardText.objects.create(
        scorecard=scorecard,
        programme=programme,
        kind=kind,
        body=_required(body, _("The text is empty.")),
        author=user,
    )
