"""Scoring a small edition end to end, against figures computed by hand: readings frozen
from a real analytics refresh (the anaemia data of minka/analytics/tests/factories.py),
evidence reviewed, scores published, an appeal accepted and the scores published again.

The edition (RULES below, fund S/ 1 000,00, one category A, cuts 2023S1 and 2023S2):
  PLAN (weight 40): PLAN-01 evidence, 10 points, mandatory, at 2023S1        max 10
  DIT  (weight 60): DIT-01 anaemia ≤ 25 %, 10 points, at 2023S1
                    DIT-02 anaemia from the 2022 baseline towards 10 %, 10 points, 2023S1
                    DIT-03 chronic malnutrition ≤ 20 %, 10 points, at 2023S2 (no sheet) max 30
Anaemia (ANEMIA_PCT, lower is better), 2023S1 = Jan–Jun 2023, baseline year 2022:
  CUSCO district  2023S1 30 / 100 = 30 %   2022 (added here) 40 / 100 = 40 %
  SAN JERÓNIMO    2023S1 10 / 50  = 20 %   2022 (added here)  6 / 20  = 30 %
Version 1 (PLAN-01: Cusco approved, San Jerónimo rejected):
  Cusco   PLAN 10/10 → 40.00; DIT-01 0 (30 > 25), DIT-02 10 × (30−40)/(10−40) = 3.33;
          DIT 3.33/30 → 60 × 0.111 = 6.66; total 46.66; eligible; rank 1
  San J.  PLAN 0 → 0.00; DIT-01 10 (20 ≤ 25), DIT-02 10 × (20−30)/(10−30) = 5.00;
          DIT 15/30 → 30.00; total 30.00; not eligible (PLAN-01 unmet at 2023S1); rank 2
  Awards: first place S/ 600,00 to Cusco; second place (S/ 300,00) unfilled; the tiers
          promise S/ 900,00 of S/ 1 000,00; remainder S/ 400,00 carried over.
Version 2 (San Jerónimo's appeal accepted, PLAN-01 approved):
  San J.  PLAN 40.00 + DIT 30.00 = 70.00, rank 1, first place S/ 600,00
  Cusco   46.66, rank 2, second place S/ 300,00; remainder S/ 100,00 carried over.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from minka.analytics.services import analytics_refresh
from minka.analytics.tests.factories import anaemia_data, cell
from minka.contests import services
from minka.contests.message_json import message_text
from minka.contests.models import (
    AppealStatus,
    AuditEntry,
    AwardLine,
    CriterionScore,
    Evidence,
    EvidenceStatus,
    IndicatorReading,
    RankingEntry,
    ScoreVersion,
)
from minka.contests.results import results_build, version_changes
from minka.indicators.models import DataElement
from minka.indicators.services import CellWrite, data_values_write
from minka.territories.tests.factories import make_population

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
D = Decimal
SECOND = timedelta(seconds=1)
PDF = b"%PDF-1.4\nMedio de verificacion\n%%EOF\n"

RULES = json.dumps({
    "name": "Sello de prueba 2023",
    "fund": "1000.00",
    "cuts": ["2023S1", "2023S2"],
    "components": [
        {"code": "PLAN", "name": "Planificación", "weight": 40},
        {"code": "DIT", "name": "Primera infancia", "weight": 60},
    ],
    "criteria": [
        {"code": "PLAN-01", "component": "PLAN", "kind": "evidence", "points": 10,
         "mandatory": True, "cuts": ["2023S1"], "name": "Plan articulado aprobado"},
        {"code": "DIT-01", "component": "DIT", "kind": "threshold", "points": 10,
         "cuts": ["2023S1"], "polarity": "lower", "target": "25", "indicator": "ANEMIA_PCT",
         "name": "Anemia igual o menor que 25 %"},
        {"code": "DIT-02", "component": "DIT", "kind": "improvement", "points": 10,
         "cuts": ["2023S1"], "polarity": "lower", "target": "10", "indicator": "ANEMIA_PCT",
         "name": "Reducción de la anemia"},
        {"code": "DIT-03", "component": "DIT", "kind": "threshold", "points": 10,
         "cuts": ["2023S2"], "polarity": "lower", "target": "20", "indicator": "DCI_PCT",
         "name": "Desnutrición crónica igual o menor que 20 %"},
    ],
    "categories": [{"code": "A", "name": "Municipios distritales"}],
    "eligibility": {"minimum_total": 0, "mandatory_required": True},
    "tiers": [
        {"name": "Primer puesto", "winners": 1, "amount": "600.00"},
        {"name": "Segundo puesto", "winners": 1, "amount": "300.00"},
    ],
    "remainder": "carry_over",
})


def at(month, day, hour=12, minute=0, second=0, year=2023):
    return datetime(year, month, day, hour, minute, second, tzinfo=LIMA)


FROZEN_AT = at(7, 1)
UPLOADED = at(7, 5)
REVIEWED = at(7, 12)
PUBLISHED = at(7, 20)


class Scored:
    """The small edition, its two approved registrations and their evidence."""

    def __init__(self, tree, personas, rules=RULES):
        coordinator = personas.cusco_coordinator
        self.coordinator, self.personas, self.tree = coordinator, personas, tree
        contest = services.contest_create(code="sello-prueba", name_es="Sello de prueba",
                                          territory=tree.cusco)
        self.edition = services.edition_create(contest=contest, year=2023, fund=D("1000.00"),
                                               user=coordinator,
                                               legal_resolution="RER N.° 45-2023")
        services.phase_set(edition=self.edition, kind="registration", starts_at=at(3, 1),
                           ends_at=at(3, 31), user=coordinator)
        for code, evaluated, deadline in (("2023S1", date(2023, 6, 30), at(7, 10, 23, 59, 59)),
                                          ("2023S2", date(2023, 12, 31),
                                           at(1, 10, 23, 59, 59, year=2024))):
            services.cut_set(edition=self.edition, code=code, name=f"Corte {code}",
                             evaluation_date=evaluated, evidence_deadline=deadline,
                             user=coordinator, now=at(2, 1))
        services.rules_version_save(edition=self.edition, document=rules, user=coordinator)
        services.registration_open(edition=self.edition, user=coordinator, now=at(2, 28))
        self.cusco = self.register(tree.muni_cusco, personas.cusco_official)
        self.san_jeronimo = self.register(tree.muni_san_jeronimo,
                                          personas.san_jeronimo_official)
        self.s1 = self.edition.cuts.get(code="2023S1")
        self.s2 = self.edition.cuts.get(code="2023S2")
        self.evidence_cusco = self.upload(self.cusco, personas.cusco_official)
        self.evidence_sj = self.upload(self.san_jeronimo, personas.san_jeronimo_official)
        services.evidence_review(evidence=self.evidence_cusco, user=personas.evaluator,
                                 decision="approved", now=REVIEWED)
        services.evidence_review(evidence=self.evidence_sj, user=personas.evaluator,
                                 decision="rejected", reason="El plan no tiene ordenanza.",
                                 now=REVIEWED)

    def register(self, municipality, official):
        registration = services.registration_submit(
            edition=self.edition, municipality=municipality, user=official, accept_rules=True,
            council_act=ContentFile(PDF, name="acta.pdf"), now=at(3, 2))
        return services.registration_review(registration=registration, user=self.coordinator,
                                            approve=True, category="A", now=at(3, 3))

    def upload(self, registration, official):
        return services.evidence_upload(
            registration=registration, cut=self.edition.cuts.get(code="2023S1"),
            criterion="PLAN-01", files=[ContentFile(PDF, name="plan_articulado.pdf")],
            user=official, now=UPLOADED)

    def freeze(self, cut=None, now=FROZEN_AT):
        return services.cut_readings_freeze(cut=cut or self.s1, user=self.coordinator, now=now)

    def publish(self, reason="Resultados del primer corte", now=PUBLISHED):
        return services.scores_publish(edition=self.edition, user=self.coordinator,
                                       reason=reason, now=now)


def anaemia_with_baseline(tree):
    data = anaemia_data(tree)
    data_values_write(cells=[
        cell(data, "ANEMIA", "cusco_district", "202201", "FEMALE", 20),
        cell(data, "ANEMIA", "cusco_district", "202201", "MALE", 20),
        cell(data, "SCREENED", "cusco_district", "202201", "FEMALE", 50),
        cell(data, "SCREENED", "cusco_district", "202201", "MALE", 50),
        cell(data, "ANEMIA", "san_jeronimo", "202201", "FEMALE", 3),
        cell(data, "ANEMIA", "san_jeronimo", "202201", "MALE", 3),
        cell(data, "SCREENED", "san_jeronimo", "202201", "FEMALE", 10),
        cell(data, "SCREENED", "san_jeronimo", "202201", "MALE", 10),
    ], batch=None, source="HIS 2022")
    analytics_refresh()
    return data


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scored(tree, personas):
    anaemia_with_baseline(tree)
    make_population(territory=tree.cusco_district, year=2023, total=120000, male=59000,
                    female=61000)
    return Scored(tree, personas)


def readings(scored):
    return {(r.registration_id, r.criterion): r for r in IndicatorReading.objects.all()}


def points(version):
    return {(s.registration_id, s.cut.code, s.criterion): s.points
            for s in CriterionScore.objects.filter(version=version).select_related("cut")}


def snapshot(version):
    """Everything stored for a version, to prove it never changes."""
    return (
        list(CriterionScore.objects.filter(version=version).order_by("pk").values()),
        list(RankingEntry.objects.filter(version=version).order_by("pk").values()),
        list(AwardLine.objects.filter(version=version).order_by("pk").values()),
        list(ScoreVersion.objects.filter(pk=version.pk).values()),
    )


# --- frozen readings ------------------------------------------------------------------------


def test_readings_are_frozen_from_the_analytics_results(scored):
    frozen = scored.freeze()

    assert len(frozen) == 4  # two registrations × DIT-01, DIT-02 (DIT-03 is at 2023S2)
    found = readings(scored)
    cusco = found[(scored.cusco.pk, "DIT-02")]
    assert (cusco.value, cusco.baseline) == (D("30"), D("40"))
    assert (cusco.period, cusco.baseline_period, cusco.source) == ("2023S1", "2022", "HIS")
    assert cusco.target is None  # the rules' target is never replaced
    san_jeronimo = found[(scored.san_jeronimo.pk, "DIT-01")]
    assert (san_jeronimo.value, san_jeronimo.baseline) == (D("20"), D("30"))
    scored.s1.refresh_from_db()
    assert scored.s1.readings_frozen_at == FROZEN_AT
    entry = AuditEntry.objects.get(action="cut_readings_freeze")
    assert entry.after["readings"] == 4 and entry.after["without_value"] == 0


def test_the_figures_never_move_after_the_cut(scored):
    scored.freeze()
    anemia = DataElement.objects.get(code="ANEMIA")
    data_values_write(cells=[CellWrite(element=anemia, territory=scored.tree.cusco_district,
                                       period="202301", combination="FEMALE", value=D(40))],
                      batch=None)
    analytics_refresh()

    with pytest.raises(ValidationError, match=r"congeladas|frozen"):
        scored.freeze(now=FROZEN_AT + timedelta(days=1))
    assert readings(scored)[(scored.cusco.pk, "DIT-01")].value == D("30")
    with pytest.raises(ValidationError):  # and the cut itself can no longer change
        services.cut_set(edition=scored.edition, code="2023S1", name="Otro",
                         evaluation_date=date(2023, 6, 30),
                         evidence_deadline=at(7, 10, 23, 59, 59), user=scored.coordinator,
                         now=FROZEN_AT)


def test_a_cut_is_not_read_before_its_evaluation_date(scored):
    with pytest.raises(ValidationError, match="31/12/2023"):
        scored.freeze(cut=scored.s2, now=at(12, 30))
    assert not IndicatorReading.objects.exists()


def test_a_missing_sheet_is_frozen_as_no_data(scored):
    frozen = scored.freeze(cut=scored.s2, now=at(1, 2, year=2024))

    assert {(r.criterion, r.value, r.reason) for r in frozen} == {("DIT-03", None, "no_sheet")}


def test_only_the_coordinators_freeze(scored):
    for someone in (scored.personas.cusco_official, scored.personas.evaluator,
                    scored.personas.apurimac_coordinator):
        with pytest.raises(PermissionDenied):
            services.cut_readings_freeze(cut=scored.s1, user=someone, now=FROZEN_AT)


# --- publishing --------------------------------------------------------------------------


def test_hand_computed_scores_ranking_and_awards(scored):
    scored.freeze()
    version = scored.publish()

    assert (version.number, version.cuts, version.all_cuts) == (1, ["2023S1"], False)
    cusco, sj = scored.cusco.pk, scored.san_jeronimo.pk
    assert points(version) == {
        (cusco, "2023S1", "PLAN-01"): D("10.00"),
        (cusco, "2023S1", "DIT-01"): D("0.00"),
        (cusco, "2023S1", "DIT-02"): D("3.33"),
        (sj, "2023S1", "PLAN-01"): D("0.00"),
        (sj, "2023S1", "DIT-01"): D("10.00"),
        (sj, "2023S1", "DIT-02"): D("5.00"),
    }
    entries = {e.registration_id: e for e in version.entries.all()}
    assert [c["score"] for c in entries[cusco].components] == ["40.00", "6.66"]
    assert (entries[cusco].total, entries[cusco].rank, entries[cusco].eligible) == (
        D("46.66"), 1, True)
    assert entries[cusco].population == 120000
    assert entries[sj].population == 0  # no population figure: 0
    assert (entries[sj].total, entries[sj].rank, entries[sj].eligible) == (D("30.00"), 2, False)
    assert [message_text(m, "es") for m in entries[sj].reasons] == [
        "Criterio obligatorio PLAN-01 no cumplido en el corte 2023S1."]
    awards = list(version.awards.all())
    assert [(a.registration_id, a.tier, a.amount) for a in awards] == [
        (cusco, "Primer puesto", D("600.00"))]
    assert (version.fund, version.awarded, version.remainder) == (
        D("1000.00"), D("600.00"), D("400.00"))
    assert version.awarded + version.remainder == version.fund
    assert sum(a.amount for a in awards) + version.remainder == version.fund
    assert [message_text(m, "es") for m in version.allocation_notes] == [
        "Segundo puesto (Municipios distritales): 0 de 1 puestos cubiertos; S/ 300,00 sin "
        "otorgar.",
        "Las categorías de premio reparten S/ 900,00 de un fondo de S/ 1 000,00: S/ 100,00 "
        "sin asignar en las bases.",
        "El remanente de S/ 400,00 pasa a la siguiente edición del concurso.",
    ]


def test_every_point_is_explained_with_its_rule_data_evidence_and_reviewer(scored):
    scored.freeze()
    version = scored.publish()
    scores = {(s.registration_id, s.criterion): s for s in version.criterion_scores.all()}

    plan = scores[(scored.cusco.pk, "PLAN-01")].explanation
    (stored,) = scored.evidence_cusco.files.all()
    assert plan["status"] == "approved" and plan["reviewer"] == "evaluadora"
    assert plan["evidence_files"] == [
        {"id": stored.pk, "name": "plan_articulado.pdf", "sha256": stored.sha256}]
    assert message_text(plan["rule"], "es") == "Evidencia aprobada en el corte: 10 puntos."
    assert message_text(plan["outcome"], "en") == (
        f"Evidence #{stored.pk} approved by evaluadora: 10.00 points.")
    improvement = scores[(scored.cusco.pk, "DIT-02")].explanation
    assert (improvement["value"], improvement["baseline"], improvement["target"]) == (
        "30", "40", "10")
    assert (improvement["period"], improvement["source"]) == ("2023S1", "HIS")
    assert message_text(improvement["outcome"], "es") == (
        "De 40 a 30 hacia la meta 10: avance 33,33 %; 3,33 puntos.")
    rejected = scores[(scored.san_jeronimo.pk, "PLAN-01")].explanation
    assert rejected["status"] == "rejected"
    assert "rechazada por evaluadora" in message_text(rejected["outcome"], "es")


def test_publishing_waits_for_the_deadline_the_reviews_and_a_reason(scored):
    with pytest.raises(ValidationError, match=r"[Cc]ongele|[Ff]reeze"):
        scored.publish()
    scored.freeze()
    with pytest.raises(ValidationError) as refused:
        scored.publish(reason=" ", now=at(7, 10, 23, 59, 59))
    assert len(refused.value.messages) == 2  # the deadline, and the reason
    assert not ScoreVersion.objects.exists()


def test_evidence_still_waiting_for_a_review_holds_the_publication(scored):
    scored.freeze()
    Evidence.objects.filter(pk=scored.evidence_sj.pk).update(status=EvidenceStatus.SUBMITTED)

    with pytest.raises(ValidationError, match=r"1 (means|medios)"):
        scored.publish()


def test_a_published_version_never_changes(scored):
    scored.freeze()
    first = scored.publish()
    before = snapshot(first)
    data_values_write(cells=[CellWrite(element=DataElement.objects.get(code="ANEMIA"),
                                       territory=scored.tree.san_jeronimo, period="202301",
                                       combination="MALE", value=D(9))], batch=None)
    analytics_refresh()
    second = scored.publish(reason="Sin cambios", now=PUBLISHED + timedelta(days=1))

    assert snapshot(first) == before
    assert points(second) == points(first)  # the readings were frozen: the data change
    assert version_changes(second) == []  # moves nothing
    assert second.number == 2


# --- appeals -----------------------------------------------------------------------------


def appeal(scored, *, now, user=None, criterion="PLAN-01", reason="La ordenanza existe."):
    return services.appeal_file(registration=scored.san_jeronimo, cut=scored.s1,
                                criterion=criterion, reason=reason,
                                user=user or scored.personas.san_jeronimo_official, now=now)


def test_an_appeal_accepted_is_published_as_version_2_showing_what_changed(scored):
    scored.freeze()
    first = scored.publish()
    before = snapshot(first)

    filed = appeal(scored, now=PUBLISHED + timedelta(days=5))  # the last instant
    services.appeal_resolve(appeal=filed, user=scored.coordinator, accept=True,
                            resolution="La ordenanza N.° 12 fue presentada a tiempo.",
                            now=PUBLISHED + timedelta(days=6))
    evidence = Evidence.objects.get(pk=scored.evidence_sj.pk)
    assert evidence.status == EvidenceStatus.APPROVED
    assert evidence.reviewed_by == scored.coordinator
    second = scored.publish(reason="Apelación de San Jerónimo resuelta",
                            now=PUBLISHED + timedelta(days=7))

    assert snapshot(first) == before
    entries = {e.registration_id: e for e in second.entries.all()}
    assert (entries[scored.san_jeronimo.pk].total, entries[scored.san_jeronimo.pk].rank) == (
        D("70.00"), 1)
    assert (entries[scored.cusco.pk].total, entries[scored.cusco.pk].rank) == (D("46.66"), 2)
    assert [(a.registration_id, a.tier, a.amount) for a in second.awards.all()] == [
        (scored.san_jeronimo.pk, "Primer puesto", D("600.00")),
        (scored.cusco.pk, "Segundo puesto", D("300.00")),
    ]
    assert (second.awarded, second.remainder) == (D("900.00"), D("100.00"))
    changes = [(c.name, c.total_before, c.total_after, c.rank_before, c.rank_after,
                c.award_before, c.award_after) for c in version_changes(second)]
    assert changes == [
        (scored.san_jeronimo.municipality.name, D("30.00"), D("70.00"), 2, 1, "—",
         "Primer puesto · S/ 600,00"),
        (scored.cusco.municipality.name, D("46.66"), D("46.66"), 1, 2,
         "Primer puesto · S/ 600,00", "Segundo puesto · S/ 300,00"),
    ]
    explanation = second.criterion_scores.get(registration=scored.san_jeronimo,
                                              criterion="PLAN-01").explanation
    assert explanation["reviewer"] == "coordinadora_cusco"
    actions = list(AuditEntry.objects.filter(edition=scored.edition).order_by("pk")
                   .values_list("action", flat=True))
    assert actions[-5:] == ["scores_publish", "appeal_file", "evidence_approved_on_appeal",
                            "appeal_accept", "scores_publish"]
    published = AuditEntry.objects.filter(action="scores_publish").last()
    sj = str(scored.san_jeronimo.pk)
    assert published.before[sj]["total"] == "30.00" and published.after["municipalities"][sj][
        "total"] == "70.00"
    assert published.reason == "Apelación de San Jerónimo resuelta"


def test_a_rejected_appeal_changes_nothing(scored):
    scored.freeze()
    first = scored.publish()
    filed = appeal(scored, now=PUBLISHED + timedelta(days=1))
    with pytest.raises(ValidationError):  # an appeal still open holds the publication
        scored.publish(reason="Otra vez", now=PUBLISHED + timedelta(days=2))

    services.appeal_resolve(appeal=filed, user=scored.coordinator, accept=False,
                            resolution="No se presentó la ordenanza.",
                            now=PUBLISHED + timedelta(days=2))
    second = scored.publish(reason="Apelación resuelta", now=PUBLISHED + timedelta(days=3))

    filed.refresh_from_db()
    assert filed.status == AppealStatus.REJECTED
    assert Evidence.objects.get(pk=scored.evidence_sj.pk).status == EvidenceStatus.REJECTED
    assert points(second) == points(first)
    with pytest.raises(ValidationError):  # resolved once
        services.appeal_resolve(appeal=filed, user=scored.coordinator, accept=True,
                                resolution="Cambio de opinión.")


def test_an_appeal_outside_its_window_is_refused(scored):
    scored.freeze()
    scored.publish()

    with pytest.raises(ValidationError, match="25/07/2023 12:00:00"):
        appeal(scored, now=PUBLISHED + timedelta(days=5) + SECOND)
    assert not scored.san_jeronimo.appeals.exists()


def test_no_appeal_before_any_publication(scored):
    scored.freeze()
    with pytest.raises(ValidationError):
        appeal(scored, now=PUBLISHED)


def test_an_official_of_another_municipality_cannot_appeal(scored):
    scored.freeze()
    scored.publish()

    for someone in (scored.personas.cusco_official, scored.coordinator,
                    scored.personas.evaluator):
        with pytest.raises(PermissionDenied):
            appeal(scored, now=PUBLISHED + timedelta(days=1), user=someone)
    assert not scored.san_jeronimo.appeals.exists()


def test_what_cannot_be_appealed(scored):
    scored.freeze()
    scored.publish()
    soon = PUBLISHED + timedelta(days=1)

    with pytest.raises(ValidationError, match=r"por qué|why"):
        appeal(scored, now=soon, reason="  ")
    with pytest.raises(ValidationError, match=r"indicador|[Ii]ndicator"):
        appeal(scored, now=soon, criterion="DIT-01")
    with pytest.raises(ValidationError, match=r"aprobad|approved"):
        services.appeal_file(registration=scored.cusco, cut=scored.s1, criterion="PLAN-01",
                             reason="Nada", user=scored.personas.cusco_official, now=soon)
    appeal(scored, now=soon)
    with pytest.raises(ValidationError):  # the same decision twice
        appeal(scored, now=soon)


def test_only_the_coordinators_resolve(scored):
    scored.freeze()
    scored.publish()
    filed = appeal(scored, now=PUBLISHED + timedelta(days=1))

    with pytest.raises(PermissionDenied):
        services.appeal_resolve(appeal=filed, user=scored.personas.evaluator, accept=True,
                                resolution="Aceptada.")
    with pytest.raises(ValidationError):
        services.appeal_resolve(appeal=filed, user=scored.coordinator, accept=True,
                                resolution="")


def test_the_results_read_back_the_version_in_both_languages(scored):
    from django.utils import translation

    scored.freeze()
    version = scored.publish()
    with translation.override("en"):
        results = results_build(version)

    (category,) = results.categories
    assert [(r.entry.rank, r.entry.total, r.award_text) for r in category.rows] == [
        (1, D("46.66"), "Primer puesto · S/ 600,00"), (2, D("30.00"), "—")]
    assert category.rows[1].reasons == ["Mandatory criterion PLAN-01 not met at cut 2023S1."]
    assert results.cuts_missing == ["2023S2"]
    assert not results.balanced
    assert results.notes[-1] == "The remainder of S/ 400,00 is carried over to the next " \
                                "edition of the contest."


def test_a_redistributed_remainder_leaves_not_one_cent_out(tree, personas, settings, tmp_path):
    """Redistributed in proportion to the awards, S/ 100,00 does not split evenly between
    S/ 600,00 and S/ 300,00: 66,666… and 33,333…; each gets its floor to the cent and the
    leftover cent goes to the first award."""
    anaemia_with_baseline(tree)
    rules = json.loads(RULES)
    rules["remainder"] = "redistribute"
    scored = Scored(tree, personas, rules=json.dumps(rules))
    scored.freeze()
    scored.publish()
    filed = appeal(scored, now=PUBLISHED + timedelta(days=1))
    services.appeal_resolve(appeal=filed, user=scored.coordinator, accept=True,
                            resolution="Aceptada.", now=PUBLISHED + timedelta(days=2))
    version = scored.publish(reason="Apelación resuelta", now=PUBLISHED + timedelta(days=3))

    awards = list(version.awards.all())
    assert [(a.base, a.extra, a.amount) for a in awards] == [
        (D("600.00"), D("66.67"), D("666.67")), (D("300.00"), D("33.33"), D("333.33"))]
    assert (version.awarded, version.remainder) == (D("1000.00"), D("0.00"))
    assert sum(a.amount for a in awards) + version.remainder == version.fund
    first = ScoreVersion.objects.get(edition=scored.edition, number=1)
    assert [a.amount for a in first.awards.all()] == [D("1000.00")]  # the only winner


def test_a_cut_without_data_scores_0_with_the_reason(scored):
    from django.utils import translation

    from minka.contests.results import municipality_results

    scored.freeze()
    scored.freeze(cut=scored.s2, now=at(1, 2, year=2024))
    version = scored.publish(reason="Resultados finales", now=at(1, 15, year=2024))

    assert (version.cuts, version.all_cuts) == (["2023S1", "2023S2"], True)
    score = version.criterion_scores.get(registration=scored.cusco, criterion="DIT-03")
    assert (score.points, score.met) == (D("0.00"), False)
    assert message_text(score.explanation["outcome"], "es") == "Sin datos: 0 puntos."
    assert score.explanation["reading_reason"] == "no_sheet"
    assert version.entries.get(registration=scored.cusco).total == D("46.66")
    with translation.override("en"):
        detail = municipality_results(version, scored.cusco)
    assert [(line.score.cut.code, line.score.criterion) for line in detail.lines] == [
        ("2023S1", "PLAN-01"), ("2023S1", "DIT-01"), ("2023S1", "DIT-02"),
        ("2023S2", "DIT-03")]
    assert detail.lines[-1].no_value_because == "the rules' indicator has no indicator sheet"
