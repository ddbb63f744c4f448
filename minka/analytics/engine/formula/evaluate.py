"""Checking a formula against the catalogue, and evaluating it in Decimal."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from operator import add, mul, sub, truediv

from minka.analytics.engine.formula.nodes import (
    BinaryOperation,
    Call,
    Comparison,
    Constant,
    Expression,
    Formula,
    FormulaError,
    If,
    Negation,
    Number,
    Reference,
    TypeAlias,
    formula_nodes,
)


def formula_check(
    formula: Formula,
    *,
    known_codes: AbstractSet[str],
    known_constants: AbstractSet[str],
    known_disaggregations: Mapping[str, AbstractSet[str]] | None = None,
) -> list[FormulaError]:
    """Every reference to an unknown data element or constant, in the order of the text.

    Parsing only knows the shape of a formula; this knows the catalogue, so a coordinator
    sees every misspelt code at once, each at its position. Codes are compared exactly, as
    DHIS2 does. Disaggregations are checked only when `known_disaggregations` (code ->
    its disaggregation codes) is given.
    """
    errors: list[FormulaError] = []
    for node in formula_nodes(formula.ast):
        if isinstance(node, Reference):
            if node.code not in known_codes:
                errors.append(
                    FormulaError("unknown_reference", node.position, {"code": node.code})
                )
            elif (
                known_disaggregations is not None
                and node.disaggregation is not None
                and node.disaggregation not in known_disaggregations.get(node.code, ())
            ):
                params = {"code": node.code, "disaggregation": node.disaggregation}
                errors.append(FormulaError("unknown_disaggregation", node.position, params))
        elif isinstance(node, Constant) and node.name not in known_constants:
            errors.append(FormulaError("unknown_constant", node.position, {"name": node.name}))
    return sorted(errors, key=lambda error: error.position)


# Fixed, so a caller's decimal context cannot change results. 28 significant digits are far
# more than any indicator needs; rounding happens only for display. Nothing is trapped:
# evaluation never raises, and a result beyond the exponent range is not a value (None).
_CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[],
)

_OPERATIONS = {"+": add, "-": sub, "*": mul, "/": truediv}

Values: TypeAlias = Mapping[tuple[str, str | None, int], Decimal | None]


def formula_evaluate(
    formula: Formula, values: Values, constants: Mapping[str, Decimal]
) -> Decimal | None:
    """The formula's value, or None when it has none.

    `values` maps (code, disaggregation, offset) — the keys in `formula.inputs` — to data
    values; `constants` maps constant names to values.

    - Missing is not zero: a value that is absent, None or not finite, or a constant that is
      absent, makes the result None, unless it sits in a branch of `if` that is not taken.
      A comparison with a missing side leaves the `if` undecided, so None.
    - Division by zero gives None, not an exception: a district that screened no children
      has no anaemia rate, which is a fact about the data, not an error in the formula; one
      such district must not stop the evaluation of the other 1,891.
    - `min` and `max` are None if any argument is: the true minimum is unknown.
    - It never raises: a result too large for Decimal's exponent range is None too.
    """
    with localcontext(_CONTEXT):
        return _evaluate(formula.ast, values, constants)


def _evaluate(
    node: Expression, values: Values, constants: Mapping[str, Decimal]
) -> Decimal | None:
    match node:
        case Number(value=value):
            return value
        case Reference(code=code, disaggregation=disaggregation, offset=offset):
            found = values.get((code, disaggregation, offset))
            return found if found is not None and found.is_finite() else None
        case Constant(name=name):
            constant = constants.get(name)
            return constant if constant is not None and constant.is_finite() else None
        case Negation(operand=operand):
            inner = _evaluate(operand, values, constants)
            return None if inner is None else -inner
        case BinaryOperation(operator=operator, left=left, right=right):
            a = _evaluate(left, values, constants)
            b = _evaluate(right, values, constants)
            if a is None or b is None:
                return None
            if operator == "/" and b.is_zero():
                return None
            combined: Decimal = _OPERATIONS[operator](a, b)
            return combined if combined.is_finite() else None
        case If(condition=condition, then=then, otherwise=otherwise):
            decided = _compare(condition, values, constants)
            if decided is None:
                return None
            return _evaluate(then if decided else otherwise, values, constants)
        case Call(function=function, arguments=arguments):
            results = [_evaluate(argument, values, constants) for argument in arguments]
            known = [result for result in results if result is not None]
            if len(known) < len(results):
                return None
            if function == "abs":
                return abs(known[0])
            return min(known) if function == "min" else max(known)
    raise TypeError(f"not a formula expression: {node!r}")


def _compare(
    comparison: Comparison, values: Values, constants: Mapping[str, Decimal]
) -> bool | None:
    a = _evaluate(comparison.left, values, constants)
    b = _evaluate(comparison.right, values, constants)
    if a is None or b is None:
        return None
    match comparison.operator:
        case "<":
            return a < b
        case "<=":
            return a <= b
        case ">":
            return a > b
        case ">=":
            return a >= b
        case "==":
            return a == b
        case _:
            return a != b


