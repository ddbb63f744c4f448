"""The site as a person uses it, in Debian's Chromium driven by Playwright.

Needs /usr/bin/chromium (make test installs it); never downloads a browser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="es-PE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_public_finds_a_district_without_accents_then_switches_to_english(
    page, live_server, tree
):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_label("Busque un territorio por nombre o código").fill("jeronimo")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("link", name="SAN JERÓNIMO").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("SAN JERÓNIMO")

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Territories").first.is_visible()


def test_official_signs_in_and_updates_their_municipality(page, live_server, tree, personas):
    page.goto(live_server.url + "/cuenta/ingresar/")
    page.get_by_label("Usuario").fill("funcionaria_cusco")
    page.get_by_label("Contraseña").fill("correct horse battery")
    page.get_by_role("button", name="Ingresar").click()
    page.goto(f"{live_server.url}/territorios/instituciones/{tree.muni_cusco.pk}/")
    page.get_by_role("link", name="Editar datos de contacto").click()
    page.get_by_label("Correo de contacto").fill("no es un correo")
    page.get_by_role("button", name="Guardar").click()
    assert page.get_by_role("alert").is_visible()
    page.get_by_label("Correo de contacto").fill("dit@municusco.gob.pe")
    page.get_by_role("button", name="Guardar").click()
    assert page.get_by_text("dit@municusco.gob.pe").is_visible()
    page.screenshot(path=str(Path(os.environ.get("MINKA_SCREENSHOTS", "/tmp")) / "official.png"))
