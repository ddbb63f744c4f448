"""The canonical text of a formula: parses back to an equal tree (the round trip)."""

from __future__ import annotations

from minka.analytics.engine.formula.nodes import (
    BinaryOperation,
    Call,
    Comparison,
    Constant,
    Formula,
    If,
    Negation,
    Node,
    Number,
    Reference,
)

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _precedence(node: Node) -> int:
    if isinstance(node, BinaryOperation):
        return _PRECEDENCE[node.operator]
    if isinstance(node, Comparison):
        return 0
    return 3 if isinstance(node, Negation) else 4


def formula_format(formula: Formula | Node) -> str:
    """The canonical text: `formula_parse(formula_format(f)).ast == f.ast`.

    One space around operators, `, ` between arguments, lower-case functions, `*` and `/`
    for `×` and `÷`, and only the parentheses the tree needs (operations group to the left,
    so a right operand of the same precedence keeps its parentheses: `a - (b - c)`).
    """
    node = formula.ast if isinstance(formula, Formula) else formula
    match node:
        case Number(value=value):
            return format(value, "f")
        case Reference(code=code, disaggregation=disaggregation, offset=offset):
            dotted = code if disaggregation is None else f"{code}.{disaggregation}"
            return "#{" + dotted + "}" + (f"[{offset}]" if offset else "")
        case Constant(name=name):
            return "C{" + name + "}"
        case Negation(operand=operand):
            return "-" + _operand(operand, 3, same_needs_parentheses=False)
        case BinaryOperation(operator=operator, left=left, right=right):
            precedence = _PRECEDENCE[operator]
            left_text = _operand(left, precedence, same_needs_parentheses=False)
            right_text = _operand(right, precedence, same_needs_parentheses=True)
            return f"{left_text} {operator} {right_text}"
        case Comparison(operator=operator, left=left, right=right):
            return f"{formula_format(left)} {operator} {formula_format(right)}"
        case If(condition=condition, then=then, otherwise=otherwise):
            parts = (condition, then, otherwise)
            return "if(" + ", ".join(formula_format(part) for part in parts) + ")"
        case Call(function=function, arguments=arguments):
            return function + "(" + ", ".join(formula_format(a) for a in arguments) + ")"
    raise TypeError(f"not a formula node: {node!r}")


def _operand(node: Node, precedence: int, *, same_needs_parentheses: bool) -> str:
    own = _precedence(node)
    text = formula_format(node)
    if own < precedence or (same_needs_parentheses and own == precedence):
        return f"({text})"
    return text
