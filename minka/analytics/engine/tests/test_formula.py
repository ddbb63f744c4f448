"""Indicator formulas as a regional coordinator types them: parsed safely, evaluated in Decimal.

Every expected value and error position below was worked out by hand. No database.
"""

from __future__ import annotations

import ast
import dataclasses
import pickle
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minka.analytics.engine import formula as formula_module
from minka.analytics.engine.formula import (
    FORMULA_ERROR_MESSAGES,
    MAX_HEIGHT,
    MAX_LENGTH,
    MAX_NESTING,
    BinaryOperation,
    Call,
    Comparison,
    Constant,
    Formula,
    FormulaError,
    If,
    Negation,
    Node,
    Number,
    Reference,
    formula_check,
    formula_evaluate,
    formula_format,
    formula_parse,
)

D = Decimal
ANAEMIA = "100 * #{ANEMIA_6_35} / #{HB_TAMIZADOS_6_35}"
RATE_OF_CHANGE = "100 * (#{X} - #{X}[-1]) / #{X}[-1]"


def evaluate(text: str, values=None, constants=None) -> Decimal | None:
    return formula_evaluate(formula_parse(text), values or {}, constants or {})


def parse_error(text: str) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        formula_parse(text)
    return caught.value


# --- Arithmetic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 3 * 4", D(14)),
        ("(2+3)*4", D(20)),
        ("-2 * -3", D(6)),
        ("10 / 4", D("2.5")),
        ("10 - 4 - 3", D(3)),  # (10 - 4) - 3: operations group to the left
        ("10 - (4 - 3)", D(9)),
        ("24 / 4 / 2", D(3)),
        ("-(2 + 3) * 2", D(-10)),
        ("--5", D(5)),
        ("0.1 + 0.2", D("0.3")),  # Decimal, not float: exactly 0.3
        ("  7\t*\n2 ", D(14)),  # whitespace anywhere between tokens
        ("6 × 2 ÷ 4", D(3)),
        ("6 − 2", D(4)),  # the typographic minus sign pasted from a document
    ],
)
def test_arithmetic_follows_the_usual_precedence(text, expected):
    assert evaluate(text) == expected


def test_times_and_divide_signs_parse_as_star_and_slash():
    assert formula_parse("6 × #{A} ÷ 4") == formula_parse("6 * #{A} / 4")
    assert formula_format(formula_parse("6 × #{A} ÷ 4")) == "6 * #{A} / 4"


def test_anaemia_prevalence_from_cases_and_children_screened():
    values = {("ANEMIA_6_35", None, 0): D(37), ("HB_TAMIZADOS_6_35", None, 0): D(100)}

    assert evaluate(ANAEMIA, values) == D("37.0")


def test_rate_of_change_against_the_previous_period():
    values = {("X", None, 0): D(120), ("X", None, -1): D(100)}

    assert evaluate(RATE_OF_CHANGE, values) == D(20)


def test_disaggregations_are_separate_values():
    values = {("ANEMIA", "FEMALE", 0): D(12), ("ANEMIA", "MALE", 0): D(25)}

    assert evaluate("#{ANEMIA.FEMALE} + #{ANEMIA.MALE}", values) == D(37)
    assert evaluate("#{ANEMIA}", values) is None  # the total is its own value


def test_constants_come_from_their_own_mapping():
    values = {("CHILDREN_VACCINATED", None, 0): D(450)}

    constants = {"POP_TARGET": D(500)}

    result = evaluate("100 * #{CHILDREN_VACCINATED} / C{POP_TARGET}", values, constants)

    assert result == D(90)


def test_results_do_not_depend_on_the_callers_decimal_context():
    with localcontext() as context:
        context.prec = 3
        result = evaluate("1 / 3")

    assert result == D("0.3333333333333333333333333333")  # 28 significant digits


# --- Functions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("den", "expected"),
    [(D(0), D(0)), (D(50), D(20))],
)
def test_if_guards_a_division(den, expected):
    values = {("NUM", None, 0): D(10), ("DEN", None, 0): den}

    assert evaluate("if(#{DEN} == 0, 0, 100 * #{NUM} / #{DEN})", values) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("if(1 < 2, 10, 20)", D(10)),
        ("if(2 <= 2, 10, 20)", D(10)),
        ("if(1 > 2, 10, 20)", D(20)),
        ("if(1 >= 2, 10, 20)", D(20)),
        ("if(2 == 2.0, 10, 20)", D(10)),
        ("if(2 != 2, 10, 20)", D(20)),
        ("if(3 ≥ 3, 10, 20)", D(10)),
        ("if(3 ≤ 2, 10, 20)", D(20)),
        ("if(3 ≠ 2, 10, 20)", D(10)),
        ("IF(1 + 1 > 1, 2 * 3, 0)", D(6)),
        ("min(3, 1, 2)", D(1)),
        ("max(3, 1, 2)", D(3)),
        ("Max(-3, -1)", D(-1)),
        ("abs(2 - 5)", D(3)),
        ("abs(4)", D(4)),
        ("min(max(1, 5), 3) + abs(-1)", D(4)),
    ],
)
def test_if_min_max_abs(text, expected):
    assert evaluate(text) == expected


def test_a_branch_of_if_that_is_not_taken_may_be_missing():
    formula = "if(#{A} > 0, #{A}, #{B})"

    assert evaluate(formula, {("A", None, 0): D(5)}) == D(5)
    assert evaluate(formula, {("A", None, 0): D(-1)}) is None  # B is needed and missing


def test_if_with_a_missing_condition_is_missing():
    assert evaluate("if(#{A} > 0, 1, 2)") is None


# --- Missing is not zero -------------------------------------------------------------------


def test_an_absent_value_makes_the_result_missing():
    assert evaluate(ANAEMIA, {("ANEMIA_6_35", None, 0): D(37)}) is None


def test_a_none_value_makes_the_result_missing():
    values = {("ANEMIA_6_35", None, 0): D(37), ("HB_TAMIZADOS_6_35", None, 0): None}

    assert evaluate(ANAEMIA, values) is None


def test_zero_is_a_value_not_a_missing_one():
    assert evaluate("#{A} + 1", {("A", None, 0): D(0)}) == D(1)


def test_rate_of_change_without_the_previous_period_is_missing():
    assert evaluate(RATE_OF_CHANGE, {("X", None, 0): D(120)}) is None


def test_a_missing_constant_makes_the_result_missing():
    assert evaluate("#{A} / C{POP_TARGET}", {("A", None, 0): D(1)}) is None


def test_a_value_that_is_not_finite_counts_as_missing():
    assert evaluate("#{A} + 1", {("A", None, 0): D("NaN")}) is None


def test_a_result_beyond_decimals_range_is_missing_not_an_error():
    huge = D("9E+999990")

    assert evaluate("#{A} * #{A}", {("A", None, 0): huge}) is None


@pytest.mark.parametrize("text", ["min(1, #{A})", "max(#{A}, 1, 2)", "abs(#{A})", "-#{A}"])
def test_functions_of_a_missing_value_are_missing(text):
    assert evaluate(text) is None


# --- Division by zero ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1 / 0", "0 / 0", "1 / (2 - 2)", "1 / 0.000"])
def test_division_by_zero_is_missing_not_an_error(text):
    assert evaluate(text) is None


def test_a_district_with_no_children_screened_has_no_anaemia_rate():
    values = {("ANEMIA_6_35", None, 0): D(0), ("HB_TAMIZADOS_6_35", None, 0): D(0)}

    assert evaluate(ANAEMIA, values) is None


# --- What a formula needs ------------------------------------------------------------------


def test_a_formula_lists_its_references_constants_and_lookback():
    formula = formula_parse("#{A} + #{A}[-1] + #{B.FEMALE}[-3] + C{POP} * C{POP}")

    assert formula.references == {("A", None), ("B", "FEMALE")}
    assert formula.inputs == {("A", None, 0), ("A", None, -1), ("B", "FEMALE", -3)}
    assert formula.constants == {"POP"}
    assert formula.max_lookback == 3
    assert formula.text == "#{A} + #{A}[-1] + #{B.FEMALE}[-3] + C{POP} * C{POP}"


def test_a_formula_without_offsets_looks_back_zero_periods():
    assert formula_parse(ANAEMIA).max_lookback == 0
    assert formula_parse("#{X}[0]").max_lookback == 0
    assert formula_parse("#{X}[-0]").ast == Reference("X")


def test_references_may_hold_spaces_around_their_parts():
    formula = formula_parse("#{ ANEMIA . FEMALE }[ - 2 ]")

    assert formula.ast == Reference("ANEMIA", "FEMALE", -2)
    assert formula_format(formula) == "#{ANEMIA.FEMALE}[-2]"


def test_codes_may_hold_letters_of_any_language_digits_underscores_and_hyphens():
    formula = formula_parse("#{NIÑOS-6_35.Ñ1} + C{META_2025}")

    assert formula.references == {("NIÑOS-6_35", "Ñ1")}
    assert formula.constants == {"META_2025"}


# --- Errors, with their positions ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "position", "message"),
    [
        # 0-based: "100 * #{A} / 2)" has its stray ')' at 14.
        ("100 * #{A} / 2)", "unexpected_token", 14, "unexpected ')' at position 14"),
        ("10+#{X", "unclosed_reference", 3, "unclosed reference #{ at position 3"),
        ("1 + C{POP", "unclosed_reference", 4, "unclosed reference C{ at position 4"),
        ("2 * sqrt(4)", "unknown_function", 4, "unknown function 'sqrt' at position 4"),
        (
            "if(#{A} > 0, 1)",
            "argument_count",
            0,
            "expected 3 arguments to if, got 2 at position 0",
        ),
        ("", "empty", 0, "empty formula"),
        (" \t ", "empty", 0, "empty formula"),
        ("2 * (3 + 4", "unclosed_parenthesis", 4, "unclosed '(' at position 4"),
        ("2 +", "unexpected_end", 3, "unexpected end of formula at position 3"),
        ("2 + * 3", "unexpected_token", 4, "unexpected '*' at position 4"),
        ("2 3", "unexpected_token", 2, "unexpected '3' at position 2"),
        ("1 + 2 $ 3", "unexpected_character", 6, "unexpected character '$' at position 6"),
        ("1.", "expected_digit", 2, "expected a digit after '.' at position 2"),
        ("1 = 1", "single_equals", 2, "use '==' to compare, at position 2"),
        ("#X", "expected_brace", 0, "expected '{' after '#' at position 0"),
        ("#{}", "empty_code", 2, "missing code in reference at position 2"),
        ("#{A.}", "empty_disaggregation", 4, "missing disaggregation after '.' at position 4"),
        ("1 + #{A+B}", "invalid_reference_character", 7, None),
        ("#{A.B.C}", "extra_dot", 5, None),
        ("C{A.B}", "constant_with_dot", 3, None),
        ("#{A}[1]", "positive_offset", 4, None),
        ("#{A}[-1.5]", "invalid_offset", 4, None),
        ("#{A}[X]", "invalid_offset", 4, None),
        ("#{A}[-1", "invalid_offset", 4, None),
        ("#{A}[-521]", "offset_too_far", 4, None),
        ("(#{A})[-1]", "offset_without_reference", 6, None),
        ("#{A} > 1", "comparison_outside_if", 5, None),
        ("if(1, 2, 3)", "expected_comparison", 4, None),
        ("if(1 < 2 < 3, 4, 5)", "chained_comparison", 9, None),
        ("if(1 < 2, 3 > 4, 5)", "comparison_outside_if", 12, None),
        ("x + 1", "unexpected_name", 0, None),
        ("1 + min", "expected_call", 4, "expected '(' after min at position 4"),
        (
            "min(1)",
            "too_few_arguments",
            0,
            "expected at least 2 arguments to min, got 1 at position 0",
        ),
        ("abs(1, 2)", "one_argument", 0, "expected 1 argument to abs, got 2 at position 0"),
        ("max(1, )", "unexpected_token", 7, "unexpected ')' at position 7"),
    ],
)
def test_malformed_formulas_are_reported_at_their_position(text, code, position, message):
    error = parse_error(text)

    assert (error.code, error.position) == (code, position)
    if message is not None:
        assert error.message == message
        assert str(error) == message
    assert error.params["position"] == position
    assert isinstance(error, ValueError)


def test_the_first_problem_from_the_left_is_the_one_reported():
    # A stray ')' at 2 comes before the bad character '$' at 4.
    assert parse_error("1 ) $").position == 2


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("__import__('os')", 0),  # unknown function '__import__'
        ("2 * __import__('os').system('ls')", 4),
        ("#{A}.__class__", 4),  # no attribute access: '.' is not a token
        ("(1).real", 3),
        ("os.system('ls')", 2),
        ("open('/etc/passwd')", 0),
        ("'a' + 1", 0),
        ("lambda: 1", 6),
        ("[x for x in ()]", 0),
        ("#{A} if 1 else 2", 5),
        ("1; 2", 1),
        ("2 ** 3", 3),
        ("#{A}['__class__']", 5),  # the quote
    ],
)
def test_python_cannot_be_expressed(text, position):
    assert parse_error(text).position == position


def test_unknown_function_names_the_function():
    error = parse_error("__import__('os')")

    assert error.message == "unknown function '__import__' at position 0"
    assert error.params["name"] == "__import__"


def test_every_error_code_has_an_english_message():
    for code, template in FORMULA_ERROR_MESSAGES.items():
        assert template, code


def test_errors_survive_pickling():
    error = parse_error("2 * sqrt(4)")

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.code, copy.position, copy.message) == (error.code, 4, error.message)


# --- Limits against hostile input ----------------------------------------------------------


def test_a_formula_longer_than_the_limit_is_refused():
    text = "1+" * 1000 + "1"  # 2,001 characters

    error = parse_error(text)

    assert (error.code, error.position) == ("too_long", MAX_LENGTH)
    assert error.message == "formula is longer than 2000 characters"


def test_parentheses_nest_up_to_the_limit():
    assert evaluate("(" * MAX_NESTING + "1" + ")" * MAX_NESTING) == D(1)

    error = parse_error("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1))

    assert (error.code, error.position) == ("too_nested", 50)  # the 51st '('
    assert error.message == "formula nests more than 50 levels deep at position 50"


def test_signs_and_calls_count_as_nesting():
    assert evaluate("-" * 50 + "1") == D(1)
    assert parse_error("-" * 51 + "1").position == 50
    # The 51st "abs(" starts at 4 * 50 = 200; its '(' is at 203.
    assert parse_error("abs(" * 60 + "1" + ")" * 60).position == 203


def test_a_hostile_formula_cannot_exhaust_the_stack():
    for text in ("(" * 1999, "-" * 1999 + "1", "abs(" * 499, "min(1," * 333):
        assert parse_error(text).code == "too_nested"


def test_a_long_chain_of_operations_is_limited_in_height():
    # 200 terms, 199 '+': a tree 200 levels high, which evaluates and formats.
    allowed = formula_parse("+".join(["#{A}"] * MAX_HEIGHT))
    assert formula_evaluate(allowed, {("A", None, 0): D(1)}, {}) == D(200)
    assert formula_parse(formula_format(allowed)) == allowed

    # 201 terms: the 200th '+' (at 2 * 200 - 1 = 399 in "1+1+...") is one level too many.
    error = parse_error("+".join(["1"] * (MAX_HEIGHT + 1)))

    assert (error.code, error.position) == ("too_complex", 399)


# --- Checking against the catalogue --------------------------------------------------------


def test_unknown_references_and_constants_are_reported_at_their_position():
    # "100 * " is 0-5, "#{ANEMIA}" 6-14, " / " 15-17, "#{SCREENED_X}" 18-30, " + " 31-33,
    # "C{POP}" from 34.
    formula = formula_parse("100 * #{ANEMIA} / #{SCREENED_X} + C{POP}")

    errors = formula_check(formula, known_codes={"ANEMIA", "SCREENED"}, known_constants=set())

    assert [(e.code, e.position) for e in errors] == [
        ("unknown_reference", 18),
        ("unknown_constant", 34),
    ]
    assert errors[0].message == "unknown data element 'SCREENED_X' at position 18"
    assert errors[1].message == "unknown constant 'POP' at position 34"


def test_a_known_formula_has_no_errors():
    formula = formula_parse(RATE_OF_CHANGE + " * C{K}")

    assert formula_check(formula, known_codes={"X"}, known_constants={"K"}) == []


def test_each_use_of_an_unknown_code_is_reported():
    formula = formula_parse("#{Y} - #{Y}[-1]")

    errors = formula_check(formula, known_codes={"X"}, known_constants=set())

    assert [e.position for e in errors] == [0, 7]


def test_disaggregations_are_checked_when_the_catalogue_lists_them():
    formula = formula_parse("#{A.FEMALE} + #{A.OTHER} + #{A}")

    errors = formula_check(
        formula,
        known_codes={"A"},
        known_constants=set(),
        known_disaggregations={"A": {"FEMALE", "MALE"}},
    )

    assert [(e.code, e.position) for e in errors] == [("unknown_disaggregation", 14)]
    assert errors[0].message == "unknown disaggregation 'OTHER' of 'A' at position 14"


# --- The tree and its canonical text -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("(2+3)*4", "(2 + 3) * 4"),
        ("2+(3*4)", "2 + 3 * 4"),
        ("(1 - 2) - 3", "1 - 2 - 3"),
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("1 + (2 + 3)", "1 + (2 + 3)"),
        ("8 / (4 / 2)", "8 / (4 / 2)"),
        ("-(1 + 2)", "-(1 + 2)"),
        ("2 - -3", "2 - -3"),
        ("IF(#{A}>=0,1,2)", "if(#{A} >= 0, 1, 2)"),
        ("MIN( 1 ,2 )", "min(1, 2)"),
        ("#{ X }[ -0 ]", "#{X}"),
        ("2.50", "2.50"),
        (RATE_OF_CHANGE, RATE_OF_CHANGE),
    ],
)
def test_formula_format_writes_the_canonical_text(text, canonical):
    assert formula_format(formula_parse(text)) == canonical


def test_positions_are_kept_but_do_not_count_for_equality():
    formula = formula_parse("2  *  #{A}")

    assert formula.ast == BinaryOperation("*", Number(D(2)), Reference("A"))
    assert formula.ast.position == 3
    assert formula.ast.right.position == 6


def test_the_tree_is_immutable():
    formula = formula_parse("#{A} + 1")

    with pytest.raises(dataclasses.FrozenInstanceError):
        formula.ast.operator = "-"  # type: ignore[misc, union-attr]


def test_a_formula_built_from_a_tree_gets_its_canonical_text():
    formula = Formula(Call("max", (Reference("A", offset=-2), Number(D(0)))))

    assert formula.text == "max(#{A}[-2], 0)"
    assert formula.max_lookback == 2


@pytest.mark.parametrize(
    "build",
    [
        lambda: Number(D(-1)),
        lambda: Number(D("NaN")),
        lambda: Reference("A B"),
        lambda: Reference("A", offset=1),
        lambda: Constant(""),
    ],
)
def test_nodes_refuse_what_no_text_could_produce(build):
    with pytest.raises(ValueError):
        build()


def test_the_engine_has_no_django_imports_and_no_eval():
    source = "".join(
        p.read_text(encoding="utf-8") for p in Path(formula_module.__file__).parent.glob("*.py")
    )
    tree = ast.parse(source)

    imported = {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}

    assert not any(module.split(".")[0] == "django" for module in imported)
    assert not names & {"eval", "exec", "compile", "__import__", "getattr"}


# --- Properties ----------------------------------------------------------------------------

_CODES = st.text(alphabet="ABCXYZÑ019_-", min_size=1, max_size=8)
_NUMBERS = st.builds(
    Number,
    st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False).filter(
        lambda d: not d.is_signed()
    ),
)
_LEAVES = st.one_of(
    _NUMBERS,
    st.builds(Reference, _CODES, st.none() | _CODES, st.integers(-12, 0)),
    st.builds(Constant, _CODES),
)
_COMPARISON_OPERATORS = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])


def _extend(children):
    return st.one_of(
        st.builds(Negation, children),
        st.builds(BinaryOperation, st.sampled_from("+-*/"), children, children),
        st.builds(Call, st.just("abs"), st.tuples(children)),
        st.builds(
            Call,
            st.sampled_from(["min", "max"]),
            st.lists(children, min_size=2, max_size=4).map(tuple),
        ),
        st.builds(
            If, st.builds(Comparison, _COMPARISON_OPERATORS, children, children), children, children
        ),
    )


_EXPRESSIONS = st.recursive(_LEAVES, _extend, max_leaves=25)


def _height(node: Node) -> int:
    children: list[Node] = []
    match node:
        case Negation(operand=operand):
            children = [operand]
        case BinaryOperation(left=left, right=right) | Comparison(left=left, right=right):
            children = [left, right]
        case If(condition=condition, then=then, otherwise=otherwise):
            children = [condition, then, otherwise]
        case Call(arguments=arguments):
            children = list(arguments)
    return 1 + max((_height(child) for child in children), default=0)


@settings(deadline=None)
@given(_EXPRESSIONS)
def test_formatting_then_parsing_gives_back_the_same_tree(tree):
    assume(_height(tree) <= MAX_NESTING)
    text = formula_format(tree)

    parsed = formula_parse(text)

    assert parsed.ast == tree
    assert formula_format(parsed) == text


@settings(deadline=None)
@given(_EXPRESSIONS, st.data())
def test_evaluation_never_raises(tree, data):
    formula = Formula(tree)
    values = {
        key: data.draw(st.none() | st.decimals(-1000, 1000, allow_nan=False, places=2))
        for key in sorted(formula.inputs, key=repr)
    }
    constants = {name: data.draw(st.decimals(-1000, 1000, places=2)) for name in formula.constants}

    result = formula_evaluate(formula, values, constants)

    assert result is None or result.is_finite()


_FORMULA_CHARACTERS = st.sampled_from(list("0123456789.#{}C[]()+-*/×÷<>=!, \tifmnaxbsAB_Ñ'"))


@given(st.text(alphabet=_FORMULA_CHARACTERS | st.characters(), max_size=60))
def test_any_text_either_parses_or_raises_a_formula_error_within_it(text):
    try:
        formula = formula_parse(text)
    except FormulaError as error:
        assert 0 <= error.position <= len(text)
        assert error.message
    else:
        assert formula_parse(formula_format(formula)) == formula
