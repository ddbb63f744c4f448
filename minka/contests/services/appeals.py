"""Appeals: a municipality's officials appeal a decision on their means of verification
within the edition's window after a publication; a coordinator accepts (the evidence is
approved by a new, audited review) or rejects it. The scores change only when the
coordinator publishes the next version, which shows what changed.

When the decision is disputed the coordinator may first ask a second evaluator (not the
one who decided, never of their own territory) for an opinion, recorded on the appeal;
the coordinator's resolution stays the final word."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.accounts.permissions import roles_of
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
from minka.contests.selectors import municipalities_of, own_territory, score_version_latest
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


@transaction.atomic
def appeal_second_review_request(
    *, appeal: Appeal, evaluator: Any, user: Any, now: datetime | None = None
) -> Appeal:
    """A coordinator asks a second evaluator to review the appealed decision. Only while
    the appeal is open and no second decision has been given (asking again names another
    evaluator, logged with the one replaced); the second evaluator must be an evaluator,
    not the one who made the decision appealed, and not of the municipality's territory."""
    now = now or timezone.now()
    edition = appeal.registration.edition
    require_coordinator(user, edition)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError(_("The appeal has been resolved already."))
    if appeal.second_decision:
        raise ValidationError(_("The second reviewer has decided already."))
    if "evaluator" not in roles_of(evaluator):
        raise ValidationError(
            _("%(user)s is not an evaluator.") % {"user": evaluator.get_username()}
        )
    evidence = Evidence.objects.filter(
        registration=appeal.registration, cut=appeal.cut, criterion=appeal.criterion
    ).first()
    if evidence is not None and evidence.reviewed_by_id == evaluator.pk:
        raise ValidationError(
            _("%(user)s made the decision appealed: ask another evaluator.")
            % {"user": evaluator.get_username()}
        )
    if own_territory(evaluator, appeal.registration):
        raise ValidationError(
            _("%(user)s cannot evaluate %(name)s: it is their own territory.")
            % {"user": evaluator.get_username(), "name": appeal.registration.municipality.name}
        )
    before = {
        "second_reviewer": appeal.second_reviewer.get_username() if appeal.second_reviewer else None
    }
    appeal.second_reviewer = evaluator
    appeal.second_requested_at = now
    appeal.save(update_fields=["second_reviewer", "second_requested_at"])
    audit_record(
        edition=edition,
        actor=user,
        action="appeal_second_review_request",
        obj=appeal,
        before=before,
        after={"second_reviewer": evaluator.get_username()},
        at=now,
    )
    return appeal


@transaction.atomic
def appeal_second_review_record(
    *,
    appeal: Appeal,
    user: Any,
    decision: str,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """The second evaluator's opinion on the appealed decision: approve the means of
    verification or uphold the decision, with a reason. Only the evaluator asked, once,
    while the appeal is open. It changes no evidence and no score: the coordinator reads
    it and resolves the appeal (`appeal_resolve`)."""
    now = now or timezone.now()
    edition = appeal.registration.edition
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.second_reviewer_id is None or appeal.second_reviewer_id != getattr(user, "pk", None):
        raise PermissionDenied(_("The second review of this appeal was not asked of you."))
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError(_("The appeal has been resolved already."))
    if appeal.second_decision:
        raise ValidationError(_("The second reviewer has decided already."))
    if decision not in (EvidenceStatus.APPROVED, EvidenceStatus.REJECTED):
        raise ValidationError(_("Approve the means of verification or uphold the decision."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason for your decision."))
    appeal.second_decision = decision
    appeal.second_reason = reason
    appeal.second_decided_at = now
    appeal.save(update_fields=["second_decision", "second_reason", "second_decided_at"])
    audit_record(
        edition=edition,
        actor=user,
        action="appeal_second_review",
        obj=appeal,
        before={"second_decision": ""},
        after={"second_decision": decision},
        reason=reason,
        at=now,
    )
    return appeal
