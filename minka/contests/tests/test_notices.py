"""Mail to the municipalities, with Django's in-memory mail backend as the fake: an
observation reaches San Jerónimo's official (and its contact address) with the reason and
the reply deadline in Lima time once the decision is committed; the reminders command
sends before a cut's deadline once per municipality, cut and number of days, nothing to a
municipality with nothing due, and nothing at all in a dry run. Rules:
minka/contests/examples/rules.json (at 2025S1: PLAN-01, PLAN-02, AGUA-02, COM-01; deadline
10 July 2025, 23:59:59 in Lima)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from minka.contests import services
from minka.contests.models import AuditEntry, Reminder
from minka.contests.notices import deadline_reminders
from minka.contests.tests.test_evidence import cut, registration, upload  # noqa: F401
from minka.contests.tests.test_registration import OPENS, PDF, SECOND, edition  # noqa: F401

pytestmark = pytest.mark.django_db

OFFICIAL = "yeni.quispe@munisanjeronimo.gob.pe"
CONTACT = "mesadepartes@munisanjeronimo.gob.pe"
CUSCO = "rosa.huaman@municusco.gob.pe"


@pytest.fixture(autouse=True)
def _mail(settings, personas, tree, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MINKA_SITE_URL = "https://minka.regioncusco.gob.pe"
    for user, address in ((personas.san_jeronimo_official, OFFICIAL),
                          (personas.cusco_official, CUSCO)):
        user.email = address
        user.save(update_fields=["email"])


def observe(evidence, personas, *, reason="La ordenanza no tiene la firma del alcalde.",
            now):
    return services.evidence_review(evidence=evidence, user=personas.evaluator,
                                    decision="observed", reason=reason, now=now)


def test_an_observation_is_mailed_with_its_reason_and_the_reply_deadline_in_lima_time(
    registration, cut, personas, django_capture_on_commit_callbacks  # noqa: F811
):
    evidence = upload(registration, cut, personas, at=OPENS)
    observed_at = datetime(2025, 7, 5, 15, 30, tzinfo=UTC)  # 10:30 in Lima; 5 days to reply

    with django_capture_on_commit_callbacks(execute=True):
        observe(evidence, personas, now=observed_at)

    (message,) = mail.outbox
    assert message.to == [OFFICIAL]
    assert "PLAN-01" in message.subject and "Corte 2025S1" in message.subject
    assert "La ordenanza no tiene la firma del alcalde." in message.body
    assert "10/07/2025 10:30:00" in message.body and "America/Lima" in message.body
    assert (
        "https://minka.regioncusco.gob.pe/sellos/sello-cusco/2025/inscripciones/"
        f"{registration.pk}/evidencias/2025S1/PLAN-01/"
    ) in message.body


def test_the_mail_leaves_only_after_the_decision_is_committed_and_reaches_the_contact(
    registration, cut, personas, tree, django_capture_on_commit_callbacks  # noqa: F811
):
    tree.muni_san_jeronimo.contact_email = CONTACT
    tree.muni_san_jeronimo.save(update_fields=["contact_email"])
    evidence = upload(registration, cut, personas, at=OPENS)

    with django_capture_on_commit_callbacks() as callbacks:
        observe(evidence, personas, now=OPENS + timedelta(days=1))
    assert mail.outbox == []  # not before the commit
    for callback in callbacks:
        callback()

    (message,) = mail.outbox
    assert message.to == [OFFICIAL, CONTACT]  # never Cusco's official


def test_an_approval_mails_nothing(registration, cut, personas,  # noqa: F811
                                   django_capture_on_commit_callbacks):
    evidence = upload(registration, cut, personas, at=OPENS)
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_review(evidence=evidence, user=personas.evaluator,
                                 decision="approved", now=OPENS + timedelta(days=1))
    assert mail.outbox == []


@pytest.fixture
def cusco_done(edition, personas, tree):  # noqa: F811
    """Cusco's municipality, registered, with every means of verification of 2025S1 sent:
    nothing is due from it at that cut."""
    cusco = services.registration_submit(
        edition=edition, municipality=tree.muni_cusco, user=personas.cusco_official,
        accept_rules=True, council_act=ContentFile(PDF, name="acta.pdf"), now=OPENS)
    cusco = services.registration_review(
        registration=cusco, user=personas.cusco_coordinator, approve=True,
        category="A")
    first = edition.cuts.get(code="2025S1")
    for criterion in ("PLAN-01", "PLAN-02", "AGUA-02", "COM-01"):
        upload(cusco, first, personas, at=OPENS, criterion=criterion,
               user=personas.cusco_official)
    return cusco


def remind(*args):
    out = StringIO()
    call_command("contest_reminders", *args, stdout=out)
    return out.getvalue()


def test_reminders_go_at_seven_days_once_and_not_to_a_municipality_with_nothing_due(
    registration, cut, personas, cusco_done, tree  # noqa: F811
):
    upload(registration, cut, personas, at=OPENS)  # PLAN-01 sent; three still due
    six_days_before = (cut.evidence_deadline - timedelta(days=6)).isoformat()

    out = remind("--now", six_days_before)

    (message,) = mail.outbox
    assert message.to == [OFFICIAL]
    assert "7" in message.subject and "Corte 2025S1" in message.subject
    assert "10/07/2025 23:59:59" in message.body
    assert "PLAN-02" in message.body and "AGUA-02" in message.body
    assert "COM-01" in message.body and "PLAN-01" not in message.body
    assert (
        f"https://minka.regioncusco.gob.pe/sellos/sello-cusco/2025/inscripciones/"
        f"{registration.pk}/evidencias/"
    ) in message.body
    assert tree.muni_san_jeronimo.name in out and tree.muni_cusco.name not in out
    reminder = Reminder.objects.get()
    assert (reminder.registration, reminder.cut, reminder.days_before) == (
        registration, cut, 7)
    assert reminder.recipients == [OFFICIAL]

    remind("--now", six_days_before)  # cron runs again: nothing new
    remind("--now", (cut.evidence_deadline - timedelta(days=5)).isoformat())
    assert len(mail.outbox) == 1

    remind("--now", (cut.evidence_deadline - timedelta(hours=36)).isoformat())
    assert len(mail.outbox) == 2 and "2" in mail.outbox[1].subject
    assert sorted(Reminder.objects.values_list("days_before", flat=True)) == [2, 7]


def test_a_dry_run_sends_and_records_nothing(registration, cut, personas):  # noqa: F811
    out = remind("--now", (cut.evidence_deadline - timedelta(days=3)).isoformat(),
                 "--dry-run")

    assert mail.outbox == [] and not Reminder.objects.exists()
    assert registration.municipality.name in out and OFFICIAL in out


def test_no_reminder_far_from_or_after_the_deadline(registration, cut, edition):  # noqa: F811
    for now in (cut.evidence_deadline - timedelta(days=8),
                cut.evidence_deadline + SECOND):
        assert deadline_reminders(edition=edition, now=now) == []
    assert mail.outbox == []


def test_a_municipality_without_an_address_is_reported_not_recorded(
    registration, cut, edition, personas  # noqa: F811
):
    personas.san_jeronimo_official.email = ""
    personas.san_jeronimo_official.save(update_fields=["email"])

    (outcome,) = deadline_reminders(edition=edition, now=cut.evidence_deadline - timedelta(days=1))

    assert (outcome.sent, outcome.recipients, outcome.days_before) == (False, [], 1)
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_a_wrong_now_is_refused():
    with pytest.raises(CommandError, match="--now"):
        remind("--now", "mañana")


def test_the_audit_keeps_the_observation_the_mail_quotes(registration, cut, personas,  # noqa: F811
                                                         django_capture_on_commit_callbacks):
    evidence = upload(registration, cut, personas, at=OPENS)
    with django_capture_on_commit_callbacks(execute=True):
        observe(evidence, personas, reason="Falta el anexo.", now=OPENS + timedelta(days=1))
    entry = AuditEntry.objects.get(action="evidence_observed")
    assert entry.reason == "Falta el anexo." and entry.reason in mail.outbox[0].body


PROJECT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "django.core.mail.backends.console.EmailBackend 25"),
        ({"MINKA_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
          "EMAIL_PORT": "587"}, "django.core.mail.backends.smtp.EmailBackend 587"),
        ({"EMAIL_PORT": "25a"}, "EMAIL_PORT"),
        ({"EMAIL_USE_TLS": "maybe"}, "EMAIL_USE_TLS"),
        ({"DEFAULT_FROM_EMAIL": "minka"}, "DEFAULT_FROM_EMAIL"),
    ],
)
def test_mail_settings_come_from_the_environment_strictly(env, expected):
    names = ("MINKA_EMAIL_BACKEND", "EMAIL_PORT", "EMAIL_USE_TLS", "DEFAULT_FROM_EMAIL")
    child = {k: v for k, v in os.environ.items() if k not in names}
    child.update({"MINKA_TESTING": "1", **env})
    result = subprocess.run(
        [sys.executable, "-c",
         "import minka.settings as s; print(s.EMAIL_BACKEND, s.EMAIL_PORT)"],
        env=child, cwd=PROJECT, capture_output=True, text=True, check=False,
    )
    assert expected in result.stdout + result.stderr
