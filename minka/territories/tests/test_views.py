"""The territory browser, the territory page and the institution page, as people use them."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from minka.territories.models import Institution
from minka.territories.tests.factories import make_population

pytestmark = pytest.mark.django_db

BROWSE = reverse("territories:browse")


def _codes(response) -> list[str]:
    return [t.code for t in response.context["page"].object_list]


def test_browse_finds_a_district_without_its_accent(client, tree):
    response = client.get(BROWSE, {"q": "jeronimo"})
    assert response.status_code == 200
    assert _codes(response) == ["080104"]
    assert "SAN JERÓNIMO" in response.content.decode()


def test_browse_finds_by_code_prefix_and_filters_by_level(client, tree):
    assert _codes(client.get(BROWSE, {"q": "0801"})) == ["0801", "080101", "080104"]
    assert _codes(client.get(BROWSE, {"q": "0801", "level": "district"})) == ["080101", "080104"]
    assert _codes(client.get(BROWSE, {"country": "PE", "level": "region"})) == ["03", "08"]


def test_browse_with_a_bad_level_shows_the_error_and_no_filter(client, tree):
    response = client.get(BROWSE, {"level": "galaxy"})
    assert response.status_code == 200
    assert "level" in response.context["form"].errors
    assert len(_codes(response)) == 8


def test_territory_page_shows_population_by_sex_and_children(client, tree):
    make_population(territory=tree.cusco_province, year=2025, total=495077, male=241533,
                    female=253544)
    make_population(territory=tree.san_jeronimo, year=2025, total=75158, male=38150, female=37008)
    response = client.get(reverse("territories:detail", args=["PE", "0801"]))
    assert response.status_code == 200
    assert response.context["population"] == [
        {"year": 2025, "total": 495077, "male": 241533, "female": 253544}
    ]
    children = {c.code: c.population_total for c in response.context["children"]}
    assert children == {"080101": None, "080104": 75158}
    html = response.content.decode()
    assert "495\xa0077" in html  # Peruvian grouping in Spanish: 495 077
    assert [a.code for a in response.context["ancestors"]] == ["PE", "08"]


def test_territory_page_in_english_groups_with_commas(client, tree):
    make_population(territory=tree.cusco_province, year=2025, total=495077, male=241533,
                    female=253544)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("territories:detail", args=["PE", "0801"]))
    assert "495,077" in response.content.decode()


def test_six_digit_ubigeo_redirects_to_the_short_code(client, tree):
    response = client.get(reverse("territories:detail", args=["PE", "080100"]))
    assert response.status_code == 301
    assert response["Location"] == reverse("territories:detail", args=["PE", "0801"])


def test_unknown_territory_is_404(client, tree):
    assert client.get(reverse("territories:detail", args=["PE", "999999"])).status_code == 404


class TestMunicipalityPrivateData:
    """An official of another district can neither see nor change a municipality's data."""

    @pytest.fixture(autouse=True)
    def _private_data(self, tree):
        Institution.objects.filter(pk=tree.muni_cusco.pk).update(
            contact_email="desarrollo.social@municusco.gob.pe", contact_phone="084-123456"
        )

    def _page(self, client, tree):
        return client.get(reverse("territories:institution", args=[tree.muni_cusco.pk]))

    def test_public_sees_the_institution_but_not_its_contacts(self, client, tree):
        response = self._page(client, tree)
        assert response.status_code == 200
        assert "Municipalidad Distrital de CUSCO" in response.content.decode()
        assert "municusco.gob.pe" not in response.content.decode()

    def test_official_of_another_district_sees_nothing_private(self, client, tree, personas):
        client.force_login(personas.san_jeronimo_official)
        assert "municusco.gob.pe" not in self._page(client, tree).content.decode()

    def test_official_of_another_district_cannot_change(self, client, tree, personas):
        client.force_login(personas.san_jeronimo_official)
        url = reverse("territories:institution_edit", args=[tree.muni_cusco.pk])
        assert client.get(url).status_code == 403
        response = client.post(url, {"contact_email": "hijacked@example.org"})
        assert response.status_code == 403
        tree.muni_cusco.refresh_from_db()
        assert tree.muni_cusco.contact_email == "desarrollo.social@municusco.gob.pe"

    def test_own_official_sees_and_changes(self, client, tree, personas):
        client.force_login(personas.cusco_official)
        assert "municusco.gob.pe" in self._page(client, tree).content.decode()
        url = reverse("territories:institution_edit", args=[tree.muni_cusco.pk])
        response = client.post(url, {"contact_email": "dit@municusco.gob.pe",
                                     "contact_phone": "084-999", "technical_team_notes": "ETL"})
        assert response.status_code == 302
        tree.muni_cusco.refresh_from_db()
        assert tree.muni_cusco.contact_email == "dit@municusco.gob.pe"
        assert tree.muni_cusco.technical_team_notes == "ETL"

    def test_bad_email_is_shown_and_nothing_changes(self, client, tree, personas):
        client.force_login(personas.cusco_coordinator)
        url = reverse("territories:institution_edit", args=[tree.muni_cusco.pk])
        response = client.post(url, {"contact_email": "not-an-email"})
        assert response.status_code == 400
        assert "contact_email" in response.context["form"].errors
        tree.muni_cusco.refresh_from_db()
        assert tree.muni_cusco.contact_email == "desarrollo.social@municusco.gob.pe"

    def test_anonymous_edit_goes_to_login(self, client, tree):
        url = reverse("territories:institution_edit", args=[tree.muni_cusco.pk])
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_browse_pages_keep_the_search(client, tree, monkeypatch):
    # With 2 territories a page, the 3 matches of "0801" span 2 pages; the link to page 2
    # must keep the search, and page 2 holds the third match (080104).
    monkeypatch.setattr("minka.territories.views.PAGE_SIZE", 2)
    first = client.get(BROWSE, {"q": "0801"})
    assert _codes(first) == ["0801", "080101"]
    assert 'href="?q=0801&amp;page=2"' in first.content.decode()
    assert _codes(client.get(BROWSE, {"q": "0801", "page": 2})) == ["080104"]
