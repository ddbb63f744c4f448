"""Writes of the means of verification: uploads (added, never replaced), reads checked
against their SHA-256, the evaluators' review (an observation is mailed to the
municipality once the decision is committed) and who reviews what (evaluator
assignments)."""

from __future__ import annotations

import hashlib
import zoneinfo
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission, roles_of
from minka.contests.calendar import reply_deadline
from minka.contests.engine.files import rules_parse
from minka.contests.file_checks import EXTENSIONS, FileKind, FileRefused, file_check
from minka.contests.models import (
    Cut,
    Edition,
    Evidence,
    EvidenceFile,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
    ReviewerAssignment,
)
from minka.contests.notices import observation_notice
from minka.contests.selectors import (
    cut_published,
    edition_rules,
    evidence_assigned,
    evidence_window_open,
    own_territory,
)
from minka.contests.services.common import audit_record, require_coordinator
from minka.contests.services.editions import file_refusal
from minka.territories.models import Institution

EVIDENCE_KINDS = (FileKind.PDF, FileKind.PNG, FileKind.JPEG, FileKind.XLSX)
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024


def _evidence_criterion(registration: Registration, cut: Cut, criterion: str) -> None:
    """Refuse a criterion the frozen rules do not ask evidence for at this cut."""
    rules = rules_parse(registration.rules_version.document).value
    found = next((c for c in rules.criteria if c.code == criterion), None) if rules else None
    if found is None or found.kind != "evidence" or cut.code not in found.cuts:
        raise ValidationError(
            _("The rules ask no means of verification for %(criterion)s at %(cut)s.")
            % {"criterion": criterion, "cut": cut.name}
        )


def _upload_refusal(evidence: Evidence | None, cut: Cut, now: datetime) -> str | None:
    """Why an upload is refused at `now` (the deadline, or a review already made)."""
    if not evidence_window_open(evidence, cut, now):
        deadline = timezone.localtime(
            cut.evidence_deadline, zoneinfo.ZoneInfo(cut.edition.time_zone)
        ).strftime("%d/%m/%Y %H:%M:%S")
        return _(
            "The deadline of %(cut)s was %(deadline)s: means of verification can no "
            "longer be uploaded or changed."
        ) % {"cut": cut.name, "deadline": deadline}
    if evidence is not None and evidence.status in (
        EvidenceStatus.APPROVED,
        EvidenceStatus.REJECTED,
    ):
        return _("This means of verification has been reviewed already.")
    return None


def evidence_upload(
    *,
    registration: Registration,
    cut: Cut,
    criterion: str,
    files: list[File],
    user: Any,
    value: Decimal | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> Evidence:
    """Add files (and a value or comment) to a municipality's means of verification.

    Refused with a clear message after the deadline (unless answering an observation in
    time), for another municipality, for a criterion the rules do not ask, or for a file
    that is not a PDF, image or spreadsheet by its content. Files are only ever added:
    nothing uploaded is replaced or lost. An answered observation goes back to review.

    `now` is the moment the upload arrived, taken first. The files are checked, hashed and
    written before the database transaction, which then only records them (and checks the
    deadline and the evidence's status again under the lock): hundreds of uploads at a
    deadline then hold the database for milliseconds each, not for the seconds it takes
    to hash and write megabytes. A refused upload's written files are removed.
    """
    now = now or timezone.now()
    if not has_permission(user, Action.CHANGE, registration.municipality):
        raise PermissionDenied(_("You may only upload for your own municipality."))
    if registration.status != RegistrationStatus.APPROVED:
        raise ValidationError(_("The registration has not been approved."))
    if cut.edition_id != registration.edition_id:
        raise ValidationError(_("The cut is not of this edition."))
    _evidence_criterion(registration, cut, criterion)
    found = Evidence.objects.filter(registration=registration, cut=cut, criterion=criterion).first()
    refusal = _upload_refusal(found, cut, now)
    if refusal:
        raise ValidationError(refusal)
    if not files and found is None:
        raise ValidationError(_("Attach at least one file."))
    stored: list[tuple[EvidenceFile, str]] = []
    try:
        for upload in files:
            try:
                result = file_check(upload, allowed=EVIDENCE_KINDS, max_bytes=EVIDENCE_MAX_BYTES)
            except FileRefused as refused:
                raise ValidationError(f"{upload.name}: {_evidence_refusal(refused)}") from refused
            row = EvidenceFile(
                original_name=(upload.name or "")[:255],
                sha256=result.sha256,
                size=result.size,
                content_type=result.content_type,
                uploaded_by=user,
                uploaded_at=now,
            )
            row.file.save(f"{result.sha256[:16]}.{EXTENSIONS[result.kind]}", upload, save=False)
            stored.append((row, result.sha256))
        return _evidence_record(
            registration=registration,
            cut=cut,
            criterion=criterion,
            stored=stored,
            user=user,
            value=value,
            comment=comment,
            now=now,
        )
    except BaseException:
        for row, _sha in stored:
            row.file.delete(save=False)
        raise


@transaction.atomic
def _evidence_record(
    *,
    registration: Registration,
    cut: Cut,
    criterion: str,
    stored: list[tuple[EvidenceFile, str]],
    user: Any,
    value: Decimal | None,
    comment: str,
    now: datetime,
) -> Evidence:
    evidence = (
        Evidence.objects.select_for_update()
        .filter(registration=registration, cut=cut, criterion=criterion)
        .first()
    )
    refusal = _upload_refusal(evidence, cut, now)
    if refusal:
        raise ValidationError(refusal)
    before = (
        None if evidence is None else {"status": evidence.status, "files": evidence.files.count()}
    )
    if evidence is None:
        evidence = Evidence(registration=registration, cut=cut, criterion=criterion)
    evidence.value = value
    evidence.comment = comment.strip()
    evidence.status = EvidenceStatus.SUBMITTED
    evidence.reply_until = None
    evidence.updated_at = now
    evidence.save()
    for row, _sha in stored:
        row.evidence = evidence
        row.save()
    audit_record(
        edition=registration.edition,
        actor=user,
        action="evidence_upload",
        obj=evidence,
        before=before,
        after={"status": evidence.status, "files": [sha for _row, sha in stored]},
        at=now,
    )
    return evidence


def _evidence_refusal(refused: FileRefused) -> str:
    if refused.code == "kind_not_allowed":
        return _(
            "the file must be a PDF, an image (PNG, JPEG) or a spreadsheet (xlsx), "
            "judged by its content."
        )
    return file_refusal(refused)


class ChecksumMismatch(Exception):
    """A stored file whose content no longer matches the SHA-256 taken at upload."""


def file_read_verified(*, file: Any, sha256: str) -> bytes:
    """A stored file's content, after checking it is exactly what was uploaded."""
    with file.open("rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ChecksumMismatch(file.name)
    return content


def evidence_file_read(*, stored: EvidenceFile) -> bytes:
    return file_read_verified(file=stored.file, sha256=stored.sha256)


@transaction.atomic
def evidence_review(
    *,
    evidence: Evidence,
    user: Any,
    decision: str,
    reason: str = "",
    now: datetime | None = None,
) -> Evidence:
    """An evaluator approves, observes (with a reason and a reply deadline of the cut's
    reply days) or rejects (with a reason) a means of verification. Only evaluators
    review, never where any of their roles sits (their own territory) and, when the
    edition assigns evaluators, only what their assignments cover. Once the cut's
    scores are published its decisions change only through an appeal (`appeal_resolve`).
    The reviewer is kept on the evidence: the published explanation names them. An
    observation is mailed to the municipality after the commit (a mail failure is logged
    and never undoes the decision)."""
    now = now or timezone.now()
    registration = evidence.registration
    if "evaluator" not in roles_of(user):
        raise PermissionDenied(_("Only evaluators review means of verification."))
    if own_territory(user, registration):
        raise PermissionDenied(_("You cannot review your own territory."))
    if not evidence_assigned(user=user, evidence=evidence):
        raise PermissionDenied(_("This means of verification is not assigned to you."))
    if decision not in (EvidenceStatus.APPROVED, EvidenceStatus.OBSERVED, EvidenceStatus.REJECTED):
        raise ValidationError(_("Approve, observe or reject."))
    if decision != EvidenceStatus.APPROVED and not reason.strip():
        raise ValidationError(_("Give the reason for the observation or the rejection."))
    if evidence.status != EvidenceStatus.SUBMITTED:
        raise ValidationError(_("Only submitted means of verification are reviewed."))
    if cut_published(cut=evidence.cut):
        raise ValidationError(
            _("The scores of %(cut)s are published: a decision now changes only on appeal.")
            % {"cut": evidence.cut.name}
        )
    before = {"status": evidence.status}
    evidence.status = decision
    evidence.reply_until = (
        reply_deadline(now, evidence.cut.reply_days)
        if decision == EvidenceStatus.OBSERVED
        else None
    )
    evidence.reviewed_by = user
    evidence.reviewed_at = now
    evidence.save(update_fields=["status", "reply_until", "reviewed_by", "reviewed_at"])
    audit_record(
        edition=registration.edition,
        actor=user,
        action=f"evidence_{decision}",
        obj=evidence,
        before=before,
        after={
            "status": decision,
            "reply_until": evidence.reply_until.isoformat() if evidence.reply_until else None,
        },
        reason=reason.strip(),
        at=now,
    )
    if decision == EvidenceStatus.OBSERVED:
        transaction.on_commit(partial(observation_notice, evidence), robust=True)
    return evidence


@transaction.atomic
def reviewer_assign(
    *,
    edition: Edition,
    evaluator: Any,
    user: Any,
    component: str = "",
    municipality: Institution | None = None,
    now: datetime | None = None,
) -> ReviewerAssignment:
    """A coordinator assigns an evaluator a component of the rules, a registered
    municipality, or a component in one municipality. Refused for someone who is not an
    evaluator, a component the rules do not have, a municipality not registered in the
    edition, a municipality in the evaluator's own territory (where any of their roles
    sits), and an assignment that exists already. From the first assignment on, each
    evaluator of the edition reviews only what their assignments cover."""
    now = now or timezone.now()
    require_coordinator(user, edition)
    component = component.strip()
    if "evaluator" not in roles_of(evaluator):
        raise ValidationError(
            _("%(user)s is not an evaluator.") % {"user": evaluator.get_username()}
        )
    if not component and municipality is None:
        raise ValidationError(_("Choose a component, a municipality or both."))
    if component:
        rules = edition_rules(edition=edition)
        if rules is None or component not in {c.code for c in rules.components}:
            raise ValidationError(
                _("The rules have no component %(component)s.") % {"component": component}
            )
    if municipality is not None:
        registration = edition.registrations.filter(municipality=municipality).first()
        if registration is None:
            raise ValidationError(
                _("%(name)s is not registered in this edition.") % {"name": municipality.name}
            )
        if own_territory(evaluator, registration):
            raise ValidationError(
                _("%(user)s cannot evaluate %(name)s: it is their own territory.")
                % {"user": evaluator.get_username(), "name": municipality.name}
            )
    if ReviewerAssignment.objects.filter(
        edition=edition, evaluator=evaluator, component=component, municipality=municipality
    ).exists():
        raise ValidationError(_("This assignment exists already."))
    assignment = ReviewerAssignment.objects.create(
        edition=edition,
        evaluator=evaluator,
        component=component,
        municipality=municipality,
        created_by=user,
        created_at=now,
    )
    audit_record(
        edition=edition,
        actor=user,
        action="reviewer_assign",
        obj=assignment,
        after=_assignment_facts(assignment),
        at=now,
    )
    return assignment


@transaction.atomic
def reviewer_unassign(
    *, assignment: ReviewerAssignment, user: Any, now: datetime | None = None
) -> None:
    """A coordinator removes an assignment (logged with what it was). Removing the last
    one of an edition lets every evaluator review everything again (never their own
    territory)."""
    now = now or timezone.now()
    edition = assignment.edition
    require_coordinator(user, edition)
    audit_record(
        edition=edition,
        actor=user,
        action="reviewer_unassign",
        obj=assignment,
        before=_assignment_facts(assignment),
        at=now,
    )
    assignment.delete()


def _assignment_facts(assignment: ReviewerAssignment) -> dict[str, Any]:
    return {
        "evaluator": assignment.evaluator.get_username(),
        "component": assignment.component,
        "municipality": assignment.municipality.name if assignment.municipality else None,
        "municipality_id": assignment.municipality_id,
    }
