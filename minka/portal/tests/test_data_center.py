"""The data center and the dashboard on the anaemia dataset, whose figures are computed by
hand in minka/analytics/tests/factories.py (ANEMIA_PCT = 100 × ANEMIA / SCREENED, lower is
better, one decimal):

2023   district 080101 CUSCO        30 / 100 = 30 %   female 18/50 = 36 %   male 12/50 = 24 %
       district 080104 SAN JERÓNIMO 10 / 50  = 20 %   female  5/25 = 20 %   male  5/25 = 20 %
       province 0801 CUSCO          40 / 150 = 26,7 % (Σnum/Σden), both districts reported
Targets 2023: 080101 28 (at risk), 080104 15 (off track), 0801 30 (on track).
ANEMIA_DRAFT (= #{ANEMIA}, yearly) is unpublished: 0801 in 2023 = 6+4+12+8+2+2+3+3 = 40.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from minka.analytics.services import analytics_refresh
from minka.analytics.tests.factories import anaemia_data
from minka.territories.models import Boundary

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-72, -13.5], [-71.9, -13.5], [-71.9, -13.4], [-72, -13.4], [-72, -13.5]]],
}


@pytest.fixture
def data(tree):
    dataset = anaemia_data(tree)
    analytics_refresh()
    return dataset


def indicator_url(code="ANEMIA_PCT", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('portal:indicator', args=[code])}?{query}"


def download(client, file_format: str, **params):
    url = reverse("portal:indicator_download", args=["ANEMIA_PCT", file_format])
    return client.get(url, params)


# --- the territory profile and the dashboard ---------------------------------------------


def test_the_public_profile_shows_published_figures_against_targets(client, data):
    response = client.get(reverse("portal:territory", args=["PE", "0801"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Anemia en niños de 6 a 35 meses" in html
    assert "26,7\xa0%" in html  # 40 / 150, never the mean of 30 and 20
    assert "30,0\xa0%" in html  # the province's 2023 target
    assert "En camino" in html  # 26,7 ≤ 30: on track
    assert "2 de 2 informaron" in html  # completeness: both districts reported
    assert "Borrador" not in html  # the unpublished indicator
    assert "<svg" in html  # the sparkline


def test_signed_in_readers_see_unpublished_indicators_marked(client, data, personas):
    client.force_login(personas.viewer)

    html = client.get(reverse("portal:territory", args=["PE", "0801"])).content.decode()

    assert "Borrador" in html
    assert "no publicado" in html
    assert "40,0" in html  # ANEMIA_DRAFT for the province in 2023


def test_the_profile_drills_down_and_up(client, data):
    html = client.get(reverse("portal:territory", args=["PE", "0801"])).content.decode()

    assert reverse("portal:territory", args=["PE", "080104"]) in html  # a child
    assert reverse("portal:territory", args=["PE", "08"]) in html  # the parent


def test_an_unknown_territory_is_404(client, data):
    assert client.get(reverse("portal:territory", args=["PE", "999999"])).status_code == 404


def test_the_dashboard_opens_on_the_officials_municipality(client, data, personas):
    client.force_login(personas.cusco_official)

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:territory", args=["PE", "080101"])


def test_the_dashboard_of_a_coordinator_opens_on_the_region(client, data, personas):
    client.force_login(personas.cusco_coordinator)

    response = client.get(reverse("portal:dashboard"))

    assert response["Location"] == reverse("portal:territory", args=["PE", "08"])


def test_the_dashboard_needs_a_sign_in(client, data):
    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- the indicator page ------------------------------------------------------------------


def test_the_ranking_of_a_provinces_districts_best_first(client, data):
    response = client.get(indicator_url(territorio="PE-0801", periodo="2023"))

    assert response.status_code == 200
    table = response.context["table"]
    values = [[cell.value for cell in row] for row in table.rows]
    # rank, code, name, value, female, male, numerator, denominator, target, status,
    # change vs previous year, children reporting
    assert values == [
        [1, "080104", "SAN JERÓNIMO", 20.0, 20.0, 20.0, 10, 50, 15.0, "Fuera de ruta", None, None],
        [2, "080101", "CUSCO", 30.0, 36.0, 24.0, 30, 100, 28.0, "En riesgo", None, None],
    ]
    assert table.headers[4:6] == ["Mujeres", "Hombres"]


def test_a_breakdown_shows_that_sex_only(client, data):
    response = client.get(
        indicator_url(territorio="PE-0801", periodo="2023", desagregacion="FEMALE")
    )

    rows = response.context["table"].rows
    assert [(row[1].value, row[3].value) for row in rows] == [("080104", 20.0), ("080101", 36.0)]
    assert "Mujeres" not in response.context["table"].headers  # no gender columns again


def test_bad_filters_fall_back_with_a_notice(client, data):
    response = client.get(
        indicator_url(territorio="PE-0801", periodo="1999", nivel="x", desagregacion="NOPE")
    )

    assert response.status_code == 200
    view = response.context["view"]
    assert (view.period, view.level, view.breakdown) == ("2023", "district", "")
    assert len(view.notices) == 3


def test_an_unknown_territory_in_the_filter_falls_back_to_the_default(client, data):
    response = client.get(indicator_url(territorio="PE-777777"))

    assert response.status_code == 200
    assert response.context["view"].territory.code == "PE"  # the public's default: Peru
    assert response.context["view"].notices


def test_the_map_draws_territories_with_boundaries_and_says_which_have_none(client, data):
    Boundary.objects.create(territory=data.tree.cusco_district, geometry=SQUARE)

    html = client.get(indicator_url(territorio="PE-0801", periodo="2023")).content.decode()

    assert 'data-key="080101"' in html  # drawn
    assert 'data-key="080104"' not in html  # no boundary: not drawn ...
    assert "1 territorio no tiene límite" in html  # ... and said so
    assert "SAN JERÓNIMO" in html.split('class="bars"')[1]  # ... and in the bar chart


def test_the_turn_the_curve_chart_has_a_table_alternative(client, data):
    html = client.get(indicator_url(territorio="PE-0801", periodo="2023")).content.decode()

    assert 'role="img"' in html
    table = html.split("<details>")[1]
    assert "<td>2023</td>" in table
    assert "26,7\xa0%" in table


def test_the_public_never_reaches_an_unpublished_indicator(client, data):
    url = reverse("portal:indicator", args=["ANEMIA_DRAFT"])
    download_url = reverse("portal:indicator_download", args=["ANEMIA_DRAFT", "csv"])
    sources = reverse("portal:figure_sources", args=["ANEMIA_DRAFT", "PE", "0801", "2023"])

    assert client.get(url).status_code == 404
    assert client.get(download_url).status_code == 404
    assert client.get(sources).status_code == 404
    assert "ANEMIA_DRAFT" not in client.get(reverse("portal:data_center")).content.decode()
    compare = client.get(reverse("portal:compare"), {"t": ["PE-0801"]}).content.decode()
    assert "Borrador" not in compare


# --- downloads: exactly the table shown ----------------------------------------------------


def test_the_csv_is_the_table_on_screen(client, data):
    params = {"territorio": "PE-0801", "periodo": "2023"}

    page = client.get(indicator_url(**params))
    response = download(client, "csv", **params)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        page.context["table"].headers,
        [
            "1",
            "080104",
            "SAN JERÓNIMO",
            "20.0",
            "20.0",
            "20.0",
            "10",
            "50",
            "15.0",
            "Fuera de ruta",
            "",
            "",
        ],
        ["2", "080101", "CUSCO", "30.0", "36.0", "24.0", "30", "100", "28.0", "En riesgo", "", ""],
    ]


def test_the_excel_file_holds_the_same_rows_as_numbers(client, data):
    response = download(client, "xlsx", territorio="PE-0801", periodo="2023")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(min_row=2, max_row=3, values_only=True)]
    assert rows[0] == [
        1,
        "080104",
        "SAN JERÓNIMO",
        20.0,
        20.0,
        20.0,
        10,
        50,
        15.0,
        "Fuera de ruta",
        None,
        None,
    ]
    assert rows[1][3] == 30.0


def test_an_unknown_download_format_is_404(client, data):
    assert download(client, "pdf", territorio="PE-0801").status_code == 404


# --- comparisons and sources ---------------------------------------------------------------


def test_two_districts_side_by_side(client, data):
    response = client.get(reverse("portal:compare"), {"t": ["PE-080101", "PE-080104"]})

    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert row.period == "2023"
    assert [cell.value for cell in row.cells] == [30.0, 20.0]


def test_at_most_five_territories_are_compared(client, data):
    refs = ["PE-PE", "PE-08", "PE-0801", "PE-080101", "PE-080104", "PE-03"]

    response = client.get(reverse("portal:compare"), {"t": refs})

    assert [t.code for t in response.context["territories"]] == [
        "PE",
        "08",
        "0801",
        "080101",
        "080104",
    ]
    assert response.context["notices"]


def test_the_public_sees_where_a_figure_comes_from_but_not_who_stored_it(client, data):
    url = reverse("portal:figure_sources", args=["ANEMIA_PCT", "PE", "080104", "2023"])

    response = client.get(url)

    assert response.status_code == 200
    lines = [
        (line.element.code, line.count, line.total, line.sources)
        for line in response.context["lines"]
    ]
    assert lines == [("ANEMIA", 4, 10.0, ["HIS 2023"]), ("SCREENED", 4, 50.0, ["HIS 2023"])]
    assert response.context["detail"] is False


# --- published periods ---------------------------------------------------------------------


def test_figures_after_the_published_period_stay_internal(client, data, personas):
    data.sheet.public_through = "2022"  # the 2023 figures are not validated yet
    data.sheet.save()
    territory = reverse("portal:territory", args=["PE", "0801"])

    public = client.get(territory).content.decode()
    ranking = client.get(indicator_url(territorio="PE-0801", periodo="2023"))
    csv_rows = download(client, "csv", territorio="PE-0801", periodo="2023").content
    sources = client.get(
        reverse("portal:figure_sources", args=["ANEMIA_PCT", "PE", "080104", "2023"])
    )

    assert "26,7" not in public
    assert "Aún no hay datos para este territorio." in public
    assert ranking.context["view"].years == []
    assert ranking.context["table"].rows == []
    assert len(csv_rows.decode("utf-8-sig").strip().splitlines()) == 1  # the headers only
    assert sources.context["lines"] == []
    client.force_login(personas.viewer)
    assert "26,7" in client.get(territory).content.decode()
