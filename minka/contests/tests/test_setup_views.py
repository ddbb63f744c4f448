"""The coordinator's set-up pages (issue 5, items 1-2): the coordinator of Cusco creates a
seal and its edition, sets the calendar and the cuts, saves the rules, simulates the
awards and opens registration, all through the pages; an official and the coordinator of
another region reach none of it (minka/conftest.py has the personas and the Cusco slice
of the tree). Pages are in Spanish: the messages checked here are the services'."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from minka.contests import services
from minka.contests.forms_setup import AmountUnreadable, soles_parse
from minka.contests.models import AuditEntry, Contest, Cut, Edition, Phase, RulesVersion

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LIMA = ZoneInfo("America/Lima")
YEAR = timezone.now().year + 1  # every deadline below is ahead, so every cut can change
CUTS = (f"{YEAR}S1", f"{YEAR}S2")


def rules_for_edition(text: str | None = None) -> str:
    """The example rules with their cuts renamed to the edition's."""
    text = text or (EXAMPLES / "rules.json").read_text()
    return text.replace("2025S1", CUTS[0]).replace("2025S2", CUTS[1])


def url(name, edition, *args):
    return reverse(f"contests:{name}", args=[edition.contest.code, edition.year, *args])


@pytest.fixture
def coordinator(client, personas):
    client.force_login(personas.cusco_coordinator)
    return client


@pytest.fixture
def edition(tree, personas):
    """An edition made through the services, with nothing set yet."""
    contest = services.contest_create(
        code="sello-cusco", name_es="Sello Regional Cusco", territory=tree.cusco
    )
    return services.edition_create(
        contest=contest, year=YEAR, fund=Decimal("1500000.00"), user=personas.cusco_coordinator
    )


def phase_post(kind, starts, ends):
    return {"phase": kind, f"phase-{kind}-starts_at": starts, f"phase-{kind}-ends_at": ends}


def cut_post(code, name, evaluation, deadline, reply_days=5, key=""):
    prefix = f"cut-{key or 'new'}"
    return {
        "cut": key,
        f"{prefix}-code": code,
        f"{prefix}-name": name,
        f"{prefix}-evaluation_date": evaluation,
        f"{prefix}-evidence_deadline": deadline,
        f"{prefix}-reply_days": reply_days,
    }


# --- the fund as people write it -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1 500 000,00", "1500000.00"),
        ("1500000.00", "1500000.00"),
        ("1500000", "1500000.00"),
        ("S/ 1 500 000,00", "1500000.00"),
        ("1\u00a0500\u00a0000,5", "1500000.50"),
        ("1.500.000,00", "1500000.00"),
        ("1,500,000.00", "1500000.00"),
        ("1.500", "1500.00"),  # three digits after the only mark: a group, not decimals
        ("2500,75", "2500.75"),
    ],
)
def test_the_fund_is_read_as_written_in_peru(text, amount):
    assert soles_parse(text) == Decimal(amount)


@pytest.mark.parametrize(
    "text", ["", "abc", "1,50,000", "1500,001", "1.500,000.00", "12,3456.1", "-5", "1e6"]
)
def test_an_amount_that_cannot_be_read_one_way_is_refused(text):
    with pytest.raises(AmountUnreadable):
        soles_parse(text)


# --- a contest and its editions ----------------------------------------------------------


def test_the_coordinator_creates_a_contest_and_its_first_edition(coordinator, tree, personas):
    page = coordinator.get(reverse("contests:contest_create"))
    assert page.status_code == 200
    territories = page.context["form"].fields["territory"].queryset
    assert list(territories) == [tree.cusco]  # only what she coordinates, not Apurímac

    response = coordinator.post(
        reverse("contests:contest_create"),
        {
            "code": "sello-cusco",
            "name_es": "Sello Regional de la Primera Infancia",
            "name_en": "Regional Early Childhood Seal",
            "territory": tree.cusco.pk,
            "year": YEAR,
            "fund": "1 500 000,00",
            "legal_resolution": "RER N.° 123-2025-GR CUSCO",
            "time_zone": "America/Lima",
            "appeal_days": 5,
        },
    )

    edition = Edition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("schedule", edition)
    assert edition.contest.territory == tree.cusco
    assert edition.fund == Decimal("1500000.00")
    assert edition.legal_resolution == "RER N.° 123-2025-GR CUSCO"
    assert edition.time_zone == "America/Lima"
    assert AuditEntry.objects.get(action="edition_create").actor == personas.cusco_coordinator


def test_a_refused_contest_form_says_why_and_creates_nothing(coordinator, tree):
    data = {
        "code": "sello cusco",  # not a slug
        "name_es": "Sello",
        "territory": tree.cusco.pk,
        "year": YEAR,
        "fund": "1,50,000",
        "time_zone": "America/Lima",
        "appeal_days": 5,
    }
    response = coordinator.post(reverse("contests:contest_create"), data)

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"code", "fund"}
    assert not Contest.objects.exists()

    # The contest is not kept when its edition is refused by the service (fund zero).
    data.update(code="sello-cusco", fund="0,00")
    response = coordinator.post(reverse("contests:contest_create"), data)
    assert response.status_code == 400
    assert not Contest.objects.exists() and not Edition.objects.exists()


def test_another_edition_of_the_contest(coordinator, edition):
    page = coordinator.get(reverse("contests:edition_create", args=["sello-cusco"]))
    assert page.status_code == 200
    assert page.context["form"].initial["year"] == YEAR + 1
    assert page.context["form"].initial["fund"] == "1 500 000,00"

    data = {"year": YEAR + 1, "fund": "1800000.00", "time_zone": "America/Lima", "appeal_days": 7}
    response = coordinator.post(reverse("contests:edition_create", args=["sello-cusco"]), data)
    assert response.status_code == 302
    assert Edition.objects.get(year=YEAR + 1).fund == Decimal("1800000.00")

    again = coordinator.post(reverse("contests:edition_create", args=["sello-cusco"]), data)
    assert again.status_code == 400
    assert "El concurso ya tiene una edición" in again.content.decode()
    assert Edition.objects.count() == 2


# --- the calendar and the cuts -----------------------------------------------------------


def test_a_phase_ending_before_it_starts_is_refused_and_nothing_stored(coordinator, edition):
    response = coordinator.post(
        url("schedule", edition),
        phase_post("registration", f"{YEAR}-03-31T23:59:59", f"{YEAR}-03-01T08:00:00"),
    )

    assert response.status_code == 400
    assert "Convocatoria e inscripción: termina antes de empezar" in response.content.decode()
    assert not Phase.objects.exists()
    assert not AuditEntry.objects.filter(action="phase_set").exists()


def test_phase_dates_are_typed_in_the_editions_time_zone(coordinator, edition, personas):
    response = coordinator.post(
        url("schedule", edition),
        phase_post("registration", f"{YEAR}-03-01T08:00", f"{YEAR}-03-31T23:59:59"),
    )

    assert response.status_code == 302
    phase = Phase.objects.get(kind="registration")
    assert phase.starts_at == datetime(YEAR, 3, 1, 8, 0, tzinfo=LIMA)
    assert phase.ends_at == datetime(YEAR, 3, 31, 23, 59, 59, tzinfo=LIMA)
    # Shown back as typed, in the edition's zone.
    html = coordinator.get(url("schedule", edition)).content.decode()
    assert f'value="{YEAR}-03-31T23:59:59"' in html

    # Another edition in Santiago: the same digits are another instant.
    santiago = services.edition_create(
        contest=edition.contest,
        year=YEAR + 1,
        fund=Decimal("1000.00"),
        time_zone="America/Santiago",
        user=personas.cusco_coordinator,
    )
    coordinator.post(
        url("schedule", santiago),
        phase_post("preparation", f"{YEAR}-01-10T08:00", f"{YEAR}-01-20T08:00"),
    )
    stored = Phase.objects.get(edition=santiago)
    assert stored.starts_at == datetime(YEAR, 1, 10, 8, 0, tzinfo=ZoneInfo("America/Santiago"))


def test_a_phase_overlapping_the_previous_one_is_refused(coordinator, edition):
    coordinator.post(
        url("schedule", edition),
        phase_post("registration", f"{YEAR}-03-01T08:00", f"{YEAR}-03-31T23:59:59"),
    )
    response = coordinator.post(
        url("schedule", edition),
        phase_post("contest", f"{YEAR}-03-15T00:00", f"{YEAR}-10-31T00:00"),
    )
    assert response.status_code == 400
    assert "empieza antes de que termine la fase anterior" in response.content.decode()
    assert Phase.objects.count() == 1


def test_the_coordinator_adds_two_cuts(coordinator, edition):
    for number, (code, month) in enumerate(zip(CUTS, (6, 11), strict=True), start=1):
        response = coordinator.post(
            url("schedule", edition),
            cut_post(code, f"Corte {number}", f"{YEAR}-{month:02d}-28",
                     f"{YEAR}-{month + 1:02d}-10T23:59:59"),
        )
        assert response.status_code == 302

    cuts = list(Cut.objects.order_by("evidence_deadline"))
    assert [c.code for c in cuts] == list(CUTS)
    assert cuts[0].evaluation_date == date(YEAR, 6, 28)
    assert cuts[0].evidence_deadline == datetime(YEAR, 7, 10, 23, 59, 59, tzinfo=LIMA)
    assert AuditEntry.objects.filter(action="cut_set").count() == 2

    # A cut changes in its own row; the "add" form does not silently overwrite it.
    again = coordinator.post(
        url("schedule", edition),
        cut_post(CUTS[0], "Otro", f"{YEAR}-06-28", f"{YEAR}-07-10T23:59:59"),
    )
    assert again.status_code == 400
    changed = coordinator.post(
        url("schedule", edition),
        cut_post("ignored", "Primer corte", f"{YEAR}-06-28", f"{YEAR}-07-12T23:59:59",
                 reply_days=7, key=CUTS[0]),
    )
    assert changed.status_code == 302
    first = Cut.objects.get(code=CUTS[0])
    assert (first.name, first.reply_days) == ("Primer corte", 7)
    assert first.evidence_deadline == datetime(YEAR, 7, 12, 23, 59, 59, tzinfo=LIMA)
    assert Cut.objects.count() == 2


@pytest.mark.parametrize("code", ["2025X1", "25S1", "2025S3", ""])
def test_a_cut_code_must_be_a_dhis2_period(coordinator, edition, code):
    response = coordinator.post(
        url("schedule", edition),
        cut_post(code, "Corte", f"{YEAR}-06-28", f"{YEAR}-07-10T23:59:59"),
    )
    assert response.status_code == 400
    assert "code" in response.context["refused"].errors
    assert not Cut.objects.exists()


def test_a_cut_whose_deadline_passed_is_read_only_with_the_reason(coordinator, edition, personas):
    past = timezone.now() - timedelta(days=3)
    services.cut_set(edition=edition, code="2024S2", name="Corte pasado",
                     evaluation_date=past.date() - timedelta(days=10), evidence_deadline=past,
                     user=personas.cusco_coordinator)

    page = coordinator.get(url("schedule", edition))
    row = page.context["cut_rows"][0]
    assert row.form is None
    assert "plazo de entrega de evidencias venció" in row.fixed_because
    assert "Corte pasado" in page.content.decode()

    response = coordinator.post(
        url("schedule", edition),
        cut_post("", "Renombrado", past.date().isoformat(), f"{YEAR}-07-10T23:59:59",
                 key="2024S2"),
    )
    assert response.status_code == 400
    assert "ha vencido" in response.content.decode() or "venció" in response.content.decode()
    assert Cut.objects.get().name == "Corte pasado"


def test_a_cut_whose_readings_are_frozen_is_read_only(coordinator, edition, personas):
    cut = services.cut_set(edition=edition, code=CUTS[0], name="Corte 1",
                           evaluation_date=date(YEAR, 6, 28),
                           evidence_deadline=datetime(YEAR, 7, 10, 23, 59, 59, tzinfo=LIMA),
                           user=personas.cusco_coordinator)
    Cut.objects.filter(pk=cut.pk).update(readings_frozen_at=timezone.now())

    row = coordinator.get(url("schedule", edition)).context["cut_rows"][0]
    assert row.form is None and "lecturas de indicadores están congeladas" in row.fixed_because


# --- the rules ----------------------------------------------------------------------------


@pytest.fixture
def scheduled(edition, personas):
    """The edition with its registration phase and the two cuts of the rules."""
    coordinator = personas.cusco_coordinator
    services.phase_set(edition=edition, kind="registration",
                       starts_at=timezone.now() - timedelta(days=1),
                       ends_at=timezone.now() + timedelta(days=30), user=coordinator)
    for number, (code, month) in enumerate(zip(CUTS, (6, 11), strict=True), start=1):
        services.cut_set(edition=edition, code=code, name=f"Corte {number}",
                         evaluation_date=date(YEAR, month, 28),
                         evidence_deadline=datetime(YEAR, month + 1, 10, 23, 59, 59,
                                                    tzinfo=LIMA),
                         user=coordinator)
    return edition


def test_the_coordinator_uploads_the_rules_as_version_1(coordinator, scheduled, personas):
    upload = SimpleUploadedFile("RULES.json", rules_for_edition().encode(), "application/json")
    response = coordinator.post(url("rules", scheduled), {"document": upload, "note": "bases"})

    assert response.status_code == 302
    version = RulesVersion.objects.get()
    assert (version.number, version.note) == (1, "bases")
    assert version.created_by == personas.cusco_coordinator
    page = coordinator.get(url("rules", scheduled))
    html = page.content.decode()
    assert page.context["current"] == version
    assert "Agua segura" in html and f"&quot;{CUTS[0]}&quot;" in html
    assert page.context["current_json"].count("\n") > 20  # laid out for reading
    assert json.loads(page.context["current_json"]) == json.loads(rules_for_edition())


def test_the_rules_may_be_pasted_as_text(coordinator, scheduled):
    response = coordinator.post(url("rules", scheduled), {"text": rules_for_edition()})
    assert response.status_code == 302
    assert RulesVersion.objects.get().document == rules_for_edition()


def test_broken_rules_list_each_problem_with_its_line_and_field(coordinator, scheduled):
    broken = '{\n  "name": "Sello",\n  "fund": "1500000.00"\n  "cuts": []\n}'
    response = coordinator.post(url("rules", scheduled), {"text": broken})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "línea 4: JSON inválido (columna 3): Expecting ',' delimiter."
    ]
    assert "<li>línea 4: JSON inválido" in response.content.decode()
    assert not RulesVersion.objects.exists()

    raw = json.loads(rules_for_edition())
    raw["criteria"][0]["points"] = "diez"
    raw["criteria"][2]["pionts"] = 3
    response = coordinator.post(url("rules", scheduled), {"text": json.dumps(raw)})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "criteria[0].points: diez no es un número (escriba 1234.5, sin separador de miles).",
        "criteria[2].pionts: Campo desconocido: pionts.",
    ]
    assert not RulesVersion.objects.exists()


def test_rules_whose_cuts_are_not_the_editions_are_refused(coordinator, scheduled):
    example = (EXAMPLES / "rules.json").read_text()  # cuts 2025S1, 2025S2
    response = coordinator.post(url("rules", scheduled), {"text": example})
    assert response.status_code == 400
    assert not RulesVersion.objects.exists()


def test_a_file_and_a_text_together_are_refused(coordinator, scheduled):
    upload = SimpleUploadedFile("RULES.json", rules_for_edition().encode())
    response = coordinator.post(
        url("rules", scheduled), {"document": upload, "text": rules_for_edition()}
    )
    assert response.status_code == 400
    assert not RulesVersion.objects.exists()


def test_opening_registration_freezes_the_rules(coordinator, scheduled, client):
    coordinator.post(url("rules", scheduled), {"text": rules_for_edition(), "note": "v1"})
    edition_page = coordinator.get(url("edition", scheduled)).content.decode()
    assert url("registration_open", scheduled) in edition_page
    assert "congela la última versión de las bases" in edition_page

    response = coordinator.post(url("registration_open", scheduled))

    assert response.status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.rules_version == RulesVersion.objects.get(number=1)
    assert url("registration_open", scheduled) not in (
        coordinator.get(url("edition", scheduled)).content.decode()
    )
    # No new version once frozen: the page says so, a post is refused with the reason.
    page = coordinator.get(url("rules", scheduled))
    assert "no se puede guardar una nueva versión" in page.content.decode()
    refused = coordinator.post(url("rules", scheduled), {"text": rules_for_edition()})
    assert refused.status_code == 400
    assert "las bases están congeladas" in refused.content.decode()
    assert RulesVersion.objects.count() == 1
    again = coordinator.post(url("registration_open", scheduled))
    assert again.status_code == 400


def test_registration_does_not_open_without_rules(coordinator, scheduled):
    response = coordinator.post(url("registration_open", scheduled))
    assert response.status_code == 400
    scheduled.refresh_from_db()
    assert not scheduled.rules_frozen


def test_the_simulation_shows_the_awards_of_the_example(coordinator, scheduled):
    coordinator.post(url("rules", scheduled), {"text": rules_for_edition()})
    scores = SimpleUploadedFile("SCORES.csv", (EXAMPLES / "scores.csv").read_bytes(), "text/csv")

    response = coordinator.post(url("simulation", scheduled), {"version": 1, "scores": scores})

    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    # README, "Simulating awards": Cusco, first in category A with 95,55, wins
    # Primer puesto, S/ 214 285,72.
    assert (
        "<td>Primer puesto</td> <td class=\"num\">1</td><td class=\"num\">1</td>"
        "<td>080101</td><td>Cusco</td> <td class=\"num money\">S/ 214 285,72</td>"
    ) in html  # the amount never wraps (contests.css)
    assert "95,55" in html
    assert '<dd class="money">S/ 1 500 000,00</dd>' in html  # total awarded
    assert "contests/contests.css" in html
    assert not AuditEntry.objects.filter(action__startswith="score").exists()


def test_a_bad_scores_file_lists_its_problems(coordinator, scheduled):
    coordinator.post(url("rules", scheduled), {"text": rules_for_edition()})
    scores = SimpleUploadedFile("SCORES.csv", b"code,name,category,population,PLAN\n1,X,Z,1,5\n")
    response = coordinator.post(url("simulation", scheduled), {"version": 1, "scores": scores})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert response.context["report"] is None


# --- who may ------------------------------------------------------------------------------


def test_links_to_the_set_up_pages_are_for_coordinators(client, coordinator, edition, personas):
    html = coordinator.get(url("edition", edition)).content.decode()
    for name in ("schedule", "rules", "simulation", "registration_open"):
        assert url(name, edition) in html
    assert reverse("contests:edition_create", args=["sello-cusco"]) in html
    assert reverse("contests:contest_create") in coordinator.get(
        reverse("contests:list")
    ).content.decode()

    client.force_login(personas.cusco_official)
    html = client.get(url("edition", edition)).content.decode()
    assert url("schedule", edition) not in html and url("rules", edition) not in html
    assert reverse("contests:contest_create") not in client.get(
        reverse("contests:list")
    ).content.decode()


@pytest.mark.parametrize("persona", ["cusco_official", "apurimac_coordinator"])
def test_others_get_403_on_every_page_and_change_nothing(client, scheduled, personas, persona,
                                                         tree):
    services.rules_version_save(edition=scheduled, document=rules_for_edition(),
                                user=personas.cusco_coordinator)
    client.force_login(getattr(personas, persona))
    posts = {
        reverse("contests:edition_create", args=["sello-cusco"]): {
            "year": YEAR + 1, "fund": "1000.00", "time_zone": "America/Lima", "appeal_days": 5},
        url("schedule", scheduled): phase_post(
            "preparation", f"{YEAR}-01-01T00:00", f"{YEAR}-01-31T00:00"),
        url("rules", scheduled): {"text": rules_for_edition()},
        url("simulation", scheduled): {
            "version": 1, "scores": SimpleUploadedFile("s.csv", b"code\n")},
        url("registration_open", scheduled): {},
    }
    audit_before = AuditEntry.objects.count()
    for address, data in posts.items():
        assert client.get(address).status_code == 403, address
        assert client.post(address, data).status_code == 403, address

    create = reverse("contests:contest_create")
    contest = {"code": "sello-x", "name_es": "X", "territory": tree.cusco.pk, "year": YEAR,
               "fund": "1000,00", "time_zone": "America/Lima", "appeal_days": 5}
    if persona == "cusco_official":
        assert client.get(create).status_code == 403
        assert client.post(create, contest).status_code == 403
    else:  # Apurímac's coordinator creates seals of Apurímac, never of Cusco
        assert list(client.get(create).context["form"].fields["territory"].queryset) == [
            tree.apurimac
        ]
        assert client.post(create, contest).status_code == 400
    assert Contest.objects.count() == 1 and Edition.objects.count() == 1
    assert Phase.objects.filter(kind="preparation").count() == 0
    assert RulesVersion.objects.count() == 1
    scheduled.refresh_from_db()
    assert not scheduled.rules_frozen
    assert AuditEntry.objects.count() == audit_before


def test_the_public_is_sent_to_sign_in(client, edition):
    response = client.get(url("schedule", edition))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
