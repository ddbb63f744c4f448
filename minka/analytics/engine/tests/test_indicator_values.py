"""Which rows an indicator has and what each reads (indicators.indicator_values_compute),
on element aggregates written by hand: the join of a formula's inputs on (territory,
period, breakdown), offsets, explicit options, the frame, scopes. Expected rows are worked
out in the comments.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from minka.analytics.engine.dimensions import Dimensions, period_from_key, period_key
from minka.analytics.engine.indicators import indicator_values_compute
from minka.analytics.engine.model import IndicatorSpec, TerritoryNode
from minka.analytics.engine.periods import PeriodType, period_parse
from minka.analytics.engine.tests.cases import (
    MONTHLY,
    NONE,
    catalogue,
    element,
    facts,
    results,
    tree,
    values,
)

Aggregate = tuple[Any, ...]  # element, territory, period, breakdown, value[, continued]


class Aggregates:
    """Element aggregates given by hand, read as `indicators.ElementRows` reads them."""

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        self.columns = columns

    def rows(self, element_id: int, *, period_limit: int,
             territories: np.ndarray | None = None) -> dict[str, np.ndarray]:
        keep = (self.columns["element_id"] == element_id)
        keep &= self.columns["period_key"] < period_limit
        if territories is not None:
            keep &= np.isin(self.columns["territory_id"], territories)
        return {name: column[keep] for name, column in self.columns.items()
                if name != "element_id"}


def computed(cat, aggregates: list[Aggregate], *, scope: list[tuple[str, str]] | None = None,
             territories: list[int] | None = None) -> list[tuple]:
    """(indicator, territory, period, breakdown, value, reason, numerator, denominator,
    from_successors) of every row, in the order computed, from aggregates standing in for
    the batch's element values."""
    dims = Dimensions(cat)
    con = duckdb.connect()
    elements = Aggregates({
        "element_id": np.array([dims.element_id[a[0]] for a in aggregates], np.int64),
        "territory_id": np.array([a[1] for a in aggregates], np.int64),
        "period_key": np.array([period_key(period_parse(a[2])) for a in aggregates], np.int64),
        "breakdown_id": np.array([dims.breakdown_id[a[3]] for a in aggregates], np.int64),
        "value": np.array([np.nan if a[4] is None else a[4] for a in aggregates], float),
        "continued": np.array([a[5] if len(a) > 5 else False for a in aggregates], bool),
    })
    if scope is not None:
        con.register("scope", pa.table({
            "indicator_id": pa.array([dims.indicator_id[i] for i, _ in scope], pa.int32()),
            "period_key": pa.array([period_key(period_parse(p)) for _, p in scope],
                                   pa.int32()),
        }))
    if territories is not None:
        con.register("territories", pa.table({"territory_id": pa.array(territories,
                                                                        pa.int64())}))
    table = indicator_values_compute(
        con, dims, sorted(dims.indicators), elements, scope=None if scope is None else "scope",
        territories=None if territories is None else "territories")
    registered = con.execute("SELECT * FROM indicator_value").to_arrow_table()
    assert registered.equals(table)
    codes = {n: c for c, n in dims.indicator_id.items()}
    breakdowns = {n: b for b, n in dims.breakdown_id.items()}
    return [(codes[r["indicator_id"]], r["territory_id"], period_from_key(r["period_key"]).id,
             breakdowns[r["breakdown_id"]], r["value"], r["reason"], r["numerator"],
             r["denominator"], r["from_successors"]) for r in table.to_pylist()]


def two(formula: str, **options) -> Any:
    """Elements N and D (monthly sums) and indicator R = formula."""
    return catalogue([element("N", options=options.get("n", ())),
                      element("D", options=options.get("d", ()))],
                     [IndicatorSpec("R", formula, MONTHLY)])


def test_rows_come_sorted_by_period_breakdown_and_territory_whatever_the_input_order():
    cat = two("#{N} / #{D}", n=("F",), d=("F",))
    found = computed(cat, [
        ("D", 12, "202302", "", 4.0), ("N", 11, "202302", "F", 1.0),
        ("N", 12, "202301", "", 3.0), ("D", 11, "202302", "F", 2.0),
        ("N", 11, "202301", "", 5.0), ("D", 11, "202301", "", 10.0),
    ])
    assert [row[1:5] for row in found] == [
        (11, "202301", "", 0.5),  # 5 / 10
        (12, "202301", "", None),  # 3 / no D
        (12, "202302", "", None),  # no N / 4: D makes the row (both are frame inputs)
        (11, "202302", "F", 0.5),  # 1 / 2: the total's breakdown comes first
    ]
    assert [row[5] for row in found] == [None, "missing_data", "missing_data", None]


def test_an_offset_makes_rows_after_the_last_period_with_data():
    # #{N}[-1] alone: every input is the frame, so a row exists a period after each
    # aggregate, even past the last one (202312 -> 202401, 2023Q4 -> 2024Q1, 2023 -> 2024).
    cat = catalogue([element("N")], [IndicatorSpec("R", "#{N}[-1]", MONTHLY)])
    found = computed(cat, [("N", 11, "202311", "", 5.0), ("N", 11, "202312", "", 7.0),
                           ("N", 11, "2023Q4", "", 12.0), ("N", 11, "2023", "", 12.0)])
    assert [(row[2], row[4]) for row in found] == [
        ("2024", 12.0), ("2024Q1", 12.0), ("202312", 5.0), ("202401", 7.0)]


def test_an_offset_next_to_the_period_reads_the_previous_one_or_is_missing():
    # #{N} - #{N}[-1]: rows where N is (the frame); 202301 has no 202212: missing.
    cat = catalogue([element("N")], [IndicatorSpec("R", "#{N} - #{N}[-1]", MONTHLY)])
    found = computed(cat, [("N", 11, "202301", "", 5.0), ("N", 11, "202302", "", 7.0),
                           ("N", 11, "202304", "", 9.0)])
    assert [(row[2], row[4], row[5]) for row in found] == [
        ("202301", None, "missing_data"), ("202302", 2.0, None), ("202304", None,
                                                                   "missing_data")]


def test_a_quarterly_indicator_has_no_monthly_rows():
    cat = catalogue([element("N")], [IndicatorSpec("R", "#{N}", PeriodType.QUARTERLY)])
    found = computed(cat, [("N", 11, "202301", "", 5.0), ("N", 11, "2023Q1", "", 5.0),
                           ("N", 11, "2023", "", 5.0)])
    assert [row[2] for row in found] == ["2023", "2023Q1"]


def test_an_explicit_option_is_read_for_every_breakdown_of_the_plain_references():
    # #{N.F} + #{D}: breakdowns "", F, M, U (D's options); D is the frame, N.F is read
    # whatever the breakdown. District 11: D "" 30, F 10, U 20; N.F = 1 -> 31, 11, 21 (no
    # D of M: no row). District 12 has N but no D: no row.
    cat = two("#{N.F} + #{D}", n=("F", "M"), d=("F", "M", "U"))
    found = computed(cat, [
        ("N", 11, "202301", "F", 1.0), ("N", 11, "202301", "M", 3.0),
        ("N", 11, "202301", "", 4.0), ("N", 12, "202301", "F", 2.0),
        ("D", 11, "202301", "", 30.0), ("D", 11, "202301", "F", 10.0),
        ("D", 11, "202301", "U", 20.0),
    ])
    assert [(row[1], row[3], row[4]) for row in found] == [
        (11, "", 31.0), (11, "F", 11.0), (11, "U", 21.0)]


def test_explicit_options_alone_make_a_total_where_the_option_has_data():
    # No plain reference: the total only; the frame is N.F (offset 0): 2 x 1 at 11; 12 has
    # N but not of F: no row.
    cat = two("2 * #{N.F} + #{N.M}[-1]", n=("F", "M"))
    found = computed(cat, [("N", 11, "202302", "F", 1.0), ("N", 11, "202301", "M", 3.0),
                           ("N", 12, "202302", "M", 5.0)])
    assert [(row[1], row[2], row[3], row[4]) for row in found] == [(11, "202302", "", 5.0)]


def test_a_missing_aggregate_makes_a_row_without_a_value():
    # An average nobody could weigh has a row with no value (aggregate.py): the indicator
    # has a row there too, missing its data.
    cat = two("#{N} + #{D}")
    found = computed(cat, [("N", 11, "202301", "", None), ("D", 12, "202301", "", 2.0)])
    assert [(row[1], row[4], row[5]) for row in found] == [
        (11, None, "missing_data"), (12, None, "missing_data")]


def test_from_successors_when_a_frame_input_is_continued():
    # Frame inputs N and D; N[-1] is read but is not the frame: its continuation does not
    # count. 11: N continued -> True; 12: only N[-1] (from 202301) continued -> False.
    cat = two("#{N} / #{D} + #{N}[-1]")
    found = computed(cat, [
        ("N", 11, "202302", "", 4.0, True), ("D", 11, "202302", "", 2.0),
        ("N", 12, "202301", "", 1.0, True), ("N", 12, "202302", "", 6.0),
        ("D", 12, "202302", "", 3.0),
    ])
    assert [(row[1], row[2], row[8]) for row in found] == [
        (12, "202301", True),  # N there is continued (no D: no value)
        (11, "202302", True), (12, "202302", False)]


def test_a_scope_limits_the_periods_and_territories_computed():
    # Scope (R, 202302) and territory 11: only R at 11 in 202302, whose N[-1] is 202301's.
    cat = two("#{N} - #{N}[-1]")
    aggregates = [("N", t, p, "", v) for t in (11, 12)
                  for p, v in (("202301", 1.0), ("202302", 4.0), ("202303", 9.0))]
    found = computed(cat, aggregates, scope=[("R", "202302")], territories=[11])
    assert [row[1:5] for row in found] == [(11, "202302", "", 3.0)]
    assert computed(cat, aggregates, scope=[], territories=[11]) == []


def test_territory_ids_far_apart_are_joined_all_the_same():
    # Ids too sparse for a table indexed by id: the territories are numbered by sorting.
    far = 10**15
    cat = two("#{N} / #{D}")
    found = computed(cat, [("N", far, "202301", "", 1.0), ("D", far, "202301", "", 4.0),
                           ("N", 3, "202301", "", 3.0), ("D", 3, "202301", "", 4.0)])
    assert [(row[1], row[4]) for row in found] == [(3, 0.75), (far, 0.25)]


def test_an_element_without_aggregates_is_missing_and_makes_no_rows():
    # D is in the catalogue but has no aggregates: N alone makes the rows, D is missing.
    # An indicator reading only elements without aggregates has no row at all.
    cat = catalogue([element("N"), element("D"), element("E", aggregation=NONE)],
                    [IndicatorSpec("R", "#{N} / #{D}", MONTHLY),
                     IndicatorSpec("S", "#{E} + 1", MONTHLY)])
    found = computed(cat, [("N", 11, "202301", "", 1.0)])
    assert [(row[0], row[1], row[4], row[5]) for row in found] == [
        ("R", 11, None, "missing_data")]


# --- Through the whole engine --------------------------------------------------------------


def test_an_undecided_if_has_a_row_without_a_value_and_a_decided_one_ignores_the_other():
    cat = catalogue([element("A"), element("B")],
                    [IndicatorSpec("X", "if(#{A} > 0, #{B}, 1)", MONTHLY),
                     IndicatorSpec("Y", "if(#{A} > 0, 5, #{B})", MONTHLY)])
    found = results(cat, facts(("A", 11, "202301", 2), ("B", 11, "202301", 7),
                               ("B", 12, "202301", 7), ("A", 13, "202301", 1)))
    # 11: A = 2 > 0: X = B = 7, Y = 5. 12: no A: both undecided, missing (B makes the row).
    # 13: A = 1 > 0: X = B, missing; Y = 5 (B, in the branch not taken, is not needed).
    assert {t: v for t, v in values(found, "X", "202301").items() if t > 10} == {
        11: 7.0, 12: None, 13: None}
    assert {t: v for t, v in values(found, "Y", "202301").items() if t > 10} == {
        11: 5.0, 12: None, 13: 5.0}
    assert found[("X", 12, "202301", "")]["reason"] == "missing_data"
    assert found[("Y", 12, "202301", "")]["reason"] == "missing_data"


def test_an_offset_past_the_last_fact_gives_the_next_periods_rows():
    # #{N}[-1] with facts up to December: January of the next year and its quarter,
    # semester and year get rows (periods no fact has).
    cat = catalogue([element("N")], [IndicatorSpec("R", "#{N}[-1]", MONTHLY)])
    found = results(cat, facts(("N", 11, "202311", 5), ("N", 11, "202312", 7)))
    assert values(found, "R", "202401") == {11: 7.0, 10: 7.0, 1: 7.0}
    assert values(found, "R", "2024Q1")[11] == 12.0  # 2023Q4 = 5 + 7
    assert values(found, "R", "2024")[11] == 12.0
    assert ("R", 11, "202311", "") not in found


@pytest.mark.parametrize("ids", [(1, 10, 11), (10**12, 10**12 + 10, 10**12 + 11)])
def test_results_do_not_depend_on_how_large_territory_ids_are(ids):
    root, region, district = ids
    territories: tuple[TerritoryNode, ...] = tree({root: None, region: root, district: region})
    cat = catalogue([element("N"), element("D")],
                    [IndicatorSpec("R", "100 * #{N} / #{D}", MONTHLY)], territories=territories)
    found = results(cat, facts(("N", district, "202301", 1), ("D", district, "202301", 4)))
    assert values(found, "R", "202301") == {root: 25.0, region: 25.0, district: 25.0}
