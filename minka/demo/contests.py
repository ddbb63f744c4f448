"""The demo's seal: the Cusco regional seal for early childhood, 2025 (DOMAIN §3).

Five components and twenty criteria (`demo_data/sello_cusco_2025.json`, the RULES.json
format), two verification cuts, the region's municipalities registered (all but about one
in seven), and synthetic means of verification with their reviews: most approved, some
observed and then answered, a few rejected or never sent. Every file is a small PDF that
says it is synthetic. All of it goes through the contest services, with the dates of the
2025 calendar, so the audit log reads like a real year.

Idempotent: when the contest exists nothing is written (a coordinator's changes stay).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from minka.contests.engine.files import rules_parse
from minka.contests.engine.messages import money_format
from minka.contests.models import Contest, Registration, ScoreVersion
from minka.contests.services import (
    contest_create,
    cut_readings_freeze,
    cut_set,
    edition_create,
    evidence_review,
    evidence_upload,
    phase_set,
    registration_open,
    registration_review,
    registration_submit,
    rules_version_save,
    scores_publish,
)
from minka.territories.models import Institution, Population
from minka.territories.selectors import territory_get

RULES = Path(__file__).resolve().parent / "demo_data" / "sello_cusco_2025.json"
LIMA = ZoneInfo("America/Lima")
CODE = "sello-cusco"


def _at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LIMA)


PHASES = [
    ("preparation", _at(2025, 1, 6), _at(2025, 2, 28, 23, 59, 59)),
    ("registration", _at(2025, 3, 3, 8), _at(2025, 3, 31, 23, 59, 59)),
    ("contest", _at(2025, 4, 1), _at(2025, 6, 30, 23, 59, 59)),
    ("verification", _at(2025, 7, 1), _at(2026, 1, 15, 23, 59, 59)),
    ("evaluation", _at(2026, 1, 16), _at(2026, 2, 13, 23, 59, 59)),
    ("awards", _at(2026, 2, 16), _at(2026, 3, 13, 23, 59, 59)),
    ("transfers", _at(2026, 3, 16), _at(2026, 6, 30, 23, 59, 59)),
]
CUTS = [
    ("2025S1", "Primer corte", date(2025, 6, 30), _at(2025, 7, 10, 23, 59, 59)),
    ("2025S2", "Segundo corte", date(2025, 12, 31), _at(2026, 1, 12, 23, 59, 59)),
]


def _category(population: int | None) -> str:
    if population is not None and population >= 20_000:
        return "A"
    if population is not None and population >= 5_000:
        return "B"
    return "C"


def _pdf(text: str) -> bytes:
    return f"%PDF-1.4\n% {text}\n% Documento sintético de demostración.\n%%EOF\n".encode()


def demo_contest_seed(*, coordinator: Any, evaluator: Any) -> str:
    """Create the demo seal once; say in one line what it created."""
    if Contest.objects.filter(code=CODE).exists():
        return _("Seal: the demo contest exists already; left as it is.")
    region = territory_get(country="PE", code="08")
    if region is None:
        return _("Seal: the region 08 is not loaded; no contest created.")
    contest = contest_create(
        code=CODE,
        name_es="Sello Regional de la Primera Infancia Cusco",
        name_en="Cusco Regional Early Childhood Seal",
        territory=region,
    )
    edition = edition_create(
        contest=contest,
        year=2025,
        fund=Decimal("1500000.00"),
        user=coordinator,
        legal_resolution="Resolución Ejecutiva Regional N.° 001-2025-GR CUSCO (de demostración)",
    )
    for kind, starts, ends in PHASES:
        phase_set(edition=edition, kind=kind, starts_at=starts, ends_at=ends, user=coordinator)
    for code, name, evaluated, deadline in CUTS:
        cut_set(
            edition=edition,
            code=code,
            name=name,
            evaluation_date=evaluated,
            evidence_deadline=deadline,
            user=coordinator,
            now=_at(2025, 1, 10),
        )
    rules_version_save(
        edition=edition,
        document=RULES.read_text(encoding="utf-8"),
        user=coordinator,
        note="Aprobadas por resolución",
    )
    registration_open(edition=edition, user=coordinator, now=_at(2025, 3, 3, 8))
    registrations = _registrations(edition, region, coordinator)
    files = _evidence(edition, registrations, coordinator, evaluator)
    return _(
        "Seal: %(contest)s %(year)s, %(registrations)s municipalities registered, "
        "%(files)s synthetic means of verification reviewed."
    ) % {
        "contest": contest.name,
        "year": edition.year,
        "registrations": len(registrations),
        "files": files,
    }


def _registrations(edition: Any, region: Any, coordinator: Any) -> list[Registration]:
    municipalities = list(
        Institution.objects.filter(
            kind=Institution.Kind.MUNICIPALITY,
            territory__path__startswith=region.path,
        )
        .select_related("territory")
        .order_by("territory__code", "pk")
    )
    population = dict(
        Population.objects.filter(
            territory__in=[m.territory for m in municipalities],
            year=2025,
            sex="total",
            area="total",
            age_group="",
        ).values_list("territory_id", "value")
    )
    registered = []
    for number, municipality in enumerate(municipalities):
        if number % 7 == 6:
            continue  # about one in seven did not register
        at = _at(2025, 3, 5, 9) + timedelta(hours=3 * number)
        registration = registration_submit(
            edition=edition,
            municipality=municipality,
            user=coordinator,
            accept_rules=True,
            council_act=ContentFile(
                _pdf(f"Acta de sesión de concejo: {municipality.name}"), name="acta.pdf"
            ),
            now=at,
        )
        registered.append(
            registration_review(
                registration=registration,
                user=coordinator,
                approve=True,
                category=_category(population.get(municipality.territory_id)),
                now=at + timedelta(days=2),
            )
        )
    return registered


def _evidence(
    edition: Any, registrations: list[Registration], coordinator: Any, evaluator: Any
) -> int:
    """Means of verification for the evidence criteria of both cuts: ~88 % sent, of which
    ~80 % approved, ~12 % observed then answered and approved, ~8 % rejected."""
    rules = rules_parse(RULES.read_text(encoding="utf-8")).value
    assert rules is not None
    chance = random.Random(2025)
    count = 0
    for cut in edition.cuts.order_by("evidence_deadline"):
        asked = [c for c in rules.criteria if c.kind == "evidence" and cut.code in c.cuts]
        for registration in registrations:
            for criterion in asked:
                if chance.random() > 0.88:
                    continue  # never sent: "missing" at the cut
                sent = cut.evidence_deadline - timedelta(
                    days=chance.randint(1, 20), hours=chance.randint(0, 12)
                )
                evidence = evidence_upload(
                    registration=registration,
                    cut=cut,
                    criterion=criterion.code,
                    files=[
                        ContentFile(
                            _pdf(f"{criterion.name} ({cut.name})"),
                            name=f"{criterion.code.lower()}.pdf",
                        )
                    ],
                    user=coordinator,
                    comment="",
                    now=sent,
                )
                reviewed = cut.evidence_deadline + timedelta(days=2)
                roll = chance.random()
                if roll < 0.08:
                    evidence_review(
                        evidence=evidence,
                        user=evaluator,
                        decision="rejected",
                        reason="El documento no corresponde al criterio.",
                        now=reviewed,
                    )
                elif roll < 0.20:
                    evidence_review(
                        evidence=evidence,
                        user=evaluator,
                        decision="observed",
                        reason="Falta la firma del responsable.",
                        now=reviewed,
                    )
                    evidence = evidence_upload(
                        registration=registration,
                        cut=cut,
                        criterion=criterion.code,
                        files=[
                            ContentFile(
                                _pdf(f"{criterion.name}, firmado"),
                                name=f"{criterion.code.lower()}-firmado.pdf",
                            )
                        ],
                        user=coordinator,
                        now=reviewed + timedelta(days=2),
                    )
                    evidence_review(
                        evidence=evidence,
                        user=evaluator,
                        decision="approved",
                        now=reviewed + timedelta(days=4),
                    )
                else:
                    evidence_review(
                        evidence=evidence, user=evaluator, decision="approved", now=reviewed
                    )
                count += 1
    return count


def demo_contest_publish(*, coordinator: Any) -> str:
    """Freeze both cuts' indicator readings from the analytics results and publish the
    scores (needs the analytics store, so it runs after the demo's refresh). Once: a
    published demo is left as it is."""
    contest = Contest.objects.filter(code=CODE).first()
    if contest is None:
        return _("Seal: no demo contest to publish.")
    edition = contest.editions.get(year=2025)
    if ScoreVersion.objects.filter(edition=edition).exists():
        return _("Seal: results published already; left as they are.")
    for cut in edition.cuts.order_by("evidence_deadline"):
        if cut.readings_frozen_at is None:
            cut_readings_freeze(cut=cut, user=coordinator)
    version = scores_publish(edition=edition, user=coordinator,
                             reason="Resultados de la demostración")
    return _("Seal: results published (version %(number)s), %(awarded)s awarded.") % {
        "number": version.number, "awarded": money_format(version.awarded)}
