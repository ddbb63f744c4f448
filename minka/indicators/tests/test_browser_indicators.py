"""A regional coordinator writes an indicator sheet in Debian's Chromium (Playwright): a
formula with an unknown code is refused and its spot pointed at; fixed, it saves.

Needs /usr/bin/chromium (make test installs it); never downloads a browser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minka.analytics.tests.factories import anaemia_data
from minka.indicators.models import IndicatorSheet
from minka.portal.tests.test_browser import CHROMIUM, browser, page  # noqa: F401 (fixtures)

SCREENSHOTS = Path(os.environ.get("MINKA_SCREENSHOTS", "/tmp"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def test_coordinator_fixes_an_unknown_code_in_a_formula_then_saves(
    page, live_server, tree, personas  # noqa: F811
):
    anaemia_data(tree, with_values=False)
    page.goto(live_server.url + "/cuenta/ingresar/")
    page.get_by_label("Nombre de usuario").fill("coordinadora_cusco")
    page.get_by_label("Contraseña").fill("correct horse battery")
    page.get_by_role("button", name="Ingresar").click()

    page.goto(live_server.url + "/indicadores/")
    page.get_by_role("link", name="Nueva ficha de indicador").click()
    page.get_by_label("Código", exact=True).fill("ANEMIA_RATE")
    page.get_by_label("Nombre (español)").fill("Tasa de anemia")
    formula = page.get_by_label("Fórmula", exact=True)
    formula.fill("100 * #{ANEMIA} / #{TAMIZADOS}")
    page.get_by_role("button", name="Guardar").click()

    assert page.get_by_role("alert").is_visible()
    problems = page.locator("#formula-problems li")
    assert problems.count() == 1
    message = problems.locator("p").first.inner_text()
    assert "TAMIZADOS" in message and "19" in message
    # the spot: what comes before the mark is the 18 characters before the unknown code
    spot = problems.locator("pre")
    assert spot.locator("mark").inner_text() == "#"
    assert spot.inner_text().startswith("100 * #{ANEMIA} / #{TAMIZADOS}")
    assert "^" in spot.locator(".caret").inner_text()
    assert formula.get_attribute("aria-invalid") == "true"
    assert not IndicatorSheet.objects.filter(code="ANEMIA_RATE").exists()
    page.screenshot(path=str(SCREENSHOTS / "indicator_formula_error.png"), full_page=True)

    formula.fill("100 * #{ANEMIA} / #{SCREENED}")
    page.get_by_role("button", name="Guardar").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tasa de anemia")
    assert page.get_by_text("100 * #{ANEMIA} / #{SCREENED}").is_visible()
    assert IndicatorSheet.objects.get(code="ANEMIA_RATE").formula == (
        "100 * #{ANEMIA} / #{SCREENED}"
    )
    page.screenshot(path=str(SCREENSHOTS / "indicator_sheet.png"))
