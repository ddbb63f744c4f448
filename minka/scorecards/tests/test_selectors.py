"""scorecard_page on the anaemia dataset of minka/analytics/tests/factories.py.

ANEMIA_PCT (monthly, lower is better, base year 2022), computed by hand there:
district 080101: 202301 10/40 = 25 %, 202302 20/60 = 33.33 %, 2023 30/100 = 30 %, target
2023 28; province 0801: 2023 40/150 = 26.67 %, target 2023 30, a recorded baseline 45 for
2022. Neither has a value in 2022.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from minka.analytics.engine.store import StoreBusy
from minka.analytics.services import analytics_refresh
from minka.analytics.tests.factories import anaemia_data
from minka.scorecards import selectors
from minka.scorecards.selectors import BaselineSource, scorecard_page
from minka.scorecards.services import performance_measure_add, programme_create
from minka.scorecards.tests.factories import make_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tree):
    dataset = anaemia_data(tree)
    analytics_refresh()
    return dataset


def only_row(page):
    (row,) = page.population
    return row


def test_yearly_figures_of_a_district(data, tree):
    scorecard = make_scorecard(territory=tree.cusco_district, indicators=[data.sheet])

    row = only_row(scorecard_page(scorecard=scorecard, user=None))

    assert row.series == (("2023", 30.0),)
    figures = row.figures
    assert (figures.current, figures.current_period) == (30.0, "2023")
    assert figures.target == 28.0
    assert row.target_period == "2023"
    assert figures.percent_of_target == pytest.approx(107.142857, abs=1e-6)  # 100 × 30 / 28
    # No baseline recorded for 080101 and no value in the base year 2022: the first value.
    assert (figures.baseline, row.baseline_period, row.baseline_source) == (
        30.0,
        "2023",
        BaselineSource.FIRST,
    )
    assert figures.baseline_change_percent == pytest.approx(0.0)
    assert (figures.trend, figures.trend_periods, figures.trend_better) == (None, 0, None)
    assert row.trend_class == "trend-flat"
    assert row.sparkline == ""


def test_a_recorded_baseline_of_the_base_year_comes_first(data, tree):
    scorecard = make_scorecard(territory=tree.cusco_province, indicators=[data.sheet])

    figures = only_row(scorecard_page(scorecard=scorecard, user=None)).figures

    assert figures.current == pytest.approx(100 * 40 / 150)
    assert figures.percent_of_target == pytest.approx(100 * (40 / 150 * 100) / 30)  # 88.9 %
    assert figures.baseline == 45.0
    # 100 × (26.667 − 45) / 45 = −40.74 %
    assert figures.baseline_change_percent == pytest.approx(-40.740741, abs=1e-6)


def test_monthly_figures_rise_which_is_worse_for_anaemia(data, tree):
    scorecard = make_scorecard(
        territory=tree.cusco_district, indicators=[data.sheet], period_type="Monthly"
    )

    row = only_row(scorecard_page(scorecard=scorecard, user=None))

    assert row.series == (("202301", 25.0), ("202302", pytest.approx(100 * 20 / 60)))
    figures = row.figures
    assert figures.current_period == "202302"
    assert figures.percent_of_target == pytest.approx(100 * (100 * 20 / 60) / 28)  # 119.0 %
    assert figures.baseline_change_percent == pytest.approx(100 * (100 * 20 / 60 - 25) / 25)
    assert (figures.trend, figures.trend_periods, figures.trend_better) == ("up", 1, False)
    assert (row.trend_class, row.trend_arrow) == ("trend-worse", "↑")


def test_an_indicator_measured_less_often_is_read_at_its_own_frequency(data, tree):
    # ANEMIA_DRAFT is yearly: on a monthly scorecard its series stays yearly.
    scorecard = make_scorecard(
        territory=tree.cusco_district, indicators=[data.hidden], period_type="Monthly"
    )

    (row,) = scorecard_page(scorecard=scorecard, user=_viewer()).population

    assert row.period_type == "Yearly"
    assert row.series == (("2023", 30.0),)  # #{ANEMIA} in 2023: 6 + 4 + 12 + 8


def _viewer():
    from minka.accounts.models import Role
    from minka.accounts.services import role_assign, user_create

    user = user_create(username="lectora", password="correct horse battery")
    role_assign(user=user, role=Role.VIEWER)
    return user


def test_the_public_never_sees_an_unpublished_indicator(data, tree, personas):
    scorecard = make_scorecard(territory=tree.cusco_district, indicators=[data.hidden, data.sheet])
    programme = programme_create(scorecard=scorecard, name_es="Programa", user=None)
    performance_measure_add(
        programme=programme, indicator=data.hidden, question="how_much", user=None
    )

    public = scorecard_page(scorecard=scorecard, user=None)
    viewer = scorecard_page(scorecard=scorecard, user=personas.viewer)

    assert [r.indicator.code for r in public.population] == ["ANEMIA_PCT"]
    assert public.programmes[0].groups == []
    assert [r.indicator.code for r in viewer.population] == ["ANEMIA_DRAFT", "ANEMIA_PCT"]
    assert [g.question for g in viewer.programmes[0].groups] == ["how_much"]


def test_measures_are_grouped_how_much_how_well_better_off(data, tree):
    scorecard = make_scorecard(territory=tree.cusco_district)
    programme = programme_create(scorecard=scorecard, name_es="Programa", user=None)
    performance_measure_add(
        programme=programme, indicator=data.sheet, question="better_off", user=None
    )
    performance_measure_add(
        programme=programme, indicator=data.hidden, question="how_much", user=None
    )

    (block,) = scorecard_page(scorecard=scorecard, user=_viewer()).programmes

    assert [(g.question, [r.indicator.code for r in g.rows]) for g in block.groups] == [
        ("how_much", ["ANEMIA_DRAFT"]),
        ("better_off", ["ANEMIA_PCT"]),
    ]
    assert block.groups[1].rows[0].question == "better_off"


def test_a_busy_store_gives_rows_without_figures(data, tree):
    scorecard = make_scorecard(territory=tree.cusco_district, indicators=[data.sheet])
    busy = StoreBusy(Path("analytics.duckdb"), 5.0)

    with mock.patch.object(selectors, "indicator_series", side_effect=busy):
        page = scorecard_page(scorecard=scorecard, user=None)

    assert page.figures_unavailable
    row = only_row(page)
    assert (row.series, row.figures.current) == ((), None)


def test_without_any_refresh_there_are_no_figures_and_no_error(tree):
    dataset = anaemia_data(tree)  # no analytics_refresh(): no store
    scorecard = make_scorecard(territory=tree.cusco_district, indicators=[dataset.sheet])

    page = scorecard_page(scorecard=scorecard, user=None)

    assert not page.figures_unavailable
    assert only_row(page).figures.current is None
