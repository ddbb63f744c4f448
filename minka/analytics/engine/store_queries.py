"""Reading the analytics store: figures for pages and the API, and the facts behind one.

Both open the store read-only for the duration of one query (see `store_files`).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from minka.analytics.engine.catalogue_json import catalogue_from_json
from minka.analytics.engine.dimensions import (
    TYPE_RANK,
    continuation_map,
    period_key,
    weight_of,
)
from minka.analytics.engine.formula import formula_parse
from minka.analytics.engine.model import RESULT_COLUMNS, Aggregation, Catalogue
from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    PeriodType,
    period_children,
    period_offset,
    period_parent,
    period_parse,
)
from minka.analytics.engine.store_files import store_reading, stored_catalogue_json

_HOLDABLE: dict[tuple[str, int, int], frozenset[str]] = {}


def _holdable_periods(con: duckdb.DuckDBPyConnection, path: Path) -> frozenset[str]:
    """The period ids the store's `result_period` type holds (cached per file version:
    every refresh changes the file's modification time or size)."""
    status = path.stat()
    key = (str(path), status.st_mtime_ns, status.st_size)
    if key not in _HOLDABLE:
        row = con.execute("SELECT enum_range(NULL::result_period)").fetchone()
        _HOLDABLE.clear()
        _HOLDABLE[key] = frozenset(row[0]) if row else frozenset()
    return _HOLDABLE[key]


def store_results(
    path: Path,
    *,
    indicator: str,
    territory_ids: Sequence[int],
    periods: Sequence[str],
    breakdown: str = "",
) -> list[dict[str, Any]]:
    """The stored figures of one indicator for these territories and periods, as dicts
    keyed by RESULT_COLUMNS (text as str), ordered by period id (as text) then territory.
    A territory and period without data beneath has no row (missing is not zero)."""
    path = Path(path)
    territories = sorted({int(t) for t in territory_ids})
    if not territories or not periods:
        return []
    columns = ", ".join(RESULT_COLUMNS)
    with store_reading(path) as con:
        holdable = _holdable_periods(con, path)
        wanted = []
        for text in set(periods):
            if text in holdable:
                wanted.append(period_parse(text))
        if not wanted:
            return []
        period_ids = [p.id for p in sorted(wanted, key=period_key)]
        # The store is clustered by indicator and period: the bounds let the scan skip
        # whole blocks by their min/max (zone maps; periods are an ENUM in key order, so
        # bounds are cast to it, never compared as text); the lists then pick the rows.
        sql = f"""SELECT {columns} FROM indicator_result
            WHERE indicator = ? AND breakdown = ?
              AND period BETWEEN CAST(? AS result_period) AND CAST(? AS result_period)
              AND list_contains(CAST(? AS result_period[]), period)
              AND territory_id BETWEEN ? AND ?
              AND list_contains(CAST(? AS BIGINT[]), territory_id)
            ORDER BY CAST(period AS VARCHAR), territory_id"""
        parameters: list[Any] = [indicator, breakdown, period_ids[0], period_ids[-1],
                                 period_ids, territories[0], territories[-1], territories]
        cursor = con.execute(sql, parameters)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def store_sources(
    path: Path, *, indicator: str, territory_id: int, period: str, breakdown: str = ""
) -> list[int]:
    """The ids of the facts behind one figure, sorted.

    For each reference of the indicator's formula: the facts of its element in the
    territory's subtree (NONE elements: the territory itself; a figure continued from
    successors: their subtrees) in the element's periods within the referenced period (the
    figure's period moved by the reference's offset), in the combinations that count for
    the reference's breakdown (its own `.OPT`, else `breakdown`: for SUM and LAST every
    combination holding it, for AVERAGE and NONE exactly it); for AVERAGE elements weighted
    by an element, that element's facts there too.
    """
    try:
        figure_period = period_parse(period)
    except PeriodError:
        return []
    with store_reading(Path(path)) as con:
        stored = stored_catalogue_json(con)
        if stored is None:
            return []
        catalogue = catalogue_from_json(stored)
        spec = next((i for i in catalogue.indicators if i.code == indicator), None)
        if spec is None:
            return []
        roots = _source_roots(catalogue, territory_id, figure_period.start)
        subtree = _subtree(catalogue, roots)
        elements = {e.code: e for e in catalogue.elements}
        ids: set[int] = set()
        for code, disaggregation, offset in formula_parse(spec.formula).inputs:
            element = elements.get(code)
            try:
                referenced = period_offset(figure_period, offset)
            except PeriodError:
                continue
            if element is None or TYPE_RANK[referenced.type] > TYPE_RANK[element.period_type]:
                continue
            own = period_children(referenced, element.period_type)
            if element.aggregation is Aggregation.NONE:
                if referenced.type != element.period_type:
                    continue
                territories = set(roots)
            else:
                territories = subtree
            shown = disaggregation if disaggregation is not None else breakdown
            exact = element.aggregation in (Aggregation.AVERAGE, Aggregation.NONE)
            ids.update(_fact_ids(con, code, territories, own, shown, exact=exact))
            weight_code = weight_of(element)
            if weight_code is not None and weight_code in elements:
                weight_type = elements[weight_code].period_type
                weight_periods = {
                    q for p in own
                    for q in period_children(_weight_period(p, weight_type), weight_type)
                }
                ids.update(_fact_ids(con, weight_code, territories, sorted(weight_periods),
                                     "", exact=False))
        return sorted(ids)


def _weight_period(period: Period, weight_type: PeriodType) -> Period:
    """Where a weight is read for a value of `period` (see aggregate.py)."""
    if TYPE_RANK[weight_type] < TYPE_RANK[period.type]:
        parent = period_parent(period, weight_type)
        assert parent is not None
        return parent
    return period


def _source_roots(catalogue: Catalogue, territory_id: int, start: date) -> list[int]:
    """The territories whose subtrees make a figure: itself, or after it was retired, the
    successors that continue it for a period starting on `start`."""
    rows = [r for r in continuation_map(catalogue.territories)
            if r[0] == territory_id and start > r[2] and (r[3] is None or start <= r[3])]
    return [r[1] for r in rows] if rows else [territory_id]


def _subtree(catalogue: Catalogue, roots: list[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for node in catalogue.territories:
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node.id)
    found: set[int] = set()
    pending = list(roots)
    while pending:
        node_id = pending.pop()
        if node_id not in found:
            found.add(node_id)
            pending.extend(children.get(node_id, ()))
    return found


def _fact_ids(con: duckdb.DuckDBPyConnection, element: str, territories: set[int],
              periods: Sequence[Period], breakdown: str, *, exact: bool) -> list[int]:
    """Fact ids; text compared as the fact table's ENUMs (TRY_CAST: unknown is no match)."""
    if not territories or not periods:
        return []
    parameters: list[Any] = [element, [p.id for p in periods], sorted(territories)]
    if exact:
        combination = "combination = TRY_CAST(? AS fact_combination)"
        parameters.append(breakdown)
    elif breakdown:
        combination = "list_contains(string_split(CAST(combination AS VARCHAR), '|'), ?)"
        parameters.append(breakdown)
    else:
        combination = "true"
    rows = con.execute(
        f"""SELECT id FROM fact WHERE element = TRY_CAST(? AS fact_element)
            AND list_contains(list_transform(CAST(? AS VARCHAR[]),
                                             x -> TRY_CAST(x AS fact_period)), period)
            AND list_contains(CAST(? AS BIGINT[]), territory_id)
            AND {combination}""",
        parameters,
    ).fetchall()
    return [int(r[0]) for r in rows]
