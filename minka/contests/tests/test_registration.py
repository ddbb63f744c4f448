"""An edition's calendar, its rules frozen when registration opens, and a municipality's
registration at the window's edges, as the coordinator of Cusco and the officials of the
Cusco slice of the tree (minka/conftest.py) do it."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from minka.contests import services
from minka.contests.models import AuditEntry, Registration, RegistrationStatus

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
OPENS = datetime(2025, 3, 1, 8, 0, tzinfo=LIMA)
CLOSES = datetime(2025, 3, 31, 23, 59, 59, tzinfo=LIMA)
SECOND = timedelta(seconds=1)
RULES = (Path(__file__).resolve().parents[1] / "examples" / "rules.json").read_text()
PDF = b"%PDF-1.4\nActa de sesion de concejo\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def edition(tree, personas):
    coordinator = personas.cusco_coordinator
    contest = services.contest_create(code="sello-cusco", name_es="Sello Regional Cusco",
                                      territory=tree.cusco)
    edition = services.edition_create(contest=contest, year=2025, fund=Decimal("1500000.00"),
                                      user=coordinator, legal_resolution="RER N.° 123-2025")
    services.phase_set(edition=edition, kind="registration", starts_at=OPENS, ends_at=CLOSES,
                       user=coordinator)
    for code, month in (("2025S1", 6), ("2025S2", 11)):
        services.cut_set(edition=edition, code=code, name=f"Corte {code}",
                         evaluation_date=date(2025, month, 30 if month == 6 else 28),
                         evidence_deadline=datetime(2025, month + 1, 10, 23, 59, 59,
                                                    tzinfo=LIMA),
                         user=coordinator, now=OPENS - timedelta(days=10))
    services.rules_version_save(edition=edition, document=RULES, user=coordinator, note="v1")
    services.registration_open(edition=edition, user=coordinator, now=OPENS - SECOND)
    return edition


def register(edition, personas, tree, *, at, content=PDF, user=None):
    return services.registration_submit(
        edition=edition, municipality=tree.muni_san_jeronimo,
        user=user or personas.san_jeronimo_official, accept_rules=True,
        council_act=ContentFile(content, name="acta.pdf"), now=at,
    )


def test_rules_are_frozen_when_registration_opens(edition, personas):
    assert edition.rules_version.number == 1
    with pytest.raises(ValidationError, match=r"congeladas|frozen"):
        services.rules_version_save(edition=edition, document=RULES,
                                    user=personas.cusco_coordinator)


def test_rules_that_disagree_with_the_edition_are_refused(tree, personas):
    contest = services.contest_create(code="otro", name_es="Otro", territory=tree.cusco)
    other = services.edition_create(contest=contest, year=2025, fund=Decimal("1000.00"),
                                    user=personas.cusco_coordinator)
    with pytest.raises(ValidationError) as refused:
        services.rules_version_save(edition=other, document=RULES,
                                    user=personas.cusco_coordinator)
    assert "1500000.00" in str(refused.value) and "1000.00" in str(refused.value)
    assert not other.rules_versions.exists()


def test_an_official_registers_on_the_last_second(edition, personas, tree):
    registration = register(edition, personas, tree, at=CLOSES)

    assert registration.status == RegistrationStatus.SUBMITTED
    assert registration.rules_version == edition.rules_version
    assert registration.council_act_sha256 == hashlib.sha256(PDF).hexdigest()
    assert registration.council_act_size == len(PDF)
    assert registration.council_act.read() == PDF


@pytest.mark.parametrize("at", [OPENS - SECOND, CLOSES + SECOND])
def test_a_second_outside_the_window_is_refused(edition, personas, tree, at):
    with pytest.raises(ValidationError, match=r"no está abierta|not open"):
        register(edition, personas, tree, at=at)
    assert not Registration.objects.exists()


def test_the_window_is_the_same_instant_from_another_time_zone(edition, personas, tree):
    in_utc = (CLOSES + SECOND).astimezone(ZoneInfo("UTC"))
    assert (in_utc.day, in_utc.hour) == (1, 5)  # 1 April 05:00 UTC: one second late
    with pytest.raises(ValidationError):
        register(edition, personas, tree, at=in_utc)


def test_an_official_cannot_register_another_municipality(edition, personas, tree):
    with pytest.raises(PermissionDenied):
        register(edition, personas, tree, at=OPENS, user=personas.cusco_official)
    assert not Registration.objects.exists()


def test_a_page_renamed_as_a_pdf_is_refused_and_nothing_is_stored(edition, personas, tree):
    with pytest.raises(ValidationError, match="PDF"):
        register(edition, personas, tree, at=OPENS, content=b"<html>hola</html>")
    assert not Registration.objects.exists()


def test_an_observed_registration_is_submitted_again_and_the_first_act_is_kept(
    edition, personas, tree
):
    first = register(edition, personas, tree, at=OPENS)
    first_path = Path(first.council_act.path)
    services.registration_review(registration=first, user=personas.cusco_coordinator,
                                 approve=False, observation="Falta la firma del alcalde.")
    second_act = PDF + b"firmado\n"

    again = register(edition, personas, tree, at=OPENS + timedelta(days=2), content=second_act)

    assert again.pk == first.pk and again.status == RegistrationStatus.SUBMITTED
    assert again.council_act_sha256 == hashlib.sha256(second_act).hexdigest()
    assert first_path.read_bytes() == PDF  # nothing submitted is lost


def test_approval_places_the_municipality_in_a_category_of_the_rules(edition, personas, tree):
    registration = register(edition, personas, tree, at=OPENS)
    with pytest.raises(ValidationError, match="A, B, C"):
        services.registration_review(registration=registration,
                                     user=personas.cusco_coordinator, approve=True,
                                     category="Z")

    services.registration_review(registration=registration, user=personas.cusco_coordinator,
                                 approve=True, category="B")

    registration.refresh_from_db()
    assert (registration.status, registration.category) == (RegistrationStatus.APPROVED, "B")
    with pytest.raises(ValidationError):  # registered already
        register(edition, personas, tree, at=OPENS + SECOND)


def test_only_the_contests_coordinators_review(edition, personas, tree):
    registration = register(edition, personas, tree, at=OPENS)
    for someone in (personas.san_jeronimo_official, personas.apurimac_coordinator,
                    personas.evaluator):
        with pytest.raises(PermissionDenied):
            services.registration_review(registration=registration, user=someone,
                                         approve=True, category="A")


def test_every_step_is_in_the_audit_log_with_before_and_after(edition, personas, tree):
    registration = register(edition, personas, tree, at=OPENS)
    services.registration_review(registration=registration, user=personas.cusco_coordinator,
                                 approve=False, observation="Falta la firma.")

    actions = list(
        AuditEntry.objects.filter(edition=edition).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["edition_create", "phase_set", "cut_set", "cut_set",
                       "rules_version_save", "registration_open", "registration_submit",
                       "registration_observe"]
    observed = AuditEntry.objects.get(action="registration_observe")
    assert observed.before == {"status": "submitted", "category": ""}
    assert observed.after == {"status": "observed", "category": ""}
    assert observed.reason == "Falta la firma."
    assert observed.actor == personas.cusco_coordinator
    assert json.loads(json.dumps(observed.after))  # stored as plain JSON


def test_a_cut_is_fixed_once_its_deadline_has_passed(edition, personas):
    cut = edition.cuts.get(code="2025S1")
    with pytest.raises(ValidationError, match="2025S1"):
        services.cut_set(edition=edition, code="2025S1", name="Corte 1",
                         evaluation_date=cut.evaluation_date,
                         evidence_deadline=cut.evidence_deadline + timedelta(days=5),
                         user=personas.cusco_coordinator,
                         now=cut.evidence_deadline + SECOND)
