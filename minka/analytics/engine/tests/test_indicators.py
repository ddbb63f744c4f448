"""Indicator formulas over arrays (formula_arrays.py): the same answers as `formula_evaluate`,
on aggregated element values (a region's ratio is a ratio of sums). Expected figures are
worked out by hand in the comments.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minka.analytics.engine.formula import (
    BinaryOperation,
    Call,
    Comparison,
    Constant,
    Expression,
    Formula,
    If,
    Negation,
    Number,
    Reference,
    formula_evaluate,
    formula_parse,
)
from minka.analytics.engine.formula_arrays import formula_values, ratio_parts
from minka.analytics.engine.model import IndicatorSpec
from minka.analytics.engine.periods import PeriodType
from minka.analytics.engine.tests.cases import (
    MONTHLY,
    catalogue,
    element,
    facts,
    results,
    values,
)


def ratio_catalogue(formula: str = "100 * #{N} / #{D}", **kwargs):
    elements = [element("N", options=kwargs.pop("n_options", ())),
                element("D", options=kwargs.pop("d_options", ()))]
    return catalogue(elements, [IndicatorSpec("R", formula, MONTHLY)], **kwargs)


def test_a_region_ratio_is_the_ratio_of_sums_not_the_mean_of_district_ratios():
    found = results(ratio_catalogue(),
                    facts(("N", 11, "202301", 1), ("D", 11, "202301", 10),
                          ("N", 12, "202301", 9), ("D", 12, "202301", 10),
                          ("N", 13, "202301", 10), ("D", 13, "202301", 80)))
    # Districts: 10 %, 90 %, 12.5 %; their mean would be 37.5 %.
    # Region: 100 x (1 + 9 + 10) / (10 + 10 + 80) = 100 x 20 / 100 = 20 %.
    region = found[("R", 10, "202301", "")]
    assert (region["value"], region["numerator"], region["denominator"]) == (20, 20, 100)
    assert values(found, "R", "202301")[11] == 10


def test_a_zero_denominator_gives_no_value_and_says_why():
    found = results(ratio_catalogue(),
                    facts(("N", 11, "202301", 3), ("D", 11, "202301", 0),
                          ("N", 12, "202301", 3)))
    zero = found[("R", 11, "202301", "")]
    assert (zero["value"], zero["reason"], zero["numerator"], zero["denominator"]) == (
        None, "zero_denominator", 3, 0)
    # 12 has a numerator and no denominator: missing, not zero.
    missing = found[("R", 12, "202301", "")]
    assert (missing["value"], missing["reason"]) == (None, "missing_data")
    # Region: 100 x (3 + 3) / 0 — still a zero denominator (12's missing D adds nothing).
    assert found[("R", 10, "202301", "")]["reason"] == "zero_denominator"


def test_an_offset_reads_the_previous_period_of_the_same_type():
    found = results(ratio_catalogue("100 * (#{N} - #{N}[-1]) / #{N}[-1]"),
                    facts(("N", 11, "202301", 50), ("N", 11, "202302", 60),
                          ("N", 11, "202304", 90)))
    # February: 100 x (60 - 50) / 50 = 20 %. January: no December: missing.
    assert values(found, "R", "202302")[11] == 20
    assert found[("R", 11, "202301", "")]["reason"] == "missing_data"
    # Q2 against Q1: Q1 = 110, Q2 = 90: 100 x (90 - 110) / 110.
    assert values(found, "R", "2023Q2")[11] == pytest.approx(-2000 / 110, rel=1e-12)
    # No row for March (no N in March), even though February exists.
    assert ("R", 11, "202303", "") not in found


def test_breakdowns_exist_where_every_plain_reference_has_the_option():
    cat = ratio_catalogue("100 * #{N} / #{D}", n_options=("F", "M", "U"), d_options=("F", "M"))
    found = results(cat, facts(("N", 11, "202301", 1, "F|U"), ("N", 11, "202301", 3, "M"),
                               ("D", 11, "202301", 4, "F"), ("D", 11, "202301", 6, "M")))
    # Breakdowns "", F and M (U is not an option of D). F: 100 x 1 / 4; M: 100 x 3 / 6.
    assert {k[3] for k in found} == {"", "F", "M"}
    assert values(found, "R", "202301", "F")[11] == 25
    assert values(found, "R", "202301", "M")[11] == 50
    assert values(found, "R", "202301", "")[11] == 40  # 100 x 4 / 10


def test_an_explicit_option_stays_fixed_in_every_breakdown():
    cat = ratio_catalogue("100 * #{N.F} / #{N}", n_options=("F", "M"))
    found = results(cat, facts(("N", 11, "202301", 1, "F"), ("N", 11, "202301", 3, "M")))
    # Total: 100 x 1 / 4 = 25; breakdown M: 100 x 1 / 3 (N.F stays F); F: 100.
    assert values(found, "R", "202301", "")[11] == 25
    assert values(found, "R", "202301", "M")[11] == pytest.approx(100 / 3, rel=1e-12)
    assert values(found, "R", "202301", "F")[11] == 100


def test_constants_come_from_the_catalogue_and_a_missing_one_is_missing_data():
    cat = ratio_catalogue("#{N} / C{TARGET_POPULATION}", constants={"TARGET_POPULATION": 4.0})
    assert values(results(cat, facts(("N", 11, "202301", 2))), "R", "202301")[11] == 0.5
    unknown = ratio_catalogue("#{N} / C{UNKNOWN}")
    row = results(unknown, facts(("N", 11, "202301", 2)))[("R", 11, "202301", "")]
    assert (row["value"], row["reason"]) == (None, "missing_data")


@pytest.mark.parametrize(
    ("formula", "parts"),
    [
        ("#{N} / #{D}", ("#{N}", "#{D}")),
        ("100 * #{N} / #{D}", ("#{N}", "#{D}")),
        ("(100 * #{N}) / #{D}", ("#{N}", "#{D}")),
        ("#{N} / #{D} * 1000", ("#{N}", "#{D}")),
        ("(#{N} + #{M}) / #{D}", ("#{N} + #{M}", "#{D}")),
        ("#{N} + #{D}", None),
        ("#{N}", None),
        ("#{N} / #{D} + 1", None),
    ],
)
def test_numerator_and_denominator_are_shown_for_ratio_shapes(formula, parts):
    found = ratio_parts(formula_parse(formula).ast)
    expected = None if parts is None else tuple(formula_parse(p).ast for p in parts)
    assert found == expected


# --- The arrays equal formula_evaluate ----------------------------------------------------

INPUTS = [("A", None, 0), ("B", None, 0), ("A", "F", 0), ("B", None, -1)]
CONSTANTS = {"K": 2.0}  # C{Z} is unknown: always missing

leaf_values = st.one_of(
    st.none(), st.just(0), st.integers(-5, 5), st.sampled_from([0.5, -1.5, 2.5])
)


def _leaf() -> st.SearchStrategy[Expression]:
    return st.one_of(
        st.builds(lambda k: Reference(*k), st.sampled_from(INPUTS)),
        st.builds(lambda v: Number(Decimal(v)), st.sampled_from(["0", "1", "2", "3", "0.5"])),
        st.builds(Constant, st.sampled_from(["K", "Z"])),
    )


def _exact(children: st.SearchStrategy[Expression]) -> st.SearchStrategy[Expression]:
    """Operations without division: exact in both binary and decimal arithmetic for these
    small values, so they can be divisors and comparison sides without rounding deciding
    the branch or the zero test."""
    return st.one_of(
        st.builds(Negation, children),
        st.builds(BinaryOperation, st.sampled_from(["+", "-", "*"]), children, children),
        st.builds(lambda f, a, b: Call(f, (a, b)), st.sampled_from(["min", "max"]),
                  children, children),
        st.builds(lambda a: Call("abs", (a,)), children),
    )


exact = st.recursive(_leaf(), _exact, max_leaves=6)


def _any(children: st.SearchStrategy[Expression]) -> st.SearchStrategy[Expression]:
    return st.one_of(
        _exact(children),
        st.builds(lambda a, b: BinaryOperation("/", a, b), children, exact),
        st.builds(lambda op, a, b, t, o: If(Comparison(op, a, b), t, o),
                  st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), exact, exact,
                  children, children),
    )


expressions = st.recursive(_leaf(), _any, max_leaves=10)


def _evaluate_arrays(formula: Formula, rows: list[dict[tuple, object]]) -> list[tuple]:
    """(value, reason, numerator, denominator) of each row."""
    inputs = {key: np.array([np.nan if r[key] is None else float(r[key]) for r in rows])
              for key in formula.inputs}
    found = formula_values(formula, inputs, CONSTANTS, len(rows))
    return list(zip(*(found[name].to_pylist()
                      for name in ("value", "reason", "numerator", "denominator")),
                    strict=True))


def _close(found: float | None, expected: Decimal | None) -> bool:
    if expected is None or found is None:
        return found is None and expected is None
    return math.isclose(found, float(expected), rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    ast=expressions,
    rows=st.lists(st.fixed_dictionaries({key: leaf_values for key in INPUTS}),
                  min_size=1, max_size=8),
)
def test_arrays_give_the_same_values_as_formula_evaluate(ast, rows):
    # Rows with and without missing inputs are mixed: the first are evaluated again with
    # reasons, the others keep their first figures; both must be formula_evaluate's.
    formula = Formula(ast)
    found = _evaluate_arrays(formula, rows)
    constants = {name: Decimal(str(value)) for name, value in CONSTANTS.items()}
    parts = ratio_parts(ast)
    for row, (value, reason, numerator, denominator) in zip(rows, found, strict=True):
        inputs = {key: None if v is None else Decimal(str(v)) for key, v in row.items()}
        expected = formula_evaluate(formula, inputs, constants)
        if expected is None:
            assert value is None and reason in ("missing_data", "zero_denominator")
        else:
            assert reason is None and _close(value, expected)
        if parts is None:
            assert (numerator, denominator) == (None, None)
        else:
            assert _close(numerator, formula_evaluate(Formula(parts[0]), inputs, constants))
            assert _close(denominator, formula_evaluate(Formula(parts[1]), inputs, constants))


@pytest.mark.parametrize(
    ("formula", "inputs", "value", "reason"),
    [
        # min and max are missing when any argument is.
        ("min(#{A}, #{B})", {"A": 1, "B": None}, None, "missing_data"),
        ("max(#{A}, #{B})", {"A": 1, "B": 3}, 3, None),
        # An undecided if is missing; the branch not taken may be missing.
        ("if(#{A} > 0, #{B}, 1)", {"A": None, "B": 1}, None, "missing_data"),
        ("if(#{A} > 0, 5, #{B})", {"A": 1, "B": None}, 5, None),
        # The reason is the first problem met from the left.
        ("#{A} / #{B} + #{C}", {"A": 1, "B": 0, "C": None}, None, "zero_denominator"),
        ("#{C} + #{A} / #{B}", {"A": 1, "B": 0, "C": None}, None, "missing_data"),
        ("abs(#{A} - #{B})", {"A": 1, "B": 4}, 3, None),
    ],
)
def test_null_rules_and_reasons(formula, inputs, value, reason):
    parsed = formula_parse(formula)
    rows = [{(code, None, 0): inputs[code] for code, _, _ in parsed.inputs}]
    assert _evaluate_arrays(parsed, rows)[0][:2] == (value, reason)


BIG = 1e200  # BIG * BIG is beyond a double's range: infinity; BIG * BIG - BIG * BIG: NaN


@pytest.mark.parametrize(
    ("formula", "inputs", "value", "reason"),
    [
        # An infinite result is no value.
        ("#{A} * #{A}", {"A": BIG}, None, "missing_data"),
        # An intermediate NaN is a value until the end, ordered above every number and
        # equal to itself, as DuckDB's doubles were (the formula language never meets one).
        ("if(#{A} * #{A} - #{A} * #{A} > 0, 1, 2)", {"A": BIG}, 1, None),
        ("if(#{A} * #{A} - #{A} * #{A} < 0, 1, 2)", {"A": BIG}, 2, None),
        ("if(#{A} * #{A} - #{A} * #{A} == #{A} * #{A} - #{A} * #{A}, 1, 2)", {"A": BIG}, 1,
         None),
        ("min(#{A} * #{A} - #{A} * #{A}, 1)", {"A": BIG}, 1, None),
        ("max(#{A} * #{A} - #{A} * #{A}, 1)", {"A": BIG}, None, "missing_data"),
        # Infinity divided by zero is still a zero denominator.
        ("#{A} * #{A} / #{B}", {"A": BIG, "B": 0}, None, "zero_denominator"),
    ],
)
def test_doubles_beyond_range_follow_duckdb(formula, inputs, value, reason):
    parsed = formula_parse(formula)
    rows = [{(code, None, 0): inputs[code] for code, _, _ in parsed.inputs}] * 2
    assert [r[:2] for r in _evaluate_arrays(parsed, rows)] == [(value, reason)] * 2


def test_an_infinite_numerator_is_shown_though_the_ratio_has_no_value():
    # (BIG x BIG) / 1 = infinity: no value, but the numerator node has one (infinity).
    found = _evaluate_arrays(formula_parse("#{A} * #{A} / #{B}"),
                             [{("A", None, 0): BIG, ("B", None, 0): 1}])
    assert found == [(None, "missing_data", math.inf, 1.0)]


def test_min_and_max_keep_the_first_of_equal_arguments():
    # -0.0 == 0.0: min(-0, 0) is the first, -0.0; max(0, -0) is 0.0 (DuckDB's least).
    rows = [{("Z", None, 0): 0}]
    first = _evaluate_arrays(formula_parse("min(-#{Z}, #{Z})"), rows)[0][0]
    second = _evaluate_arrays(formula_parse("max(#{Z}, -#{Z})"), rows)[0][0]
    assert (math.copysign(1, first), math.copysign(1, second)) == (-1, 1)


def test_a_weekly_indicator_reports_weeks_and_every_coarser_type():
    cat = catalogue([element("S", period_type=PeriodType.WEEKLY)])
    found = results(cat, facts(("S", 11, "2023W5", 1)))
    assert {k[2] for k in found if k[1] == 11} == {"2023W5", "202302", "2023Q1", "2023S1",
                                                    "2023"}
