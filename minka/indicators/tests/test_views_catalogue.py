"""The catalogue pages as people use them: who sees which sheet, and saving a sheet whose
formula is checked at save time with each problem shown at its position."""

from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from minka.analytics.tests.factories import anaemia_data
from minka.indicators.forms import formula_marks
from minka.indicators.models import IndicatorSheet

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
CREATE = reverse("indicators:sheet_create")


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def sheet_post(**changes) -> dict[str, str]:
    data = {
        "code": "ANEMIA_RATE",
        "name_es": "Tasa de anemia",
        "name_en": "Anaemia rate",
        "definition_es": "",
        "definition_en": "",
        "formula": "100 * #{ANEMIA} / #{SCREENED}",
        "unit": "percent",
        "decimals": "1",
        "polarity": "lower",
        "source": "HIS",
        "frequency": "Monthly",
        "results_chain_level": "intermediate_result",
        "classification": "efficacy",
        "responsible": "",
        "base_year": "2022",
        "tolerance": "0.1",
    }
    data.update(changes)
    return data


@pytest.fixture
def data(tree):
    return anaemia_data(tree, with_values=False)


class TestFormulaCheckedAtSave:
    def test_unknown_reference_is_shown_at_its_position_and_nothing_is_saved(
        self, client, personas, data
    ):
        login(client, personas.cusco_coordinator)
        formula = "100 * #{ANEMIA} / #{TAMIZADOS}"
        response = client.post(CREATE, sheet_post(formula=formula))
        assert response.status_code == 400
        assert not IndicatorSheet.objects.filter(code="ANEMIA_RATE").exists()
        # "100 * #{ANEMIA} / " is 18 characters: the unknown reference starts at the 19th.
        [mark] = response.context["marks"]
        assert mark.position == 18
        assert mark.before == "100 * #{ANEMIA} / "
        assert mark.at == "#"
        assert mark.caret == " " * 18 + "^"
        assert "TAMIZADOS" in mark.message and "19" in mark.message
        html = response.content.decode()
        assert "<mark>#</mark>{TAMIZADOS}" in html
        assert response.context["form"].errors["formula"] == [mark.message]

    def test_syntax_error_is_shown_at_its_position(self, client, personas, data):
        login(client, personas.national_admin)
        response = client.post(CREATE, sheet_post(formula="100 * (#{ANEMIA} / #{SCREENED}"))
        assert response.status_code == 400
        [mark] = response.context["marks"]
        # the unclosed "(" is the 7th character (0-based 6)
        assert (mark.position, mark.at) == (6, "(")
        assert not IndicatorSheet.objects.filter(code="ANEMIA_RATE").exists()

    def test_a_sound_formula_saves_the_sheet_and_refreshes_its_figures(
        self, client, personas, data, django_capture_on_commit_callbacks
    ):
        login(client, personas.cusco_coordinator)
        with (
            mock.patch(
                "minka.analytics.services.analytics_refresh_indicators"
            ) as refresh,
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(CREATE, sheet_post())
        assert response.status_code == 302
        assert response["Location"] == reverse("indicators:sheet", args=["ANEMIA_RATE"])
        sheet = IndicatorSheet.objects.get(code="ANEMIA_RATE")
        assert (sheet.name_es, sheet.formula, sheet.polarity, sheet.base_year) == (
            "Tasa de anemia", "100 * #{ANEMIA} / #{SCREENED}", "lower", 2022
        )
        assert sheet.published is False
        refresh.assert_called_once_with(codes=["ANEMIA_RATE"])

    def test_creating_does_not_overwrite_an_existing_code(self, client, personas, data):
        login(client, personas.cusco_coordinator)
        response = client.post(CREATE, sheet_post(code="ANEMIA_PCT", name_es="Otro"))
        assert response.status_code == 400
        assert IndicatorSheet.objects.get(code="ANEMIA_PCT").name_es == (
            "Anemia en niños de 6 a 35 meses"
        )

    def test_editing_keeps_the_code_and_changes_the_rest(self, client, personas, data):
        login(client, personas.national_admin)
        url = reverse("indicators:sheet_edit", args=["ANEMIA_DRAFT"])
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["form"].initial["formula"] == "#{ANEMIA}"
        response = client.post(
            url, sheet_post(code="SOMETHING_ELSE", formula="#{SCREENED}", published="on")
        )
        assert response.status_code == 302
        sheet = IndicatorSheet.objects.get(code="ANEMIA_DRAFT")
        assert (sheet.formula, sheet.published) == ("#{SCREENED}", True)
        assert not IndicatorSheet.objects.filter(code="SOMETHING_ELSE").exists()

    def test_a_sheet_answered_for_by_a_municipality_can_be_edited(
        self, client, personas, data, tree
    ):
        login(client, personas.cusco_coordinator)
        url = reverse("indicators:sheet_edit", args=["ANEMIA_PCT"])
        assert client.get(url).context["form"].initial["responsible"] == (
            tree.muni_cusco_province.pk
        )
        response = client.post(url, sheet_post(
            name_es="Anemia infantil", responsible=str(tree.muni_cusco_province.pk),
            published="on",
        ))
        assert response.status_code == 302
        sheet = IndicatorSheet.objects.get(code="ANEMIA_PCT")
        assert (sheet.name_es, sheet.responsible_id) == (
            "Anemia infantil", tree.muni_cusco_province.pk
        )

    def test_an_official_may_not_create_or_edit_sheets(self, client, personas, data):
        login(client, personas.cusco_official)
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, sheet_post()).status_code == 403
        edit = reverse("indicators:sheet_edit", args=["ANEMIA_PCT"])
        assert client.post(edit, sheet_post(formula="#{SCREENED}")).status_code == 403
        assert not IndicatorSheet.objects.filter(code="ANEMIA_RATE").exists()
        assert IndicatorSheet.objects.get(code="ANEMIA_PCT").formula == (
            "100 * #{ANEMIA} / #{SCREENED}"
        )

    def test_the_public_is_sent_to_sign_in(self, client, data):
        response = client.get(CREATE)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


class TestVisibility:
    def test_public_sees_only_published_sheets(self, client, data):
        response = client.get(reverse("indicators:catalogue"))
        assert response.status_code == 200
        assert [s.code for s in response.context["sheets"]] == ["ANEMIA_PCT"]
        assert "ANEMIA_DRAFT" not in response.content.decode()
        assert client.get(reverse("indicators:sheet", args=["ANEMIA_PCT"])).status_code == 200
        assert client.get(reverse("indicators:sheet", args=["ANEMIA_DRAFT"])).status_code == 404

    def test_signed_in_roles_see_all_with_a_not_published_badge(self, client, personas, data):
        login(client, personas.viewer)
        response = client.get(reverse("indicators:catalogue"))
        assert [s.code for s in response.context["sheets"]] == ["ANEMIA_DRAFT", "ANEMIA_PCT"]
        html = response.content.decode()
        assert html.count('class="badge draft"') == 1
        detail = client.get(reverse("indicators:sheet", args=["ANEMIA_DRAFT"]))
        assert detail.status_code == 200
        assert 'class="badge draft"' in detail.content.decode()

    def test_sheet_page_shows_its_fields_formula_and_targets(self, client, data):
        response = client.get(reverse("indicators:sheet", args=["ANEMIA_PCT"]))
        html = response.content.decode()
        assert "100 * #{ANEMIA} / #{SCREENED}" in html
        assert "Porcentaje de niños tamizados con anemia." in html
        assert "Menor es mejor" in html or "Lower is better" in html
        # targets 2023: 080101 28, 080104 15, 0801 30; baseline 2022 of 0801: 45
        rows = [(t.territory.code, t.period, t.kind, int(t.value))
                for t in response.context["targets"]]
        assert rows == [
            ("0801", "2022", "baseline", 45),
            ("0801", "2023", "target", 30),
            ("080101", "2023", "target", 28),
            ("080104", "2023", "target", 15),
        ]
        assert response.context["breakdowns"] == ["FEMALE", "MALE"]

    def test_data_elements_list_their_disaggregations(self, client, data):
        response = client.get(reverse("indicators:elements"))
        assert response.status_code == 200
        assert [e.code for e in response.context["elements"]] == ["ANEMIA", "SCREENED"]
        html = response.content.decode()
        assert html.count("<code>FEMALE</code>") == 2


def test_formula_marks_place_problems_on_their_line():
    [mark] = formula_marks("#{A}\n + #{B", [(11, "unclosed")])
    assert (mark.line_number, mark.line, mark.before, mark.at, mark.after) == (
        2, " + #{B", " + #{B", "", ""
    )
    assert mark.caret == "      ^"


def test_the_catalogue_speaks_english_after_the_switch(client, personas, data):
    from django.conf import settings

    login(client, personas.viewer)
    spanish = client.get(reverse("indicators:catalogue")).content.decode()
    assert "no publicado" in spanish and "Fichas de indicadores" in spanish
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("indicators:catalogue")).content.decode()
    assert "not published" in english and "Indicator sheets" in english
    assert "no publicado" not in english
