"""The demo's seal: the region's municipalities registered in their category, every means
of verification sent reviewed, files stored with their checksum, and a second seed changes
nothing. Seeded on the Cusco demo territories only (no indicators, no analytics)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from minka.accounts.models import User
from minka.contests.models import (
    AuditEntry,
    Evidence,
    EvidenceFile,
    Registration,
    ScoreVersion,
)
from minka.demo.contests import demo_contest_publish, demo_contest_seed
from minka.demo.services import demo_seed
from minka.territories.models import Institution, Population

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_seed(indicators=None, analytics=False)
    people = {
        "coordinator": User.objects.get(username="coordinadora.cusco"),
        "evaluator": User.objects.get(username="evaluador"),
    }
    return demo_contest_seed(**people), people


def test_all_but_one_in_seven_municipalities_are_registered_in_their_category(seeded):
    municipalities = Institution.objects.filter(
        kind="municipality", territory__path__startswith="PE"
    ).count()
    # Every 7th (the 7th, 14th, ...) in code order stays out.
    assert Registration.objects.count() == municipalities - municipalities // 7
    assert not Registration.objects.exclude(status="approved").exists()
    # Each in the category of its 2025 population.
    for registration in Registration.objects.select_related("municipality"):
        people = (
            Population.objects.filter(
                territory=registration.municipality.territory,
                year=2025,
                sex="total",
                area="total",
                age_group="",
            )
            .values_list("value", flat=True)
            .first()
        )
        expected = "A" if people and people >= 20000 else "B" if people and people >= 5000 else "C"
        assert registration.category == expected


def test_every_means_of_verification_sent_was_reviewed_and_kept_and_reseeding_is_a_no_op(
    seeded,
):
    assert Evidence.objects.exists()
    assert set(Evidence.objects.values_list("status", flat=True)) <= {"approved", "rejected"}
    observed = AuditEntry.objects.filter(action="evidence_observed").count()
    assert observed > 0
    # An observed one was answered with a second file: both are kept.
    assert EvidenceFile.objects.count() == Evidence.objects.count() + observed
    stored = EvidenceFile.objects.first()
    assert hashlib.sha256(stored.file.read()).hexdigest() == stored.sha256

    # A second seed writes nothing.
    _line, people = seeded
    counts = (Registration.objects.count(), Evidence.objects.count(), AuditEntry.objects.count())

    again = demo_contest_seed(**people)

    assert "ya existe" in again or "exists already" in again
    assert counts == (
        Registration.objects.count(),
        Evidence.objects.count(),
        AuditEntry.objects.count(),
    )


def test_the_demo_publishes_its_results_once(settings, tmp_path):
    """Without analytics every indicator criterion reads "no data"; the publication itself
    (freezing both cuts, scoring, awards to the cent) is what is checked here."""
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_seed(indicators=None, analytics=False)
    coordinator = User.objects.get(username="coordinadora.cusco")
    demo_contest_seed(coordinator=coordinator, evaluator=User.objects.get(username="evaluador"))

    demo_contest_publish(coordinator=coordinator)
    again = demo_contest_publish(coordinator=coordinator)

    (version,) = ScoreVersion.objects.all()
    assert version.awarded + version.remainder == version.fund == Decimal("1500000.00")
    assert "ya" in again or "already" in again
