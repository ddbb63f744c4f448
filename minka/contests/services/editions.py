"""Writes of an edition's set-up and registration: the contest, its editions, calendar and
cuts, versions of the rules and their freezing, registrations and their review."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission
from minka.contests.calendar import (
    PhaseDates,
    PhaseKind,
    deadline_passed,
    phase_problems,
    window_open,
)
from minka.contests.engine.files import rules_parse
from minka.contests.file_checks import EXTENSIONS, FileKind, FileRefused, file_check
from minka.contests.models import (
    Contest,
    Cut,
    Edition,
    Phase,
    Registration,
    RegistrationStatus,
    RulesVersion,
)
from minka.contests.services.common import (
    audit_record,
    require_coordinator,
    require_coordinator_of,
)
from minka.territories.models import Institution, Territory

COUNCIL_ACT_KINDS = (FileKind.PDF, FileKind.PNG, FileKind.JPEG)
COUNCIL_ACT_MAX_BYTES = 10 * 1024 * 1024


@transaction.atomic
def contest_create(*, code: str, name_es: str, territory: Territory, name_en: str = "") -> Contest:
    if Contest.objects.filter(code=code).exists():
        raise ValidationError(
            _("A contest with the code %(code)s exists already.") % {"code": code}
        )
    return Contest.objects.create(code=code, name_es=name_es, name_en=name_en, territory=territory)


@transaction.atomic
def edition_create(
    *,
    contest: Contest,
    year: int,
    fund: Decimal,
    user: Any,
    legal_resolution: str = "",
    time_zone: str = "America/Lima",
    appeal_days: int = 5,
) -> Edition:
    require_coordinator_of(user, contest)
    if appeal_days < 1:
        raise ValidationError(_("Municipalities need at least one day to appeal."))
    if fund <= 0 or fund != fund.quantize(Decimal("0.01")):
        raise ValidationError(
            _("The fund must be an amount in soles above zero, with at most two decimals.")
        )
    if time_zone not in zoneinfo.available_timezones():
        raise ValidationError(_("%(zone)s is not a time zone.") % {"zone": time_zone})
    if Edition.objects.filter(contest=contest, year=year).exists():
        raise ValidationError(_("The contest already has an edition in %(year)s.") % {"year": year})
    edition = Edition.objects.create(
        contest=contest,
        year=year,
        fund=fund,
        legal_resolution=legal_resolution,
        time_zone=time_zone,
        appeal_days=appeal_days,
    )
    audit_record(
        edition=edition,
        actor=user,
        action="edition_create",
        obj=edition,
        after={
            "year": year,
            "fund": str(fund),
            "time_zone": time_zone,
            "appeal_days": appeal_days,
        },
    )
    return edition


_PHASE_PROBLEMS = {
    "ends_before_start": gettext_lazy("ends before it starts"),
    "overlaps_previous": gettext_lazy("starts before the previous phase ends"),
}


@transaction.atomic
def phase_set(
    *, edition: Edition, kind: str, starts_at: datetime, ends_at: datetime, user: Any
) -> Phase:
    """Set a phase's dates; the whole calendar must stay in order."""
    require_coordinator(user, edition)
    kind = PhaseKind(kind)
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationError(_("Dates need a time zone."))
    current = {p.kind: p for p in edition.phases.all()}
    calendar = [
        PhaseDates(PhaseKind(k), p.starts_at, p.ends_at) for k, p in current.items() if k != kind
    ]
    calendar.append(PhaseDates(kind, starts_at, ends_at))
    problems = phase_problems(calendar)
    if problems:
        labels = dict(Phase._meta.get_field("kind").choices)  # type: ignore[arg-type]
        raise ValidationError(
            [f"{labels[phase.value]}: {_PHASE_PROBLEMS[code]}" for phase, code in problems]
        )
    before = current.get(kind)
    phase, _created = Phase.objects.update_or_create(
        edition=edition, kind=kind, defaults={"starts_at": starts_at, "ends_at": ends_at}
    )
    audit_record(
        edition=edition,
        actor=user,
        action="phase_set",
        obj=phase,
        before=None
        if before is None
        else {"starts_at": before.starts_at.isoformat(), "ends_at": before.ends_at.isoformat()},
        after={
            "kind": kind.value,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return phase


@transaction.atomic
def cut_set(
    *,
    edition: Edition,
    code: str,
    name: str,
    evaluation_date: date,
    evidence_deadline: datetime,
    user: Any,
    reply_days: int = 5,
    now: datetime | None = None,
) -> Cut:
    """Create or change a verification cut; a cut whose deadline has passed is fixed."""
    require_coordinator(user, edition)
    now = now or timezone.now()
    if timezone.is_naive(evidence_deadline):
        raise ValidationError(_("Dates need a time zone."))
    if evidence_deadline.date() < evaluation_date:
        raise ValidationError(_("The evidence deadline cannot come before the evaluation date."))
    existing = Cut.objects.filter(edition=edition, code=code).first()
    if existing is not None and existing.readings_frozen_at is not None:
        raise ValidationError(
            _("The readings of %(cut)s are frozen: the cut can no longer change.")
            % {"cut": existing.name}
        )
    if existing is not None and deadline_passed(now, existing.evidence_deadline):
        raise ValidationError(
            _("The deadline of %(cut)s has passed: the cut can no longer change.")
            % {"cut": existing.name}
        )
    cut, _created = Cut.objects.update_or_create(
        edition=edition,
        code=code,
        defaults={
            "name": name,
            "evaluation_date": evaluation_date,
            "evidence_deadline": evidence_deadline,
            "reply_days": reply_days,
        },
    )
    audit_record(
        edition=edition,
        actor=user,
        action="cut_set",
        obj=cut,
        before=None
        if existing is None
        else {
            "evaluation_date": existing.evaluation_date.isoformat(),
            "evidence_deadline": existing.evidence_deadline.isoformat(),
        },
        after={
            "code": code,
            "evaluation_date": evaluation_date.isoformat(),
            "evidence_deadline": evidence_deadline.isoformat(),
            "reply_days": reply_days,
        },
        at=now,
    )
    return cut


class RulesRejected(ValidationError):
    """Rules that do not parse or break the engine's invariants: every problem, in the
    user's language, with where it is."""


@transaction.atomic
def rules_version_save(
    *, edition: Edition, document: str | bytes, user: Any, note: str = ""
) -> RulesVersion:
    """A new version of the edition's rules (a RULES.json document). Refused once the rules
    are frozen, when they do not parse, or when their fund or cuts disagree with the
    edition's."""
    require_coordinator(user, edition)
    if edition.rules_frozen:
        raise ValidationError(_("Registration has opened: the rules are frozen."))
    language = get_language() or "es"
    parsed = rules_parse(document)
    if parsed.value is None:
        raise RulesRejected([p.text(language) for p in parsed.problems])
    rules = parsed.value
    problems = []
    if rules.fund != edition.fund:
        problems.append(
            _("The rules' fund (%(rules)s) is not the edition's (%(edition)s).")
            % {"rules": rules.fund, "edition": edition.fund}
        )
    cut_codes = list(edition.cuts.order_by("evidence_deadline").values_list("code", flat=True))
    if cut_codes and list(rules.cuts) != cut_codes:
        problems.append(
            _("The rules' cuts (%(rules)s) are not the edition's (%(edition)s).")
            % {"rules": ", ".join(rules.cuts), "edition": ", ".join(cut_codes)}
        )
    if problems:
        raise RulesRejected(problems)
    last = edition.rules_versions.order_by("-number").first()
    version = RulesVersion.objects.create(
        edition=edition,
        number=1 if last is None else last.number + 1,
        document=document.decode() if isinstance(document, bytes) else document,
        note=note,
        created_by=user,
    )
    audit_record(
        edition=edition,
        actor=user,
        action="rules_version_save",
        obj=version,
        after={"number": version.number, "note": note},
    )
    return version


@transaction.atomic
def registration_open(*, edition: Edition, user: Any, now: datetime | None = None) -> Edition:
    """Freeze the latest rules version: from now on registrations accept exactly it."""
    require_coordinator(user, edition)
    if edition.rules_frozen:
        raise ValidationError(_("Registration is open already."))
    latest = edition.rules_versions.order_by("-number").first()
    if latest is None:
        raise ValidationError(_("Write the rules before opening registration."))
    if not edition.phases.filter(kind=PhaseKind.REGISTRATION).exists():
        raise ValidationError(_("Set the dates of the registration phase first."))
    edition.rules_version = latest
    edition.save(update_fields=["rules_version"])
    audit_record(
        edition=edition,
        actor=user,
        action="registration_open",
        obj=edition,
        after={"rules_version": latest.number},
        at=now,
    )
    return edition


def file_refusal(refused: FileRefused) -> str:
    if refused.code == "empty":
        return _("The file is empty.")
    if refused.code == "too_large":
        max_bytes = refused.params["max_bytes"]
        assert isinstance(max_bytes, int)
        return _("The file is larger than %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}
    return _("The file must be a PDF or an image (PNG, JPEG), judged by its content.")


@transaction.atomic
def registration_submit(
    *,
    edition: Edition,
    municipality: Institution,
    user: Any,
    accept_rules: bool,
    council_act: File,
    now: datetime | None = None,
) -> Registration:
    """Register a municipality within the registration window: it accepts the rules in
    force and uploads its council act. An observed registration may be submitted again;
    the earlier act stays stored (nothing submitted is lost)."""
    now = now or timezone.now()
    if not has_permission(user, Action.CHANGE, municipality):
        raise PermissionDenied(_("You may only register your own municipality."))
    if municipality.kind != Institution.Kind.MUNICIPALITY:
        raise ValidationError(_("Only municipalities take part in a seal."))
    phase = edition.phases.filter(kind=PhaseKind.REGISTRATION).first()
    if (
        not edition.rules_frozen
        or phase is None
        or not window_open(now, phase.starts_at, phase.ends_at)
    ):
        raise ValidationError(_("Registration is not open."))
    if not accept_rules:
        raise ValidationError(_("Accept the rules to register."))
    existing = Registration.objects.filter(edition=edition, municipality=municipality).first()
    if existing is not None and existing.status != RegistrationStatus.OBSERVED:
        raise ValidationError(_("%(name)s is registered already.") % {"name": municipality.name})
    try:
        checked = file_check(
            council_act, allowed=COUNCIL_ACT_KINDS, max_bytes=COUNCIL_ACT_MAX_BYTES
        )
    except FileRefused as refused:
        raise ValidationError(file_refusal(refused)) from refused
    registration = existing or Registration(edition=edition, municipality=municipality)
    before = (
        None
        if existing is None
        else {
            "status": existing.status,
            "council_act": existing.council_act.name,
            "sha256": existing.council_act_sha256,
        }
    )
    registration.rules_version = edition.rules_version  # type: ignore[assignment]
    registration.status = RegistrationStatus.SUBMITTED
    registration.council_act_sha256 = checked.sha256
    registration.council_act_size = checked.size
    registration.council_act_type = checked.content_type
    registration.submitted_by = user
    registration.submitted_at = now
    registration.council_act.save(
        f"{edition.pk}-{municipality.pk}-{checked.sha256[:16]}.{EXTENSIONS[checked.kind]}",
        council_act,
        save=False,
    )
    registration.save()
    audit_record(
        edition=edition,
        actor=user,
        action="registration_submit",
        obj=registration,
        before=before,
        after={"status": registration.status, "sha256": checked.sha256, "size": checked.size},
        at=now,
    )
    return registration


@transaction.atomic
def registration_review(
    *,
    registration: Registration,
    user: Any,
    approve: bool,
    observation: str = "",
    category: str = "",
    now: datetime | None = None,
) -> Registration:
    """The coordinator approves a registration (placing it in one of the rules' categories)
    or observes it with the reason, which the municipality answers by submitting again."""
    edition = registration.edition
    require_coordinator(user, edition)
    if registration.status != RegistrationStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted registration can be reviewed."))
    before = {"status": registration.status, "category": registration.category}
    if approve:
        rules = rules_parse(registration.rules_version.document).value
        categories = [c.code for c in rules.categories] if rules else []
        if category not in categories:
            raise ValidationError(
                _("Choose one of the rules' categories: %(codes)s.")
                % {"codes": ", ".join(categories)}
            )
        registration.status = RegistrationStatus.APPROVED
        registration.category = category
        registration.observation = ""
    else:
        if not observation.strip():
            raise ValidationError(_("Say what the municipality must correct."))
        registration.status = RegistrationStatus.OBSERVED
        registration.observation = observation.strip()
    registration.reviewed_by = user
    registration.reviewed_at = now or timezone.now()
    registration.save()
    audit_record(
        edition=edition,
        actor=user,
        action="registration_approve" if approve else "registration_observe",
        obj=registration,
        before=before,
        after={"status": registration.status, "category": registration.category},
        reason=registration.observation,
        at=registration.reviewed_at,
    )
    return registration
