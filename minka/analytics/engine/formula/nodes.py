"""The formula language's limits, errors and tree (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeAlias

MAX_LENGTH = 2000
"""Longest formula text accepted: far beyond any real indicator sheet."""

MAX_NESTING = 50
"""Deepest nesting of parentheses, function calls and signs: bounds the parser's recursion."""

MAX_HEIGHT = 200
"""Deepest tree of operations (a chain `a + b + c` counts one level per `+`): bounds the
recursion of evaluation, formatting and comparison of trees."""

MAX_LOOKBACK = 520
"""Furthest period offset: ten years of weekly periods."""

FORMULA_ERROR_MESSAGES: dict[str, str] = {
    "empty": "empty formula",
    "too_long": "formula is longer than %(limit)s characters",
    "too_nested": "formula nests more than %(limit)s levels deep at position %(position)s",
    "too_complex": (
        "formula has more than %(limit)s levels of operations at position %(position)s"
    ),
    "unexpected_character": "unexpected character %(character)s at position %(position)s",
    "unexpected_token": "unexpected %(token)s at position %(position)s",
    "unexpected_end": "unexpected end of formula at position %(position)s",
    "unexpected_name": (
        "unexpected name '%(name)s' at position %(position)s: write data elements as "
        "#{CODE} and constants as C{NAME}"
    ),
    "single_equals": "use '==' to compare, at position %(position)s",
    "expected_digit": "expected a digit after '.' at position %(position)s",
    "expected_brace": "expected '{' after '#' at position %(position)s",
    "unclosed_reference": "unclosed reference %(opening)s at position %(position)s",
    "unclosed_parenthesis": "unclosed '(' at position %(position)s",
    "invalid_reference_character": (
        "invalid character %(character)s in reference at position %(position)s"
    ),
    "empty_code": "missing code in reference at position %(position)s",
    "empty_disaggregation": "missing disaggregation after '.' at position %(position)s",
    "extra_dot": (
        "a reference has at most one '.' (#{CODE.DISAGGREGATION}), at position %(position)s"
    ),
    "constant_with_dot": "a constant has no disaggregation, at position %(position)s",
    "invalid_offset": "expected a period offset like [-1] at position %(position)s",
    "positive_offset": (
        "a period offset must be 0 or negative (an earlier period), at position %(position)s"
    ),
    "offset_too_far": (
        "a period offset cannot reach back more than %(limit)s periods, at position "
        "%(position)s"
    ),
    "offset_without_reference": (
        "a period offset [...] can only follow a reference #{...}, at position %(position)s"
    ),
    "unknown_function": "unknown function '%(name)s' at position %(position)s",
    "expected_call": "expected '(' after %(name)s at position %(position)s",
    "one_argument": "expected 1 argument to %(name)s, got %(got)s at position %(position)s",
    "argument_count": (
        "expected %(expected)s arguments to %(name)s, got %(got)s at position %(position)s"
    ),
    "too_few_arguments": (
        "expected at least %(expected)s arguments to %(name)s, got %(got)s at position "
        "%(position)s"
    ),
    "expected_comparison": (
        "expected a comparison (<, <=, >, >=, ==, !=) as the condition of if, at position "
        "%(position)s"
    ),
    "comparison_outside_if": (
        "a comparison is only allowed as the condition of if, at position %(position)s"
    ),
    "chained_comparison": "comparisons cannot be chained, at position %(position)s",
    "unknown_reference": "unknown data element '%(code)s' at position %(position)s",
    "unknown_disaggregation": (
        "unknown disaggregation '%(disaggregation)s' of '%(code)s' at position %(position)s"
    ),
    "unknown_constant": "unknown constant '%(name)s' at position %(position)s",
}


class FormulaError(ValueError):
    """A formula that cannot be parsed, or that names something unknown.

    `message` is English; callers translate from `code` and `params` (which always include
    `position`), with their own catalogue keyed like `FORMULA_ERROR_MESSAGES`.
    """

    def __init__(self, code: str, position: int, params: Mapping[str, Any] | None = None):
        self.code = code
        self.position = position
        self.params: dict[str, Any] = {**(params or {}), "position": position}
        self.message = FORMULA_ERROR_MESSAGES[code] % self.params
        super().__init__(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (a job runner may carry errors between processes).
        params = {k: v for k, v in self.params.items() if k != "position"}
        return (type(self), (self.code, self.position, params))


# --- The tree ----------------------------------------------------------------------------

BinaryOperator: TypeAlias = Literal["+", "-", "*", "/"]
ComparisonOperator: TypeAlias = Literal["<", "<=", ">", ">=", "==", "!="]
FunctionName: TypeAlias = Literal["min", "max", "abs"]


def _position() -> Any:
    # Where the node was in the text; not part of equality, so reformatted text compares equal.
    return field(default=0, compare=False, kw_only=True)


def _is_code(text: str) -> bool:
    return bool(text) and all(_is_code_character(ch) for ch in text)


def _is_code_character(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


@dataclass(frozen=True, slots=True)
class Number:
    """A literal: finite and not negative (`-2` is `Negation(Number(2))`)."""

    value: Decimal
    position: int = _position()

    def __post_init__(self) -> None:
        if not self.value.is_finite() or self.value.is_signed():
            raise ValueError(f"a formula number is finite and not negative: {self.value!r}")


@dataclass(frozen=True, slots=True)
class Reference:
    """`#{code.disaggregation}[offset]`: a data value, `offset` periods away (0 or less)."""

    code: str
    disaggregation: str | None = None
    offset: int = 0
    position: int = _position()

    def __post_init__(self) -> None:
        if not _is_code(self.code) or not (
            self.disaggregation is None or _is_code(self.disaggregation)
        ):
            raise ValueError(f"invalid reference {self.code!r}.{self.disaggregation!r}")
        if not -MAX_LOOKBACK <= self.offset <= 0:
            raise ValueError(f"offset out of range: {self.offset}")


@dataclass(frozen=True, slots=True)
class Constant:
    """`C{name}`: a named constant such as a population target."""

    name: str
    position: int = _position()

    def __post_init__(self) -> None:
        if not _is_code(self.name):
            raise ValueError(f"invalid constant name {self.name!r}")


@dataclass(frozen=True, slots=True)
class Negation:
    operand: Expression
    position: int = _position()


@dataclass(frozen=True, slots=True)
class BinaryOperation:
    operator: BinaryOperator
    left: Expression
    right: Expression
    position: int = _position()


@dataclass(frozen=True, slots=True)
class Comparison:
    """Only ever the condition of an `If`: the language has no booleans elsewhere."""

    operator: ComparisonOperator
    left: Expression
    right: Expression
    position: int = _position()


@dataclass(frozen=True, slots=True)
class If:
    condition: Comparison
    then: Expression
    otherwise: Expression
    position: int = _position()


@dataclass(frozen=True, slots=True)
class Call:
    """`min`/`max` (two or more arguments) or `abs` (one)."""

    function: FunctionName
    arguments: tuple[Expression, ...]
    position: int = _position()


Expression: TypeAlias = Number | Reference | Constant | Negation | BinaryOperation | If | Call
Node: TypeAlias = Expression | Comparison


def formula_nodes(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (iteratively: no recursion limit)."""
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        yield current
        match current:
            case Negation(operand=operand):
                stack.append(operand)
            case BinaryOperation(left=left, right=right) | Comparison(left=left, right=right):
                stack.extend((right, left))
            case If(condition=condition, then=then, otherwise=otherwise):
                stack.extend((otherwise, then, condition))
            case Call(arguments=arguments):
                stack.extend(reversed(arguments))


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed formula and what it needs.

    `references` are the (code, disaggregation) pairs it reads, `inputs` the (code,
    disaggregation, offset) keys `formula_evaluate` looks up, `constants` the constant names,
    and `max_lookback` how many periods before the current one it reads (3 for `#{X}[-3]`,
    0 without offsets). `text` is the text as typed, or the canonical text of a formula built
    from a tree. Two formulas are equal when their trees are.
    """

    ast: Expression
    text: str = field(default="", compare=False)
    references: frozenset[tuple[str, str | None]] = field(init=False, compare=False)
    inputs: frozenset[tuple[str, str | None, int]] = field(init=False, compare=False)
    constants: frozenset[str] = field(init=False, compare=False)
    max_lookback: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        nodes = list(formula_nodes(self.ast))
        references = [n for n in nodes if isinstance(n, Reference)]
        setattr_ = object.__setattr__
        if not self.text:
            from minka.analytics.engine.formula.text import formula_format

            setattr_(self, "text", formula_format(self.ast))
        setattr_(self, "references", frozenset((r.code, r.disaggregation) for r in references))
        setattr_(
            self, "inputs", frozenset((r.code, r.disaggregation, r.offset) for r in references)
        )
        setattr_(self, "constants", frozenset(n.name for n in nodes if isinstance(n, Constant)))
        setattr_(self, "max_lookback", max((-r.offset for r in references), default=0))


