"""The scoring pages as the coordinator, the officials of two municipalities and the
public use them, on the small edition of test_scores.py (figures computed by hand there)."""

from __future__ import annotations

import io
import re
import socket
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from weasyprint import HTML

from minka.contests import services
from minka.contests.annex import annex_document, annex_html, local_fetcher
from minka.contests.models import Appeal, AppealStatus, IndicatorReading, ScoreVersion
from minka.contests.results import results_build
from minka.contests.templatetags.contests import money_nowrap
from minka.contests.tests.test_scores import Scored, anaemia_with_baseline

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scored(tree, personas):
    anaemia_with_baseline(tree)
    return Scored(tree, personas)


@pytest.fixture
def published(scored):
    scored.freeze()
    services.scores_publish(edition=scored.edition, user=scored.coordinator,
                            reason="Resultados del primer corte")  # now: the window is open
    return scored


def url(name, edition, *args):
    return reverse(f"contests:{name}", args=[edition.contest.code, edition.year, *args])


def cells(html, table_class="ranking"):
    """The text of each row of the ranking tables, cell by cell."""
    rows = []
    for table in re.findall(rf'<table[^>]*class="{table_class}".*?</table>', html, re.S):
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
            rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
                         for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)])
    return rows


def test_the_public_sees_nothing_before_publication(client, scored):
    scored.freeze()
    edition = scored.edition

    for name, args in (("results", ()), ("results_excel", ()), ("results_pdf", ()),
                       ("results_municipality", (scored.cusco.pk,))):
        assert client.get(url(name, edition, *args)).status_code == 404
    assert url("results", edition) not in client.get(url("edition", edition)).content.decode()


def test_the_public_reads_the_ranking_the_fund_and_never_an_unpublished_version(client,
                                                                                 published):
    edition = published.edition
    response = client.get(url("results", edition))
    html = response.content.decode()

    assert response.status_code == 200
    assert url("results", edition) in client.get(url("edition", edition)).content.decode()
    rows = cells(html)
    assert [r[:5] + r[6:] for r in rows] == [
        ["1", published.cusco.municipality.name, "40,00", "6,66", "46,66",
         "Primer puesto · S/ 600,00"],
        ["2", published.san_jeronimo.municipality.name, "0,00", "30,00", "30,00", "—"],
    ]
    assert rows[1][5].endswith(": Criterio obligatorio PLAN-01 no cumplido en el corte 2023S1.")
    assert "S/ 1 000,00" in html and "S/ 600,00" in html and "S/ 400,00" in html
    assert "pasa a la siguiente edición" in html  # why the remainder is not awarded
    assert client.get(url("results", edition) + "?version=2").status_code == 404
    assert client.get(url("results", edition) + "?version=uno").status_code == 404
    assert client.get(url("results_excel", edition) + "?version=2").status_code == 404


def test_amounts_never_wrap_in_the_narrow_cells(client, published):
    html = client.get(url("results", published.edition)).content.decode()

    assert '<td>Primer puesto · <span class="money">S/ 600,00</span></td>' in html
    assert '<dd id="fund-total" class="money">S/ 1 000,00</dd>' in html
    assert '<span class="money">S/ 400,00</span> pasa a la siguiente edición' in html
    stylesheet = finders.find("contests/contests.css")
    assert stylesheet is not None and static("contests/contests.css") in html
    assert re.search(r"\.money\s*\{\s*white-space:\s*nowrap;", Path(stylesheet).read_text())


@pytest.mark.parametrize(("text", "html"), [
    ("Primer puesto · S/ 1 500 000,00",
     'Primer puesto · <span class="money">S/ 1 500 000,00</span>'),
    ("-S/ 0,50 y S/ 12,00",
     '<span class="money">-S/ 0,50</span> y <span class="money">S/ 12,00</span>'),
    ("<b>S/ 5,00</b>", '&lt;b&gt;<span class="money">S/ 5,00</span>&lt;/b&gt;'),
    ("Medalla de oro", "Medalla de oro"),
])
def test_money_nowrap_wraps_each_amount_and_escapes_the_rest(text, html):
    assert money_nowrap(text) == html


def test_the_excel_file_holds_the_ranking_shown(client, published):
    edition = published.edition
    html = client.get(url("results", edition)).content.decode()
    response = client.get(url("results_excel", edition))

    assert response["Content-Disposition"].endswith('-v1.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    ranking, criteria = book.worksheets
    rows = list(ranking.iter_rows(values_only=True))
    assert rows[1][:6] == ("Municipios distritales", 1, "080101",
                           published.cusco.municipality.name, 40, 6.66)
    assert rows[1][6] == 46.66 and rows[1][9:] == ("Primer puesto", 600)
    assert rows[2][1:4] == (2, "080104", published.san_jeronimo.municipality.name)
    assert rows[2][6] == 30 and rows[2][9:] == (None, None)
    shown = [(r[0], r[1], r[4]) for r in cells(html)]
    assert [(str(r[1]), r[3], f"{r[6]:.2f}".replace(".", ",")) for r in rows[1:3]] == shown
    fund = {r[0]: r[1] for r in rows if r and r[0] in ("Fund", "Fondo", "Awarded", "Otorgado",
                                                       "Remainder", "Remanente")}
    assert sorted(fund.values()) == [400, 600, 1000]
    assert len(list(criteria.iter_rows())) == 1 + 6  # header + 2 municipalities × 3


def test_the_pdf_annex_is_a_pdf_download_named_for_its_version(client, published):
    response = client.get(url("results_pdf", published.edition))

    pdf = response.content
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="sello-prueba-2023-v1.pdf"'
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert client.get(url("results_pdf", published.edition) + "?version=2").status_code == 404


def text_boxes(box):
    """Every piece of text WeasyPrint laid out in a box, in document order."""
    if getattr(box, "text", None) is not None:
        yield box.text
    for child in getattr(box, "children", None) or ():
        yield from text_boxes(child)


def page_texts(document):
    """Each page's text, its pieces joined by spaces (margin boxes, the footer, included)."""
    return [" ".join(text_boxes(page._page_box)) for page in document.pages]


def test_the_annex_holds_the_header_winners_amounts_and_fund_check(published):
    version = published.edition.score_versions.get()

    document = annex_document(results_build(version))

    pages = page_texts(document)
    text = " ".join(pages)
    assert len(pages) == 2
    assert text.startswith("Sello de prueba 2023 Anexo de la resolución: resultados y premios")
    assert "Resolución de aprobación RER N.° 45-2023 Versión publicada 1" in text
    published_on = timezone.localtime(version.published_at, ZoneInfo("America/Lima"))
    assert f"Publicada el {published_on:%d/%m/%Y %H:%M} (America/Lima)" in text
    assert "PLAN = Planificación (40); DIT = Primera infancia (60)" in text
    # The ranking of category A, by hand in test_scores.py: points by component, total,
    # eligibility, award and amount.
    assert ("1 080101 Municipalidad Distrital de CUSCO 40,00 6,66 46,66 sí Primer puesto "
            "S/ 600,00") in text
    assert ("2 080104 Municipalidad Distrital de SAN JERÓNIMO 0,00 30,00 30,00 no: Criterio "
            "obligatorio PLAN-01 no cumplido en el corte 2023S1. — —") in text
    assert ("Primer puesto A 1 Municipalidad Distrital de CUSCO S/ 600,00 "
            "Total otorgado S/ 600,00") in text
    assert "Fondo S/ 1 000,00 Otorgado S/ 600,00 Remanente S/ 400,00" in text
    assert "Los premios no suman el total del fondo, por estas razones:" in text
    assert "El remanente de S/ 400,00 pasa a la siguiente edición del concurso." in text
    assert pages[0].endswith("Sello de prueba 2023 · versión 1 Página 1 de 2")
    assert pages[1].endswith("Sello de prueba 2023 · versión 1 Página 2 de 2")
    pieces = [piece for page in document.pages for piece in text_boxes(page._page_box)]
    for piece in pieces:  # no amount broken across lines
        assert piece.count("S/") == len(re.findall(r"S/ \d{1,3}(?: \d{3})*,\d\d", piece))
    assert pieces.count("S/ 600,00") == 4  # ranking, award, its total, awarded


def test_the_annex_in_english(published):
    version = published.edition.score_versions.get()

    with translation.override("en"):
        text = " ".join(page_texts(annex_document(results_build(version))))

    assert text.startswith("Sello de prueba 2023 Annex to the resolution: results and awards")
    assert "Legal resolution RER N.° 45-2023 Published version 1" in text
    assert "1 080101 Municipalidad Distrital de CUSCO 40.00 6.66 46.66 yes Primer" in text
    assert "Fund S/ 1 000,00 Awarded S/ 600,00 Remainder S/ 400,00" in text  # soles, as in Peru
    assert "Sello de prueba 2023 · version 1 Page 1 of 2" in text


def test_a_balanced_fund_is_said_so(published):
    version = published.edition.score_versions.get()
    ScoreVersion.objects.filter(pk=version.pk).update(awarded=D("1000.00"),
                                                      remainder=D("0.00"), allocation_notes=[])
    version.refresh_from_db()

    html = annex_html(results_build(version))

    assert "Los premios suman el fondo, al céntimo." in html
    assert "no suman" not in html


def test_the_annex_fetches_nothing_from_the_network(published):
    """The template links nothing; and were a link to slip in, the fetcher refuses it
    before connecting (a listening socket on 127.0.0.1 sees no connection)."""
    version = published.edition.score_versions.get()
    assert "http" not in annex_html(results_build(version))
    fetcher = local_fetcher()
    assert fetcher("data:text/plain,hola").read() == b"hola"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        address = "http://127.0.0.1:%d/logo.png" % listener.getsockname()[1]
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher(address)
        HTML(string=f'<img src="{address}"><link rel="stylesheet" href="{address}">',
             url_fetcher=fetcher).write_pdf()
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_a_municipality_s_points_explained_with_the_evidence_behind_them(client, published):
    edition = published.edition
    stored = published.evidence_cusco.files.get()
    page_url = url("results_municipality", edition, published.cusco.pk)

    html = client.get(page_url).content.decode()
    assert "Evidencia #%d aprobada por evaluadora" % stored.pk in html
    assert "plan_articulado.pdf" in html
    assert reverse("contests:evidence_file", args=[stored.pk]) not in html  # no download
    assert "De 40 a 30 hacia la meta 10" in html
    assert "2023S1" in html and "HIS" in html
    assert "Planificación" in html and "46,66" in html

    client.force_login(published.personas.cusco_official)
    html = client.get(page_url).content.decode()
    assert reverse("contests:evidence_file", args=[stored.pk]) in html


def test_the_official_appeals_from_the_municipality_page(client, published):
    edition = published.edition
    page_url = url("results_municipality", edition, published.san_jeronimo.pk)
    client.force_login(published.personas.san_jeronimo_official)

    html = client.get(page_url).content.decode()
    assert 'value="2023S1|PLAN-01"' in html  # the rejected decision, and only it
    choices = re.search(r'<select name="decision".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="([^"]+)"', choices) == ["2023S1|PLAN-01"]
    empty = client.post(page_url, {"decision": "2023S1|PLAN-01", "reason": ""})
    assert empty.status_code == 400
    response = client.post(page_url, {"decision": "2023S1|PLAN-01",
                                       "reason": "La ordenanza N.° 12 está en el archivo."})

    assert response.status_code == 302
    (appeal,) = Appeal.objects.all()
    assert (appeal.criterion, appeal.status) == ("PLAN-01", AppealStatus.OPEN)


def test_an_official_of_another_municipality_cannot_appeal_on_the_page(client, published):
    page_url = url("results_municipality", published.edition, published.san_jeronimo.pk)
    client.force_login(published.personas.cusco_official)

    assert 'name="decision"' not in client.get(page_url).content.decode()  # no appeal form
    response = client.post(page_url, {"decision": "2023S1|PLAN-01", "reason": "Nuestra."})
    assert response.status_code == 404
    assert client.post(page_url, {"decision": "2023S1|PLAN-01",
                                  "reason": "x"}).status_code == 404
    assert not Appeal.objects.exists()


def test_the_coordinator_freezes_publishes_resolves_and_publishes_again(client, scored):
    edition = scored.edition
    client.force_login(scored.coordinator)
    edition_page = client.get(url("edition", edition)).content.decode()
    assert url("cut_freeze", edition, "2023S1") in edition_page
    assert url("scores_publish", edition) in edition_page

    assert client.post(url("scores_publish", edition),
                       {"reason": "Antes de tiempo"}).status_code == 400  # nothing frozen
    assert client.post(url("cut_freeze", edition, "2023S1")).status_code == 302
    assert IndicatorReading.objects.filter(cut__code="2023S1").count() == 4
    assert client.post(url("scores_publish", edition), {"reason": ""}).status_code == 400
    assert client.post(url("scores_publish", edition),
                       {"reason": "Primer corte"}).status_code == 302
    filed = services.appeal_file(registration=scored.san_jeronimo, cut=scored.s1,
                                 criterion="PLAN-01", reason="La ordenanza existe.",
                                 user=scored.personas.san_jeronimo_official)

    listing = client.get(url("appeals", edition)).content.decode()
    assert "La ordenanza existe." in listing
    response = client.post(url("appeal_resolve", edition, filed.pk),
                           {"decision": "accept", "resolution": "Presentada a tiempo."})
    assert response.status_code == 302
    assert client.post(url("scores_publish", edition),
                       {"reason": "Apelación resuelta"}).status_code == 302

    assert ScoreVersion.objects.count() == 2
    html = client.get(url("results", edition)).content.decode()
    changes = re.search(r'id="changes-table".*?</table>', html, re.S).group(0)
    assert "30,00 → 70,00" in changes and "2 → 1" in changes
    assert "— → Primer puesto · S/ 600,00" in re.sub(r"<[^>]+>", "", changes)
    first = client.get(url("results", edition) + "?version=1").content.decode()
    assert 'id="changes-table"' not in first
    assert "?version=2" in first  # a pointer to the version that replaces it


def test_only_coordinators_reach_the_scoring_pages(client, published):
    edition = published.edition
    client.force_login(published.personas.san_jeronimo_official)
    for name, args in (("cut_freeze", ("2023S1",)), ("scores_publish", ()), ("appeals", ())):
        assert client.get(url(name, edition, *args)).status_code == 403


def test_the_appeal_form_closes_with_the_window(client, published):
    version = ScoreVersion.objects.get()
    ScoreVersion.objects.filter(pk=version.pk).update(
        published_at=timezone.now() - timedelta(days=5, seconds=1))
    client.force_login(published.personas.san_jeronimo_official)

    html = client.get(url("results_municipality", published.edition,
                          published.san_jeronimo.pk)).content.decode()
    assert 'value="2023S1|PLAN-01"' not in html
