"""Evaluator assignments and second reviews, as the coordinator of Cusco, the evaluator
(assigned to the PLAN component), a second evaluator and an evaluator who is also an
official of the Cusco province (whose territory holds San Jerónimo) do it.

Without assignments every evaluator reviews every municipality but their own territory;
from the first assignment of an edition on, each evaluator reviews only what their own
assignments cover. Rules: minka/contests/examples/rules.json (PLAN-01 of component PLAN
and AGUA-02 of component AGUA are asked at 2025S1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from minka.accounts.models import Role
from minka.accounts.services import role_assign, user_create
from minka.contests import services
from minka.contests.models import Appeal, AuditEntry, EvidenceStatus, ReviewerAssignment
from minka.contests.selectors import review_queue
from minka.contests.services.appeals import (
    appeal_second_review_record,
    appeal_second_review_request,
)
from minka.contests.services.evidence import reviewer_assign, reviewer_unassign
from minka.contests.tests.test_evidence import cut, registration, upload  # noqa: F401
from minka.contests.tests.test_registration import OPENS, edition  # noqa: F401
from minka.contests.tests.test_scores import PUBLISHED, appeal, scored  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def evaluator(username, *, official_of=None):
    user = user_create(username=username, password="correct horse battery")
    role_assign(user=user, role=Role.EVALUATOR)
    if official_of is not None:
        role_assign(user=user, role=Role.MUNICIPAL_OFFICIAL, institution=official_of)
    return user


@pytest.fixture
def sent(registration, cut, personas):  # noqa: F811
    """San Jerónimo's PLAN-01 and AGUA-02 at 2025S1, waiting for review."""
    return {
        criterion: upload(registration, cut, personas, at=OPENS, criterion=criterion)
        for criterion in ("PLAN-01", "AGUA-02")
    }


def test_an_evaluator_assigned_to_plan_sees_and_reviews_plan_only(
    sent, edition, personas  # noqa: F811
):
    other = evaluator("evaluador_agua")
    assert {e.criterion for e in review_queue(edition=edition, user=personas.evaluator)} == {
        "PLAN-01", "AGUA-02"}  # no assignments yet: everything but their own territory

    reviewer_assign(edition=edition, evaluator=personas.evaluator, component="PLAN",
                    user=personas.cusco_coordinator)

    assert [e.criterion for e in review_queue(edition=edition, user=personas.evaluator)] == [
        "PLAN-01"]
    assert review_queue(edition=edition, user=other) == []  # no assignment of their own
    with pytest.raises(PermissionDenied):
        services.evidence_review(evidence=sent["AGUA-02"], user=personas.evaluator,
                                 decision="approved")
    with pytest.raises(PermissionDenied):
        services.evidence_review(evidence=sent["PLAN-01"], user=other, decision="approved")
    services.evidence_review(evidence=sent["PLAN-01"], user=personas.evaluator,
                             decision="approved")
    sent["AGUA-02"].refresh_from_db()
    assert sent["AGUA-02"].status == EvidenceStatus.SUBMITTED
    entry = AuditEntry.objects.get(action="reviewer_assign")
    assert (entry.actor, entry.after["component"], entry.after["evaluator"]) == (
        personas.cusco_coordinator, "PLAN", "evaluadora")


def test_a_municipality_assignment_and_its_removal(sent, edition, personas, tree):  # noqa: F811
    assignment = reviewer_assign(edition=edition, evaluator=personas.evaluator,
                                 municipality=tree.muni_san_jeronimo,
                                 user=personas.cusco_coordinator)
    reviewer_assign(edition=edition, evaluator=evaluator("evaluador_agua"), component="AGUA",
                    user=personas.cusco_coordinator)
    assert len(review_queue(edition=edition, user=personas.evaluator)) == 2

    reviewer_unassign(assignment=assignment, user=personas.cusco_coordinator)

    assert review_queue(edition=edition, user=personas.evaluator) == []
    entry = AuditEntry.objects.get(action="reviewer_unassign")
    assert entry.before["municipality_id"] == tree.muni_san_jeronimo.pk


def test_assigning_an_evaluator_to_their_own_territory_is_refused(
    sent, edition, personas, tree  # noqa: F811
):
    local = evaluator("evaluador_local", official_of=tree.muni_cusco_province)

    with pytest.raises(ValidationError, match="evaluador_local"):
        reviewer_assign(edition=edition, evaluator=local, municipality=tree.muni_san_jeronimo,
                        user=personas.cusco_coordinator)
    with pytest.raises(ValidationError):  # an official is no evaluator
        reviewer_assign(edition=edition, evaluator=personas.san_jeronimo_official,
                        component="PLAN", user=personas.cusco_coordinator)
    with pytest.raises(ValidationError):  # the rules have no such component
        reviewer_assign(edition=edition, evaluator=personas.evaluator, component="SALUD",
                        user=personas.cusco_coordinator)
    with pytest.raises(ValidationError):  # neither a component nor a municipality
        reviewer_assign(edition=edition, evaluator=personas.evaluator,
                        user=personas.cusco_coordinator)
    with pytest.raises(PermissionDenied):  # another region's coordinator
        reviewer_assign(edition=edition, evaluator=personas.evaluator, component="PLAN",
                        user=personas.apurimac_coordinator)
    assert not ReviewerAssignment.objects.exists()
    assert not AuditEntry.objects.filter(action="reviewer_assign").exists()


def test_the_evaluators_page(client, sent, edition, personas, tree):  # noqa: F811
    page_url = reverse("contests:assignments", args=[edition.contest.code, edition.year])
    local = evaluator("evaluador_local", official_of=tree.muni_cusco_province)
    client.force_login(personas.cusco_coordinator)

    refused = client.post(page_url, {"evaluator": local.pk,
                                     "municipality": tree.muni_san_jeronimo.pk})
    added = client.post(page_url, {"evaluator": personas.evaluator.pk, "component": "PLAN"})

    assert refused.status_code == 400 and "evaluador_local" in refused.content.decode()
    assert added.status_code == 302
    assignment = ReviewerAssignment.objects.get()
    assert (assignment.evaluator, assignment.component) == (personas.evaluator, "PLAN")
    client.force_login(personas.evaluator)
    assert "PLAN" in client.get(page_url).content.decode()
    assert client.post(page_url, {"evaluator": personas.evaluator.pk,
                                  "component": "AGUA"}).status_code == 403
    client.force_login(personas.san_jeronimo_official)
    assert client.get(page_url).status_code == 403
    client.force_login(personas.cusco_coordinator)
    remove = reverse("contests:assignment_remove",
                     args=[edition.contest.code, edition.year, assignment.pk])
    assert client.post(remove).status_code == 302
    assert not ReviewerAssignment.objects.exists()


# --- a second reviewer on a disputed decision --------------------------------------------


def test_a_second_review_is_recorded_audited_and_shown_but_the_coordinator_decides(
    client, scored  # noqa: F811
):
    scored.freeze()
    scored.publish()
    filed = appeal(scored, now=PUBLISHED + timedelta(days=1))  # San Jerónimo's PLAN-01
    second = evaluator("evaluador_segundo")
    coordinator = scored.coordinator

    with pytest.raises(ValidationError):  # who rejected it cannot be the second reviewer
        appeal_second_review_request(appeal=filed, evaluator=scored.personas.evaluator,
                                     user=coordinator)
    with pytest.raises(PermissionDenied):
        appeal_second_review_request(appeal=filed, evaluator=second,
                                     user=scored.personas.evaluator)
    appeal_second_review_request(appeal=filed, evaluator=second, user=coordinator,
                                 now=PUBLISHED + timedelta(days=2))
    with pytest.raises(PermissionDenied):  # only the evaluator asked
        appeal_second_review_record(appeal=filed, user=scored.personas.evaluator,
                                    decision="approved", reason="Está bien.")
    appeal_second_review_record(appeal=filed, user=second, decision="approved",
                                reason="La ordenanza N.° 12-2023 está firmada y publicada.",
                                now=PUBLISHED + timedelta(days=3))
    with pytest.raises(ValidationError):  # once
        appeal_second_review_record(appeal=filed, user=second, decision="rejected",
                                    reason="Cambio de opinión.")

    filed = Appeal.objects.get(pk=filed.pk)
    assert (filed.second_reviewer, filed.second_decision, filed.status) == (
        second, "approved", "open")
    assert filed.second_reason.startswith("La ordenanza N.° 12-2023")
    scored.evidence_sj.refresh_from_db()
    assert scored.evidence_sj.status == EvidenceStatus.REJECTED  # an opinion changes nothing
    actions = list(AuditEntry.objects.filter(object_type="Appeal").values_list(
        "action", "actor__username"))
    assert ("appeal_second_review_request", coordinator.username) in actions
    assert ("appeal_second_review", "evaluador_segundo") in actions

    client.force_login(coordinator)
    html = client.get(reverse("contests:assignments",
                              args=[scored.edition.contest.code, scored.edition.year])).content
    assert "La ordenanza N.° 12-2023 está firmada y publicada." in html.decode()

    services.appeal_resolve(appeal=filed, user=coordinator, accept=False,
                            resolution="El plan se aprobó después del corte.",
                            now=PUBLISHED + timedelta(days=4))
    filed.refresh_from_db()
    assert filed.status == "rejected"  # the coordinator's word is the final one


def test_the_second_evaluator_records_the_decision_on_the_page(client, scored):  # noqa: F811
    scored.freeze()
    scored.publish()
    filed = appeal(scored, now=PUBLISHED + timedelta(days=1))
    second = evaluator("evaluador_segundo")
    appeal_second_review_request(appeal=filed, evaluator=second, user=scored.coordinator)
    args = [scored.edition.contest.code, scored.edition.year, filed.pk]
    record = reverse("contests:second_review_record", args=args)

    client.force_login(scored.personas.evaluator)  # not asked: learns nothing
    assert client.post(record, {f"second-{filed.pk}-decision": "approved",
                                f"second-{filed.pk}-reason": "Sí."}).status_code == 404
    client.force_login(second)
    page = client.get(reverse("contests:assignments", args=args[:2])).content.decode()
    assert scored.san_jeronimo.municipality.name in page
    assert "El plan no tiene ordenanza." in page  # the decision appealed, with its reason
    missing = client.post(record, {f"second-{filed.pk}-decision": "rejected"})
    done = client.post(record, {f"second-{filed.pk}-decision": "rejected",
                                f"second-{filed.pk}-reason": "No hay ordenanza."})

    assert missing.status_code == 400 and done.status_code == 302
    filed.refresh_from_db()
    assert (filed.second_decision, filed.second_reason) == ("rejected", "No hay ordenanza.")
