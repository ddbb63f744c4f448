"""Element aggregates up the tree and over periods (aggregate.py), read through identity
indicators `#{X}` whose values are X's aggregates. Every expected number is worked out by
hand in the comment beside it.
"""

from __future__ import annotations

from datetime import date

import pytest

from minka.analytics.engine.model import POPULATION_WEIGHT, TerritoryNode
from minka.analytics.engine.periods import PeriodType
from minka.analytics.engine.tests.cases import (
    AVERAGE,
    LAST,
    NONE,
    catalogue,
    element,
    facts,
    identity,
    results,
    tree,
    values,
)


def test_sum_rolls_up_every_level_and_a_fact_at_a_region_counts_for_it_and_above():
    found = results(
        catalogue([element("S")]),
        facts(("S", 11, "202301", 5), ("S", 12, "202301", 7), ("S", 21, "202301", 4),
              ("S", 10, "202301", 1)),
    )
    # 11: 5; 12: 7; 13 has no facts: no row (missing is not zero); 21: 4.
    # Region 10: its own 1 + 5 + 7 = 13; region 20: 4; country: 13 + 4 = 17.
    assert values(found, "S", "202301") == {11: 5, 12: 7, 21: 4, 10: 13, 20: 4, 1: 17}


def test_sum_rolls_up_a_deep_tree():
    chain = tree({1: None, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5})
    found = results(catalogue([element("S")], territories=chain),
                    facts(("S", 6, "202301", 2), ("S", 4, "202301", 3)))
    # 6 and 5 see 2; 4, 3, 2 and 1 see 2 + 3 = 5.
    assert values(found, "S", "202301") == {6: 2, 5: 2, 4: 5, 3: 5, 2: 5, 1: 5}


def test_a_parent_sums_the_districts_that_reported_and_completeness_counts_them():
    found = results(catalogue([element("S")]),
                    facts(("S", 11, "202301", 5), ("S", 12, "202301", 7)))
    region = found[("S", 10, "202301", "")]
    # 13 did not report: the region is 5 + 7 = 12, from 2 of its 3 districts.
    assert (region["value"], region["reported_children"], region["expected_children"]) == (
        12, 2, 3)
    assert ("S", 13, "202301", "") not in found
    district = found[("S", 11, "202301", "")]
    assert (district["reported_children"], district["expected_children"]) == (None, None)


def test_sum_over_quarters_semesters_and_years():
    found = results(catalogue([element("S")]),
                    facts(("S", 11, "202301", 2), ("S", 11, "202302", 3),
                          ("S", 11, "202304", 10)))
    district = {p: values(found, "S", p).get(11)
                for p in ("202303", "2023Q1", "2023Q2", "2023S1", "2023S2", "2023")}
    # March has no fact: no row. Q1 = 2 + 3 = 5; Q2 = 10; S1 = 15; S2 no row; 2023 = 15.
    assert district == {"202303": None, "2023Q1": 5, "2023Q2": 10, "2023S1": 15,
                        "2023S2": None, "2023": 15}


def test_unweighted_average_is_the_mean_in_space_then_the_mean_of_months():
    found = results(catalogue([element("A", AVERAGE)]),
                    facts(("A", 11, "202301", 10), ("A", 11, "202302", 20),
                          ("A", 12, "202301", 30)))
    # January: region = (10 + 30) / 2 = 20; February: only 11: 20.
    assert values(found, "A", "202301")[10] == 20
    assert values(found, "A", "202302")[10] == 20
    # Q1 of the region: mean of its months with a value: (20 + 20) / 2 = 20 — not the mean of
    # its districts' quarters ((15 + 30) / 2 = 22.5): space first, then time.
    assert values(found, "A", "2023Q1") == {11: 15, 12: 30, 10: 20, 1: 20}


def test_population_weighted_average_uses_the_nearest_earlier_year_else_the_later():
    population = ((11, 2022, 100.0), (12, 2022, 300.0), (12, 2024, 500.0))
    found = results(
        catalogue([element("A", AVERAGE, weight=POPULATION_WEIGHT)], population=population),
        facts(("A", 11, "202301", 10), ("A", 12, "202301", 30), ("A", 13, "202301", 1000),
              ("A", 11, "202101", 10), ("A", 12, "202101", 30),
              ("A", 11, "202501", 10), ("A", 12, "202501", 30)),
    )
    # 2023 uses 2022's figures (nearest earlier): (10 x 100 + 30 x 300) / 400 = 25. District
    # 13 has no population: it is left out of the mean (its 1000 would change it).
    assert values(found, "A", "202301")[10] == 25
    # 2021 has no earlier figure: the nearest later (2022): again 25.
    assert values(found, "A", "202101")[10] == 25
    # 2025 uses 2024 for 12: (10 x 100 + 30 x 500) / 600 = 16000 / 600.
    assert values(found, "A", "202501")[10] == pytest.approx(16000 / 600, rel=1e-12)
    # 13 keeps its own value, and a row: it reported.
    assert values(found, "A", "202301")[13] == 1000


def test_average_weighted_by_a_named_element_uses_its_total():
    screened = element("W", options=("F", "M"))
    anaemia = element("A", AVERAGE, weight="W")
    found = results(
        catalogue([screened, anaemia]),
        facts(("A", 11, "202301", 10), ("W", 11, "202301", 1),
              ("A", 12, "202301", 40), ("W", 12, "202301", 1, "F"), ("W", 12, "202301", 2, "M")),
    )
    # W's total at 12 is 1 + 2 = 3; region = (10 x 1 + 40 x 3) / (1 + 3) = 130 / 4 = 32.5.
    assert values(found, "A", "202301")[10] == 32.5


def test_last_takes_the_latest_month_with_a_value_per_district_then_sums():
    found = results(catalogue([element("L", LAST)]),
                    facts(("L", 11, "202301", 5), ("L", 11, "202302", 7),
                          ("L", 12, "202301", 4), ("L", 12, "202303", 6)))
    # Q1: 11's latest is February (7), 12's is March (6); region = 7 + 6 = 13.
    assert values(found, "L", "2023Q1") == {11: 7, 12: 6, 10: 13, 1: 13}
    assert values(found, "L", "2023")[10] == 13
    # A month sums the districts with a value in it: February has only 11's 7.
    assert values(found, "L", "202302")[10] == 7


def test_none_is_not_rolled_up_in_space_or_time():
    found = results(catalogue([element("N", NONE)]), facts(("N", 11, "202301", 5)))
    assert {(k[1], k[2]) for k in found} == {(11, "202301")}


def test_breakdowns_of_sums_add_every_combination_holding_the_option():
    counted = element("S", options=("F", "M", "U", "R"))
    found = results(catalogue([counted]),
                    facts(("S", 11, "202301", 1, "F|U"), ("S", 11, "202301", 2, "F|R"),
                          ("S", 11, "202301", 4, "M|U")))
    by_breakdown = {b: values(found, "S", "202301", b)[11] for b in ("", "F", "M", "U", "R")}
    # "" = 1 + 2 + 4 = 7; F = 1 + 2 = 3; M = 4; U = 1 + 4 = 5; R = 2.
    assert by_breakdown == {"": 7, "F": 3, "M": 4, "U": 5, "R": 2}


def test_breakdowns_of_averages_read_only_their_own_combination():
    rate = element("A", AVERAGE, options=("F", "M"))
    found = results(catalogue([rate]),
                    facts(("A", 11, "202301", 50), ("A", 11, "202301", 40, "F"),
                          ("A", 11, "202301", 60, "M"), ("A", 11, "202301", 99, "F|M")))
    # An average cannot be added up: "" is the value recorded for the total (50, not a mean
    # of 40 and 60), F and M their own; the two-option combination is reported nowhere.
    assert {b: values(found, "A", "202301", b)[11] for b in ("", "F", "M")} == {
        "": 50, "F": 40, "M": 60}


def test_weeks_roll_up_to_the_month_and_year_of_their_thursday():
    weekly = element("S", period_type=PeriodType.WEEKLY)
    found = results(catalogue([weekly]),
                    facts(("S", 11, "2020W53", 3), ("S", 11, "2021W1", 4)))
    # 2020W53 runs 2020-12-28 to 2021-01-03; its Thursday is 2020-12-31: December 2020.
    assert values(found, "S", "202012")[11] == 3
    assert values(found, "S", "202101")[11] == 4
    assert values(found, "S", "2020")[11] == 3


def test_a_district_that_moved_province_continues_from_its_successor():
    territories = (
        TerritoryNode(1, None, "country"),
        TerritoryNode(10, 1, "province"),  # P1
        TerritoryNode(30, 1, "province"),  # P2
        TerritoryNode(11, 10, "district", valid_to=date(2020, 12, 31), successor_ids=(31,)),
        TerritoryNode(12, 10, "district"),
        TerritoryNode(31, 30, "district", valid_from=date(2021, 1, 1)),
    )
    found = results(
        catalogue([element("S")], territories=territories),
        facts(("S", 11, "202012", 5), ("S", 12, "202012", 1),
              ("S", 31, "202101", 8), ("S", 31, "202102", 9)),
    )
    # P1 gets the old district's 2020 data: 5 + 1 = 6; P2 gets the new one's 2021 data.
    assert values(found, "S", "2020") == {11: 5, 12: 1, 10: 6, 1: 6}
    assert values(found, "S", "2021") == {31: 17, 30: 17, 11: 17, 1: 17}
    # The old district's 2021 series continues from its successor, flagged; its 2020 is its
    # own. The continuation does not reach P1 (no 2021 row for P1) nor double the country.
    assert found[("S", 11, "2021", "")]["from_successors"] is True
    assert found[("S", 11, "202102", "")]["value"] == 9
    assert found[("S", 11, "2020", "")]["from_successors"] is False
    # Continued rows are not ranked; in 2021 P2 has one district to expect, and P1 only 12.
    assert found[("S", 11, "2021", "")]["rank"] is None
    assert found[("S", 31, "2021", "")]["rank"] == 1
    assert found[("S", 30, "2021", "")]["expected_children"] == 1
    assert found[("S", 10, "2020", "")]["expected_children"] == 2


def test_facts_that_fit_nothing_are_ignored():
    found = results(
        catalogue([element("S")]),
        facts(("S", 11, "202301", 5), ("S", 999, "202301", 100), ("X", 11, "202301", 100),
              ("S", 11, "2023Q1", 100), ("S", 11, "not a period", 100)),
    )
    # Unknown territory 999, unknown element X, a quarter for a monthly element and a bad
    # period id count nowhere.
    assert values(found, "S", "2023")[1] == 5


def test_an_average_without_weights_keeps_district_values_but_cannot_weigh_them():
    found = results(catalogue([element("A", AVERAGE, weight=POPULATION_WEIGHT)]),
                    facts(("A", 11, "202301", 10)))
    # No population anywhere: 11 still shows what it recorded, but its region cannot weigh
    # it: the region has a row (a district reported) and no value.
    assert found[("A", 11, "202301", "")]["value"] == 10
    region = found[("A", 10, "202301", "")]
    assert (region["value"], region["reason"], region["reported_children"]) == (
        None, "missing_data", 1)


def test_identity_helper_names_indicators_after_elements():
    assert [i.code for i in identity(element("S"), element("T"))] == ["S", "T"]


def test_sums_do_not_depend_on_the_order_the_facts_arrive_in():
    found = {}
    for order in ((0.1, 0.2, 0.3), (0.3, 0.2, 0.1), (0.2, 0.1, 0.3)):
        rows = results(catalogue([element("S"), element("A", AVERAGE)]),
                       facts(*[(code, district, "202301", v)
                               for code in ("S", "A")
                               for district, v in zip((11, 12, 13), order, strict=True)]))
        found[order] = (values(rows, "S", "202301")[10], values(rows, "A", "202301")[10],
                        values(rows, "A", "2023")[10])
    # The doubles nearest 0.1, 0.2 and 0.3 add up exactly to 0.60000000000000000555…, whose
    # nearest double is the one printed 0.6. Added left to right in floating point, 0.1 + 0.2
    # first rounds to 0.30000000000000004 and the total to 0.6000000000000001; added from
    # 0.3 down it is 0.6. The region's sum must be 0.6 whatever the order, and its mean
    # (0.6 / 3, in January and over the year) the same double for every order.
    assert {figures[0] for figures in found.values()} == {0.6}
    assert len(set(found.values())) == 1
    assert found[(0.1, 0.2, 0.3)][1:] == pytest.approx((0.2, 0.2), rel=1e-15)


def test_equal_means_are_equal_doubles_so_their_ranks_tie():
    population = ((11, 2022, 3.0), (12, 2022, 7.0))
    months = ("202210", "202211", "202212")
    found = results(
        catalogue([element("A", AVERAGE, weight=POPULATION_WEIGHT)], population=population),
        facts(*[("A", 11, m, v) for m, v in zip(months, (0.1, 0.2, 0.3), strict=True)],
              *[("A", 12, m, v) for m, v in zip(months, (0.3, 0.2, 0.1), strict=True)]),
    )
    # A district's own value weighed by its population comes back as recorded: in doubles
    # 0.1 x 3 / 3 is 0.10000000000000002, exactly it is 0.1.
    assert values(found, "A", "202210")[11] == 0.1
    # Q4 of both: (0.1 + 0.2 + 0.3) / 3 = 0.2 exactly (in doubles, left to right,
    # 0.20000000000000004 for 11 and 0.19999999999999998 for 12): equal, so a tie.
    assert values(found, "A", "2022Q4")[11] == values(found, "A", "2022Q4")[12] == 0.2
    assert [found[("A", t, "2022Q4", "")]["rank"] for t in (11, 12)] == [1, 1]
    # The region's months: (0.1 x 3 + 0.3 x 7) / 10 = 0.24, 0.2, (0.3 x 3 + 0.1 x 7) / 10
    # = 0.16; its quarter (0.24 + 0.2 + 0.16) / 3 = 0.2.
    assert [values(found, "A", m)[10] for m in (*months, "2022Q4")] == [0.24, 0.2, 0.16, 0.2]


def test_territory_ids_far_apart_are_found_as_well_as_close_ones():
    # Ids spanning more than the direct lookup table covers take the search path.
    far = tree({1: None, 10**12: 1, 10**12 + 5: 10**12, 7: 1})
    found = results(catalogue([element("S")], territories=far),
                    facts(("S", 10**12 + 5, "202301", 2), ("S", 7, "202301", 3),
                          ("S", 10**12 + 6, "202301", 100)))
    # 10**12 + 6 is not in the catalogue: ignored. The root sees 2 + 3 = 5.
    assert values(found, "S", "202301") == {10**12 + 5: 2, 10**12: 2, 7: 3, 1: 5}
