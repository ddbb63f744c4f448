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

from minka.analytics.engine.formula.evaluate import formula_check, formula_evaluate
from minka.analytics.engine.formula.nodes import (
    FORMULA_ERROR_MESSAGES,
    MAX_HEIGHT,
    MAX_LENGTH,
    MAX_LOOKBACK,
    MAX_NESTING,
    BinaryOperation,
    Call,
    Comparison,
    Constant,
    Expression,
    Formula,
    FormulaError,
    If,
    Negation,
    Node,
    Number,
    Reference,
    formula_nodes,
)
from minka.analytics.engine.formula.parser import formula_parse
from minka.analytics.engine.formula.text import formula_format

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
