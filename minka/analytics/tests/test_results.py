"""Results read back through the selectors, against figures computed by hand.

These run the real engine on the current database (the suite runs on SQLite and again on
PostgreSQL), so they also show that the same data gives the same results on both.
"""

from __future__ import annotations

import random

import pytest

from minka.analytics.engine.store import store_results
from minka.analytics.models import AnalyticsRefresh
from minka.analytics.selectors import (
    analytics_last_refresh,
    figure_sources,
    indicator_series,
    indicator_values,
)
from minka.analytics.services import analytics_refresh, analytics_refresh_indicators
from minka.analytics.tests.factories import anaemia_data, cell
from minka.indicators.models import DataValue, ImportBatch
from minka.indicators.services import data_values_write, target_set

pytestmark = pytest.mark.django_db


def by_code(rows):
    return {(r.territory_code, r.period): r for r in rows}


def test_a_region_s_districts_in_a_year(tree):
    """The issue's example: ?territory=08&level=district&period=2023."""
    data = anaemia_data(tree)
    analytics_refresh()

    rows = indicator_values(indicator=data.sheet, territory=tree.cusco, level="district",
                            periods=["2023"])

    # Lower is better: San Jerónimo (20 %) ranks before Cusco (30 %).
    assert [(r.territory_code, r.rank) for r in rows] == [("080104", 1), ("080101", 2)]
    san_jeronimo, cusco = rows
    assert cusco.territory_name == "CUSCO" and cusco.territory_level == "district"
    assert cusco.value == pytest.approx(30.0)
    assert (cusco.numerator, cusco.denominator) == (pytest.approx(30), pytest.approx(100))
    assert san_jeronimo.value == pytest.approx(20.0)
    assert (san_jeronimo.numerator, san_jeronimo.denominator) == (
        pytest.approx(10), pytest.approx(50),
    )
    assert (cusco.target, cusco.status) == (pytest.approx(28), "at_risk")
    assert (san_jeronimo.target, san_jeronimo.status) == (pytest.approx(15), "off_track")
    assert cusco.reason is None


def test_rank_of_is_the_number_of_ranked_siblings_for_each_of_them(tree):
    data = anaemia_data(tree)
    analytics_refresh()

    rows = indicator_values(indicator=data.sheet, territory=tree.cusco, level="district",
                            periods=["2023"])

    assert [(r.territory_code, r.rank, r.rank_of) for r in rows] == [
        ("080104", 1, 2), ("080101", 2, 2),
    ]


def test_a_province_is_the_ratio_of_its_districts_sums_not_their_mean(tree):
    data = anaemia_data(tree)
    analytics_refresh()

    (province,) = indicator_values(indicator=data.sheet, territory=tree.cusco,
                                   level="province", periods=["2023"])
    (region,) = indicator_values(indicator=data.sheet, territory=tree.cusco, level=None,
                                 periods=["2023"])

    assert province.territory_code == "0801"
    assert province.value == pytest.approx(100 * 40 / 150)  # 26.67, not (30 + 20) / 2
    assert (province.numerator, province.denominator) == (pytest.approx(40), pytest.approx(150))
    assert (province.target, province.status) == (pytest.approx(30), "on_track")
    assert (province.reported_children, province.expected_children) == (2, 2)
    assert region.territory_code == "08"
    assert region.value == pytest.approx(100 * 40 / 150)


def test_months_quarters_and_a_breakdown(tree):
    data = anaemia_data(tree)
    analytics_refresh()

    rows = by_code(indicator_values(
        indicator=data.sheet, territory=tree.cusco_province, level="district",
        periods=["202301", "2023Q1"],
    ))
    female = by_code(indicator_values(
        indicator=data.sheet, territory=tree.cusco, level="province", periods=["2023"],
        breakdown="FEMALE",
    ) + indicator_values(
        indicator=data.sheet, territory=tree.cusco_province, level="district",
        periods=["2023"], breakdown="FEMALE",
    ))

    assert rows[("080101", "202301")].value == pytest.approx(25.0)  # 10 / 40
    assert rows[("080104", "202301")].value == pytest.approx(20.0)  # 4 / 20
    assert rows[("080101", "2023Q1")].value == pytest.approx(30.0)  # 30 / 100
    assert female[("080101", "2023")].value == pytest.approx(36.0)  # 18 / 50
    assert female[("080104", "2023")].value == pytest.approx(20.0)  # 5 / 25
    assert female[("0801", "2023")].value == pytest.approx(100 * 23 / 75)


def test_missing_is_not_zero_and_a_zero_denominator_has_a_reason(tree):
    data = anaemia_data(tree)
    analytics_refresh()

    rows = by_code(indicator_values(indicator=data.sheet, territory=tree.peru,
                                    level="district", periods=["202301", "202302"]))

    abancay = rows[("030101", "202301")]
    assert abancay.value is None
    assert abancay.reason == "zero_denominator"
    # San Jerónimo reported nothing in February: no figure, or one without a value.
    february = rows.get(("080104", "202302"))
    assert february is None or (february.value is None and february.reason == "missing_data")
    # Ordered by period, then rank (unranked last), then name.
    periods = [r.period for r in rows.values()]
    assert periods == sorted(periods)


def test_series_and_sources(tree):
    data = anaemia_data(tree)
    batch = ImportBatch.objects.create(format="csv", file_name="his.csv", status="applied")
    data_values_write(
        cells=[cell(data, "ANEMIA", "cusco_district", "202304", "FEMALE", 1),
               cell(data, "SCREENED", "cusco_district", "202304", "FEMALE", 10)],
        batch=batch, source="HIS abril",
    )
    analytics_refresh()

    series = indicator_series(indicator=data.sheet, territory=tree.cusco_district,
                              period_type="Yearly")
    quarters = indicator_series(indicator=data.sheet, territory=tree.cusco_district,
                                period_type="Quarterly")
    sources = figure_sources(indicator=data.sheet, territory=tree.cusco_district,
                             period="2023Q2")
    province_female = figure_sources(indicator=data.sheet, territory=tree.cusco_province,
                                     period="2023", breakdown="FEMALE")

    assert [r.period for r in series if r.value is not None] == ["2023"]
    assert {r.period for r in series} <= {"2022", "2023"}
    assert by_code(series)[("080101", "2023")].value == pytest.approx(100 * 31 / 110)
    assert by_code(quarters)[("080101", "2023Q2")].value == pytest.approx(10.0)
    assert indicator_series(indicator=data.sheet, territory=tree.cusco_district,
                            period_type="Weekly") == []  # finer than the indicator
    assert [(v.element.code, v.period, v.combination, v.value) for v in sources] == [
        ("ANEMIA", "202304", "FEMALE", 1), ("SCREENED", "202304", "FEMALE", 10),
    ]
    assert {(v.batch, v.source) for v in sources} == {(batch, "HIS abril")}
    assert len(province_female) == 10  # 4 + 4 from January-March, and April's 2
    assert {v.combination for v in province_female} == {"FEMALE"}
    assert {v.territory for v in province_female} == {tree.cusco_district, tree.san_jeronimo}


def test_an_incremental_refresh_after_a_write_shows_the_new_value(tree):
    data = anaemia_data(tree)
    analytics_refresh()
    data_values_write(
        cells=[cell(data, "ANEMIA", "san_jeronimo", "202303", "FEMALE", 8),
               cell(data, "ANEMIA", "cusco_district", "202302", "FEMALE", None),
               cell(data, "ANEMIA", "cusco_district", "202302", "MALE", None)],
        batch=None,
    )

    analytics_refresh()

    assert analytics_last_refresh().mode == AnalyticsRefresh.Mode.INCREMENTAL
    rows = by_code(
        indicator_values(indicator=data.sheet, territory=tree.cusco, level="district",
                         periods=["2023"])
        + indicator_values(indicator=data.sheet, territory=tree.cusco, level=None,
                           periods=["2023"])
    )
    assert rows[("080104", "2023")].value == pytest.approx(100 * 15 / 50)
    # February's anaemia is gone, February's screening is not: 10 / 100.
    assert rows[("080101", "2023")].value == pytest.approx(10.0)
    assert rows[("08", "2023")].value == pytest.approx(100 * 25 / 150)


def test_a_changed_target_shows_after_an_indicators_refresh(tree):
    data = anaemia_data(tree)
    analytics_refresh()
    target_set(indicator=data.sheet, territory=tree.cusco_district, period="2023", value=35)

    analytics_refresh_indicators(codes=["ANEMIA_PCT"])

    (cusco,) = [r for r in indicator_values(indicator=data.sheet, territory=tree.cusco_province,
                                            level="district", periods=["2023"])
                if r.territory_code == "080101"]
    assert (cusco.target, cusco.status) == (pytest.approx(35), "on_track")


def test_no_store_answers_empty_lists(tree):
    data = anaemia_data(tree)

    assert indicator_values(indicator=data.sheet, territory=tree.cusco, level="district",
                            periods=["2023"]) == []
    assert figure_sources(indicator=data.sheet, territory=tree.cusco, period="2023") == []
    assert indicator_series(indicator=data.sheet, territory=tree.cusco,
                            period_type="Yearly") == []
    assert analytics_last_refresh() is None


# --- full and incremental agree; the store agrees with hand computation -------------------

PERIODS = ["2022", "2023", "2023S1", "2023Q1", "2023Q2", "202301", "202302", "202303",
           "202304"]


def all_results(tree) -> list[dict]:
    ids = [t.pk for t in (tree.peru, tree.cusco, tree.cusco_province, tree.cusco_district,
                          tree.san_jeronimo, tree.apurimac, tree.abancay_province,
                          tree.abancay)]
    from django.conf import settings

    rows = []
    for breakdown in ("", "FEMALE", "MALE"):
        rows += store_results(settings.ANALYTICS_STORE, indicator="ANEMIA_PCT",
                              territory_ids=ids, periods=PERIODS, breakdown=breakdown)
    return sorted(
        ({k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()} for r in rows),
        key=lambda r: (r["territory_id"], r["period"], r["breakdown"]),
    )


def test_full_and_incremental_refreshes_give_identical_results(tree, settings):
    data = anaemia_data(tree)
    analytics_refresh()
    data_values_write(
        cells=[cell(data, "ANEMIA", "san_jeronimo", "202304", "MALE", 3),
               cell(data, "SCREENED", "san_jeronimo", "202304", "MALE", 12),
               cell(data, "SCREENED", "cusco_district", "202301", "FEMALE", 25)],
        batch=None,
    )
    analytics_refresh()
    data_values_write(
        cells=[cell(data, "ANEMIA", "abancay", "202301", "FEMALE", 2),
               cell(data, "SCREENED", "abancay", "202301", "FEMALE", 8),
               cell(data, "ANEMIA", "san_jeronimo", "202301", "MALE", None)],
        batch=None,
    )
    analytics_refresh()
    assert analytics_last_refresh().mode == AnalyticsRefresh.Mode.INCREMENTAL
    incremental = all_results(tree)

    settings.ANALYTICS_STORE.unlink()
    analytics_refresh()
    full = all_results(tree)

    assert analytics_last_refresh().mode == AnalyticsRefresh.Mode.FULL
    assert len(full) > 20
    assert incremental == full


DISTRICTS = ("cusco_district", "san_jeronimo", "abancay")
MONTHS = ("202301", "202302", "202303", "202304", "202305", "202306")


def random_cells(seed: int) -> dict[tuple[str, str, str, str], int]:
    """Counts for some district-months (others missing); anaemia never above screening."""
    rng = random.Random(seed)
    cells: dict[tuple[str, str, str, str], int] = {}
    for district in DISTRICTS:
        for month in MONTHS:
            if rng.random() < 0.3:
                continue  # not reported: missing, not zero
            for sex in ("FEMALE", "MALE"):
                screened = rng.randint(0, 40)
                cells[("SCREENED", district, month, sex)] = screened
                if rng.random() < 0.9:
                    cells[("ANEMIA", district, month, sex)] = rng.randint(0, screened)
    return cells


def expected(cells, districts, months, sex=None) -> tuple[float | None, str | None]:
    """100 * Σ anaemia / Σ screened over these districts and months, by hand."""
    def total(element):
        found = [v for (e, d, m, s), v in cells.items()
                 if e == element and d in districts and m in months and (sex in (None, s))]
        return sum(found) if found else None

    anemia, screened = total("ANEMIA"), total("SCREENED")
    if anemia is None or screened is None:
        return None, "missing_data"
    if screened == 0:
        return None, "zero_denominator"
    return 100 * anemia / screened, None


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_store_matches_hand_computed_ratios(tree, seed):
    data = anaemia_data(tree, with_values=False)
    cells = random_cells(seed)
    data_values_write(cells=[cell(data, *key, value) for key, value in cells.items()],
                      batch=None)
    analytics_refresh()

    cases = [
        (tree.cusco_district, ("cusco_district",)),
        (tree.san_jeronimo, ("san_jeronimo",)),
        (tree.cusco_province, ("cusco_district", "san_jeronimo")),
        (tree.cusco, ("cusco_district", "san_jeronimo")),
        (tree.peru, DISTRICTS),
    ]
    periods = {"2023": MONTHS, "2023S1": MONTHS, "2023Q1": MONTHS[:3], "2023Q2": MONTHS[3:],
               "202302": ("202302",)}
    for territory, districts in cases:
        for sex in (None, "FEMALE"):
            rows = {r.period: r for r in indicator_values(
                indicator=data.sheet, territory=territory, level=None,
                periods=list(periods), breakdown=sex or "",
            )}
            for period, months in periods.items():
                value, reason = expected(cells, districts, months, sex)
                row = rows.get(period)
                where = f"{territory.code} {period} {sex}"
                if value is None:
                    assert row is None or (row.value is None and row.reason == reason), where
                else:
                    assert row is not None, where
                    assert row.value == pytest.approx(value), where
    assert DataValue.objects.count() == len(cells)
