"""A seal contest end to end in Debian's Chromium (Playwright), as its people use it:
the official of San Jerónimo registers the municipality and uploads means of verification,
the coordinator of Cusco approves the registration, the evaluator observes, rejects and
approves, the coordinator freezes the cut and publishes, the public reads the results,
the official appeals, the coordinator accepts the appeal and publishes version 2, which
shows what changed. Spanish interface throughout. Screenshots go to $MINKA_SCREENSHOTS
(default var/screenshots, git-ignored).

The edition (RULES below: one cut, fund S/ 1 500 000,00, category A):
  PLAN (weight 60): PLAN-01 evidence, 10 points, mandatory                  max 10
  COM  (weight 40): COM-01 evidence, 5 points; COM-02 evidence, 3 points    max 8
  Cusco (set up before the browser): PLAN-01 and COM-02 approved
        → 60 + 40 × 3/8 = 75,00
  San Jerónimo, version 1: PLAN-01 approved after an observation, COM-01 rejected
        → 60,00; version 2 (COM-01 approved on appeal) → 60 + 40 × 5/8 = 85,00
  Tiers: first place S/ 1 000 000,00, second S/ 500 000,00 (the whole fund).
  Version 1: Cusco first (S/ 1 000 000,00), San Jerónimo second (S/ 500 000,00);
  version 2: San Jerónimo first, Cusco second.

Time: the edition is set in the real present (registration open, the cut's deadline ten
days ahead), and the deadline is moved to a second ago when the reviews are done, as if
those days had passed. Publishing needs it passed, and the live server's thread shares
the clock with this test, so no clock is faked.

Needs /usr/bin/chromium (make test installs it); never downloads a browser.
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from minka.contests import services
from minka.contests.models import Cut
from minka.portal.tests.test_browser import CHROMIUM, CHROMIUM_ARGS, browser  # noqa: F401

SCREENSHOTS = Path(
    os.environ.get("MINKA_SCREENSHOTS", settings.PROJECT_DIR / "var" / "screenshots")
)
LIMA = ZoneInfo("America/Lima")
PASSWORD = "correct horse battery"
PDF = b"%PDF-1.4\nMedio de verificacion\n%%EOF\n"

RULES = json.dumps({
    "name": "Sello Regional Cusco 2025",
    "fund": "1500000.00",
    "cuts": ["2025S1"],
    "components": [
        {"code": "PLAN", "name": "Planificación", "weight": 60},
        {"code": "COM", "name": "Comunicación", "weight": 40},
    ],
    "criteria": [
        {"code": "PLAN-01", "component": "PLAN", "kind": "evidence", "points": 10,
         "mandatory": True, "name": "Plan articulado aprobado por ordenanza"},
        {"code": "COM-01", "component": "COM", "kind": "evidence", "points": 5,
         "name": "Campaña contra la anemia"},
        {"code": "COM-02", "component": "COM", "kind": "evidence", "points": 3,
         "name": "Vocería municipal"},
    ],
    "categories": [{"code": "A", "name": "Municipios distritales"}],
    "eligibility": {"minimum_total": 50, "mandatory_required": True},
    "tiers": [
        {"name": "Primer puesto", "winners": 1, "amount": "1000000.00"},
        {"name": "Segundo puesto", "winners": 1, "amount": "500000.00"},
    ],
    "remainder": "carry_over",
})

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def edition(tree, personas):
    """The edition open for registration now, and Cusco registered with PLAN-01 and
    COM-02 approved."""
    coordinator = personas.cusco_coordinator
    now = timezone.now()
    contest = services.contest_create(code="sello-cusco", name_es="Sello Regional Cusco",
                                      territory=tree.cusco)
    edition = services.edition_create(contest=contest, year=2025, fund=Decimal("1500000.00"),
                                      user=coordinator, legal_resolution="RER N.° 321-2025")
    services.phase_set(edition=edition, kind="registration", starts_at=now - timedelta(days=1),
                       ends_at=now + timedelta(days=30), user=coordinator)
    services.cut_set(edition=edition, code="2025S1", name="Primer corte",
                     evaluation_date=timezone.localtime(now, LIMA).date(),
                     evidence_deadline=now + timedelta(days=10), user=coordinator)
    services.rules_version_save(edition=edition, document=RULES, user=coordinator)
    services.registration_open(edition=edition, user=coordinator)
    cusco = services.registration_submit(
        edition=edition, municipality=tree.muni_cusco, user=personas.cusco_official,
        accept_rules=True, council_act=ContentFile(PDF, name="acta.pdf"))
    services.registration_review(registration=cusco, user=coordinator, approve=True,
                                 category="A")
    cut = edition.cuts.get()
    for criterion in ("PLAN-01", "COM-02"):
        evidence = services.evidence_upload(
            registration=cusco, cut=cut, criterion=criterion,
            files=[ContentFile(PDF, name=f"{criterion}.pdf")], user=personas.cusco_official)
        services.evidence_review(evidence=evidence, user=personas.evaluator,
                                 decision="approved")
    return edition


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def signed_in(browser, live_server, username: str | None):  # noqa: F811
    """A page in its own browser context (its own cookies), signed in as `username`, or
    the anonymous public for None."""
    context = browser.new_context(locale="es-PE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    if username:
        page.goto(live_server.url + "/cuenta/ingresar/")
        page.get_by_label("Nombre de usuario").fill(username)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Ingresar").click()
        page.wait_for_url(lambda url: "/cuenta/ingresar/" not in url)
    return page


def pdf_file(name: str, note: str) -> dict:
    return {"name": name, "mimeType": "application/pdf",
            "buffer": b"%PDF-1.4\n" + note.encode() + b"\n%%EOF\n"}


def row(page, table: str, *texts: str):
    found = page.locator(f"{table} tbody tr")
    for text in texts:
        found = found.filter(has_text=text)
    return found


def ranking(page) -> list[list[str]]:
    return [
        [re.sub(r"\s+", " ", cell).strip() for cell in tr.locator("td").all_inner_texts()]
        for tr in page.locator("table.ranking tbody tr").all()
    ]


def test_a_seal_from_registration_to_a_second_published_version(
    browser, live_server, edition, tree  # noqa: F811
):
    base = f"{live_server.url}/sellos/sello-cusco/2025/"
    official = signed_in(browser, live_server, "funcionario_san_jeronimo")
    coordinator = signed_in(browser, live_server, "coordinadora_cusco")
    evaluator = signed_in(browser, live_server, "evaluadora")
    public = signed_in(browser, live_server, None)
    sj = tree.muni_san_jeronimo.name

    # The official registers the municipality, accepting the rules, with the council act.
    official.goto(base)
    official.get_by_role("link", name="Inscribir a mi municipalidad").click()
    official.get_by_label("Acta de sesión de concejo").set_input_files(
        pdf_file("acta_de_concejo.pdf", "Acta de sesion de concejo"))
    official.get_by_label("Acepto las bases de esta edición").check()
    official.get_by_role("button", name="Inscribir").click()
    assert official.get_by_text(f"{sj} quedó inscrita").is_visible()

    # The coordinator approves it into category A.
    coordinator.goto(base)
    coordinator.get_by_role("link", name="Inscripciones").click()
    coordinator.get_by_role("link", name=sj).click()
    coordinator.get_by_label("Aprobar").check()
    coordinator.get_by_label("Categoría").select_option("A")
    coordinator.get_by_role("button", name="Guardar la decisión").click()
    assert row(coordinator, "table", sj).locator("td").nth(1).inner_text() == "Aprobado"

    # The official uploads PLAN-01 and COM-01.
    official.goto(base)
    official.get_by_role("link", name=f"Medios de verificación de {sj}").click()
    checklist = official.url
    for criterion in ("PLAN-01", "COM-01"):
        official.goto(checklist)
        row(official, "#checklist", criterion).get_by_role("link", name="Subir").click()
        official.get_by_label("Archivos").set_input_files(
            pdf_file(f"{criterion}.pdf", criterion))
        official.get_by_role("button", name="Subir").click()
        assert official.get_by_text(f"Guardado: los archivos se agregaron a {criterion}.")\
            .is_visible()
    assert row(official, "#checklist", "PLAN-01").locator("td").nth(2).inner_text() \
        == "Presentado"
    shot(official, "contest_checklist.png")

    # The evaluator observes PLAN-01 and rejects COM-01.
    evaluator.goto(base)
    evaluator.get_by_role("link", name="Bandeja de revisión").click()
    queue = evaluator.url
    for criterion, decision, reason in (
        ("PLAN-01", "Observar", "La ordenanza no tiene firma."),
        ("COM-01", "Rechazar", "La campaña no tiene fecha ni alcance."),
    ):
        evaluator.goto(queue)
        row(evaluator, "#queue", sj, criterion).get_by_role("link").click()
        evaluator.get_by_label(decision).check()
        evaluator.get_by_label("Motivo").fill(reason)
        evaluator.get_by_role("button", name="Guardar la decisión").click()
        assert evaluator.get_by_text("Se registró la decisión.").is_visible()
    assert row(evaluator, "#queue", sj).count() == 0

    # The official answers the observation with a signed file.
    official.goto(checklist)
    assert row(official, "#checklist", "PLAN-01").locator("td").nth(2).inner_text() \
        == "Observado"
    assert row(official, "#checklist", "COM-01").locator("td").nth(2).inner_text() \
        == "Rechazado"
    row(official, "#checklist", "PLAN-01").get_by_role("link", name="Subir").click()
    assert official.get_by_text("Observado: absuelva la observación").is_visible()
    official.get_by_label("Archivos").set_input_files(
        pdf_file("PLAN-01_firmado.pdf", "PLAN-01 firmado"))
    official.get_by_role("button", name="Subir").click()
    assert row(official, "#checklist", "PLAN-01").locator("td").nth(2).inner_text() \
        == "Presentado"

    # The evaluator approves the answer.
    evaluator.goto(queue)
    row(evaluator, "#queue", sj, "PLAN-01").get_by_role("link").click()
    assert evaluator.get_by_role("link", name="PLAN-01_firmado.pdf").is_visible()
    evaluator.get_by_label("Aprobar").check()
    evaluator.get_by_role("button", name="Guardar la decisión").click()
    assert evaluator.get_by_text("No hay nada que revisar.").is_visible()

    # Ten days later the cut's deadline has passed.
    Cut.objects.filter(edition=edition).update(
        evidence_deadline=timezone.now() - timedelta(seconds=1))

    # The coordinator freezes the cut's readings and publishes version 1.
    coordinator.goto(base)
    coordinator.get_by_role("link", name="Congelar lecturas").click()
    coordinator.get_by_role("button", name="Congelar lecturas").click()
    assert coordinator.get_by_text("Las lecturas de Primer corte quedaron congeladas").is_visible()
    coordinator.get_by_role("link", name="Publicar puntajes").first.click()
    coordinator.get_by_label("Por qué se publica ahora").fill("Resultados del primer corte")
    coordinator.get_by_role("button", name="Publicar puntajes").click()
    assert coordinator.get_by_text("Se publicó la versión 1 de los puntajes.").is_visible()

    # The public reads the ranking and the awards; no amount wraps on a phone.
    public.set_viewport_size({"width": 360, "height": 780})
    public.goto(base)
    public.get_by_role("link", name="Resultados (versión 1)").click()
    assert ranking(public) == [
        ["1", tree.muni_cusco.name, "60,00", "15,00", "75,00", "sí",
         "Primer puesto · S/ 1 000 000,00"],
        ["2", sj, "60,00", "0,00", "60,00", "sí", "Segundo puesto · S/ 500 000,00"],
    ]
    assert public.locator("#fund-total").inner_text() == "S/ 1 500 000,00"
    assert public.locator("#fund-remainder").inner_text() == "S/ 0,00"
    amounts = public.locator("table.ranking .money")
    assert amounts.count() == 2
    for amount in amounts.all():
        assert amount.evaluate("e => e.getClientRects().length") == 1  # on one line
    shot(public, "contest_results_v1_phone.png")
    with public.expect_download() as pending:
        public.get_by_role("link", name="Anexo para la resolución (PDF)").click()
    annex = Path(pending.value.path()).read_bytes()
    assert annex.startswith(b"%PDF-")

    # The official appeals the rejection of COM-01 from the municipality's results.
    official.goto(base + "resultados/")
    official.get_by_role("link", name=sj).click()
    decision = official.get_by_label("Decisión apelada")
    assert decision.locator("option").all_inner_texts() == [
        "Primer corte · COM-01 Campaña contra la anemia"]
    official.get_by_label("Por qué debe cambiar").fill(
        "La campaña se difundió del 1 al 30 de marzo; el cronograma está en el archivo.")
    official.get_by_role("button", name="Presentar la apelación").click()
    assert official.get_by_text("Se presentó la apelación").is_visible()

    # The coordinator accepts it and publishes version 2.
    coordinator.goto(base)
    coordinator.get_by_role("link", name="Apelaciones").click()
    row(coordinator, "#appeals", sj, "COM-01").get_by_role("link", name="Resolver").click()
    coordinator.get_by_label("Aceptar: aprobar el medio de verificación").check()
    coordinator.get_by_label("Resolución").fill("El cronograma prueba la difusión.")
    coordinator.get_by_role("button", name="Guardar la decisión").click()
    assert coordinator.get_by_text("Se resolvió la apelación.").is_visible()
    assert row(coordinator, "#appeals", sj).locator("td").nth(6).inner_text() == "Aceptada"
    coordinator.get_by_role("link", name="Publicar puntajes").last.click()
    coordinator.get_by_label("Por qué se publica ahora").fill("Apelación resuelta")
    coordinator.get_by_role("button", name="Publicar puntajes").click()
    assert coordinator.get_by_text("Se publicó la versión 2 de los puntajes.").is_visible()

    # Version 2 shows what changed.
    public.reload()
    assert public.get_by_role("heading", name="Qué cambió desde la versión 1").is_visible()
    changes = [
        [re.sub(r"\s+", " ", cell).strip() for cell in tr.locator("td").all_inner_texts()]
        for tr in public.locator("#changes-table tbody tr").all()
    ]
    assert changes == [
        [sj, "60,00 → 85,00", "2 → 1",
         "Segundo puesto · S/ 500 000,00 → Primer puesto · S/ 1 000 000,00"],
        [tree.muni_cusco.name, "75,00 → 75,00", "1 → 2",
         "Primer puesto · S/ 1 000 000,00 → Segundo puesto · S/ 500 000,00"],
    ]
    assert ranking(public)[0] == ["1", sj, "60,00", "25,00", "85,00", "sí",
                                  "Primer puesto · S/ 1 000 000,00"]
    shot(public, "contest_results_v2_phone.png")
    public.get_by_role("combobox", name="Versión").select_option("1")
    public.get_by_role("button", name="Mostrar").click()
    assert ranking(public)[0][1] == tree.muni_cusco.name  # version 1 reads as it was
