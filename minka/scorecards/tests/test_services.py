"""Scorecard services: who and when are recorded, texts are append-only, bad input writes
nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from minka.analytics.tests.factories import anaemia_data
from minka.scorecards.models import PerformanceMeasure, Programme, Scorecard, ScorecardText
from minka.scorecards.services import (
    performance_measure_add,
    programme_create,
    scorecard_text_add,
    scorecard_update,
)
from minka.scorecards.tests.factories import make_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tree):
    return anaemia_data(tree, with_values=False)


def test_creating_records_who_and_keeps_the_indicator_order(data, tree, personas):
    scorecard = make_scorecard(
        territory=tree.cusco, indicators=[data.sheet, data.hidden], user=personas.cusco_coordinator
    )

    assert scorecard.created_by == personas.cusco_coordinator
    assert scorecard.updated_by == personas.cusco_coordinator
    assert scorecard.created_at is not None
    assert [link.indicator.code for link in scorecard.indicators.order_by("order")] == [
        "ANEMIA_PCT",
        "ANEMIA_DRAFT",
    ]


def test_updating_keeps_kept_indicators_and_records_who(data, tree, personas):
    scorecard = make_scorecard(territory=tree.cusco, indicators=[data.sheet, data.hidden])

    scorecard_update(
        scorecard=scorecard,
        title_es="Nuevo título",
        population="Niñas y niños",
        result="Crecen sanos",
        territory=tree.cusco,
        period_type="Quarterly",
        public=False,
        indicators=[data.hidden],
        user=personas.national_admin,
    )

    scorecard.refresh_from_db()
    assert (scorecard.title_es, scorecard.period_type, scorecard.public) == (
        "Nuevo título",
        "Quarterly",
        False,
    )
    assert scorecard.updated_by == personas.national_admin
    assert [link.indicator.code for link in scorecard.indicators.all()] == ["ANEMIA_DRAFT"]


def test_a_title_of_blanks_is_refused_and_nothing_is_written(data, tree):
    with pytest.raises(ValidationError):
        make_scorecard(territory=tree.cusco, title_es="   ")
    assert Scorecard.objects.count() == 0


def test_english_title_falls_back_to_spanish(tree, settings):
    from django.utils import translation

    scorecard = make_scorecard(territory=tree.cusco, title_es="Sin anemia")
    with translation.override("en"):
        assert scorecard.title == "Sin anemia"
        scorecard.title_en = "Without anaemia"
        assert scorecard.title == "Without anaemia"
    with translation.override("es"):
        assert scorecard.title == "Sin anemia"


def test_texts_are_append_only(tree, personas):
    scorecard = make_scorecard(territory=tree.cusco)
    first = scorecard_text_add(
        scorecard=scorecard, kind="story", body="Primera versión", user=personas.cusco_coordinator
    )
    second = scorecard_text_add(
        scorecard=scorecard, kind="story", body="Segunda versión", user=personas.national_admin
    )

    first.refresh_from_db()
    assert first.body == "Primera versión"
    assert first.author == personas.cusco_coordinator
    assert second.author == personas.national_admin
    assert second.pk > first.pk
    assert ScorecardText.objects.filter(scorecard=scorecard, kind="story").count() == 2


@pytest.mark.parametrize(("kind", "body"), [("story", "  \n "), ("poem", "Un texto")])
def test_an_empty_text_or_an_unknown_kind_is_refused(tree, kind, body):
    scorecard = make_scorecard(territory=tree.cusco)
    with pytest.raises(ValidationError):
        scorecard_text_add(scorecard=scorecard, kind=kind, body=body, user=None)
    assert ScorecardText.objects.count() == 0


def test_a_programme_text_must_belong_to_the_scorecard(tree):
    mine = make_scorecard(territory=tree.cusco)
    other = make_scorecard(territory=tree.apurimac)
    programme = programme_create(scorecard=other, name_es="Otro", user=None)
    with pytest.raises(ValidationError):
        scorecard_text_add(scorecard=mine, programme=programme, kind="story", body="x", user=None)
    assert ScorecardText.objects.count() == 0


def test_programmes_and_measures_follow_each_other(data, tree, personas):
    scorecard = make_scorecard(territory=tree.cusco)
    first = programme_create(
        scorecard=scorecard,
        name_es="Uno",
        user=personas.cusco_coordinator,
        lead_institution=tree.muni_cusco_province,
    )
    second = programme_create(scorecard=scorecard, name_es="Dos", user=None)
    assert (first.order, second.order) == (0, 1)
    assert first.created_by == personas.cusco_coordinator

    measure = performance_measure_add(
        programme=first,
        indicator=data.sheet,
        question="better_off",
        user=personas.cusco_coordinator,
    )
    assert (measure.order, measure.added_by) == (0, personas.cusco_coordinator)
    assert measure.added_at is not None


def test_an_indicator_answers_one_question_per_programme(data, tree):
    programme = programme_create(
        scorecard=make_scorecard(territory=tree.cusco), name_es="Uno", user=None
    )
    performance_measure_add(
        programme=programme, indicator=data.sheet, question="how_well", user=None
    )
    with pytest.raises(ValidationError):
        performance_measure_add(
            programme=programme, indicator=data.sheet, question="better_off", user=None
        )
    with pytest.raises(ValidationError):
        performance_measure_add(
            programme=programme, indicator=data.hidden, question="why", user=None
        )
    assert PerformanceMeasure.objects.count() == 1
    assert Programme.objects.count() == 1
