"""Indicators in SQL: a formula translated to DuckDB expressions over element aggregates.

Why SQL and not `formula_evaluate` row by row: a national refresh evaluates tens of millions
of (territory, period, breakdown) figures; looping in Python would take minutes. The
translation below reproduces `formula_evaluate`'s semantics exactly, in vectorised SQL (a
property test compares the two on random formulas):

- missing is not zero: a NULL input makes the result NULL, except in the branch of `if`
  that is not taken; an `if` whose condition has a NULL side is NULL;
- a division by zero is NULL (`x / NULLIF(d, 0)`), never an error, never infinity;
- `min`/`max` are NULL when any argument is (DuckDB's LEAST/GREATEST would skip NULLs, so
  every argument is checked first); `abs` propagates NULL;
- a result that is not finite is NULL.

Next to the value, a `reason` is computed node by node: `missing_data` when a value the
evaluation needed is missing (the left operand checked first), else `zero_denominator` when
a division by zero made it NULL. NULL when there is a value.

Each node gets its own column, computed in a layer of nested SELECTs by the node's height,
so the SQL grows linearly with the formula (inlining would repeat subtrees: every `min`
and `if` reads its arguments twice).

An indicator is evaluated on aggregated element values (`aggregate.py`): a region's ratio
is Σnumerator / Σdenominator over its districts, never a mean of district ratios.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from minka.analytics.engine.dimensions import (
    KEY_STRIDE,
    TYPE_RANK,
    Dimensions,
    indicator_breakdowns,
    sql_run,
)
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

_MISSING = f"'{Reason.MISSING_DATA.value}'"
_ZERO = f"'{Reason.ZERO_DENOMINATOR.value}'"
_COMPARISON_SQL = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


@dataclass(frozen=True)
class FormulaSQL:
    """A formula as SQL over the input columns `x0, x1, …` (one per `inputs` key).

    `layers` are the node columns, lowest first; `value`, `reason`, `numerator` and
    `denominator` are expressions over them (`numerator`/`denominator` "NULL" unless the
    formula is shaped [k *] N / D [* k]).
    """

    inputs: tuple[InputKey, ...]
    layers: tuple[tuple[tuple[str, str], ...], ...]
    value: str
    reason: str
    numerator: str
    denominator: str

    def select(self, source: str, keys: str) -> str:
        """SELECT keys, value, reason, numerator, denominator FROM source (a relation with
        the key columns and the input columns)."""
        query = f"SELECT * FROM ({source})"
        for layer in self.layers:
            columns = ", ".join(f"{sql} AS {name}" for name, sql in layer)
            query = f"SELECT *, {columns} FROM ({query})"
        return f"""SELECT {keys}, {self.value} AS value,
            CASE WHEN {self.value} IS NULL THEN coalesce({self.reason}, {_MISSING}) END AS reason,
            {self.numerator} AS numerator, {self.denominator} AS denominator
            FROM ({query})"""


def input_column(index: int) -> str:
    return f"x{index}"


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


def formula_sql(formula: Formula, constants: Mapping[str, float]) -> FormulaSQL:
    """Translate a parsed formula; unknown or non-finite constants are missing values."""
    inputs = tuple(sorted(formula.inputs, key=lambda k: (k[0], k[1] or "", k[2])))
    columns = {key: input_column(n) for n, key in enumerate(inputs)}
    layers: list[list[tuple[str, str]]] = []
    compiled: dict[int, tuple[str, str, int]] = {}  # by node identity: a subtree once

    def emit(height: int, value: str, reason: str) -> tuple[str, str, int]:
        while len(layers) < height:
            layers.append([])
        number = sum(len(layer) for layer in layers) // 2
        layers[height - 1].extend([(f"v{number}", value), (f"r{number}", reason)])
        return f"v{number}", f"r{number}", height

    def visit(node: Node) -> tuple[str, str, int]:
        if id(node) not in compiled:
            compiled[id(node)] = translate(node)
        return compiled[id(node)]

    def translate(node: Node) -> tuple[str, str, int]:
        match node:
            case Number(value=value):
                return f"CAST('{format(value, 'f')}' AS DOUBLE)", "NULL", 0
            case Reference(code=code, disaggregation=disaggregation, offset=offset):
                column = columns[(code, disaggregation, offset)]
                return column, f"CASE WHEN {column} IS NULL THEN {_MISSING} END", 0
            case Constant(name=name):
                constant = constants.get(name)
                if constant is None or not math.isfinite(constant):
                    return "NULL::DOUBLE", _MISSING, 0
                return f"CAST('{float(constant)!r}' AS DOUBLE)", "NULL", 0
            case Negation(operand=operand):
                v, r, h = visit(operand)
                return emit(h + 1, f"(-{v})", r)
            case BinaryOperation(operator=operator, left=left, right=right):
                a, ra, ha = visit(left)
                b, rb, hb = visit(right)
                if operator == "/":
                    return emit(max(ha, hb) + 1, f"({a} / NULLIF({b}, 0))",
                                f"coalesce({ra}, {rb}, CASE WHEN {b} = 0 THEN {_ZERO} END)")
                return emit(max(ha, hb) + 1, f"({a} {operator} {b})", f"coalesce({ra}, {rb})")
            case Comparison(operator=operator, left=left, right=right):
                a, ra, ha = visit(left)
                b, rb, hb = visit(right)
                return emit(max(ha, hb) + 1, f"({a} {_COMPARISON_SQL[operator]} {b})",
                            f"coalesce({ra}, {rb})")
            case If(condition=condition, then=then, otherwise=otherwise):
                c, rc, hc = visit(condition)
                t, rt, ht = visit(then)
                o, ro, ho = visit(otherwise)
                return emit(
                    max(hc, ht, ho) + 1,
                    f"CASE WHEN {c} THEN {t} WHEN NOT {c} THEN {o} END",
                    f"CASE WHEN {c} IS NULL THEN {rc} WHEN {c} THEN {rt} ELSE {ro} END",
                )
            case Call(function=function, arguments=arguments):
                parts = [visit(argument) for argument in arguments]
                height = max(p[2] for p in parts) + 1
                reason = f"coalesce({', '.join(p[1] for p in parts)})"
                if function == "abs":
                    return emit(height, f"abs({parts[0][0]})", reason)
                any_null = " OR ".join(f"{p[0]} IS NULL" for p in parts)
                sql_function = "least" if function == "min" else "greatest"
                values = ", ".join(p[0] for p in parts)
                return emit(height, f"CASE WHEN {any_null} THEN NULL "
                                    f"ELSE {sql_function}({values}) END", reason)
        raise TypeError(f"not a formula node: {node!r}")

    root_value, root_reason, _ = visit(formula.ast)
    numerator = denominator = "NULL::DOUBLE"
    parts = ratio_parts(formula.ast)
    if parts is not None:  # subtrees of the formula: already columns
        numerator, denominator = visit(parts[0])[0], visit(parts[1])[0]
    return FormulaSQL(
        inputs=inputs,
        layers=tuple(tuple(layer) for layer in layers),
        value=f"CASE WHEN isfinite({root_value}) THEN {root_value} END",
        reason=root_reason,
        numerator=numerator,
        denominator=denominator,
    )


def _frame_inputs(inputs: tuple[InputKey, ...]) -> set[InputKey]:
    """Inputs whose presence makes a result row: offset-0 plain references, else offset-0
    references, else all. So a row exists where the indicator's own period has data."""
    for keep in (lambda k: k[2] == 0 and k[1] is None, lambda k: k[2] == 0, lambda k: True):
        chosen = {k for k in inputs if keep(k)}
        if chosen:
            return chosen
    return set()


def indicator_values_insert(
    con: duckdb.DuckDBPyConnection,
    dims: Dimensions,
    code: str,
    *,
    target: str,
    scope: str | None = None,
    territories: str | None = None,
) -> int:
    """Append to `target` the values of indicator `code` from the view `element_final`;
    return how many rows.

    One row per territory × period (the indicator's type and coarser) × breakdown where a
    frame input (see `_frame_inputs`) has an aggregate. `scope`, if given, is a relation
    (indicator_id, period_key) limiting the periods computed, and `territories` one of
    territory_id limiting the territories.
    """
    spec = dims.indicators[code]
    indicator_id = dims.indicator_id[code]
    formula = dims.formulas[code]
    translated = formula_sql(formula, dims.catalogue.constants)
    breakdowns = [dims.breakdown_id[b] for b in _breakdowns(dims, formula)]
    breakdown_list = ", ".join(str(b) for b in breakdowns)
    limit = (TYPE_RANK[spec.period_type] + 1) * KEY_STRIDE
    frame = _frame_inputs(translated.inputs)
    count = len(translated.inputs)
    frames: list[tuple[int, str]] = []  # (input number, branch) of frame inputs
    others: list[tuple[int, str]] = []
    for index, key in enumerate(translated.inputs):
        element_code, disaggregation, offset = key
        if element_code not in dims.element_id:
            continue
        where = [f"e.element_id = {dims.element_id[element_code]}", f"e.period_key < {limit}"]
        if scope is not None:
            where.append(f"e.period_key - ({offset}) IN "
                         f"(SELECT period_key FROM {scope} WHERE indicator_id = {indicator_id})")
        if territories is not None:
            where.append(f"e.territory_id IN (SELECT territory_id FROM {territories})")
        if disaggregation is None:
            breakdown = "e.breakdown_id"
            source = "element_final e"
            where.append(f"e.breakdown_id IN ({breakdown_list})")
        else:
            if disaggregation not in dims.breakdown_id:
                continue
            breakdown = "b.breakdown_id"
            rows = ", ".join(f"({b})" for b in breakdowns)
            source = f"element_final e CROSS JOIN (VALUES {rows}) b(breakdown_id)"
            where.append(f"e.breakdown_id = {dims.breakdown_id[disaggregation]}")
        (frames if key in frame else others).append((index, f"""(
            SELECT e.territory_id, e.period_key - ({offset}) AS period_key,
                   {breakdown} AS breakdown_id, e.continued, e.value
            FROM {source} WHERE {' AND '.join(where)})"""))
    if not frames:
        return 0
    pivot = _pivot(frames, others, count)
    keys = "territory_id, period_key, breakdown_id, from_successors"
    row = sql_run(con, f"""INSERT INTO {target} BY NAME
        SELECT {indicator_id} AS indicator_id, * FROM ({translated.select(pivot, keys)})"""
                  ).fetchone()
    return int(row[0]) if row else 0


def _pivot(frames: list[tuple[int, str]], others: list[tuple[int, str]], count: int) -> str:
    """One row per (territory, period, breakdown) where a frame input has an aggregate,
    with input n's aggregate as x{n} (NULL where it has none) and `from_successors`: some
    frame input there is continued from successors.

    Each branch has at most one row per key (an element's aggregates are unique per
    territory, period and breakdown), so the inputs are joined on the key: frame inputs
    FULL, the others LEFT. (A UNION ALL of the branches grouped by the key gave the same
    rows, at half again the cost: hashing every input row into an aggregate.)
    """
    columns = ("territory_id", "period_key", "breakdown_id")
    keys = {c: f"i{frames[0][0]}.{c}" for c in columns}
    joins = [f"{frames[0][1]} i{frames[0][0]}"]
    for (index, branch), kind in ([(f, "FULL") for f in frames[1:]]
                                  + [(o, "LEFT") for o in others]):
        on = " AND ".join(f"i{index}.{c} = {keys[c]}" for c in columns)
        joins.append(f"{kind} JOIN {branch} i{index} ON {on}")
        if kind == "FULL":
            keys = {c: f"coalesce({keys[c]}, i{index}.{c})" for c in columns}
    present = {index for index, _ in frames + others}
    values = ", ".join(f"i{n}.value AS x{n}" if n in present else f"NULL::DOUBLE AS x{n}"
                       for n in range(count))
    continued = " OR ".join(f"coalesce(i{index}.continued, false)" for index, _ in frames)
    return f"""
        SELECT {', '.join(f'{sql} AS {c}' for c, sql in keys.items())}, {values},
               {continued} AS from_successors
        FROM {' '.join(joins)}"""


def _breakdowns(dims: Dimensions, formula: Formula) -> list[str]:
    return indicator_breakdowns(formula, dims.elements)


INDICATOR_VALUE_COLUMNS = """
    indicator_id INTEGER, territory_id BIGINT, period_key INTEGER, breakdown_id INTEGER,
    value DOUBLE, numerator DOUBLE, denominator DOUBLE, reason VARCHAR,
    from_successors BOOLEAN"""


def indicator_values_create(con: duckdb.DuckDBPyConnection,
                            target: str = "indicator_value") -> None:
    """(Re)create the empty TEMP table `target` of indicator values."""
    sql_run(con, f"CREATE OR REPLACE TEMP TABLE {target} ({INDICATOR_VALUE_COLUMNS})")
