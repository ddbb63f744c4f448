"""Tokenizer and recursive-descent parser: text to tree, or a FormulaError with its position."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeAlias

from minka.analytics.engine.formula.nodes import (
    MAX_HEIGHT,
    MAX_LENGTH,
    MAX_LOOKBACK,
    MAX_NESTING,
    BinaryOperation,
    BinaryOperator,
    Call,
    Comparison,
    ComparisonOperator,
    Constant,
    Expression,
    Formula,
    FormulaError,
    FunctionName,
    If,
    Negation,
    Number,
    Reference,
    _is_code_character,
)

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


