"""Reads of the seal contest: what a municipality must upload at each cut, and whether it
still may; published score versions and appeals (the results as page data are in
`results.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission, role_assignments, roles_of
from minka.contests.calendar import deadline_passed, time_left
from minka.contests.engine.files import rules_parse
from minka.contests.engine.model import Rules
from minka.contests.models import (
    Appeal,
    AuditEntry,
    Cut,
    Edition,
    Evidence,
    EvidenceFile,
    EvidenceStatus,
    Registration,
    ReviewerAssignment,
    RulesVersion,
    ScoreVersion,
)
from minka.territories.models import Institution


def evidence_window_open(evidence: Evidence | None, cut: Cut, now: datetime) -> bool:
    """Uploads are accepted until the cut's deadline; after it, only to answer an
    observation, until its reply deadline."""
    if not deadline_passed(now, cut.evidence_deadline):
        return True
    return (
        evidence is not None
        and evidence.status == EvidenceStatus.OBSERVED
        and evidence.reply_until is not None
        and not deadline_passed(now, evidence.reply_until)
    )


@dataclass(frozen=True)
class ChecklistItem:
    """One means of verification due: where it stands and how long is left."""

    cut: Cut
    criterion: str
    name: str
    component: str
    mandatory: bool
    evidence: Evidence | None
    status: str  # "due", "missing" (deadline passed, nothing sent) or the evidence's status
    open: bool
    time_left: timedelta


def evidence_checklist(
    *, registration: Registration, now: datetime | None = None
) -> list[ChecklistItem]:
    """Every evidence criterion of the frozen rules at every cut that asks it, in cut then
    rules order, with the municipality's evidence if any (one query for the evidence)."""
    now = now or timezone.now()
    rules = rules_parse(registration.rules_version.document).value
    if rules is None:
        return []
    sent = {(e.cut_id, e.criterion): e for e in registration.evidence.all()}
    items = []
    for cut in registration.edition.cuts.order_by("evidence_deadline"):
        for criterion in rules.criteria:
            if criterion.kind != "evidence" or cut.code not in criterion.cuts:
                continue
            evidence = sent.get((cut.pk, criterion.code))
            is_open = evidence_window_open(evidence, cut, now)
            if evidence is not None:
                status = evidence.status
            else:
                status = "missing" if deadline_passed(now, cut.evidence_deadline) else "due"
            deadline = (
                evidence.reply_until
                if evidence is not None and evidence.reply_until and is_open
                else cut.evidence_deadline
            )
            items.append(
                ChecklistItem(
                    cut=cut,
                    criterion=criterion.code,
                    name=criterion.name,
                    component=criterion.component,
                    mandatory=criterion.mandatory,
                    evidence=evidence,
                    status=status,
                    open=is_open,
                    time_left=time_left(now, deadline),
                )
            )
    return items


def edition_list() -> QuerySet[Edition]:
    return Edition.objects.select_related("contest", "contest__territory").order_by(
        "contest__code", "-year"
    )


def edition_or_404(*, code: str, year: int) -> Edition:
    edition = edition_list().filter(contest__code=code, year=year).first()
    if edition is None:
        raise Http404(_("There is no edition %(year)s of %(code)s.") % {"code": code, "year": year})
    return edition


def edition_rules(*, edition: Edition) -> Rules | None:
    """The rules in force (frozen), else the latest version; None when there are none."""
    version = edition.rules_version or edition.rules_versions.order_by("-number").first()
    return None if version is None else rules_parse(version.document).value


def is_coordinator(*, user: Any, edition: Edition) -> bool:
    return has_permission(user, Action.CHANGE, edition.contest.territory)


def municipalities_of(*, user: Any) -> list[Institution]:
    """The municipalities a user answers for (a municipal official's own)."""
    return [
        a.institution
        for a in role_assignments(user)
        if a.role == "municipal_official"
        and a.institution is not None
        and a.institution.kind == Institution.Kind.MUNICIPALITY
    ]


def registration_list(*, edition: Edition) -> QuerySet[Registration]:
    return edition.registrations.select_related("municipality__territory").order_by(
        "status", "municipality__name"
    )


def registration_or_404(*, edition: Edition, pk: int) -> Registration:
    registration = registration_list(edition=edition).filter(pk=pk).first()
    if registration is None:
        raise Http404(_("There is no such registration."))
    return registration


def may_see_registration(*, user: Any, registration: Registration) -> bool:
    """The municipality's own officials, the coordinators and the evaluators."""
    return (
        has_permission(user, Action.CHANGE, registration.municipality)
        or is_coordinator(user=user, edition=registration.edition)
        or "evaluator" in roles_of(user)
    )


def own_territory(user: Any, registration: Registration) -> bool:
    """Whether any of the user's roles sits in the municipality's territory or is the
    municipality itself (an evaluator never reviews their own territory)."""
    territory = registration.municipality.territory
    for assignment in role_assignments(user):
        scope = assignment.territory or (
            assignment.institution.territory if assignment.institution else None
        )
        if scope is not None and (
            territory.path.startswith(scope.path) and scope.level != "country"
        ):
            return True
    return False


def reviewer_assignment_list(*, edition: Edition) -> QuerySet[ReviewerAssignment]:
    return edition.reviewer_assignments.select_related(
        "evaluator", "municipality", "created_by"
    ).order_by("evaluator__username", "component", "municipality__name", "pk")


def criterion_components(version_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """For each rules version, its criteria's components (criterion code → component)."""
    found: dict[int, dict[str, str]] = {}
    for version in RulesVersion.objects.filter(pk__in=set(version_ids)):
        rules = rules_parse(version.document).value
        found[version.pk] = {c.code: c.component for c in rules.criteria} if rules else {}
    return found


def _covered(
    assignments: Iterable[ReviewerAssignment], *, component: str, municipality_id: int
) -> bool:
    return any(
        (not a.component or a.component == component)
        and (a.municipality_id is None or a.municipality_id == municipality_id)
        for a in assignments
    )


def _assigned(
    user: Any,
    evidence: Evidence,
    assignments: list[ReviewerAssignment],
    components: dict[int, dict[str, str]],
) -> bool:
    """With the edition's evaluator assignments (all of them) and its rules' components
    (`criterion_components`): always when there are none; else only when one of the
    user's own covers the criterion's component and the municipality."""
    if not assignments:
        return True
    registration = evidence.registration
    return _covered(
        [a for a in assignments if a.evaluator_id == getattr(user, "pk", None)],
        component=components.get(registration.rules_version_id, {}).get(evidence.criterion, ""),
        municipality_id=registration.municipality_id,
    )


def _reviewable(
    user: Any,
    evidence: Evidence,
    assignments: list[ReviewerAssignment],
    components: dict[int, dict[str, str]],
) -> bool:
    """The review queue's rule for one means of verification: never the user's own
    territory, and only what the edition's assignments give the user (`_assigned`)."""
    return not own_territory(user, evidence.registration) and _assigned(
        user, evidence, assignments, components
    )


def _assignments(evidence: Evidence) -> tuple[list[ReviewerAssignment], dict[int, dict[str, str]]]:
    registration = evidence.registration
    assignments = list(ReviewerAssignment.objects.filter(edition_id=registration.edition_id))
    components = criterion_components([registration.rules_version_id]) if assignments else {}
    return assignments, components


def evidence_assigned(*, user: Any, evidence: Evidence) -> bool:
    """Whether the edition's evaluator assignments let this user review the evidence:
    always when the edition has none; else only when one of the user's own covers the
    criterion's component and the municipality."""
    return _assigned(user, evidence, *_assignments(evidence))


def evidence_decision(*, evidence: Evidence, action: str = "") -> AuditEntry | None:
    """The audit entry of the latest evaluator decision on the evidence (or of the
    latest one of `action`, e.g. "evidence_observed"): it keeps the decision's reason."""
    decisions = ["evidence_approved", "evidence_observed", "evidence_rejected"]
    actions = [action] if action else decisions
    return (
        AuditEntry.objects.filter(
            object_type="Evidence", object_id=str(evidence.pk), action__in=actions
        )
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )


def review_queue(*, edition: Edition, user: Any) -> list[Evidence]:
    """Submitted means of verification an evaluator may review (`_reviewable`: never
    their own territory; when the edition has evaluator assignments, only what the
    user's own cover), oldest first."""
    pending = list(
        Evidence.objects.filter(registration__edition=edition, status=EvidenceStatus.SUBMITTED)
        .select_related("registration__municipality__territory", "cut")
        .prefetch_related("files")
        .order_by("updated_at", "pk")
    )
    assignments = list(ReviewerAssignment.objects.filter(edition=edition))
    components = criterion_components(e.registration.rules_version_id for e in pending)
    return [e for e in pending if _reviewable(user, e, assignments, components)]


def evidence_files_open(*, user: Any, registration: Registration) -> bool:
    """Whether the user opens every file of the registration's means of verification:
    the municipality's own officials and the contest's coordinators (a national admin
    among them) do."""
    return has_permission(user, Action.CHANGE, registration.municipality) or is_coordinator(
        user=user, edition=registration.edition
    )


def evidence_downloadable(
    *, user: Any, registration: Registration, evidence: Sequence[Evidence]
) -> set[int]:
    """Which of these means of verification (all of one registration) the user may
    download the files of: all of them for whoever opens every file of the registration
    (`evidence_files_open`); for an evaluator only what the review queue's rule gives them
    (`_reviewable`), or what a coordinator asked them to review a second time on an
    appeal. Anyone else never learns the files exist. One pass of queries for the lot,
    however long the checklist."""
    if evidence_files_open(user=user, registration=registration):
        return {e.pk for e in evidence}
    if not evidence or "evaluator" not in roles_of(user):
        return set()
    assignments = list(ReviewerAssignment.objects.filter(edition_id=registration.edition_id))
    components = criterion_components([registration.rules_version_id]) if assignments else {}
    second_reviews = set(
        Appeal.objects.filter(
            registration_id=registration.pk, second_reviewer_id=getattr(user, "pk", None)
        ).values_list("cut_id", "criterion")
    )
    return {
        e.pk
        for e in evidence
        if _reviewable(user, e, assignments, components)
        or (e.cut_id, e.criterion) in second_reviews
    }


def evidence_file_or_404(*, pk: int) -> EvidenceFile:
    found = (
        EvidenceFile.objects.select_related(
            "evidence__registration__municipality", "evidence__registration__edition__contest"
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404(_("There is no such file."))
    return found


def audit_list(*, edition: Edition) -> QuerySet[AuditEntry]:
    return edition.audit.select_related("actor").order_by("-at", "-pk")


# --- scores, results and appeals ------------------------------------------------------------


def cut_published(*, cut: Cut) -> bool:
    """Whether some published version includes the cut (its scores are then frozen)."""
    return any(
        cut.code in version.cuts
        for version in ScoreVersion.objects.filter(edition_id=cut.edition_id).only("cuts")
    )


def score_version_list(*, edition: Edition) -> QuerySet[ScoreVersion]:
    """The published versions, newest first (every stored version is published: a
    version is created by publishing it)."""
    return edition.score_versions.select_related("published_by").order_by("-number")


def score_version_latest(*, edition: Edition) -> ScoreVersion | None:
    return score_version_list(edition=edition).first()


def score_version_or_404(*, edition: Edition, number: int | None = None) -> ScoreVersion:
    """The version asked for, else the latest; 404 when there is none (the public never
    learns anything of scores that have not been published)."""
    versions = score_version_list(edition=edition)
    version = versions.first() if number is None else versions.filter(number=number).first()
    if version is None:
        raise Http404(_("The results of this edition have not been published."))
    return version


def appeal_list(*, edition: Edition) -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(registration__edition=edition)
        .select_related("registration__municipality", "cut", "version", "filed_by", "resolved_by")
        .order_by("status", "-filed_at", "-pk")
    )


def appeal_or_404(*, edition: Edition, pk: int) -> Appeal:
    appeal = appeal_list(edition=edition).filter(pk=pk).first()
    if appeal is None:
        raise Http404(_("There is no such appeal."))
    return appeal


def registration_appeals(*, registration: Registration) -> QuerySet[Appeal]:
    return registration.appeals.select_related("cut", "version").order_by("-filed_at", "-pk")
