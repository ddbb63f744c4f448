"""Appeals: a municipality's officials appeal a decision on their means of verification
within the edition's window after a publication; a coordinator accepts (the evidence is
approved by a new, audited review) or rejects it. The scores change only when the
coordinator publishes the next version, which shows what changed."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.contests.calendar import deadline_passed
from minka.contests.models import (
    Appeal,
    AppealStatus,
    CriterionScore,
    Cut,
    Evidence,
    EvidenceStatus,
    Registration,
    ScoreVersion,
)
from minka.contests.selectors import municipalities_of, score_version_latest
from minka.contests.services.common import audit_record, require_coordinator


def appeal_deadline(version: ScoreVersion) -> datetime:
    """The last instant to appeal against a version: `appeal_days` whole days after its
    publication (that instant included)."""
    return version.published_at + timedelta(days=version.edition.appeal_days)


@transaction.atomic
def appeal_file(
    *,
    registration: Registration,
    cut: Cut,
    criterion: str,
    reason: str,
    user: Any,
    now: datetime | None = None,
) -> Appeal:
    """Appeal the decision on a means of verification in the latest published version.

    Only the municipality's own officials, only within the window, with a reason; only a
    decision that exists and is not an approval (an indicator value is frozen at the cut
    and cannot be appealed; nothing uploaded is no decision); one appeal per decision
    and version."""
    now = now or timezone.now()
    edition = registration.edition
    if registration.municipality not in municipalities_of(user=user):
        raise PermissionDenied(_("Only the municipality's officials appeal its scores."))
    version = score_version_latest(edition=edition)
    if version is None:
        raise ValidationError(_("No scores have been published: there is nothing to appeal."))
    closes = appeal_deadline(version)
    if deadline_passed(now, closes):
        raise ValidationError(
            _("Appeals against version %(number)s closed on %(date)s.")
            % {
                "number": version.number,
                "date": timezone.localtime(closes, zoneinfo.ZoneInfo(edition.time_zone)).strftime(
                    "%d/%m/%Y %H:%M:%S"
                ),
            }
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the decision should change."))
    score = CriterionScore.objects.filter(
        version=version, registration=registration, cut=cut, criterion=criterion
    ).first()
    if score is None:
        raise ValidationError(
            _("Version %(number)s has no score for %(criterion)s at %(cut)s.")
            % {"number": version.number, "criterion": criterion, "cut": cut.name}
        )
    if score.explanation.get("kind") != "evidence":
        raise ValidationError(
            _(
                "Only decisions on means of verification can be appealed: indicator values "
                "are frozen at the cut."
            )
        )
    evidence = Evidence.objects.filter(
        registration=registration, cut=cut, criterion=criterion
    ).first()
    if evidence is None:
        raise ValidationError(
            _("Nothing was uploaded for %(criterion)s at %(cut)s: there is no decision to appeal.")
            % {"criterion": criterion, "cut": cut.name}
        )
    if evidence.status == EvidenceStatus.APPROVED:
        raise ValidationError(_("This means of verification is approved already."))
    if Appeal.objects.filter(
        registration=registration, cut=cut, criterion=criterion, version=version
    ).exists():
        raise ValidationError(_("This decision has been appealed already."))
    appeal = Appeal.objects.create(
        version=version,
        registration=registration,
        cut=cut,
        criterion=criterion,
        reason=reason,
        filed_by=user,
        filed_at=now,
    )
    audit_record(
        edition=edition,
        actor=user,
        action="appeal_file",
        obj=appeal,
        after={
            "version": version.number,
            "cut": cut.code,
            "criterion": criterion,
            "evidence_status": evidence.status,
        },
        reason=reason,
        at=now,
    )
    return appeal


@transaction.atomic
def appeal_resolve(
    *,
    appeal: Appeal,
    user: Any,
    accept: bool,
    resolution: str,
    now: datetime | None = None,
) -> Appeal:
    """A coordinator resolves an open appeal with the resolution's text. Accepted: the
    evidence is approved by a new review in the coordinator's name (audited, with the
    decision it replaces). Rejected: nothing else changes."""
    now = now or timezone.now()
    edition = appeal.registration.edition
    require_coordinator(user, edition)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError(_("The appeal has been resolved already."))
    resolution = resolution.strip()
    if not resolution:
        raise ValidationError(_("Write the resolution: the municipality reads it."))
    if accept:
        evidence = Evidence.objects.select_for_update().get(
            registration=appeal.registration, cut=appeal.cut, criterion=appeal.criterion
        )
        before = {"status": evidence.status}
        evidence.status = EvidenceStatus.APPROVED
        evidence.reply_until = None
        evidence.reviewed_by = user
        evidence.reviewed_at = now
        evidence.save(update_fields=["status", "reply_until", "reviewed_by", "reviewed_at"])
        audit_record(
            edition=edition,
            actor=user,
            action="evidence_approved_on_appeal",
            obj=evidence,
            before=before,
            after={"status": evidence.status, "appeal": appeal.pk},
            reason=resolution,
            at=now,
        )
    appeal.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    appeal.resolution = resolution
    appeal.resolved_by = user
    appeal.resolved_at = now
    appeal.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    audit_record(
        edition=edition,
        actor=user,
        action="appeal_accept" if accept else "appeal_reject",
        obj=appeal,
        before={"status": AppealStatus.OPEN.value},
        after={"status": appeal.status},
        reason=resolution,
        at=now,
    )
    return appeal
