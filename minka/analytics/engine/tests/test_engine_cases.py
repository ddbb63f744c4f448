"""Hand-computed cases for the analytics engine (issue: "Hand-computed cases").

Each test builds a tiny catalogue and a facts table by hand, runs a full refresh into a
DuckDB file under `tmp_path`, and reads the figures back. Every expected number is worked
out in the comments next to it, never copied from the engine's output.

The tree used by most cases (ids chosen so a glance tells the level):

    1 region
    ├── 10 province P1: districts 101, 102, 103 (and 104, 105 where a case needs more)
    └── 20 province P2: district 201

No database: the engine is pure; only `tmp_path` is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from minka.analytics.engine.model import (
    POPULATION_WEIGHT,
    RESULT_COLUMNS,
    Aggregation,
    Catalogue,
    ElementSpec,
    IndicatorSpec,
    Polarity,
    Reason,
    Status,
    Target,
    TerritoryNode,
)
from minka.analytics.engine.periods import PeriodType
from minka.analytics.engine.store import store_refresh_full, store_results, store_sources

YEARLY = PeriodType.YEARLY
QUARTERLY = PeriodType.QUARTERLY
MONTHLY = PeriodType.MONTHLY

REGION, P1, P2 = 1, 10, 20
D101, D102, D103, D104, D105, D201 = 101, 102, 103, 104, 105, 201


def tree(*districts: tuple[int, int]) -> tuple[TerritoryNode, ...]:
    """Region 1, provinces 10 and 20, and the (district, province) pairs given."""
    return (
        TerritoryNode(REGION, None, "region"),
        TerritoryNode(P1, REGION, "province"),
        TerritoryNode(P2, REGION, "province"),
        *(TerritoryNode(d, p, "district") for d, p in districts),
    )


STANDARD_TREE = tree((D101, P1), (D102, P1), (D103, P1), (D201, P2))


Fact = tuple[str, int, str, float] | tuple[str, int, str, float, str]


def facts_table(rows: Iterable[Fact]) -> pa.Table:
    """(element, territory, period, value[, combination]) rows as FACT_COLUMNS, ids 1…n."""
    rows = list(rows)
    return pa.table({
        "id": pa.array(range(1, len(rows) + 1), pa.int64()),
        "element": pa.array([r[0] for r in rows], pa.string()),
        "territory_id": pa.array([r[1] for r in rows], pa.int64()),
        "period": pa.array([r[2] for r in rows], pa.string()),
        "combination": pa.array([r[4] if len(r) > 4 else "" for r in rows], pa.string()),
        "value": pa.array([float(r[3]) for r in rows], pa.float64()),
    })


def refresh(tmp_path: Path, catalogue: Catalogue, rows: Iterable[Fact]) -> Path:
    path = tmp_path / "analytics.duckdb"
    store_refresh_full(path, catalogue, facts_table(rows))
    return path


def _stored(path: Path) -> dict[tuple[str, int, str, str], dict[str, Any]]:
    """Every row of `indicator_result`, keyed by (indicator, territory, period, breakdown),
    read once per store file (opening DuckDB costs more than a case's assertions)."""
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_mtime_ns)
    if key not in _READ:
        con = duckdb.connect(str(path), read_only=True)
        try:
            cursor = con.execute(f"SELECT {', '.join(RESULT_COLUMNS)} FROM indicator_result")
            names = [d[0] for d in cursor.description or ()]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()
        keyed = {(r["indicator"], r["territory_id"], r["period"], r["breakdown"]): r
                 for r in rows}
        assert len(keyed) == len(rows), "one row per indicator × territory × period × breakdown"
        _READ.clear()
        _READ[key] = keyed
    return _READ[key]


_READ: dict[tuple[str, int, int], dict[tuple[str, int, str, str], dict[str, Any]]] = {}


def all_rows(path: Path, indicator: str) -> dict[tuple[int, str, str], dict[str, Any]]:
    """Every stored row of `indicator`, keyed by (territory, period, breakdown)."""
    return {key[1:]: row for key, row in _stored(path).items() if key[0] == indicator}


def one(path: Path, indicator: str, territory: int, period: str,
        breakdown: str = "") -> dict[str, Any]:
    """The single stored row of a figure (`test_store_results_reads_the_stored_rows`
    checks that the public reader gives the same rows)."""
    row = _stored(path).get((indicator, territory, period, breakdown))
    assert row is not None, f"expected a row for {indicator} {territory} {period} {breakdown!r}"
    return row


def absent(path: Path, indicator: str, territory: int, period: str,
           breakdown: str = "") -> bool:
    return (indicator, territory, period, breakdown) not in _stored(path)


def sum_element(code: str, period_type: PeriodType = YEARLY,
                options: Sequence[str] = ()) -> ElementSpec:
    return ElementSpec(code, Aggregation.SUM, period_type, frozenset(options))


def catalogue(elements: Sequence[ElementSpec], indicators: Sequence[IndicatorSpec], *,
              territories: tuple[TerritoryNode, ...] = STANDARD_TREE,
              **extra: Any) -> Catalogue:
    return Catalogue(elements=tuple(elements), indicators=tuple(indicators),
                     territories=territories, **extra)


# --- 1. A ratio is the ratio of sums, not the mean of ratios ------------------------------


RATE = IndicatorSpec("RATE", "100 * #{NUM} / #{DEN}", YEARLY)


def test_a_province_ratio_is_the_ratio_of_its_districts_sums_not_their_mean(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("NUM"), sum_element("DEN")], [RATE]), [
        ("NUM", D101, "2023", 10), ("DEN", D101, "2023", 20),  # 50 %
        ("NUM", D102, "2023", 30), ("DEN", D102, "2023", 40),  # 75 %
    ])

    assert one(path, "RATE", D101, "2023")["value"] == pytest.approx(50.0)
    assert one(path, "RATE", D102, "2023")["value"] == pytest.approx(75.0)
    province = one(path, "RATE", P1, "2023")
    # Σnum / Σden = (10 + 30) / (20 + 40) = 40 / 60 = 66.67 %; the mean of the district
    # ratios, (50 + 75) / 2 = 62.5 %, would be wrong.
    assert province["value"] == pytest.approx(100 * 40 / 60)
    assert province["value"] != pytest.approx(62.5)
    assert province["numerator"] == 40.0
    assert province["denominator"] == 60.0
    assert province["reason"] is None
    # The region holds only P1's data: the same 40 / 60.
    region = one(path, "RATE", REGION, "2023")
    assert (region["value"], region["numerator"], region["denominator"]) == (
        pytest.approx(100 * 40 / 60), 40.0, 60.0)
    # A district's own numerator and denominator are its facts.
    assert (one(path, "RATE", D101, "2023")["numerator"],
            one(path, "RATE", D101, "2023")["denominator"]) == (10.0, 20.0)


# --- 2. Weighted averages ---------------------------------------------------------------


AVERAGE_TREE = tree((D101, P1), (D102, P1), (D103, P1), (D201, P2), (202, P2))


@pytest.fixture(scope="module")
def averages(tmp_path_factory) -> Path:
    """One store for the weighted-average cases: prevalences of 20 % and 50 % in P1's
    districts 101 and 102, averaged three ways, and population weights for P2's 201 and
    202 taken from other years."""
    elements = [
        ElementSpec("PREV", Aggregation.AVERAGE, YEARLY, weight=POPULATION_WEIGHT),
        ElementSpec("FLAT", Aggregation.AVERAGE, YEARLY),  # unweighted
        ElementSpec("NAMED", Aggregation.AVERAGE, YEARLY, weight="SCREENED"),
        sum_element("SCREENED"),
    ]
    indicators = [IndicatorSpec(f"{code}_I", f"#{{{code}}}", YEARLY,
                                polarity=Polarity.LOWER_IS_BETTER)
                  for code in ("PREV", "FLAT", "NAMED")]
    population = (
        (D101, 2023, 1000.0), (D102, 2023, 3000.0),  # 103: none
        # 201: 2020 → 1000 and 2025 → 9999: 2023 uses the nearest earlier year (1000).
        # 202: only 2024 → 7000: no earlier year, so the nearest later one (7000).
        (D201, 2020, 1000.0), (D201, 2025, 9999.0), (202, 2024, 7000.0),
    )
    rows: list[Fact] = [(code, d, "2023", v) for code in ("PREV", "FLAT", "NAMED")
                        for d, v in ((D101, 20), (D102, 50))]
    rows += [("PREV", D103, "2023", 90), ("PREV", D201, "2023", 10), ("PREV", 202, "2023", 30),
             ("SCREENED", D101, "2023", 3000), ("SCREENED", D102, "2023", 1000)]
    return refresh(tmp_path_factory.mktemp("averages"),
                   catalogue(elements, indicators, territories=AVERAGE_TREE,
                             population=population), rows)


def test_a_population_weighted_average(averages):
    # (20 × 1000 + 50 × 3000) / (1000 + 3000) = (20 000 + 150 000) / 4000 = 42.5
    assert one(averages, "PREV_I", P1, "2023")["value"] == pytest.approx(42.5)
    # A district's average is its own value.
    assert one(averages, "PREV_I", D101, "2023")["value"] == pytest.approx(20.0)
    # An average has no numerator/denominator (the formula is not a ratio).
    assert one(averages, "PREV_I", P1, "2023")["numerator"] is None


def test_population_of_the_nearest_earlier_year_else_the_nearest_later(averages):
    # P2: 201 (10 %) weighs 1000 (its 2020 figure), 202 (30 %) weighs 7000 (its 2024 one):
    # (10 × 1000 + 30 × 7000) / 8000 = 220 000 / 8000 = 27.5 (with 201's 2025 figure,
    # 9999: (99 990 + 210 000) / 16 999 = 18.24).
    assert one(averages, "PREV_I", P2, "2023")["value"] == pytest.approx(27.5)
    # The region weighs the four districts, not its provinces' means:
    # (170 000 + 220 000) / (4000 + 8000) = 32.5, not (42.5 + 27.5) / 2 = 35.
    assert one(averages, "PREV_I", REGION, "2023")["value"] == pytest.approx(32.5)


def test_a_district_without_a_population_is_left_out_of_the_weighted_mean(averages):
    # 103 (90 %) has no population: it does not count; P1 stays 42.5, not a mean with 90.
    assert one(averages, "PREV_I", P1, "2023")["value"] == pytest.approx(42.5)
    # It still has a row, so P1 counts it as reported.
    assert one(averages, "PREV_I", P1, "2023")["reported_children"] == 3


def test_a_district_without_a_population_still_shows_its_own_average(averages):
    # The mean of one value is that value, whatever its weight: 103 recorded 90 %.
    assert one(averages, "PREV_I", D103, "2023")["value"] == pytest.approx(90.0)


def test_an_unweighted_average_is_the_plain_mean_of_the_districts(averages):
    # (20 + 50) / 2 = 35: the population is ignored without a weight.
    assert one(averages, "FLAT_I", P1, "2023")["value"] == pytest.approx(35.0)


def test_an_average_weighted_by_a_named_element(averages):
    # (20 × 3000 + 50 × 1000) / (3000 + 1000) = (60 000 + 50 000) / 4000 = 27.5
    assert one(averages, "NAMED_I", P1, "2023")["value"] == pytest.approx(27.5)


# --- 3. Missing districts: missing is not zero -------------------------------------------


CASES = IndicatorSpec("CASES_I", "#{CASES}", YEARLY)


def test_a_parent_sums_the_districts_that_reported_and_says_how_many(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("CASES")], [CASES]), [
        ("CASES", D101, "2023", 5),
        ("CASES", D102, "2023", 7),
        # 103 reported nothing; neither did 201 (P2's only district).
    ])

    province = one(path, "CASES_I", P1, "2023")
    assert province["value"] == 12.0  # 5 + 7: 103 is missing, not 0
    assert province["reported_children"] == 2  # 101 and 102
    assert province["expected_children"] == 3  # 101, 102, 103
    # No data anywhere beneath P2 or 103: no figure at all, never a 0.
    assert absent(path, "CASES_I", P2, "2023")
    assert absent(path, "CASES_I", D103, "2023")
    region = one(path, "CASES_I", REGION, "2023")
    assert region["value"] == 12.0
    assert (region["reported_children"], region["expected_children"]) == (1, 2)  # P1 of 2
    # Districts have no children: completeness is NULL for them.
    district = one(path, "CASES_I", D101, "2023")
    assert (district["reported_children"], district["expected_children"]) == (None, None)


def test_a_missing_input_gives_no_value_with_reason_missing_data(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("NUM"), sum_element("DEN")], [RATE]), [
        ("NUM", D201, "2023", 5),  # 201 has cases but no denominator
        ("NUM", D101, "2023", 10), ("DEN", D101, "2023", 20),
    ])

    for territory in (D201, P2):
        row = one(path, "RATE", territory, "2023")
        assert row["value"] is None  # never 0
        assert row["reason"] == Reason.MISSING_DATA
        assert row["numerator"] == 5.0
        assert row["denominator"] is None
    # P2 has a row, so the region counts it as reported even though it has no value.
    assert one(path, "RATE", REGION, "2023")["reported_children"] == 2
    # The region adds what it has per element: NUM 5 + 10 = 15, DEN 20 → 75 %.
    region = one(path, "RATE", REGION, "2023")
    assert (region["numerator"], region["denominator"]) == (15.0, 20.0)
    assert region["value"] == pytest.approx(75.0)


# --- 4. Zero denominators -----------------------------------------------------------------


def test_a_zero_denominator_has_no_value_but_the_parent_still_adds_up(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("NUM"), sum_element("DEN")], [RATE]), [
        ("NUM", D101, "2023", 3), ("DEN", D101, "2023", 0),   # 3 / 0
        ("NUM", D102, "2023", 6), ("DEN", D102, "2023", 12),  # 50 %
        ("NUM", D103, "2023", 0), ("DEN", D103, "2023", 0),   # 0 / 0
    ])

    for district, numerator in ((D101, 3.0), (D103, 0.0)):
        row = one(path, "RATE", district, "2023")
        assert row["value"] is None
        assert row["reason"] == Reason.ZERO_DENOMINATOR
        assert (row["numerator"], row["denominator"]) == (numerator, 0.0)
    assert one(path, "RATE", D102, "2023")["value"] == pytest.approx(50.0)
    province = one(path, "RATE", P1, "2023")
    # Σnum / Σden = (3 + 6 + 0) / (0 + 12 + 0) = 9 / 12 = 75 %
    assert province["value"] == pytest.approx(75.0)
    assert (province["numerator"], province["denominator"]) == (9.0, 12.0)
    assert province["reason"] is None
    # All three districts have a figure (a row), with or without a value.
    assert (province["reported_children"], province["expected_children"]) == (3, 3)
    # Only 102 has a value, so only it is ranked among its siblings.
    assert one(path, "RATE", D102, "2023")["rank"] == 1
    assert one(path, "RATE", D102, "2023")["rank_of"] == 1
    assert one(path, "RATE", D101, "2023")["rank"] is None


def test_a_zero_denominator_at_every_level_stays_a_reason_up_the_tree(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("NUM"), sum_element("DEN")], [RATE]), [
        ("NUM", D101, "2023", 4), ("DEN", D101, "2023", 0),
    ])

    # The province and the region: 4 / 0 as well.
    for territory in (D101, P1, REGION):
        row = one(path, "RATE", territory, "2023")
        assert (row["value"], row["reason"]) == (None, Reason.ZERO_DENOMINATOR)


# --- 5. A district that moved province ---------------------------------------------------


MOVED_TREE = (
    TerritoryNode(REGION, None, "region"),
    TerritoryNode(P1, REGION, "province"),
    TerritoryNode(P2, REGION, "province"),
    # D1 (101) belonged to P1 until 2020; from 2021 it is D2 (201) under P2.
    TerritoryNode(D101, P1, "district", valid_to=date(2020, 12, 31), successor_ids=(D201,)),
    TerritoryNode(D201, P2, "district", valid_from=date(2021, 1, 1)),
    TerritoryNode(D102, P1, "district"),
    TerritoryNode(202, P2, "district"),
)


def test_a_district_that_moved_province_counts_in_each_province_for_its_own_years(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("CASES")], [CASES],
                                       territories=MOVED_TREE), [
        ("CASES", D101, "2020", 8),
        ("CASES", D201, "2021", 11),
        ("CASES", D102, "2020", 1), ("CASES", D102, "2021", 2),
        ("CASES", 202, "2020", 100), ("CASES", 202, "2021", 200),
    ])

    # P1: 2020 = D1 8 + 102's 1 = 9; 2021 = 102's 2 only (D1's continuation does not roll up).
    assert one(path, "CASES_I", P1, "2020")["value"] == 9.0
    assert one(path, "CASES_I", P1, "2021")["value"] == 2.0
    # P2: 2020 = 202's 100 only (D2 did not exist); 2021 = D2 11 + 202's 200 = 211.
    assert one(path, "CASES_I", P2, "2020")["value"] == 100.0
    assert one(path, "CASES_I", P2, "2021")["value"] == 211.0
    # The region counts D2's 11 once in 2021: 2 + 211 = 213 (not 224); 2020: 9 + 100 = 109.
    assert one(path, "CASES_I", REGION, "2020")["value"] == 109.0
    assert one(path, "CASES_I", REGION, "2021")["value"] == 213.0
    # Completeness follows validity: P1 expects D1 and 102 in 2020, only 102 in 2021.
    assert (one(path, "CASES_I", P1, "2020")["expected_children"],
            one(path, "CASES_I", P1, "2021")["expected_children"]) == (2, 1)
    assert (one(path, "CASES_I", P1, "2021")["reported_children"]) == 1
    # P2 expects 202 in 2020, D2 and 202 in 2021.
    assert (one(path, "CASES_I", P2, "2020")["expected_children"],
            one(path, "CASES_I", P2, "2021")["expected_children"]) == (1, 2)
    assert one(path, "CASES_I", P2, "2021")["reported_children"] == 2


def test_a_moved_district_s_series_continues_from_its_successor(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("CASES")], [CASES],
                                       territories=MOVED_TREE), [
        ("CASES", D101, "2020", 8),
        ("CASES", D201, "2021", 11),
        ("CASES", D102, "2021", 2),
    ])

    own = one(path, "CASES_I", D101, "2020")
    assert (own["value"], own["from_successors"]) == (8.0, False)
    continued = one(path, "CASES_I", D101, "2021")
    assert continued["value"] == 11.0  # D2's 2021 figure
    assert continued["from_successors"] is True
    # So D1's series has a change: 11 − 8 = 3.
    assert continued["change_previous"] == 3.0
    # A continued figure is not ranked among P1's districts (D2 is ranked under P2).
    assert continued["rank"] is None
    assert one(path, "CASES_I", D102, "2021")["rank_of"] == 1
    assert one(path, "CASES_I", D201, "2021")["from_successors"] is False


# --- 6. Quarterly and yearly rollups of monthly data ------------------------------------


MONTHLY_FACTS = [
    ("2023-01", 1), ("2023-02", 2), ("2023-03", 4),  # Q1
    ("2023-05", 8),  # Q2: May only
    # Q3: nothing
    ("2023-10", 16), ("2023-11", 32),  # Q4: no December
]


@pytest.fixture(scope="module")
def monthly(tmp_path_factory) -> Path:
    """One store for every monthly rollup test (a refresh takes a quarter of a second)."""
    return _monthly_case(tmp_path_factory.mktemp("monthly"))


def _monthly_case(tmp_path: Path) -> Path:
    elements = [
        ElementSpec("S", Aggregation.SUM, MONTHLY),
        ElementSpec("A", Aggregation.AVERAGE, MONTHLY),
        ElementSpec("L", Aggregation.LAST, MONTHLY),
        ElementSpec("N", Aggregation.NONE, MONTHLY),
    ]
    indicators = [IndicatorSpec(f"{e.code}_I", f"#{{{e.code}}}", MONTHLY) for e in elements]
    rows: list[Fact] = [
        (code, D101, month.replace("-", ""), value)
        for code in ("S", "A", "L", "N") for month, value in MONTHLY_FACTS
    ]
    rows.append(("L", D102, "202302", 100))  # a second stock, only in February
    return refresh(tmp_path, catalogue(elements, indicators), rows)


@pytest.mark.parametrize(("period", "expected"), [
    ("2023Q1", 1 + 2 + 4),
    ("2023Q2", 8),
    ("2023Q4", 16 + 32),
    ("2023S1", 1 + 2 + 4 + 8),
    ("2023S2", 16 + 32),
    ("2023", 1 + 2 + 4 + 8 + 16 + 32),  # 63
])
def test_sum_rolls_months_up_by_adding_them(monthly, period, expected):
    assert one(monthly, "S_I", D101, period)["value"] == expected
    assert one(monthly, "S_I", D101, period)["period_type"] == {
        "Q": "Quarterly", "S": "SixMonthly"}.get(period[4:5], "Yearly")


@pytest.mark.parametrize(("period", "expected"), [
    ("2023Q1", (1 + 2 + 4) / 3),  # 7 / 3
    ("2023Q2", 8),  # the mean of the one month with a value, not 8 / 3
    ("2023Q4", (16 + 32) / 2),  # 24: December is missing, not 0
    ("2023S1", (1 + 2 + 4 + 8) / 4),  # 3.75
    # The year is the mean of its six months with a value, 63 / 6 = 10.5, not the mean of
    # its quarters (7/3 + 8 + 24) / 3 = 11.44.
    ("2023", (1 + 2 + 4 + 8 + 16 + 32) / 6),
])
def test_average_rolls_months_up_by_their_plain_mean(monthly, period, expected):
    assert one(monthly, "A_I", D101, period)["value"] == pytest.approx(expected)


@pytest.mark.parametrize(("territory", "period", "expected"), [
    (D101, "2023Q1", 4),  # March
    (D101, "2023Q2", 8),  # May
    (D101, "2023Q4", 32),  # November: December has no value
    (D101, "2023S1", 8),  # May
    (D101, "2023", 32),  # November
    # The province: each district's latest value, then summed.
    (P1, "2023Q1", 4 + 100),  # 101's March + 102's February
    (P1, "2023", 32 + 100),  # 101's November + 102's February (its latest)
    (P1, "2023Q2", 8),  # 102 has nothing in Q2
    (P1, "202302", 2 + 100),
])
def test_last_takes_each_territory_s_latest_month_with_a_value(monthly, territory, period,
                                                              expected):
    assert one(monthly, "L_I", territory, period)["value"] == expected


def test_nothing_is_reported_for_periods_or_territories_without_facts(monthly):
    for code in ("S_I", "A_I", "L_I"):
        assert absent(monthly, code, D101, "2023Q3")
        assert absent(monthly, code, D101, "202312")


def test_none_is_not_rolled_up_in_time_or_space(monthly):
    assert one(monthly, "N_I", D101, "202301")["value"] == 1.0
    assert one(monthly, "N_I", D101, "202311")["value"] == 32.0
    assert set(all_rows(monthly, "N_I")) == {
        (D101, month.replace("-", ""), "") for month, _ in MONTHLY_FACTS
    }


def test_a_monthly_sum_reaches_the_province_and_region_for_every_period_type(monthly):
    for territory in (P1, REGION):
        assert one(monthly, "S_I", territory, "2023")["value"] == 63.0
        assert one(monthly, "S_I", territory, "202310")["value"] == 16.0


# --- 7. Change, trend, forecast, status and rank on known series -------------------------


LOWER = IndicatorSpec("LOW", "#{X}", YEARLY, polarity=Polarity.LOWER_IS_BETTER,
                      base_year=2021, tolerance=0.1)
HIGHER = IndicatorSpec("HIGH", "#{Y}", YEARLY, polarity=Polarity.HIGHER_IS_BETTER,
                       tolerance=0.1)
SERIES_TREE = tree((D101, P1), (D102, P1), (D103, P1), (D104, P1), (D105, P1))


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Path:
    return _series_case(tmp_path_factory.mktemp("series"))


def _series_case(tmp_path: Path) -> Path:
    lower = {  # lower is better, target 35 in 2026
        D101: (50, 47, 44),  # slope −3 → 44 − 3 × 3 = 35: on track
        D102: (50, 49, 48),  # slope −1 → 48 − 3 = 45: 10 above, > 0.1 × 35: off track
        D103: (50, 47.5, 45),  # slope −2.5 → 45 − 7.5 = 37.5: 2.5 above, ≤ 3.5: at risk
    }
    higher = {  # higher is better, target 90 in 2026
        D101: (60, 70, 80),  # slope 10 → 80 + 30 = 110: on track
        D102: (60, 62, 64),  # slope 2 → 64 + 6 = 70: 20 below, > 9: off track
        D103: (72, 75, 78),  # slope 3 → 78 + 9 = 87: 3 below, ≤ 9: at risk
    }
    rows: list[Fact] = []
    for code, series in (("X", lower), ("Y", higher)):
        for territory, values in series.items():
            rows += [(code, territory, str(year), value)
                     for year, value in zip((2021, 2022, 2023), values, strict=True)]
    rows.append(("X", D104, "2023", 45))  # a tie with 103 in 2023
    targets = (
        *(Target("LOW", t, "2026", 35.0) for t in (D101, D102, D103)),
        Target("LOW", D104, "2023", 44.0),  # a target for the figure's own year
        *(Target("HIGH", t, "2026", 90.0) for t in (D101, D102, D103)),
    )
    return refresh(tmp_path, catalogue([sum_element("X"), sum_element("Y")], [LOWER, HIGHER],
                                       territories=SERIES_TREE, targets=targets), rows)


def test_a_lower_is_better_series_that_reaches_its_target(series):
    row = one(series, "LOW", D101, "2023")

    assert row["value"] == 44.0
    # Least squares through (−2, 50), (−1, 47), (0, 44): n = 3, Σx = −3, Σy = 141,
    # Σx² = 5, Σxy = −147 → (3 × −147 − (−3 × 141)) / (3 × 5 − 9) = −18 / 6 = −3.
    assert row["trend_slope"] == pytest.approx(-3.0)
    # 2023 → 2026 is 3 years: 44 + (−3) × 3 = 35.
    assert row["forecast"] == pytest.approx(35.0)
    assert row["target"] == 35.0
    assert row["target_period"] == "2026"
    assert row["forecast_meets_target"] is True  # 35 ≤ 35
    assert row["status"] == Status.ON_TRACK
    assert row["change_previous"] == pytest.approx(44 - 47)  # −3
    assert row["change_base"] == pytest.approx(44 - 50)  # against 2021: −6


def test_a_lower_is_better_series_off_track_and_one_at_risk(series):
    off = one(series, "LOW", D102, "2023")
    assert off["trend_slope"] == pytest.approx(-1.0)
    assert off["forecast"] == pytest.approx(45.0)  # 48 − 1 × 3
    assert off["forecast_meets_target"] is False
    assert off["status"] == Status.OFF_TRACK  # 45 − 35 = 10 > 0.1 × 35 = 3.5
    risk = one(series, "LOW", D103, "2023")
    # Σxy = −2 × 50 − 47.5 = −147.5, Σy = 142.5: (−442.5 + 427.5) / 6 = −2.5
    assert risk["trend_slope"] == pytest.approx(-2.5)
    assert risk["forecast"] == pytest.approx(37.5)  # 45 − 2.5 × 3
    assert risk["forecast_meets_target"] is False
    assert risk["status"] == Status.AT_RISK  # 37.5 − 35 = 2.5 ≤ 3.5


def test_higher_is_better_series(series):
    expected = {
        D101: (10.0, 110.0, True, Status.ON_TRACK),
        D102: (2.0, 70.0, False, Status.OFF_TRACK),
        D103: (3.0, 87.0, False, Status.AT_RISK),
    }
    for territory, (slope, forecast, meets, status) in expected.items():
        row = one(series, "HIGH", territory, "2023")
        assert row["trend_slope"] == pytest.approx(slope)
        assert row["forecast"] == pytest.approx(forecast)
        assert row["forecast_meets_target"] is meets
        assert row["status"] == status
    # No base year on HIGH: no change against it; change_previous 80 − 70 = 10.
    assert one(series, "HIGH", D101, "2023")["change_base"] is None
    assert one(series, "HIGH", D101, "2023")["change_previous"] == pytest.approx(10.0)


def test_early_periods_have_no_trend_and_the_first_no_change(series):
    first, second = one(series, "LOW", D101, "2021"), one(series, "LOW", D101, "2022")
    assert first["change_previous"] is None
    assert first["change_base"] == 0.0  # the base year against itself
    assert second["change_previous"] == pytest.approx(-3.0)  # 47 − 50
    assert second["change_base"] == pytest.approx(-3.0)
    # Two points are not a trend (at least 3): no slope, no forecast, so no status while
    # the target is still ahead; the target is shown all the same.
    for row in (first, second):
        assert row["trend_slope"] is None
        assert row["forecast"] is None
        assert row["status"] is None
        assert (row["target"], row["target_period"]) == (35.0, "2026")


def test_a_target_for_the_figure_s_own_period_judges_the_value(series):
    row = one(series, "LOW", D104, "2023")

    assert (row["target"], row["target_period"]) == (44.0, "2023")
    assert row["forecast"] is None  # one point
    # Lower is better: 45 − 44 = 1 ≤ 0.1 × 44 = 4.4 → at risk.
    assert row["status"] == Status.AT_RISK


def test_without_a_target_there_is_no_status(series):
    # Provinces have no targets; the series is still trended: P1's LOW is the sum of its
    # districts, 2021: 50 + 50 + 50 = 150, 2022: 47 + 49 + 47.5 = 143.5,
    # 2023: 44 + 48 + 45 + 45 = 182.
    province = one(series, "LOW", P1, "2023")
    assert province["value"] == 182.0
    assert (province["target"], province["target_period"], province["status"],
            province["forecast"], province["forecast_meets_target"]) == (
        None, None, None, None, None)
    # Slope through (−2, 150), (−1, 143.5), (0, 182): Σy = 475.5, Σxy = −300 − 143.5
    # = −443.5 → (3 × −443.5 + 3 × 475.5) / 6 = 96 / 6 = 16.
    assert province["trend_slope"] == pytest.approx(16.0)


def test_siblings_rank_by_polarity_with_ties_sharing_a_rank(series):
    # LOW 2023: 101 44, 103 45, 104 45, 102 48 → 1, 2, 2, 4 (105 has no data: not ranked).
    ranks = {t: one(series, "LOW", t, "2023")["rank"] for t in (D101, D102, D103, D104)}
    assert ranks == {D101: 1, D103: 2, D104: 2, D102: 4}
    assert {one(series, "LOW", t, "2023")["rank_of"] for t in (D101, D102, D103, D104)} == {4}
    assert absent(series, "LOW", D105, "2023")
    # HIGH 2023: 101 80, 103 78, 102 64 → 1, 2, 3 (higher is better).
    assert [one(series, "HIGH", t, "2023")["rank"] for t in (D101, D103, D102)] == [1, 2, 3]
    assert one(series, "HIGH", D102, "2023")["rank_of"] == 3
    # P1 ranks among the region's children, P1 and P2: only P1 has data.
    province = one(series, "LOW", P1, "2023")
    assert (province["rank"], province["rank_of"]) == (1, 1)


def test_the_trend_uses_the_last_five_periods_that_have_a_value(tmp_path):
    indicator = IndicatorSpec("T", "#{X}", YEARLY)
    path = refresh(tmp_path, catalogue([sum_element("X")], [indicator]), [
        ("X", D101, "2018", 100),  # five years before 2023: outside the window
        ("X", D101, "2019", 10),
        # 2020: no value
        ("X", D101, "2021", 14), ("X", D101, "2022", 15), ("X", D101, "2023", 18),
    ])

    row = one(path, "T", D101, "2023")
    # Points (−4, 10), (−2, 14), (−1, 15), (0, 18): n = 4, Σx = −7, Σy = 57, Σx² = 21,
    # Σxy = −40 − 28 − 15 = −83 → (4 × −83 + 7 × 57) / (4 × 21 − 49) = 67 / 35.
    assert row["trend_slope"] == pytest.approx(67 / 35)
    # 2021 follows a year without a value: no change against the previous period.
    assert one(path, "T", D101, "2021")["change_previous"] is None
    assert one(path, "T", D101, "2022")["change_previous"] == 1.0
    # 2021's window 2017 … 2021 holds 2018, 2019 and 2021: (−3, 100), (−2, 10), (0, 14):
    # Σx = −5, Σy = 124, Σx² = 13, Σxy = −320 → (3 × −320 + 5 × 124) / (39 − 25) = −340 / 14.
    assert one(path, "T", D101, "2021")["trend_slope"] == pytest.approx(-340 / 14)


def test_a_quarterly_forecast_counts_quarters_to_the_end_of_a_yearly_target(tmp_path):
    indicator = IndicatorSpec("Q", "#{QX}", QUARTERLY, polarity=Polarity.HIGHER_IS_BETTER)
    path = refresh(tmp_path, catalogue([sum_element("QX", QUARTERLY)], [indicator],
                                       targets=(Target("Q", D101, "2024", 20.0),)), [
        ("QX", D101, "2023Q1", 10), ("QX", D101, "2023Q2", 12), ("QX", D101, "2023Q3", 14),
    ])

    row = one(path, "Q", D101, "2023Q3")
    assert row["trend_slope"] == pytest.approx(2.0)
    # 2023Q3 → 2024Q4 is 5 quarters: 14 + 2 × 5 = 24 ≥ 20.
    assert row["forecast"] == pytest.approx(24.0)
    assert (row["target"], row["target_period"]) == (20.0, "2024")
    assert row["status"] == Status.ON_TRACK
    # The year 2023 (10 + 12 + 14 = 36) is one yearly point: no trend, no status.
    year = one(path, "Q", D101, "2023")
    assert year["value"] == 36.0
    assert (year["target"], year["trend_slope"], year["status"]) == (20.0, None, None)


def test_a_monthly_forecast_to_a_quarterly_target_and_roots_ranked_among_roots(tmp_path):
    countries = (TerritoryNode(1, None, "country"), TerritoryNode(2, None, "country"),
                 TerritoryNode(3, None, "country"))
    indicator = IndicatorSpec("M_I", "#{M}", MONTHLY, polarity=Polarity.LOWER_IS_BETTER)
    path = refresh(tmp_path, catalogue(
        [sum_element("M", MONTHLY)], [indicator], territories=countries,
        targets=(Target("M_I", 1, "2023Q4", 10.0), Target("M_I", 2, "2022", 5.0)),
    ), [
        ("M", 1, "202307", 30), ("M", 1, "202308", 25), ("M", 1, "202309", 20),
        ("M", 2, "202309", 20), ("M", 3, "202309", 5),
    ])

    row = one(path, "M_I", 1, "202309")
    # Slope −5 a month; 202309 → 202312 (where 2023Q4 ends) is 3 months: 20 − 15 = 5 ≤ 10.
    assert (row["trend_slope"], row["forecast"]) == (pytest.approx(-5.0), pytest.approx(5.0))
    assert (row["target"], row["target_period"], row["status"]) == (
        10.0, "2023Q4", Status.ON_TRACK)
    # A target that ended before the figure's period is not used.
    assert one(path, "M_I", 2, "202309")["target"] is None
    # Roots rank among roots; lower is better: 3 (5) first, 1 and 2 (20) share second.
    assert [one(path, "M_I", t, "202309")["rank"] for t in (1, 2, 3)] == [2, 2, 1]
    assert one(path, "M_I", 1, "202309")["rank_of"] == 3


# --- 8. Breakdowns ------------------------------------------------------------------------


def test_a_breakdown_is_the_sum_over_the_combinations_that_contain_its_option(tmp_path):
    options = ("FEMALE", "MALE", "RURAL", "URBAN")
    elements = [sum_element("CASES", options=options), sum_element("SCREENED", options=options)]
    indicators = [
        CASES,
        IndicatorSpec("ANAEMIA", "100 * #{CASES} / #{SCREENED}", YEARLY),
        IndicatorSpec("FEMALE_SHARE", "100 * #{CASES.FEMALE} / #{CASES}", YEARLY),
    ]
    path = refresh(tmp_path, catalogue(elements, indicators), [
        ("CASES", D101, "2023", 3, "FEMALE|RURAL"),
        ("CASES", D101, "2023", 5, "FEMALE|URBAN"),
        ("CASES", D101, "2023", 7, "MALE|RURAL"),
        ("CASES", D101, "2023", 11, "MALE|URBAN"),
        ("CASES", D102, "2023", 13, "FEMALE|RURAL"),
        ("SCREENED", D101, "2023", 10, "FEMALE|RURAL"),
        ("SCREENED", D101, "2023", 10, "FEMALE|URBAN"),
        ("SCREENED", D101, "2023", 20, "MALE|RURAL"),
        ("SCREENED", D101, "2023", 20, "MALE|URBAN"),
        ("SCREENED", D102, "2023", 26, "FEMALE|RURAL"),
    ])

    def cases(territory: int, breakdown: str) -> float:
        return one(path, "CASES_I", territory, "2023", breakdown)["value"]

    assert cases(D101, "FEMALE") == 3 + 5  # 8
    assert cases(D101, "MALE") == 7 + 11  # 18
    assert cases(D101, "RURAL") == 3 + 7  # 10
    assert cases(D101, "URBAN") == 5 + 11  # 16
    assert cases(D101, "") == 3 + 5 + 7 + 11  # 26: the total is every combination
    assert cases(P1, "FEMALE") == 8 + 13  # 21
    assert cases(P1, "") == 26 + 13  # 39
    assert absent(path, "CASES_I", D102, "2023", "MALE")  # no male cases recorded
    # Results are not reported per full combination.
    assert {b for (_, _, b) in all_rows(path, "CASES_I")} == {"", *options}
    # The ratio per breakdown is a ratio of the breakdown's sums:
    # FEMALE at P1 = (8 + 13) / (20 + 26) = 21 / 46; MALE at 101 = 18 / 40.
    assert one(path, "ANAEMIA", P1, "2023", "FEMALE")["value"] == pytest.approx(100 * 21 / 46)
    assert one(path, "ANAEMIA", D101, "2023", "MALE")["value"] == pytest.approx(100 * 18 / 40)
    assert one(path, "ANAEMIA", P1, "2023")["value"] == pytest.approx(100 * 39 / 86)
    # An explicit `.FEMALE` reads FEMALE whatever the breakdown: the total share 21 / 39.
    assert one(path, "FEMALE_SHARE", P1, "2023")["value"] == pytest.approx(100 * 21 / 39)


def test_an_average_breakdown_reads_only_its_one_option_combination(tmp_path):
    elements = [ElementSpec("PREV", Aggregation.AVERAGE, YEARLY,
                            frozenset({"FEMALE", "MALE", "RURAL"}))]
    path = refresh(tmp_path, catalogue(elements, [IndicatorSpec("P", "#{PREV}", YEARLY)]), [
        ("PREV", D101, "2023", 25, ""),
        ("PREV", D101, "2023", 20, "FEMALE"),
        ("PREV", D101, "2023", 30, "MALE"),
        ("PREV", D101, "2023", 99, "FEMALE|RURAL"),  # an average cannot be added: unreported
        ("PREV", D102, "2023", 40, "FEMALE"),
    ])

    assert one(path, "P", D101, "2023")["value"] == 25.0  # the "" value, not a mix
    assert one(path, "P", D101, "2023", "FEMALE")["value"] == 20.0
    assert one(path, "P", P1, "2023", "FEMALE")["value"] == pytest.approx((20 + 40) / 2)
    assert one(path, "P", P1, "2023")["value"] == 25.0  # only 101 gave a total
    assert absent(path, "P", D101, "2023", "RURAL")


# --- More hand-computed cases -------------------------------------------------------------


def test_a_parent_s_own_facts_add_to_its_children_s(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("CASES")], [CASES]), [
        ("CASES", P1, "2023", 100),  # recorded against the province itself
        ("CASES", D101, "2023", 5),
        ("CASES", D201, "2023", 7),
    ])

    assert one(path, "CASES_I", P1, "2023")["value"] == 105.0  # 100 + 5
    assert one(path, "CASES_I", REGION, "2023")["value"] == 112.0  # 105 + 7


def test_a_reference_to_the_previous_period_and_a_constant(tmp_path):
    indicators = [
        IndicatorSpec("GROWTH", "100 * (#{X} - #{X}[-1]) / #{X}[-1]", YEARLY),
        IndicatorSpec("PER_1000", "1000 * #{X} / C{POPULATION}", YEARLY),
        IndicatorSpec("LAG", "#{X}[-1]", YEARLY),
    ]
    path = refresh(tmp_path, catalogue([sum_element("X")], indicators,
                                       constants={"POPULATION": 400.0}), [
        ("X", D101, "2021", 50), ("X", D101, "2022", 47), ("X", D101, "2023", 44),
    ])

    # 2021 has no 2020 to compare with: no value, and a reason.
    first = one(path, "GROWTH", D101, "2021")
    assert (first["value"], first["reason"]) == (None, Reason.MISSING_DATA)
    assert one(path, "GROWTH", D101, "2022")["value"] == pytest.approx(100 * (47 - 50) / 50)
    assert one(path, "GROWTH", D101, "2023")["value"] == pytest.approx(100 * (44 - 47) / 47)
    # The row exists only where X has data in the period itself: no 2024.
    assert absent(path, "GROWTH", D101, "2024")
    # A formula with only a lagged reference has a figure the year after each fact,
    # including 2024, which has no facts at all.
    assert [one(path, "LAG", D101, year)["value"] for year in ("2022", "2023", "2024")] == [
        50.0, 47.0, 44.0]
    assert absent(path, "LAG", D101, "2021")
    # 1000 × 44 / 400 = 110; the ratio's parts are 44 and the constant 400.
    per = one(path, "PER_1000", D101, "2023")
    assert per["value"] == pytest.approx(110.0)
    assert (per["numerator"], per["denominator"]) == (44.0, 400.0)


def test_weeks_roll_up_to_the_month_of_their_thursday(tmp_path):
    indicator = IndicatorSpec("W", "#{WX}", PeriodType.WEEKLY)
    path = refresh(tmp_path, catalogue([sum_element("WX", PeriodType.WEEKLY)], [indicator]), [
        ("WX", D101, "2023W4", 1),  # Monday 23 January, Thursday 26 January
        ("WX", D101, "2023W5", 10),  # Monday 30 January, Thursday 2 February: February
        ("WX", D101, "2020W53", 100),  # Monday 28 December 2020, Thursday 31 December 2020
        ("WX", D101, "2021W1", 1000),  # Monday 4 January 2021
    ])

    assert one(path, "W", D101, "202301")["value"] == 1.0
    assert one(path, "W", D101, "202302")["value"] == 10.0
    assert one(path, "W", D101, "2023Q1")["value"] == 11.0
    assert one(path, "W", D101, "2020")["value"] == 100.0
    assert one(path, "W", D101, "2021")["value"] == 1000.0


def test_change_against_the_same_quarter_of_the_base_year(tmp_path):
    indicator = IndicatorSpec("QB", "#{QX}", QUARTERLY, base_year=2022)
    path = refresh(tmp_path, catalogue([sum_element("QX", QUARTERLY)], [indicator]), [
        ("QX", D101, "2022Q1", 5), ("QX", D101, "2022Q3", 20),
        ("QX", D101, "2023Q2", 7), ("QX", D101, "2023Q3", 26),
    ])

    row = one(path, "QB", D101, "2023Q3")
    assert row["change_base"] == 6.0  # 26 − 20 (2022Q3), not 26 − 5 (2022Q1)
    assert row["change_previous"] == 19.0  # 26 − 7 (2023Q2)
    # 2023Q2 has no 2022Q2 to compare with.
    assert one(path, "QB", D101, "2023Q2")["change_base"] is None
    # The year: 2023 = 7 + 26 = 33 against 2022 = 5 + 20 = 25.
    assert one(path, "QB", D101, "2023")["change_base"] == 8.0


def test_a_split_district_continues_as_the_sum_of_its_successors(tmp_path):
    territories = (
        TerritoryNode(REGION, None, "region"),
        TerritoryNode(P1, REGION, "province"),
        TerritoryNode(D101, P1, "district", valid_to=date(2021, 12, 31),
                      successor_ids=(D102, D103)),
        TerritoryNode(D102, P1, "district", valid_from=date(2022, 1, 1)),
        TerritoryNode(D103, P1, "district", valid_from=date(2022, 1, 1)),
    )
    elements = [sum_element("CASES"),
                ElementSpec("PREV", Aggregation.AVERAGE, YEARLY, weight=POPULATION_WEIGHT)]
    path = refresh(tmp_path, catalogue(
        elements, [CASES, IndicatorSpec("PREV_I", "#{PREV}", YEARLY)],
        territories=territories, population=((D102, 2022, 1000.0), (D103, 2022, 3000.0)),
    ), [
        ("CASES", D101, "2021", 30),  # ids 1, 2, 3
        ("CASES", D102, "2022", 12), ("CASES", D103, "2022", 20),
        ("PREV", D102, "2022", 20), ("PREV", D103, "2022", 40),
    ])

    continued = one(path, "CASES_I", D101, "2022")
    assert (continued["value"], continued["from_successors"]) == (32.0, True)  # 12 + 20
    assert continued["change_previous"] == 2.0  # 32 − 30
    # P1 counts each figure once: 2021 = 30, 2022 = 12 + 20 = 32 (not 64).
    assert one(path, "CASES_I", P1, "2022")["value"] == 32.0
    assert (one(path, "CASES_I", P1, "2022")["reported_children"],
            one(path, "CASES_I", P1, "2022")["expected_children"]) == (2, 2)
    # An average continues as its successors' weighted mean: (20 × 1000 + 40 × 3000) / 4000.
    prevalence = one(path, "PREV_I", D101, "2022")
    assert prevalence["value"] == pytest.approx(35.0)
    assert prevalence["from_successors"] is True
    # The sources of the continued figure are its successors' facts (ids 2 and 3).
    assert store_sources(path, indicator="CASES_I", territory_id=D101, period="2022") == [2, 3]


def test_the_sources_of_a_figure_are_the_facts_beneath_it(tmp_path):
    path = refresh(tmp_path, catalogue([sum_element("NUM"), sum_element("DEN")], [RATE]), [
        ("NUM", D101, "2023", 10), ("DEN", D101, "2023", 20),  # ids 1, 2
        ("NUM", D102, "2023", 30), ("DEN", D102, "2023", 40),  # ids 3, 4
        ("NUM", D201, "2023", 1), ("DEN", D201, "2023", 2),  # ids 5, 6: another province
        ("NUM", D101, "2022", 1),  # id 7: another year
    ])

    assert store_sources(path, indicator="RATE", territory_id=P1, period="2023") == [1, 2, 3, 4]
    assert store_sources(path, indicator="RATE", territory_id=REGION, period="2023") == [
        1, 2, 3, 4, 5, 6]
    assert store_sources(path, indicator="RATE", territory_id=D101, period="2022") == [7]


def test_store_results_reads_the_stored_rows(monthly):
    periods = ["2023", "2023Q1", "202301", "2023Q3"]
    found = store_results(monthly, indicator="S_I", territory_ids=[D101, P1, D201],
                          periods=periods)

    # Ordered by period id (as text: "2023" < "202301" < "2023Q1") then territory;
    # 2023Q3 and 201 have no data: no rows.
    assert [(r["period"], r["territory_id"]) for r in found] == [
        ("2023", P1), ("2023", D101), ("202301", P1), ("202301", D101),
        ("2023Q1", P1), ("2023Q1", D101)]
    assert [r["value"] for r in found] == [63.0, 63.0, 1.0, 1.0, 7.0, 7.0]
    assert found == [one(monthly, "S_I", r["territory_id"], r["period"]) for r in found]
    assert store_results(monthly, indicator="S_I", territory_ids=[D101], periods=["2023"],
                         breakdown="FEMALE") == []
