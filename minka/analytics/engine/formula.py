"""Indicator formulas: a small safe language, parsed by hand and evaluated in Decimal.

Why no `eval`: formulas are typed by regional coordinators into indicator sheets, stored, and
evaluated later for every territory and period, by workers that hold the whole database. A
formula is therefore untrusted text. This module reads it with its own tokenizer and a
recursive-descent parser that only knows numbers, references, constants, the four
operations, comparisons inside `if`, and four functions, so nothing else (a name, an
attribute, a string, a call to `__import__`) can be expressed: it is a syntax error with the
position of the offending character.

The language, in DHIS2's style:
- `#{ANEMIA_6_35}` the value of a data element, `#{ANEMIA_6_35.FEMALE}` one disaggregation;
- `#{X}[-1]` the value of X one period earlier, of the same period type (for "rate of change
  against the base year": `100 * (#{X} - #{X}[-1]) / #{X}[-1]`);
- `C{POP_TARGET}` a constant;
- numbers `12`, `2.5`; `+ - * /` (also `×`, `÷` and the minus sign `−`), unary minus,
  parentheses, whitespace anywhere between tokens;
- `if(condition, then, otherwise)` where the condition is one comparison
  (`< <= > >= == !=`, also `≤ ≥ ≠`); `min(a, b, ...)`, `max(a, b, ...)`, `abs(a)`.
  Function names are case-insensitive (`IF`, `Min`), and written in lower case.

Invariants:
- the AST is immutable; every node keeps the 0-based `position` of its text (the `#` of a
  reference, the operator of an operation, the name of a function), which is left out of
  equality so that `formula_parse(formula_format(f)).ast == f.ast` (the round trip);
- parsing is bounded: at most `MAX_LENGTH` characters, `MAX_NESTING` levels of parentheses,
  calls and signs, `MAX_HEIGHT` levels of operations in the tree, and offsets at most
  `MAX_LOOKBACK` periods back, so hostile input cannot exhaust the stack or ask for a
  decade-wide query;
- missing is not zero: a missing value makes the result missing (`None`); so does a
  division by zero (see `formula_evaluate`).

Errors are `FormulaError`s with a `position`, an English `message`, and a stable `code`
and `params` so callers can translate: `FORMULA_ERROR_MESSAGES` holds the English templates.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from operator import add, mul, sub, truediv
from typing import Any, Literal, TypeAlias

__all__ = [
    "FORMULA_ERROR_MESSAGES",
    "MAX_HEIGHT",
    "MAX_LENGTH",
    "MAX_LOOKBACK",
    "MAX_NESTING",
    "BinaryOperation",
    "Call",
    "Comparison",
    "Constant",
    "Expression",
    "Formula",
    "FormulaError",
    "If",
    "Negation",
    "Node",
    "Number",
    "Reference",
    "formula_check",
    "formula_evaluate",
    "formula_format",
    "formula_nodes",
    "formula_parse",
]

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
            setattr_(self, "text", formula_format(self.ast))
        setattr_(self, "references", frozenset((r.code, r.disaggregation) for r in references))
        setattr_(
            self, "inputs", frozenset((r.code, r.disaggregation, r.offset) for r in references)
        )
        setattr_(self, "constants", frozenset(n.name for n in nodes if isinstance(n, Constant)))
        setattr_(self, "max_lookback", max((-r.offset for r in references), default=0))


# --- Tokens ------------------------------------------------------------------------------

_SYMBOLS = {
    "+": "+", "-": "-", "−": "-", "*": "*", "×": "*", "/": "/", "÷": "/",
    "(": "(", ")": ")", ",": ",", "[": "[", "]": "]",
    "<": "<", ">": ">", "≤": "<=", "≥": ">=", "≠": "!=",
}
_TWO_CHARACTER_SYMBOLS = frozenset({"<=", ">=", "==", "!="})
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})
_FUNCTIONS = frozenset({"if", "min", "max", "abs"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["number", "reference", "constant", "name", "symbol", "end", "error"]
    text: str  # for a symbol, its canonical form (× is "*")
    position: int
    parts: tuple[str, str | None] = ("", None)  # reference: code, disaggregation
    error: FormulaError | None = None


def _tokenize(text: str) -> list[_Token]:
    """The tokens of `text`, ending with an "end" token or an "error" token.

    A lexical error does not raise here: it becomes the last token, so a syntax error earlier
    in the text is reported first, as a reader going left to right would find it.
    """
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            tokens.append(_Token("end", "", n))
            return tokens
        start, ch = i, text[i]
        try:
            if "0" <= ch <= "9":
                i = _scan_digits(text, i)
                if i < n and text[i] == ".":
                    if not (i + 1 < n and "0" <= text[i + 1] <= "9"):
                        raise FormulaError("expected_digit", i + 1)
                    i = _scan_digits(text, i + 1)
                tokens.append(_Token("number", text[start:i], start))
            elif ch == "#":
                if not (i + 1 < n and text[i + 1] == "{"):
                    raise FormulaError("expected_brace", i)
                code, disaggregation, i = _scan_braces(text, i, allow_dot=True)
                tokens.append(_Token("reference", text[start:i], start, (code, disaggregation)))
            elif ch == "C" and i + 1 < n and text[i + 1] == "{":
                name, _, i = _scan_braces(text, i, allow_dot=False)
                tokens.append(_Token("constant", text[start:i], start, (name, None)))
            elif ch.isascii() and (ch.isalpha() or ch == "_"):
                while i < n and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                    i += 1
                tokens.append(_Token("name", text[start:i], start))
            elif text[i : i + 2] in _TWO_CHARACTER_SYMBOLS:
                tokens.append(_Token("symbol", text[i : i + 2], start))
                i += 2
            elif ch in _SYMBOLS:
                tokens.append(_Token("symbol", _SYMBOLS[ch], start))
                i += 1
            elif ch == "=":
                raise FormulaError("single_equals", i)
            else:
                raise FormulaError("unexpected_character", i, {"character": repr(ch)})
        except FormulaError as error:
            tokens.append(_Token("error", "", error.position, error=error))
            return tokens


def _scan_digits(text: str, i: int) -> int:
    while i < len(text) and "0" <= text[i] <= "9":
        i += 1
    return i


def _scan_braces(text: str, start: int, *, allow_dot: bool) -> tuple[str, str | None, int]:
    """Read `#{code.disaggregation}` or `C{name}` from `start`; return parts and the end.

    Whitespace is allowed around the code and the disaggregation, not inside them.
    """
    opening = text[start : start + 2]
    n = len(text)

    def skip_space(i: int) -> int:
        while i < n and text[i].isspace():
            i += 1
        return i

    def read_code(i: int, error: str) -> tuple[str, int]:
        j = i
        while j < n and _is_code_character(text[j]):
            j += 1
        if j == i:
            if j == n:
                raise FormulaError("unclosed_reference", start, {"opening": opening})
            if text[j] in ".}":
                raise FormulaError(error, j)
            raise FormulaError("invalid_reference_character", j, {"character": repr(text[j])})
        return text[i:j], j

    code, i = read_code(skip_space(start + 2), "empty_code")
    disaggregation = None
    i = skip_space(i)
    if i < n and text[i] == ".":
        if not allow_dot:
            raise FormulaError("constant_with_dot", i)
        disaggregation, i = read_code(skip_space(i + 1), "empty_disaggregation")
        i = skip_space(i)
    if i == n:
        raise FormulaError("unclosed_reference", start, {"opening": opening})
    if text[i] == ".":
        raise FormulaError("extra_dot", i)
    if text[i] != "}":
        raise FormulaError("invalid_reference_character", i, {"character": repr(text[i])})
    return code, disaggregation, i + 1


# --- Parser ------------------------------------------------------------------------------

_Parsed: TypeAlias = tuple[Expression, int]  # a subtree and its height


class _Parser:
    """Recursive descent, one method per precedence level (lowest first):

        condition  := sum comparison-operator sum           (only as the first argument of if)
        sum        := product (("+" | "-") product)*
        product    := unary (("*" | "/") unary)*
        unary      := "-" unary | primary
        primary    := number | reference offset? | constant | call | "(" sum ")"
        offset     := "[" "-"? digits "]"
        call       := name "(" arguments? ")"
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> _Token:
        token = self.tokens[self.index]
        if token.error is not None:
            raise token.error
        return token

    def advance(self) -> _Token:
        token = self.peek()
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, symbol: str) -> bool:
        token = self.peek()
        return token.kind == "symbol" and token.text == symbol

    def unexpected(self, token: _Token) -> FormulaError:
        if token.kind == "end":
            return FormulaError("unexpected_end", token.position)
        if token.kind == "symbol" and token.text in _COMPARISONS:
            return FormulaError("comparison_outside_if", token.position)
        if token.kind == "symbol" and token.text == "[":
            return FormulaError("offset_without_reference", token.position)
        original = self.text[token.position : token.position + max(len(token.text), 1)]
        return FormulaError("unexpected_token", token.position, {"token": repr(original)})

    def parse(self) -> Expression:
        node, _ = self.sum(0)
        token = self.peek()
        if token.kind != "end":
            raise self.unexpected(token)
        return node

    def nest(self, nesting: int, token: _Token) -> int:
        if nesting >= MAX_NESTING:
            raise FormulaError("too_nested", token.position, {"limit": MAX_NESTING})
        return nesting + 1

    @staticmethod
    def grown(height: int, token: _Token) -> int:
        if height > MAX_HEIGHT:
            raise FormulaError("too_complex", token.position, {"limit": MAX_HEIGHT})
        return height

    def sum(self, nesting: int) -> _Parsed:
        left, height = self.product(nesting)
        while self.at("+") or self.at("-"):
            token = self.advance()
            right, right_height = self.product(nesting)
            operator: BinaryOperator = "+" if token.text == "+" else "-"
            left = BinaryOperation(operator, left, right, position=token.position)
            height = self.grown(1 + max(height, right_height), token)
        return left, height

    def product(self, nesting: int) -> _Parsed:
        left, height = self.unary(nesting)
        while self.at("*") or self.at("/"):
            token = self.advance()
            right, right_height = self.unary(nesting)
            operator: BinaryOperator = "*" if token.text == "*" else "/"
            left = BinaryOperation(operator, left, right, position=token.position)
            height = self.grown(1 + max(height, right_height), token)
        return left, height

    def unary(self, nesting: int) -> _Parsed:
        if self.at("-"):
            token = self.advance()
            operand, height = self.unary(self.nest(nesting, token))
            return Negation(operand, position=token.position), self.grown(height + 1, token)
        return self.primary(nesting)

    def primary(self, nesting: int) -> _Parsed:
        token = self.advance()
        if token.kind == "number":
            return Number(Decimal(token.text), position=token.position), 1
        if token.kind == "reference":
            code, disaggregation = token.parts
            offset = self.offset() if self.at("[") else 0
            return Reference(code, disaggregation, offset, position=token.position), 1
        if token.kind == "constant":
            return Constant(token.parts[0], position=token.position), 1
        if token.kind == "name":
            return self.call(token, nesting)
        if token.kind == "symbol" and token.text == "(":
            node, height = self.sum(self.nest(nesting, token))
            if self.peek().kind == "end":
                raise FormulaError("unclosed_parenthesis", token.position)
            if not self.at(")"):
                raise self.unexpected(self.peek())
            self.advance()
            return node, height
        raise self.unexpected(token)

    def offset(self) -> int:
        opening = self.advance()
        negative = self.at("-")
        if negative:
            self.advance()
        token = self.advance()
        if token.kind != "number" or "." in token.text or not self.at("]"):
            raise FormulaError("invalid_offset", opening.position)
        self.advance()
        periods = int(token.text)
        if periods and not negative:
            raise FormulaError("positive_offset", opening.position)
        if periods > MAX_LOOKBACK:
            raise FormulaError("offset_too_far", opening.position, {"limit": MAX_LOOKBACK})
        return -periods

    def call(self, name_token: _Token, nesting: int) -> _Parsed:
        name = name_token.text.lower()
        if not self.at("("):
            if name in _FUNCTIONS:
                raise FormulaError("expected_call", name_token.position, {"name": name})
            raise FormulaError("unexpected_name", name_token.position, {"name": name_token.text})
        if name not in _FUNCTIONS:
            raise FormulaError("unknown_function", name_token.position, {"name": name_token.text})
        nesting = self.nest(nesting, self.advance())
        condition: Comparison | None = None
        expressions: list[Expression] = []
        count = height = 0
        if not self.at(")"):
            while True:
                if name == "if" and count == 0:
                    condition, argument_height = self.condition(nesting)
                else:
                    argument, argument_height = self.sum(nesting)
                    expressions.append(argument)
                count += 1
                height = max(height, argument_height)
                if not self.at(","):
                    break
                self.advance()
        if not self.at(")"):
            raise self.unexpected(self.peek())
        self.advance()
        height = self.grown(height + 1, name_token)
        position = name_token.position
        if name == "abs" and count != 1:
            raise FormulaError("one_argument", position, {"name": name, "got": count})
        if name == "if" and count != 3:
            params = {"expected": 3, "name": name, "got": count}
            raise FormulaError("argument_count", position, params)
        if name in ("min", "max") and count < 2:
            raise FormulaError(
                "too_few_arguments", position, {"expected": 2, "name": name, "got": count}
            )
        if condition is not None:
            then, otherwise = expressions
            return If(condition, then, otherwise, position=position), height
        function: FunctionName = "abs" if name == "abs" else "min" if name == "min" else "max"
        return Call(function, tuple(expressions), position=position), height

    def condition(self, nesting: int) -> tuple[Comparison, int]:
        left, left_height = self.sum(nesting)
        token = self.peek()
        if not (token.kind == "symbol" and token.text in _COMPARISONS):
            raise FormulaError("expected_comparison", token.position)
        self.advance()
        right, right_height = self.sum(nesting)
        if self.peek().kind == "symbol" and self.peek().text in _COMPARISONS:
            raise FormulaError("chained_comparison", self.peek().position)
        operator: ComparisonOperator = _COMPARISON_OPERATORS[token.text]
        height = self.grown(1 + max(left_height, right_height), token)
        return Comparison(operator, left, right, position=token.position), height


_COMPARISON_OPERATORS: dict[str, ComparisonOperator] = {
    "<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!=",
}


def formula_parse(text: str) -> Formula:
    """Parse a formula typed by a coordinator; raise `FormulaError` at the first problem."""
    if len(text) > MAX_LENGTH:
        raise FormulaError("too_long", MAX_LENGTH, {"limit": MAX_LENGTH})
    if not text.strip():
        raise FormulaError("empty", 0)
    return Formula(_Parser(text).parse(), text)


# --- Checking, evaluating, formatting ----------------------------------------------------


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
