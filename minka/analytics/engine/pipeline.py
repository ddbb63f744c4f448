"""From facts to result rows in one DuckDB connection: the steps every refresh shares.

    facts ──aggregate.py──▶ element_final ──indicators.py──▶ indicator_value
          ──derive.py──▶ indicator_derived ──result_rows_sql──▶ rows of RESULT_COLUMNS

The full, incremental and per-indicator refreshes (`store.py`) differ only in which facts
they feed and which (indicator, period) slices they keep; the SQL is the same, which is why
an incremental refresh gives the rows a full refresh would.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import duckdb
import pyarrow as pa

from minka.analytics.engine.aggregate import element_values_compute
from minka.analytics.engine.derive import derive_compute, derive_tables_register
from minka.analytics.engine.dimensions import Dimensions, catalogue_check, sql_run
from minka.analytics.engine.indicators import indicator_values_create, indicator_values_insert
from minka.analytics.engine.model import RESULT_COLUMNS, Catalogue

FACTS_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("element", pa.string()),
        ("territory_id", pa.int64()),
        ("period", pa.string()),
        ("combination", pa.string()),
        ("value", pa.float64()),
    ]
)

RESULT_ORDER = "r.indicator_id, p.type_rank, r.period_key, r.territory_id, r.breakdown_id"
"""The store's row order: one indicator's periods of one type are contiguous, so a query
for an indicator and a few periods reads a few blocks (DuckDB's zone maps)."""


def facts_select(relation: str) -> str:
    """The facts of `relation` with the store's column types."""
    return f"""SELECT CAST(id AS BIGINT) AS id, CAST(element AS VARCHAR) AS element,
        CAST(territory_id AS BIGINT) AS territory_id, CAST(period AS VARCHAR) AS period,
        CAST(coalesce(combination, '') AS VARCHAR) AS combination,
        CAST(value AS DOUBLE) AS value FROM {relation}"""


def dimensions_prepare(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    *,
    facts: str,
    extra_period_keys: Collection[int] = (),
) -> Dimensions:
    """Dimensions for the catalogue and the periods and combinations of `facts`."""
    dims = Dimensions(catalogue)
    periods = [row[0] for row in con.execute(f"SELECT DISTINCT period FROM {facts}").fetchall()]
    dims.periods_add(sorted(periods))
    dims.periods_add_keys(extra_period_keys)
    combinations = con.execute(
        f"SELECT DISTINCT element, combination FROM {facts}"
    ).fetchall()
    dims.register(con, combinations)
    return dims


def referenced_elements(dims: Dimensions, codes: Collection[str]) -> set[str]:
    return {
        code for indicator in codes for code, _ in dims.formulas[indicator].references
        if code in dims.elements
    }


BATCH_ROWS = 2_000_000
"""Indicators are evaluated, derived and written in batches of about this many value rows:
a national indicator is 1-2 million rows, all of them together would not fit in memory,
and small catalogues go in one batch (fewer, larger statements)."""


def results_compute(
    con: duckdb.DuckDBPyConnection,
    dims: Dimensions,
    codes: Sequence[str],
    *,
    facts: str,
    target: str,
    ordered: bool = False,
    value_scope: str | None = None,
    stored_values: str | None = None,
    derive_scope: str | None = None,
) -> int:
    """Append to the table `target` (RESULT_COLUMNS) the rows of the indicators `codes`
    computed from `facts`; return how many.

    Element aggregates are computed once; indicators then go in batches (`BATCH_ROWS`):
    evaluated, derived and written, so the working set stays bounded. `ordered` writes each
    batch by indicator, period type, period, territory and breakdown; batches follow the
    order of `codes`, so sorted codes give a sorted table.

    Without scopes everything is computed. An incremental refresh passes `value_scope`
    (the slices to evaluate), `stored_values` (a relation of stored values for the other
    slices the derived figures read) and `derive_scope` (the slices to output).
    """
    element_values_compute(con, dims, facts=facts,
                           element_codes=referenced_elements(dims, codes))
    registered = False
    written = 0
    batch: list[int] = []
    pending = 0

    def flush() -> int:
        nonlocal registered
        # Offsets can put a row in a period no fact has (formulas with offsets only): give
        # those periods keys too.
        new_keys = [row[0] for row in con.execute(
            "SELECT DISTINCT period_key FROM indicator_value").fetchall()
            if row[0] not in dims.periods]
        if new_keys:
            dims.periods_add_keys(new_keys)
            dims.register_periods(con)
            registered = False
        if not registered:
            derive_tables_register(con, dims)
            registered = True
        values = "indicator_value"
        if stored_values is not None:
            sql_run(con, f"""CREATE OR REPLACE TEMP TABLE indicator_value_all AS
                SELECT * FROM indicator_value UNION ALL BY NAME
                SELECT * FROM {stored_values}
                WHERE indicator_id IN ({', '.join(map(str, batch))})""")
            values = "indicator_value_all"
        derive_compute(con, dims, values=values, scope=derive_scope)
        row = sql_run(con, f"INSERT INTO {target} {result_rows_sql(ordered=ordered)}"
                      ).fetchone()
        indicator_values_create(con)
        return int(row[0]) if row else 0

    indicator_values_create(con)
    for code in codes:
        pending += indicator_values_insert(con, dims, code, target="indicator_value",
                                           scope=value_scope)
        batch.append(dims.indicator_id[code])
        if pending >= BATCH_ROWS:
            written += flush()
            batch, pending = [], 0
    if batch:
        written += flush()
    return written


def result_rows_sql(source: str = "indicator_derived", *, ordered: bool = True) -> str:
    """Rows of RESULT_COLUMNS (codes and period ids instead of integer keys)."""
    columns = []
    for name in RESULT_COLUMNS:
        match name:
            case "indicator":
                columns.append("i.code AS indicator")
            case "period" | "period_type":
                columns.append(f"p.{name}")
            case "breakdown":
                columns.append("b.code AS breakdown")
            case _:
                columns.append(f"r.{name}")
    return f"""SELECT {', '.join(columns)}
        FROM {source} r
        JOIN dim_indicator i ON i.indicator_id = r.indicator_id
        JOIN dim_period p ON p.period_key = r.period_key
        JOIN dim_breakdown b ON b.breakdown_id = r.breakdown_id
        {'ORDER BY ' + RESULT_ORDER if ordered else ''}"""


def result_table_sql() -> str:
    """The DDL of the store's `indicator_result` table."""
    columns = ", ".join(f"{name} {type_}" for name, type_ in RESULT_COLUMNS.items())
    return f"CREATE TABLE indicator_result ({columns})"


def results_table(catalogue: Catalogue, facts: pa.Table) -> pa.Table:
    """Every result row for these facts, computed in memory (no store file), as Arrow in the
    store's order. For tests, previews and small catalogues; the store does the same."""
    catalogue_check(catalogue)
    con = duckdb.connect()
    try:
        con.register("facts_input", facts)
        con.execute(f"CREATE TEMP TABLE fact AS {facts_select('facts_input')}")
        con.unregister("facts_input")
        dims = dimensions_prepare(con, catalogue, facts="fact")
        con.execute(result_table_sql().replace("CREATE TABLE", "CREATE TEMP TABLE"))
        results_compute(con, dims, sorted(dims.indicators), facts="fact",
                        target="indicator_result", ordered=True)
        return con.execute("SELECT * FROM indicator_result").fetch_arrow_table()
    finally:
        con.close()
