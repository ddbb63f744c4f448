"""The synthetic monthly records: deterministic, consistent, and plausible for Cusco.

No database: the generator and the committed file are plain data.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from minka.demo.indicator_data import indicator_data_read
from minka.demo.synthetic import (
    DistrictProfile,
    MonthlySeries,
    _level,
    monthly_periods,
    ratio_by_year,
    synthetic_monthly,
)
from minka.territories.importers import demo_data_read

DEMO_DATA = Path(__file__).resolve().parents[1] / "demo_data"
SMALL = [
    DistrictProfile("080101", 120_000, 8.2),
    DistrictProfile("080102", 9_000, 39.4),
    DistrictProfile("080915", 4_000, None),
]


def _by(series: list[MonthlySeries], element: str, combination: str) -> dict:
    return next(s.values for s in series
                if s.element == element and s.combination == combination)


def test_the_same_seed_gives_the_same_series_and_another_seed_other_ones():
    periods, first = synthetic_monthly(SMALL, seed=7)
    _periods, again = synthetic_monthly(list(reversed(SMALL)), seed=7)
    _periods, other = synthetic_monthly(SMALL, seed=8)
    assert periods == monthly_periods() and len(periods) == 7 * 12
    assert periods[0] == "201901" and periods[-1] == "202512"
    assert first == again
    assert first != other


def test_cases_never_exceed_their_denominator_and_missing_months_are_whole():
    _periods, series = synthetic_monthly(SMALL, seed=3)
    pairs = [("NINOS_6_35_ANEMIA", "NINOS_6_35_TAMIZADOS"),
             ("NINOS_MENORES_5_DCI", "NINOS_MENORES_5_EVALUADOS"),
             ("CRED_COMPLETO_12M", "NINOS_12M")]
    for numerator, denominator in pairs:
        for item in (s for s in series if s.element == numerator):
            below = _by(series, denominator, item.combination)
            for code, values in item.values.items():
                for cases, total in zip(values, below[code], strict=True):
                    assert (cases is None) == (total is None)
                    assert cases is None or 0 <= cases <= total
    # A month a district did not report is absent from every series, never half there.
    for code in ("080101", "080102", "080915"):
        absent = {i for s in series for i, v in enumerate(s.values[code]) if v is None}
        for item in series:
            assert {i for i, v in enumerate(item.values[code]) if v is None} == absent


def test_level_is_linear_between_mid_years_and_flat_beyond():
    levels = {2019: 10.0, 2020: 22.0}
    # December 2019 sits 11.5/12 - 0.5 = 0.458333 of the way from mid-2019 to mid-2020.
    assert _level(levels, 2019, 12) == pytest.approx(10 + 12 * (11.5 / 12 - 0.5))
    assert _level(levels, 2019, 12) == pytest.approx(15.5)
    assert _level(levels, 2019, 1) == 10.0
    assert _level(levels, 2020, 12) == 22.0


def test_ratio_by_year_sums_first_and_divides_last():
    periods = ["201901", "201902", "202001"]
    series = [
        MonthlySeries("CASES", "", {"080101": [1, None, 5], "080201": [2, 3, 0]}),
        MonthlySeries("SEEN", "", {"080101": [4, None, 10], "080201": [5, 5, 1]}),
        MonthlySeries("OTHER", "", {"080101": [100, 100, 100], "080201": [1, 1, 1]}),
    ]
    ratios = ratio_by_year(series, periods, numerator="CASES", denominator="SEEN", year=2019,
                           group=lambda code: (code[:2], code))
    # 080101: 1/4; 080201: (2+3)/(5+5); region: (1+2+3)/(4+5+5), not the mean of 25 and 50.
    assert ratios == pytest.approx({"08": 600 / 14, "080101": 25.0, "080201": 50.0})


def test_the_committed_file_is_what_the_generator_draws():
    """Rebuilding from the committed inputs (census population, real poverty) gives the
    committed series: nobody edited the data by hand, and the seed is the file's."""
    data = indicator_data_read(DEMO_DATA / "indicators.json")
    census = demo_data_read(DEMO_DATA / "cusco.json")
    population = {row.code: row.value for row in census.population if row.sex == "total"}
    poverty = next(f for f in data.figures if f.element == "POBREZA_TOTAL_PCT").values
    districts = [DistrictProfile(row.code, population[row.code],
                                 float(poverty[row.code]) if row.code in poverty else None)
                 for row in census.territories if row.level == "district"]
    periods, series = synthetic_monthly(districts, seed=data.seed)
    assert periods == data.periods
    assert series == data.series


@pytest.fixture(scope="module")
def committed():
    return indicator_data_read(DEMO_DATA / "indicators.json")


def _regional(data, numerator: str, denominator: str, year: int) -> float:
    return ratio_by_year(data.series, data.periods, numerator=numerator,
                         denominator=denominator, year=year, group=lambda code: ("08",))["08"]


def test_cusco_anaemia_starts_near_53_percent_and_falls_towards_40(committed):
    anaemia = [_regional(committed, "NINOS_6_35_ANEMIA", "NINOS_6_35_TAMIZADOS", year)
               for year in range(2019, 2026)]
    assert 50 <= anaemia[0] <= 55
    assert 38 <= anaemia[-1] <= 42
    assert anaemia[2] > anaemia[3] > anaemia[4] > anaemia[5] > anaemia[6]
    dci = _regional(committed, "NINOS_MENORES_5_DCI", "NINOS_MENORES_5_EVALUADOS", 2019)
    assert 15 <= dci <= 20
    cred = [_regional(committed, "CRED_COMPLETO_12M", "NINOS_12M", year)
            for year in (2019, 2020, 2025)]
    assert cred[1] < cred[0] < cred[2]  # the 2020 collapse, then better coverage


def test_district_anaemia_follows_poverty_and_some_months_are_missing(committed):
    by_district = ratio_by_year(committed.series, committed.periods,
                                numerator="NINOS_6_35_ANEMIA",
                                denominator="NINOS_6_35_TAMIZADOS", year=2019,
                                group=lambda code: (code,))
    poverty = next(f for f in committed.figures if f.element == "POBREZA_TOTAL_PCT").values
    common = sorted(set(by_district) & set(poverty))
    assert len(common) == 112
    correlation = statistics.correlation([by_district[c] for c in common],
                                         [float(poverty[c]) for c in common])
    assert correlation > 0.4
    months = next(s for s in committed.series if s.element == "NINOS_12M").values
    missing = sum(v is None for column in months.values() for v in column)
    assert len(months) == 116
    assert 0.02 <= missing / (116 * 84) <= 0.04
