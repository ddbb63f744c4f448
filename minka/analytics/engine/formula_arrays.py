"""Indicator formulas over arrays: every node one numpy operation over all the rows.

The semantics are `formula_evaluate`'s (a property test compares the two on random
formulas):

- missing is not zero: a NULL input makes the result NULL, except in the branch of `if`
  that is not taken; an `if` whose condition has a NULL side is NULL;
- a division by zero is NULL, never an error, never infinity;
- `min`/`max` are NULL when any argument is; `abs` propagates NULL;
- a result that is not finite is NULL.

Next to the value, a `reason` is computed node by node: `missing_data` when a value the
evaluation needed is missing (the left operand checked first), else `zero_denominator` when
a division by zero made it NULL. NULL when there is a value. A node is NULL exactly when
its reason is set, so a node is a pair (values, reason codes) and NULL needs no mask; and
since most rows miss nothing, reasons are only worked out for the rows that do
(`formula_values`).

Floating point: each node is the float64 operation DuckDB's doubles performed when
indicators were evaluated in SQL, in the same order, so values are bit-identical to that
SQL's; numbers and constants are parsed with correct rounding, as DuckDB's CAST from text
was. Where the formula language says nothing, DuckDB's rules are kept: an intermediate
infinity or NaN (beyond 1e308) is a value until the final check; comparisons order NaN
above every number and equal to itself; `min`/`max` keep the first of equal arguments (so
`min(-0.0, 0.0)` is -0.0).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from minka.analytics.engine.formula import (
    BinaryOperation,
    Call,
    Comparison,
    Constant,
    Expression,
    Formula,
    If,
    Negation,
    Node,
    Number,
    Reference,
)
from minka.analytics.engine.model import Reason

InputKey = tuple[str, str | None, int]
"""(element code, option or None, offset): the keys of `Formula.inputs`."""

# Reason codes of a node: 0 where it has a value.
_MISSING, _ZERO = 1, 2
_REASON_TEXT = pa.array([None, Reason.MISSING_DATA.value, Reason.ZERO_DENOMINATOR.value],
                        pa.string())


@dataclass(frozen=True)
class _Column:
    """A node's figures: `value` (float64; bool for a comparison), meaningless where
    `reason` is set (int8 codes, 0 where there is a value; None: never NULL)."""

    value: np.ndarray
    reason: np.ndarray | None


def ratio_parts(node: Expression) -> tuple[Expression, Expression] | None:
    """(N, D) when the formula is N / D, k * N / D, (k * N) / D, N / D * k or k * (N / D)
    with k a number: the figures a reader needs to see how a ratio was made."""
    match node:
        case BinaryOperation(operator="/", left=left, right=denominator):
            match left:
                case BinaryOperation(operator="*", left=Number(), right=numerator):
                    return numerator, denominator
                case BinaryOperation(operator="*", left=numerator, right=Number()):
                    return numerator, denominator
            return left, denominator
        case BinaryOperation(operator="*", left=BinaryOperation(operator="/") as ratio,
                             right=Number()):
            return ratio.left, ratio.right
        case BinaryOperation(operator="*", left=Number(),
                             right=BinaryOperation(operator="/") as ratio):
            return ratio.left, ratio.right
    return None


def formula_values(
    formula: Formula,
    inputs: Mapping[InputKey, np.ndarray],
    constants: Mapping[str, float],
    rows: int,
) -> dict[str, pa.Array]:
    """The formula over `rows` rows: `value`, `reason`, `numerator`, `denominator` (the
    latter NULL unless the formula has a `ratio_parts` shape).

    `inputs` maps the keys of `formula.inputs` to float64 arrays of `rows` values, NaN
    where missing; an absent key is missing everywhere, and so is an unknown or non-finite
    constant.

    Every row is first evaluated as if nothing were missing (values only), noting the rows
    where something was (an input missing, a divisor zero); only those, usually few, are
    evaluated again with reasons. Elsewhere every node has a value, so the first figures
    are the exact ones.
    """
    parts = ratio_parts(formula.ast) or ()
    with np.errstate(all="ignore"):  # a NULL cell may hold anything, even 1 / 0
        doubtful = np.zeros(rows, bool)
        quick = _Evaluation(inputs, constants, rows, doubtful=doubtful)
        value = quick.column(formula.ast).value
        part_values = [quick.column(part).value for part in parts]
        part_nulls: list[np.ndarray | None] = [None for _ in parts]
        failed = np.isfinite(value)
        np.logical_not(failed, out=failed)
        reason = failed.view(np.int8)  # _MISSING where failed
        redo = np.flatnonzero(doubtful)
        if len(redo):
            # Where a node has a value, it is the same in both evaluations (the same
            # operations on the same inputs): only the NULLs and their reasons are new.
            exact = _Evaluation({k: v[redo] for k, v in inputs.items()}, constants, len(redo))
            root = exact.column(formula.ast).reason
            if root is not None:  # coalesce(the root's reason, missing_data)
                failed[redo] |= root != 0
                reason = failed.view(np.int8).copy()
                reason[redo] = np.where(root != 0, root, reason[redo])
            for n, part in enumerate(parts):  # NULL where the node is, even if not finite
                part_reason = exact.column(part).reason
                if part_reason is not None:
                    null = np.zeros(rows, bool)
                    null[redo] = part_reason != 0
                    part_nulls[n] = null
    found = {
        "value": _nullable(value, failed),
        "reason": (_REASON_TEXT.take(pa.array(reason)) if failed.any()
                   else pa.nulls(rows, pa.string())),
        "numerator": pa.nulls(rows, pa.float64()),
        "denominator": pa.nulls(rows, pa.float64()),
    }
    for name, part_value, part_null in zip(("numerator", "denominator"), part_values,
                                           part_nulls, strict=False):
        found[name] = _nullable(part_value, part_null)
    return found


class _Evaluation:
    """A formula's nodes over arrays, each subtree once (by node identity).

    Without `doubtful`, every node carries its reason codes. With it, none does: values as
    if nothing were missing, and `doubtful` is set where that may be wrong (an input
    missing, a divisor zero, in whatever branch)."""

    def __init__(self, inputs: Mapping[InputKey, np.ndarray], constants: Mapping[str, float],
                 rows: int, *, doubtful: np.ndarray | None = None) -> None:
        self.inputs, self.constants, self.rows = inputs, constants, rows
        self.doubtful = doubtful
        self.columns: dict[int, _Column] = {}

    def column(self, node: Node) -> _Column:
        if id(node) not in self.columns:
            self.columns[id(node)] = self._evaluate(node)
        return self.columns[id(node)]

    def _where(self, failed: np.ndarray, code: int) -> np.ndarray | None:
        """The reason codes of a node that fails where `failed` (or: mark them doubtful)."""
        if not failed.any():
            return None
        if self.doubtful is not None:
            self.doubtful |= failed
            return None
        return failed.view(np.int8) * np.int8(code)

    def _missing(self) -> _Column:
        return _Column(np.zeros(self.rows), self._where(np.ones(self.rows, bool), _MISSING))

    def _evaluate(self, node: Node) -> _Column:
        rows = self.rows
        match node:
            case Number(value=value):
                return _Column(np.full(rows, float(value)), None)
            case Reference(code=code, disaggregation=disaggregation, offset=offset):
                found = self.inputs.get((code, disaggregation, offset))
                if found is None:
                    return self._missing()
                return _Column(found, self._where(np.isnan(found), _MISSING))
            case Constant(name=name):
                constant = self.constants.get(name)
                if constant is None or not np.isfinite(constant):
                    return self._missing()
                return _Column(np.full(rows, float(constant)), None)
            case Negation(operand=operand):
                inner = self.column(operand)
                return _Column(-inner.value, inner.reason)
            case BinaryOperation(operator=operator, left=left, right=right):
                a, b = self.column(left), self.column(right)
                if operator == "/":
                    zero = self._where(b.value == 0, _ZERO)
                    return _Column(a.value / b.value, _first_reason(a.reason, b.reason, zero))
                value = {"+": np.add, "-": np.subtract, "*": np.multiply}[operator](
                    a.value, b.value)
                return _Column(value, _first_reason(a.reason, b.reason))
            case Comparison(operator=operator, left=left, right=right):
                a, b = self.column(left), self.column(right)
                return _Column(_compare(operator, a.value, b.value),
                               _first_reason(a.reason, b.reason))
            case If(condition=condition, then=then, otherwise=otherwise):
                decided, yes, no = (self.column(condition), self.column(then),
                                    self.column(otherwise))
                taken = None
                if yes.reason is not None or no.reason is not None:
                    taken = np.where(decided.value, _reasons(yes, rows), _reasons(no, rows))
                return _Column(np.where(decided.value, yes.value, no.value),
                               _first_reason(decided.reason, taken))
            case Call(function=function, arguments=arguments):
                parts = [self.column(argument) for argument in arguments]
                reason = _first_reason(*(p.reason for p in parts))
                if function == "abs":
                    return _Column(np.abs(parts[0].value), reason)
                chosen = parts[0].value
                for part in parts[1:]:  # the first of equal arguments stays
                    wins = (_compare("<", part.value, chosen) if function == "min"
                            else _compare(">", part.value, chosen))
                    chosen = np.where(wins, part.value, chosen)
                return _Column(chosen, reason)
        raise TypeError(f"not a formula node: {node!r}")


def _first_reason(*reasons: np.ndarray | None) -> np.ndarray | None:
    """SQL's coalesce of reason codes: the first that is set, from the left."""
    found = None
    for reason in reasons:
        if reason is not None:
            found = reason if found is None else np.where(found != 0, found, reason)
    return found


def _reasons(column: _Column, rows: int) -> np.ndarray:
    return np.zeros(rows, np.int8) if column.reason is None else column.reason


def _compare(operator: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`a operator b` as DuckDB compares doubles: NaN above every number, equal to itself."""
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    match operator:
        case "<":
            return (a < b) | (nan_b & ~nan_a)
        case ">":
            return (a > b) | (nan_a & ~nan_b)
        case "<=":
            return (a <= b) | nan_b
        case ">=":
            return (a >= b) | nan_a
        case "==":
            return (a == b) | (nan_a & nan_b)
        case "!=":
            return (a != b) & ~(nan_a & nan_b)
    raise ValueError(f"not a comparison: {operator!r}")


def _nullable(value: np.ndarray, null: np.ndarray | None) -> pa.Array:
    """Doubles, NULL where `null`: the array's memory as is, with a validity bitmap (a
    fifth of the cost of `pa.array(value, mask=null)`)."""
    if null is None:
        return pa.array(value, pa.float64())
    validity = np.packbits(~null, bitorder="little")
    return pa.Array.from_buffers(pa.float64(), len(value), [
        pa.py_buffer(validity), pa.py_buffer(np.ascontiguousarray(value, np.float64))],
        null_count=int(np.count_nonzero(null)))
