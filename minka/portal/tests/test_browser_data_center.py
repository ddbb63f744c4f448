"""The dashboard and the data center in Debian's Chromium (Playwright), on the anaemia
dataset of minka/analytics/tests/factories.py (province 0801: 26,7 %; districts 080104
20 % and 080101 30 %; ANEMIA_DRAFT unpublished). Screenshots go to $MINKA_SCREENSHOTS
(default var/screenshots, git-ignored).

Needs /usr/bin/chromium (make test installs it); never downloads a browser.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from django.conf import settings

from minka.accounts.models import Role
from minka.accounts.services import role_assign, user_create
from minka.analytics.services import analytics_refresh
from minka.analytics.tests.factories import anaemia_data
from minka.portal.tests.test_browser import CHROMIUM, browser, page  # noqa: F401 (fixtures)

SCREENSHOTS = Path(
    os.environ.get("MINKA_SCREENSHOTS", settings.PROJECT_DIR / "var" / "screenshots")
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def data(tree):
    dataset = anaemia_data(tree)
    analytics_refresh()
    return dataset


def shot(page, name: str) -> None:  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def table_on_screen(page) -> list[list[str]]:  # noqa: F811
    """The ranking table as downloaded: headers as shown, then each cell's plain value."""
    headers = page.locator("#ranking thead th").all_inner_texts()
    rows = [
        [cell.get_attribute("data-value") or "" for cell in row.locator("td").all()]
        for row in page.locator("#ranking tbody tr").all()
    ]
    return [[h.strip() for h in headers], *rows]


def test_an_official_drills_down_switches_language_and_downloads_the_table(
    page,  # noqa: F811
    live_server,
    data,
    tmp_path,
):
    official = user_create(username="funcionario_provincia", password="correct horse battery")
    role_assign(
        user=official, role=Role.MUNICIPAL_OFFICIAL, institution=data.tree.muni_cusco_province
    )
    page.goto(live_server.url + "/cuenta/ingresar/")
    page.get_by_label("Nombre de usuario").fill("funcionario_provincia")
    page.get_by_label("Contraseña").fill("correct horse battery")
    page.get_by_role("button", name="Ingresar").click()

    page.get_by_role("link", name="Tablero").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("CUSCO")
    card = page.locator(".figure-cards li").filter(has_text="Anemia en niños de 6 a 35 meses")
    assert "26,7" in card.locator(".figure").inner_text()
    assert "En camino" in card.inner_text()
    draft = page.locator(".figure-cards h3").filter(has_text="Borrador")
    assert "no publicado" in draft.inner_text()  # signed in: unpublished, and marked
    shot(page, "dashboard.png")

    page.get_by_role("link", name="SAN JERÓNIMO").click()  # drill down
    assert page.get_by_role("heading", level=1).inner_text().startswith("SAN JERÓNIMO")
    page.get_by_role("link", name="↑ CUSCO").click()  # and up again
    card = page.locator(".figure-cards li").filter(has_text="Anemia en niños de 6 a 35 meses")
    card.get_by_role("link", name="Anemia en niños de 6 a 35 meses").click()
    assert page.locator("#ranking tbody tr").count() == 2

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Ranking").is_visible()
    shot(page, "indicator_en.png")

    with page.expect_download() as pending:
        page.get_by_role("link", name="CSV").click()
    saved = tmp_path / "ranking.csv"
    pending.value.save_as(saved)
    with saved.open(encoding="utf-8-sig", newline="") as handle:
        downloaded = list(csv.reader(handle))
    on_screen = table_on_screen(page)
    assert downloaded == on_screen
    assert downloaded[1][:4] == ["1", "080104", "SAN JERÓNIMO", "20.0"]
    assert downloaded[0][3] == "Value"  # the English table, downloaded in English


def test_the_public_reads_a_territory_and_an_indicator_and_no_unpublished_one(
    page,  # noqa: F811
    live_server,
    data,
):
    page.goto(live_server.url + "/datos/")
    assert page.get_by_role("link", name="Anemia en niños de 6 a 35 meses").is_visible()
    page.get_by_label("Busque un territorio").fill("jeronimo")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("link", name="SAN JERÓNIMO").click()
    assert "20,0" in page.locator(".figure-cards").inner_text()
    shot(page, "public_territory.png")

    page.get_by_role("link", name="Anemia en niños de 6 a 35 meses").first.click()
    assert page.get_by_role("heading", name="Anemia en niños de 6 a 35 meses").is_visible()
    page.get_by_text("La gráfica como tabla").click()
    assert page.get_by_role("cell", name="2023").first.is_visible()
    shot(page, "public_indicator.png")

    for path in ("/datos/", "/datos/territorio/PE/0801/", "/datos/indicador/ANEMIA_PCT/"):
        page.goto(live_server.url + path)
        assert "Borrador" not in page.content()
        assert "ANEMIA_DRAFT" not in page.content()
    response = page.goto(live_server.url + "/datos/indicador/ANEMIA_DRAFT/")
    assert response is not None and response.status == 404
