"""Means of verification at the cut's deadline, one second either side in two time zones;
files checked by content, never replaced; observations answered within their window;
evaluators never review their own territory. Rules: minka/contests/examples/rules.json
(PLAN-01 is asked at both cuts, AGUA-02 only at 2025S1)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from minka.accounts.models import Role
from minka.accounts.services import role_assign, user_create
from minka.contests import services
from minka.contests.models import AuditEntry, Evidence, EvidenceFile, EvidenceStatus
from minka.contests.selectors import evidence_checklist
from minka.contests.tests.test_registration import OPENS, PDF, SECOND, edition  # noqa: F401

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def registration(edition, personas, tree):  # noqa: F811
    registration = services.registration_submit(
        edition=edition, municipality=tree.muni_san_jeronimo,
        user=personas.san_jeronimo_official, accept_rules=True,
        council_act=ContentFile(PDF, name="acta.pdf"), now=OPENS,
    )
    return services.registration_review(registration=registration,
                                        user=personas.cusco_coordinator, approve=True,
                                        category="A")


@pytest.fixture
def cut(edition):  # noqa: F811
    return edition.cuts.get(code="2025S1")  # deadline 10 July 2025, 23:59:59 in Lima


def upload(registration, cut, personas, *, at, criterion="PLAN-01", content=PDF, user=None):
    return services.evidence_upload(
        registration=registration, cut=cut, criterion=criterion,
        files=[ContentFile(content, name="ordenanza.pdf")],
        user=user or personas.san_jeronimo_official, now=at,
    )


@pytest.mark.parametrize("zone", [ZoneInfo("America/Lima"), TOKYO])
def test_the_last_second_is_on_time(registration, cut, personas, zone):
    evidence = upload(registration, cut, personas, at=cut.evidence_deadline.astimezone(zone))

    (stored,) = evidence.files.all()
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (stored.size, stored.content_type) == (len(PDF), "application/pdf")


@pytest.mark.parametrize("zone", [ZoneInfo("America/Lima"), TOKYO])
def test_one_second_late_is_refused_with_the_deadline_in_lima_time(registration, cut,
                                                                     personas, zone):
    late = (cut.evidence_deadline + SECOND).astimezone(zone)

    with pytest.raises(ValidationError) as refused:
        upload(registration, cut, personas, at=late)

    assert "10/07/2025 23:59:59" in str(refused.value)
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()


def test_files_are_added_never_replaced_and_frozen_after_the_deadline(registration, cut,
                                                                       personas):
    upload(registration, cut, personas, at=OPENS)
    upload(registration, cut, personas, at=OPENS + SECOND, content=PDF + b"v2\n")
    with pytest.raises(ValidationError):
        upload(registration, cut, personas, at=cut.evidence_deadline + SECOND,
               content=PDF + b"v3\n")

    shas = list(EvidenceFile.objects.order_by("pk").values_list("sha256", flat=True))
    assert shas == [hashlib.sha256(PDF).hexdigest(),
                    hashlib.sha256(PDF + b"v2\n").hexdigest()]


def test_a_criterion_the_rules_do_not_ask_at_this_cut_is_refused(
    registration, edition, personas  # noqa: F811
):
    second = edition.cuts.get(code="2025S2")
    with pytest.raises(ValidationError, match="AGUA-02"):
        upload(registration, second, personas, at=OPENS, criterion="AGUA-02")


def test_another_municipality_can_neither_upload(registration, cut, personas):
    with pytest.raises(PermissionDenied):
        upload(registration, cut, personas, at=OPENS, user=personas.cusco_official)


def test_a_web_page_is_not_a_means_of_verification(registration, cut, personas):
    with pytest.raises(ValidationError, match=r"ordenanza\.pdf"):
        upload(registration, cut, personas, at=OPENS, content=b"<html></html>")
    assert not EvidenceFile.objects.exists()


def test_an_observation_is_answered_within_its_window_after_the_deadline(registration, cut,
                                                                          personas):
    evidence = upload(registration, cut, personas, at=OPENS)
    observed_at = cut.evidence_deadline + timedelta(days=1)
    services.evidence_review(evidence=evidence, user=personas.evaluator, decision="observed",
                             reason="La ordenanza no tiene firma.", now=observed_at)
    evidence.refresh_from_db()
    assert evidence.reply_until == observed_at + timedelta(days=5)

    upload(registration, cut, personas, at=evidence.reply_until, content=PDF + b"firmada\n")
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.SUBMITTED  # back to review
    services.evidence_review(evidence=evidence, user=personas.evaluator, decision="observed",
                             reason="Sigue sin firma.", now=observed_at + timedelta(days=6))
    evidence.refresh_from_db()
    with pytest.raises(ValidationError):
        upload(registration, cut, personas, at=evidence.reply_until + SECOND)


def test_an_evaluator_never_reviews_their_own_territory(registration, cut, personas, tree):
    evidence = upload(registration, cut, personas, at=OPENS)
    local = user_create(username="evaluador_local", password="correct horse battery")
    role_assign(user=local, role=Role.EVALUATOR)
    role_assign(user=local, role=Role.MUNICIPAL_OFFICIAL, institution=tree.muni_cusco_province)

    with pytest.raises(PermissionDenied):
        services.evidence_review(evidence=evidence, user=local, decision="approved")
    with pytest.raises(PermissionDenied):  # an official is no evaluator
        services.evidence_review(evidence=evidence, user=personas.san_jeronimo_official,
                                 decision="approved")
    services.evidence_review(evidence=evidence, user=personas.evaluator, decision="approved")
    assert AuditEntry.objects.filter(action="evidence_approved").count() == 1


def test_a_rejection_needs_its_reason(registration, cut, personas):
    evidence = upload(registration, cut, personas, at=OPENS)
    with pytest.raises(ValidationError):
        services.evidence_review(evidence=evidence, user=personas.evaluator,
                                 decision="rejected")


def test_a_stored_file_is_checked_on_every_read(registration, cut, personas):
    evidence = upload(registration, cut, personas, at=OPENS)
    stored = evidence.files.get()
    assert services.evidence_file_read(stored=stored) == PDF

    with open(stored.file.path, "wb") as handle:  # tampered with on disk
        handle.write(PDF + b"changed")
    with pytest.raises(services.ChecksumMismatch):
        services.evidence_file_read(stored=stored)


def test_the_checklist_shows_what_is_due_its_status_and_the_time_left(registration, cut,
                                                                      personas):
    upload(registration, cut, personas, at=OPENS)
    now = cut.evidence_deadline - timedelta(hours=2)

    items = evidence_checklist(registration=registration, now=now)

    first_cut = [(i.criterion, i.status, i.open) for i in items if i.cut == cut]
    assert first_cut == [("PLAN-01", "submitted", True), ("PLAN-02", "due", True),
                         ("AGUA-02", "due", True), ("COM-01", "due", True)]
    assert items[0].time_left == timedelta(hours=2)
    assert items[0].mandatory is True
    second_cut = [i.criterion for i in items if i.cut != cut]
    assert second_cut == ["PLAN-01", "PLAN-02", "INCL-01", "INCL-02", "INCL-03", "COM-01"]
    after = evidence_checklist(registration=registration, now=cut.evidence_deadline + SECOND)
    assert [(i.criterion, i.status, i.open) for i in after if i.cut == cut][:2] == [
        ("PLAN-01", "submitted", False), ("PLAN-02", "missing", False)]
