"""The contest pages as the people of the Cusco slice use them, on an edition whose
registration is open now and whose first cut's deadline is ten days ahead."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from minka.contests import services
from minka.contests.models import EvidenceFile, Registration
from minka.contests.tests.test_registration import PDF, RULES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def edition(tree, personas):
    coordinator = personas.cusco_coordinator
    now = timezone.now()
    contest = services.contest_create(code="sello-cusco", name_es="Sello Regional Cusco",
                                      territory=tree.cusco)
    edition = services.edition_create(contest=contest, year=2025, fund=Decimal("1500000.00"),
                                      user=coordinator)
    services.phase_set(edition=edition, kind="registration", starts_at=now - timedelta(days=1),
                       ends_at=now + timedelta(days=30), user=coordinator)
    for number, code in enumerate(("2025S1", "2025S2"), start=1):
        services.cut_set(edition=edition, code=code, name=f"Corte {number}",
                         evaluation_date=date.today(),
                         evidence_deadline=now + timedelta(days=10 * number),
                         user=coordinator)
    services.rules_version_save(edition=edition, document=RULES, user=coordinator)
    services.registration_open(edition=edition, user=coordinator)
    return edition


def url(name, edition, *args):
    return reverse(f"contests:{name}", args=[edition.contest.code, edition.year, *args])


@pytest.fixture
def registration(client, edition, personas, tree):
    client.force_login(personas.san_jeronimo_official)
    response = client.post(url("register", edition), {
        "municipality": tree.muni_san_jeronimo.pk, "accept_rules": "on",
        "council_act": SimpleUploadedFile("acta.pdf", PDF, "application/pdf")})
    assert response.status_code == 302
    registration = Registration.objects.get()
    return services.registration_review(registration=registration,
                                        user=personas.cusco_coordinator, approve=True,
                                        category="A")


def test_the_public_reads_the_rules_fund_and_deadlines(client, edition):
    html = client.get(url("edition", edition)).content.decode()

    assert "S/ 1 500 000,00" in html
    assert "PLAN-01" in html and "Agua segura" in html
    assert "Corte 1" in html


def test_registration_needs_the_rules_accepted(client, edition, personas, tree):
    client.force_login(personas.san_jeronimo_official)
    response = client.post(url("register", edition), {
        "municipality": tree.muni_san_jeronimo.pk,
        "council_act": SimpleUploadedFile("acta.pdf", PDF, "application/pdf")})

    assert response.status_code == 400
    assert not Registration.objects.exists()


def test_an_html_page_uploaded_as_evidence_is_refused_on_the_page(client, registration):
    edition = registration.edition
    response = client.post(url("evidence_upload", edition, registration.pk, "2025S1",
                               "PLAN-01"),
                           {"uploads": [SimpleUploadedFile("plan.pdf", b"<html></html>")]})

    assert response.status_code == 400
    assert "plan.pdf" in response.content.decode()
    assert not EvidenceFile.objects.exists()


def test_the_official_uploads_and_the_checklist_shows_it(client, registration):
    edition = registration.edition
    client.post(url("evidence_upload", edition, registration.pk, "2025S1", "PLAN-01"),
                {"uploads": [SimpleUploadedFile("ordenanza.pdf", PDF)], "comment": "Ordenanza"})

    html = client.get(url("checklist", edition, registration.pk)).content.decode()
    assert "ordenanza.pdf" in html
    assert "9 d 23 h" in html  # ten days minus the seconds this test took


def test_another_municipality_sees_nothing_of_it(client, registration, personas):
    edition = registration.edition
    stored = services.evidence_upload(
        registration=registration, cut=edition.cuts.get(code="2025S1"), criterion="PLAN-01",
        files=[SimpleUploadedFile("o.pdf", PDF)], user=personas.san_jeronimo_official)
    client.force_login(personas.cusco_official)

    assert client.get(url("checklist", edition, registration.pk)).status_code == 404
    assert client.get(url("evidence_upload", edition, registration.pk, "2025S1",
                          "PLAN-01")).status_code == 404
    file_url = reverse("contests:evidence_file", args=[stored.files.get().pk])
    assert client.get(file_url).status_code == 404


def test_a_file_is_downloaded_never_shown_and_checked(client, registration, personas):
    edition = registration.edition
    evidence = services.evidence_upload(
        registration=registration, cut=edition.cuts.get(code="2025S1"), criterion="PLAN-01",
        files=[SimpleUploadedFile("o.pdf", PDF)], user=personas.san_jeronimo_official)
    stored = evidence.files.get()
    file_url = reverse("contests:evidence_file", args=[stored.pk])

    response = client.get(file_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(response.content).hexdigest() == stored.sha256

    with open(stored.file.path, "wb") as handle:
        handle.write(b"%PDF-1.4 replaced")
    assert client.get(file_url).status_code == 409


def test_the_evaluator_reviews_from_the_queue(client, registration, personas):
    edition = registration.edition
    evidence = services.evidence_upload(
        registration=registration, cut=edition.cuts.get(code="2025S1"), criterion="PLAN-01",
        files=[SimpleUploadedFile("o.pdf", PDF)], user=personas.san_jeronimo_official)
    client.force_login(personas.evaluator)

    queue = client.get(url("review_queue", edition)).content.decode()
    response = client.post(url("evidence_review", edition, evidence.pk),
                           {"decision": "observed", "reason": "Sin firma."})

    assert "SAN JERÓNIMO" in queue.upper()
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == "observed"


def test_an_observation_without_its_reason_is_refused_on_the_page(client, registration,
                                                                   personas):
    edition = registration.edition
    evidence = services.evidence_upload(
        registration=registration, cut=edition.cuts.get(code="2025S1"), criterion="PLAN-01",
        files=[SimpleUploadedFile("o.pdf", PDF)], user=personas.san_jeronimo_official)
    client.force_login(personas.evaluator)

    response = client.post(url("evidence_review", edition, evidence.pk),
                           {"decision": "rejected", "reason": ""})

    assert response.status_code == 400
    evidence.refresh_from_db()
    assert evidence.status == "submitted"


def test_the_audit_log_is_the_coordinators(client, registration, personas):
    edition = registration.edition
    client.force_login(personas.san_jeronimo_official)
    assert client.get(url("audit", edition)).status_code == 403

    client.force_login(personas.cusco_coordinator)
    html = client.get(url("audit", edition)).content.decode()
    assert "registration_submit" in html and "registration_approve" in html
