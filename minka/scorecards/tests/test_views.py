"""The scorecard pages as the public, a viewer, coordinators and officials use them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minka.accounts.models import Role
from minka.accounts.services import role_assign, user_create
from minka.analytics.services import analytics_refresh
from minka.analytics.tests.factories import anaemia_data
from minka.scorecards.models import PerformanceMeasure, Programme, Scorecard, ScorecardText
from minka.scorecards.services import (
    performance_measure_add,
    programme_create,
    scorecard_text_add,
)
from minka.scorecards.tests.factories import make_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tree):
    dataset = anaemia_data(tree)
    analytics_refresh()
    return dataset


@pytest.fixture
def public_card(data, tree):
    """A public scorecard of district 080101 with a published and an unpublished indicator."""
    return make_scorecard(
        territory=tree.cusco_district,
        indicators=[data.sheet, data.hidden],
        period_type="Monthly",
        title_es="Cusco sin anemia",
    )


@pytest.fixture
def region_card(tree):
    return make_scorecard(territory=tree.cusco, title_es="Región Cusco sin anemia")


@pytest.fixture
def abancay_official(tree):
    user = user_create(username="funcionario_abancay", password="correct horse battery")
    role_assign(user=user, role=Role.MUNICIPAL_OFFICIAL, institution=tree.muni_abancay)
    return user


def url(name, *args):
    return reverse(f"scorecards:{name}", args=args)


# --- reading ---------------------------------------------------------------------------


def test_the_public_sees_a_public_scorecard_with_its_figures(client, public_card):
    response = client.get(url("detail", public_card.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Cusco sin anemia" in html
    assert '<td class="spark">' in html
    # Monthly 202301 25 % → 202302 33.3 %: up for one period, worse for anaemia.
    assert 'class="trend trend-worse" aria-hidden="true">↑</span>' in html
    (row,) = response.context["page"].population
    assert row.trend_text and f'<span class="visually-hidden">{row.trend_text}:</span>' in html
    assert 'scope="row"' in html and 'scope="col"' in html


def test_the_public_gets_404_on_a_private_scorecard_and_does_not_see_it_listed(client, tree):
    private = make_scorecard(territory=tree.cusco, public=False, title_es="Borrador privado")

    assert client.get(url("detail", private.pk)).status_code == 404
    assert client.get(url("text_history", private.pk, "story")).status_code == 404
    listing = client.get(url("list"))
    assert listing.status_code == 200
    assert "Borrador privado" not in listing.content.decode()


def test_a_signed_in_viewer_sees_a_private_scorecard(client, tree, personas):
    private = make_scorecard(territory=tree.cusco, public=False, title_es="Borrador privado")
    client.force_login(personas.viewer)

    assert client.get(url("detail", private.pk)).status_code == 200
    assert "Borrador privado" in client.get(url("list")).content.decode()


def test_a_user_without_a_role_is_the_public(client, tree, personas):
    private = make_scorecard(territory=tree.cusco, public=False)
    client.force_login(personas.no_role)

    assert client.get(url("detail", private.pk)).status_code == 404


def test_an_unpublished_indicator_is_absent_for_the_public_present_for_a_viewer(
    client, public_card, personas
):
    public = client.get(url("detail", public_card.pk))
    assert [r.indicator.code for r in public.context["page"].population] == ["ANEMIA_PCT"]
    assert 'data-indicator="ANEMIA_DRAFT"' not in public.content.decode()
    assert "Borrador" not in public.content.decode()  # the draft's name

    client.force_login(personas.viewer)
    internal = client.get(url("detail", public_card.pk))
    assert [r.indicator.code for r in internal.context["page"].population] == [
        "ANEMIA_PCT",
        "ANEMIA_DRAFT",
    ]
    assert 'data-indicator="ANEMIA_DRAFT"' in internal.content.decode()


def test_questions_are_shown_how_much_how_well_better_off(client, data, public_card):
    programme = programme_create(scorecard=public_card, name_es="Suplementación", user=None)
    other = make_scorecard(territory=public_card.territory).pk  # noise: another scorecard
    assert other != public_card.pk
    # Added in the "wrong" order on purpose.
    performance_measure_add(
        programme=programme, indicator=data.sheet, question="better_off", user=None
    )
    from minka.indicators.services import indicator_sheet_save

    count = indicator_sheet_save(
        code="ANEMIA_COUNT",
        name_es="Niños con anemia (número)",
        formula="#{ANEMIA}",
        unit="number",
        published=True,
    )
    coverage = indicator_sheet_save(
        code="SCREENED_COUNT",
        name_es="Niños tamizados",
        formula="#{SCREENED}",
        unit="number",
        published=True,
    )
    performance_measure_add(programme=programme, indicator=coverage, question="how_much", user=None)
    performance_measure_add(programme=programme, indicator=count, question="how_well", user=None)

    html = client.get(url("detail", public_card.pk)).content.decode()

    anchors = [f'id="measures-{programme.pk}-{q}"' for q in ("how_much", "how_well", "better_off")]
    positions = [html.index(anchor) for anchor in anchors]
    assert positions == sorted(positions)
    assert (
        html.index('data-indicator="SCREENED_COUNT"')
        < html.index('data-indicator="ANEMIA_COUNT"')
        < html.rindex('data-indicator="ANEMIA_PCT"')
    )


# --- writing ---------------------------------------------------------------------------


def test_an_official_of_another_region_gets_403_adding_a_text(
    client, region_card, abancay_official
):
    client.force_login(abancay_official)

    assert client.get(url("text_add", region_card.pk)).status_code == 403
    response = client.post(url("text_add", region_card.pk), {"kind": "story", "body": "No"})

    assert response.status_code == 403
    assert ScorecardText.objects.count() == 0


@pytest.mark.parametrize(
    "persona", ["cusco_official", "apurimac_coordinator", "evaluator", "viewer"]
)
def test_who_may_not_change_the_region_gets_403_on_every_write(
    client, region_card, personas, persona
):
    programme = programme_create(scorecard=region_card, name_es="Programa", user=None)
    client.force_login(getattr(personas, persona))

    posts = [
        (url("text_add", region_card.pk), {"kind": "story", "body": "x"}),
        (url("programme_text_add", region_card.pk, programme.pk), {"kind": "story", "body": "x"}),
        (url("programme_add", region_card.pk), {"name_es": "Otro"}),
        (url("measure_add", region_card.pk, programme.pk), {"question": "how_much"}),
        (url("edit", region_card.pk), {"title_es": "Cambiado"}),
    ]
    for path, body in posts:
        assert client.post(path, body).status_code == 403, path
    region_card.refresh_from_db()
    assert region_card.title_es == "Región Cusco sin anemia"
    assert (ScorecardText.objects.count(), Programme.objects.count()) == (0, 1)


def test_the_public_is_sent_to_sign_in_before_writing(client, region_card):
    response = client.post(url("text_add", region_card.pk), {"kind": "story", "body": "x"})

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert ScorecardText.objects.count() == 0


def test_a_municipal_official_writes_on_their_own_district_scorecard(client, public_card, personas):
    client.force_login(personas.cusco_official)
    response = client.post(
        url("text_add", public_card.pk), {"kind": "partners", "body": "Centro de salud"}
    )

    assert response.status_code == 302
    assert ScorecardText.objects.get().author == personas.cusco_official


def test_a_coordinator_adds_a_text_twice_history_newest_first_page_latest(
    client, region_card, personas
):
    client.force_login(personas.cusco_coordinator)
    for body in ("La anemia bajó poco.", "La anemia bajó poco; el agua no se clora."):
        response = client.post(url("text_add", region_card.pk), {"kind": "story", "body": body})
        assert response.status_code == 302

    history = client.get(url("text_history", region_card.pk, "story"))
    assert [v.body for v in history.context["versions"]] == [
        "La anemia bajó poco; el agua no se clora.",
        "La anemia bajó poco.",
    ]
    html = history.content.decode()
    assert html.index("el agua no se clora") < html.index("La anemia bajó poco.</p>")

    client.logout()
    page = client.get(url("detail", region_card.pk))
    (story,) = [t for t in page.context["page"].texts if t.kind == "story"]
    assert (story.latest.body, story.versions) == ("La anemia bajó poco; el agua no se clora.", 2)
    assert story.latest.author == personas.cusco_coordinator
    html = page.content.decode()
    assert "el agua no se clora" in html
    assert "La anemia bajó poco.</p>" not in html


def test_writing_a_new_version_starts_from_the_latest(client, region_card, personas):
    scorecard_text_add(scorecard=region_card, kind="action_plan", body="Plan 2025", user=None)
    client.force_login(personas.cusco_coordinator)

    response = client.get(url("text_add", region_card.pk) + "?kind=action_plan")

    assert response.context["form"].initial == {"kind": "action_plan", "body": "Plan 2025"}


def test_a_programme_text_has_its_own_history(client, region_card, personas):
    programme = programme_create(scorecard=region_card, name_es="Agua segura", user=None)
    client.force_login(personas.cusco_coordinator)

    response = client.post(
        url("programme_text_add", region_card.pk, programme.pk),
        {"kind": "what_works", "body": "Cloración con las JASS"},
    )

    assert response.status_code == 302
    text = ScorecardText.objects.get()
    assert (text.programme, text.kind) == (programme, "what_works")
    history = client.get(url("programme_text_history", region_card.pk, programme.pk, "what_works"))
    assert [v.body for v in history.context["versions"]] == ["Cloración con las JASS"]
    assert client.get(url("text_history", region_card.pk, "what_works")).context["versions"] == []
    assert client.get(url("text_history", region_card.pk, "poem")).status_code == 404


def test_an_empty_text_is_shown_as_an_error_and_nothing_is_written(client, region_card, personas):
    client.force_login(personas.cusco_coordinator)

    response = client.post(url("text_add", region_card.pk), {"kind": "story", "body": "  "})

    assert response.status_code == 400
    assert response.context["form"].errors["body"]
    assert 'class="errorlist"' in response.content.decode()
    assert ScorecardText.objects.count() == 0


def test_a_coordinator_creates_a_scorecard_with_population_indicators(client, data, tree, personas):
    client.force_login(personas.cusco_coordinator)
    form = client.get(url("create")).context["form"]
    assert tree.abancay not in form.fields["territory"].queryset

    response = client.post(
        url("create"),
        {
            "title_es": "Cusco sin anemia",
            "title_en": "",
            "population": "Niñas y niños",
            "result": "Crecen sanos",
            "territory": tree.cusco.pk,
            "period_type": "Yearly",
            "public": "on",
            "indicators": [data.sheet.pk],
        },
    )

    assert response.status_code == 302
    scorecard = Scorecard.objects.get()
    assert response["Location"] == url("detail", scorecard.pk)
    assert (scorecard.territory, scorecard.public, scorecard.created_by) == (
        tree.cusco,
        True,
        personas.cusco_coordinator,
    )
    assert [link.indicator for link in scorecard.indicators.all()] == [data.sheet]


def test_a_scorecard_outside_ones_region_or_without_a_title_is_refused(client, tree, personas):
    client.force_login(personas.cusco_coordinator)
    base = {
        "title_es": "Abancay",
        "population": "Niñas y niños",
        "result": "Crecen sanos",
        "territory": tree.abancay.pk,
        "period_type": "Yearly",
    }

    outside = client.post(url("create"), base)
    untitled = client.post(url("create"), {**base, "territory": tree.cusco.pk, "title_es": ""})

    assert outside.status_code == 400
    assert "territory" in outside.context["form"].errors
    assert untitled.status_code == 400
    assert "title_es" in untitled.context["form"].errors
    assert Scorecard.objects.count() == 0


def test_someone_who_changes_no_territory_may_not_open_the_create_form(client, personas):
    client.force_login(personas.viewer)
    assert client.get(url("create")).status_code == 403


def test_editing_keeps_the_order_of_the_kept_indicators(client, data, tree, personas):
    scorecard = make_scorecard(territory=tree.cusco, indicators=[data.hidden, data.sheet])
    client.force_login(personas.cusco_coordinator)
    assert client.get(url("edit", scorecard.pk)).status_code == 200

    response = client.post(
        url("edit", scorecard.pk),
        {
            "title_es": "Nuevo",
            "population": "Niñas y niños",
            "result": "Crecen sanos",
            "territory": tree.cusco.pk,
            "period_type": "Yearly",
            "indicators": [data.sheet.pk, data.hidden.pk],
        },
    )

    assert response.status_code == 302
    scorecard.refresh_from_db()
    assert (scorecard.title_es, scorecard.public) == ("Nuevo", False)
    assert scorecard.updated_by == personas.cusco_coordinator
    assert [link.indicator.code for link in scorecard.indicators.all()] == [
        "ANEMIA_DRAFT",
        "ANEMIA_PCT",
    ]


def test_a_coordinator_adds_a_programme_and_its_measures(client, data, region_card, personas):
    client.force_login(personas.cusco_coordinator)

    response = client.post(
        url("programme_add", region_card.pk),
        {
            "name_es": "Suplementación con hierro",
            "name_en": "",
            "description": "Hierro",
            "lead_institution": data.tree.muni_cusco_province.pk,
        },
    )
    assert response.status_code == 302
    programme = Programme.objects.get()
    assert (programme.lead_institution, programme.created_by) == (
        data.tree.muni_cusco_province,
        personas.cusco_coordinator,
    )

    measure = url("measure_add", region_card.pk, programme.pk)
    added = client.post(measure, {"indicator": data.sheet.pk, "question": "better_off"})
    again = client.post(measure, {"indicator": data.sheet.pk, "question": "how_much"})
    no_question = client.post(measure, {"indicator": data.hidden.pk})

    assert added.status_code == 302
    assert again.status_code == 400
    assert again.context["form"].non_field_errors()
    assert no_question.status_code == 400
    assert list(PerformanceMeasure.objects.values_list("indicator__code", "question")) == [
        ("ANEMIA_PCT", "better_off")
    ]


def test_a_programme_of_another_scorecard_is_404(client, region_card, tree, personas):
    other = programme_create(
        scorecard=make_scorecard(territory=tree.cusco_province), name_es="Ajeno", user=None
    )
    client.force_login(personas.cusco_coordinator)

    response = client.post(url("measure_add", region_card.pk, other.pk), {"question": "how_much"})

    assert response.status_code == 404
