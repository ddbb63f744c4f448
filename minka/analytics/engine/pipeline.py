"""From facts to result rows in one DuckDB connection: the steps every refresh shares.

    facts ──aggregate.py──▶ ElementValues ──indicators.py──▶ indicator_value
          ──derive.py──▶ Arrow rows of RESULT_COLUMNS ──_rows_write──▶ the result table

The full, incremental and per-indicator refreshes (`store.py`) differ only in which facts
they feed and which (indicator, period) slices they keep; the computation is the same, which
is why an incremental refresh gives the rows a full refresh would.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from minka.analytics.engine.aggregate import (
    element_values_compute,
    elements_needed,
)
from minka.analytics.engine.derive import DeriveInputs, derive_compute, derive_inputs
from minka.analytics.engine.dimensions import (
    RANK_TYPE,
    TYPE_RANK,
    Dimensions,
    catalogue_check,
    sql_run,
)
from minka.analytics.engine.indicators import indicator_values_compute
from minka.analytics.engine.model import RESULT_COLUMNS, Catalogue, Reason, Status
from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    period_children,
    period_parse,
    period_range,
)

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
    """Dimensions for the catalogue and the periods and combinations of `facts` (one scan:
    the distinct element, period, combination triples are few)."""
    dims = Dimensions(catalogue)
    seen = sql_run(con, f"SELECT DISTINCT element, period, combination FROM {facts}").fetchall()
    dims.seen = [(str(e), str(p), str(c)) for e, p, c in seen]
    dims.periods_add(sorted({p for _, p, _ in dims.seen}))
    dims.periods_add_keys(extra_period_keys)
    dims.register(con)
    return dims


def fact_table_create(con: duckdb.DuckDBPyConnection, dims: Dimensions, *, staging: str,
                      temporary: bool = False) -> None:
    """Create the ENUM types of the facts' text columns and the `fact` table from
    `staging` (needs `dimensions_prepare` on the same staging).

    Why ENUMs: loading 20 million facts as text took half a minute, and the aggregation
    joined them to the catalogue on strings; as ENUMs both are integer work. The types hold
    every code and combination seen, the catalogue's elements, and the periods of
    `result_periods` (ten years ahead), so next month's facts still fit; an incremental
    refresh with a value they cannot hold is done in full (`incremental.StoreCapacity`).
    """
    periods = [p.id for p in result_periods(dims)]
    known = set(periods)
    periods += sorted({p for _, p, _ in dims.seen} - known)
    elements = sorted({e for e, _, _ in dims.seen} | set(dims.elements))
    # Every combination seen, and every one of up to three of an element's options, so new
    # disaggregated data values rarely need a full refresh.
    combinations = sorted({c for _, _, c in dims.seen} | {""} | {
        "|".join(chosen)
        for element in dims.elements.values()
        for size in range(1, min(3, len(element.options)) + 1)
        for chosen in itertools.combinations(sorted(element.options), size)
    })
    sql_run(con, f"CREATE TYPE fact_element AS {_enum(elements)}")
    sql_run(con, f"CREATE TYPE fact_period AS {_enum(periods)}")
    sql_run(con, f"CREATE TYPE fact_combination AS {_enum(combinations)}")
    sql_run(con, f"""CREATE {'TEMP ' if temporary else ''}TABLE fact (
        id BIGINT, element fact_element, territory_id BIGINT, period fact_period,
        combination fact_combination, value DOUBLE)""")
    # Stored in no particular order: sorting 20 million facts by element cost more than the
    # scans it saved, and keeping the input's order makes each thread leave a partly filled
    # row group behind every chunk it writes (128 of 280 at national scale), which later
    # checkpoints merge: the first incremental refreshes paid ~1 s each for that.
    sql_run(con, "SET preserve_insertion_order = false")
    try:
        sql_run(con, f"INSERT INTO fact SELECT * FROM {staging}")
    finally:
        sql_run(con, "RESET preserve_insertion_order")


def fact_capacity(con: duckdb.DuckDBPyConnection) -> tuple[set[str], set[str], set[str]]:
    """(elements, periods, combinations) the store's fact columns can hold."""
    found = []
    for type_ in ("fact_element", "fact_period", "fact_combination"):
        row = con.execute(f"SELECT enum_range(NULL::{type_})").fetchone()
        found.append(set(row[0]) if row else set())
    return found[0], found[1], found[2]


def referenced_elements(dims: Dimensions, codes: Collection[str]) -> set[str]:
    return {
        code for indicator in codes for code, _ in dims.formulas[indicator].references
        if code in dims.elements
    }


BATCH_ELEMENTS = 6
"""Indicators are computed in batches reading at most about this many data elements: their
aggregates (a national element is ~1.5 million rows) are built, read and dropped with the
batch, so memory stays bounded; small catalogues go in one batch (fewer statements)."""


def indicator_batches(dims: Dimensions, codes: Sequence[str]) -> list[list[str]]:
    """Consecutive runs of `codes` whose elements (with weights) stay within
    `BATCH_ELEMENTS`; an indicator reading more is a batch of its own."""
    batches: list[list[str]] = []
    elements: set[str] = set()
    for code in codes:
        needed = elements_needed(dims, referenced_elements(dims, [code]))
        if batches and len(elements | needed) <= BATCH_ELEMENTS:
            batches[-1].append(code)
            elements |= needed
        else:
            batches.append([code])
            elements = set(needed)
    return batches


def results_compute(
    con: duckdb.DuckDBPyConnection,
    dims: Dimensions,
    codes: Sequence[str],
    *,
    facts: str,
    target: str,
    value_scope: str | None = None,
    value_territories: str | None = None,
    stored_values: str | None = None,
    derive_scope: str | None = None,
    write_behind: bool = False,
) -> int:
    """Append to the table `target` (RESULT_COLUMNS) the rows of the indicators `codes`
    computed from `facts`; return how many.

    `write_behind`: derive and write each batch's rows from another thread (the INSERT
    through a cursor of its own) while the next batch's aggregates and values are computed
    (numpy computes on one core, DuckDB's INSERT on both: side by side they fill the
    machine). Only without scopes (the derived figures then read no relation of `con`)
    and for a `target` that the cursor sees and that needs no transaction of `con`: the
    full refresh's new store file.

    Indicators go in batches (`indicator_batches`): the batch's element aggregates are
    computed, its indicators evaluated, derived and written in `derive.RESULT_ORDER`; the
    working set stays one batch. Batches follow the order of `codes`.

    Without scopes everything is computed. An incremental refresh passes `value_scope`
    (indicator_id, period_key) and `value_territories` (territory_id): the values to
    evaluate; `stored_values`, the stored values of every other row the derived figures
    read; `derive_scope` (indicator_id, period_key, territory_id), the rows to output.
    """
    if write_behind and any(scope is not None for scope in (
            value_scope, value_territories, stored_values, derive_scope)):
        raise ValueError("rows can be written behind only by a refresh without scopes")
    inputs: DeriveInputs | None = None
    with _RowsWriter(con, target, behind=write_behind) as writer:
        for batch in indicator_batches(dims, codes):
            inputs = _batch_compute(con, dims, batch, inputs, writer, facts=facts,
                                    value_scope=value_scope,
                                    value_territories=value_territories,
                                    stored_values=stored_values, derive_scope=derive_scope)
    return writer.written


def _batch_compute(con: duckdb.DuckDBPyConnection, dims: Dimensions, batch: list[str],
                   inputs: DeriveInputs | None, writer: _RowsWriter, *, facts: str,
                   value_scope: str | None, value_territories: str | None,
                   stored_values: str | None, derive_scope: str | None) -> DeriveInputs:
    """One batch of `results_compute`: aggregates, values, derived figures, rows handed to
    the writer; returns the derived figures' inputs (kept while no new period appears)."""
    elements = element_values_compute(con, dims, facts=facts,
                                      element_codes=referenced_elements(dims, batch))
    computed = indicator_values_compute(con, dims, batch, elements, scope=value_scope,
                                        territories=value_territories)
    del elements  # the derived figures and the write need the memory more
    # Offsets can put a row in a period no fact has (formulas with offsets only): give
    # those periods keys too.
    new_keys = [key for key in pc.unique(computed.column("period_key")).to_pylist()
                if key not in dims.periods]
    if new_keys:
        dims.periods_add_keys(new_keys)
        dims.register_periods(con)
        inputs = None
    if inputs is None:
        inputs = derive_inputs(dims, result_dictionaries(con))
    values: str | pa.Table = computed  # already in RESULT_ORDER
    if stored_values is not None:
        ids = ", ".join(str(dims.indicator_id[c]) for c in batch)
        sql_run(con, f"""CREATE OR REPLACE TEMP TABLE indicator_value_all AS
            SELECT * FROM indicator_value UNION ALL BY NAME
            SELECT * FROM {stored_values} WHERE indicator_id IN ({ids})""")
        values = "indicator_value_all"
    # The derived figures go with the write: behind, both run while the next batch's
    # aggregates and values are computed (they read only `inputs` and these values).
    batch_inputs = inputs
    writer.write(lambda: derive_compute(con, batch_inputs, values=values, scope=derive_scope))
    return inputs


class _RowsWriter:
    """Appends batches of rows (RESULT_COLUMNS in the store's types and order, made by the
    callables given to `write`: `derive_compute`) to the table `target`, in their order;
    `written` counts them.

    A plain INSERT of the Arrow table: the text columns arrive dictionary-encoded with the
    ENUM types' values as dictionaries, so DuckDB converts each vector's dictionary, not
    each row, and nothing is joined. Behind (`results_compute`), at most one batch is
    being written while the next is computed, so memory holds two batches' rows at most;
    leaving the block waits for the last write, and a failed write raises there.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, target: str, *, behind: bool) -> None:
        self.target, self.written = target, 0
        self.con = con.cursor() if behind else con
        self.pool = ThreadPoolExecutor(max_workers=1) if behind else None
        self.pending: Future[int] | None = None

    def __enter__(self) -> _RowsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._wait()
        finally:
            if self.pool is not None:
                self.pool.shutdown()
                self.con.close()

    def write(self, rows: Callable[[], pa.Table]) -> None:
        if self.pool is None:
            self.written += self._insert(rows)
            return
        self._wait()
        self.pending = self.pool.submit(self._insert, rows)

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.written += pending.result()

    def _insert(self, make_rows: Callable[[], pa.Table]) -> int:
        rows = make_rows()
        self.con.register("result_rows", rows)
        try:
            sql_run(self.con, f"INSERT INTO {self.target} SELECT * FROM result_rows")
        finally:
            self.con.unregister("result_rows")
        return rows.num_rows


# The store's text columns are ENUM types: read as text, written and compared as small
# integers (a national refresh writes ~28 million rows; as text, the indicator column alone
# was a quarter of the INSERT). A new indicator sheet the type cannot hold makes the store
# be rebuilt (`store.store_refresh_indicators`).
RESULT_TYPES: dict[str, str] = {
    "indicator": "result_indicator",
    "period": "result_period",
    "period_type": "result_period_type",
    "breakdown": "result_breakdown",
    "reason": "result_reason",
    "target_period": "result_period",
    "status": "result_status",
}
PERIOD_MARGIN_YEARS = (1, 10)
"""The store can hold periods from a year before the first fact to ten years after the
last fact or target; an incremental refresh outside them falls back to a full one."""


def result_periods(dims: Dimensions) -> list[Period]:
    """Every period the store's `result_period` type holds, in period-key order."""
    years = [p.start.year for p in dims.periods.values()]
    for target in dims.catalogue.targets:
        with contextlib.suppress(PeriodError):
            years.append(period_parse(target.period).start.year)
    if not years:
        years = [2000]
    first, last = min(years) - PERIOD_MARGIN_YEARS[0], max(years) + PERIOD_MARGIN_YEARS[1]
    first, last = max(first, 2), min(last, 9998)
    finest = max([TYPE_RANK[e.period_type] for e in dims.catalogue.elements]
                 + [TYPE_RANK[i.period_type] for i in dims.catalogue.indicators] + [0])
    found: list[Period] = []
    for rank in range(finest + 1):
        type_ = RANK_TYPE[rank]
        start = period_parse(f"{first:04d}")
        end = period_parse(f"{last:04d}")
        found.extend(period_range(period_children(start, type_)[0],
                                  period_children(end, type_)[-1]))
    return found


def _enum(values: Sequence[str]) -> str:
    return "ENUM (" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def result_types_create(con: duckdb.DuckDBPyConnection, dims: Dimensions) -> None:
    """Create the ENUM types of the result columns (persistent in the store file)."""
    sql_run(con, f"CREATE TYPE result_indicator AS {_enum(sorted(dims.indicators))}")
    sql_run(con, f"CREATE TYPE result_period AS {_enum([p.id for p in result_periods(dims)])}")
    sql_run(con, "CREATE TYPE result_period_type AS "
                + _enum([RANK_TYPE[r].value for r in sorted(RANK_TYPE)]))
    sql_run(con, f"CREATE TYPE result_breakdown AS {_enum(list(dims.breakdown_id))}")
    sql_run(con, f"CREATE TYPE result_reason AS {_enum([r.value for r in Reason])}")
    sql_run(con, f"CREATE TYPE result_status AS {_enum([s.value for s in Status])}")


def result_table_sql(*, temporary: bool = False) -> str:
    """The DDL of the store's `indicator_result` table (needs `result_types_create`)."""
    columns = ", ".join(f"{name} {RESULT_TYPES.get(name, type_)}"
                        for name, type_ in RESULT_COLUMNS.items())
    return f"CREATE {'TEMP ' if temporary else ''}TABLE indicator_result ({columns})"


def result_capacity(con: duckdb.DuckDBPyConnection) -> tuple[set[str], set[str]]:
    """(period ids, breakdowns) the store's ENUM types can hold."""
    found = []
    for type_ in ("result_period", "result_breakdown"):
        row = sql_run(con, f"SELECT enum_range(NULL::{type_})").fetchone()
        found.append(set(row[0]) if row else set())
    return found[0], found[1]


def result_dictionaries(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values of each text result column's ENUM type, by column (`RESULT_TYPES`)."""
    found: dict[str, list[str]] = {}
    for column, type_ in RESULT_TYPES.items():
        row = sql_run(con, f"SELECT enum_range(NULL::{type_})").fetchone()
        found[column] = [str(v) for v in row[0]] if row else []
    return found


def result_dims_register(con: duckdb.DuckDBPyConnection, dims: Dimensions) -> None:
    """Typed copies of the indicator, period and breakdown dimensions, to read stored rows
    back by their integer keys (the incremental refresh)."""
    sql_run(con, """CREATE OR REPLACE TEMP TABLE dim_result_indicator AS
        SELECT indicator_id, TRY_CAST(code AS result_indicator) AS code FROM dim_indicator""")
    sql_run(con, """CREATE OR REPLACE TEMP TABLE dim_result_period AS
        SELECT period_key, TRY_CAST(period AS result_period) AS period,
            CAST(period_type AS result_period_type) AS period_type FROM dim_period""")
    sql_run(con, """CREATE OR REPLACE TEMP TABLE dim_result_breakdown AS
        SELECT breakdown_id, CAST(code AS result_breakdown) AS code FROM dim_breakdown""")


def results_table(catalogue: Catalogue, facts: pa.Table) -> pa.Table:
    """Every result row for these facts, computed in memory (no store file), as Arrow in the
    store's order. For tests, previews and small catalogues; the store does the same."""
    catalogue_check(catalogue)
    con = duckdb.connect()
    try:
        con.register("facts_input", facts)
        sql_run(con, f"CREATE TEMP VIEW fact_staging AS {facts_select('facts_input')}")
        dims = dimensions_prepare(con, catalogue, facts="fact_staging")
        fact_table_create(con, dims, staging="fact_staging", temporary=True)
        result_types_create(con, dims)
        con.execute(result_table_sql(temporary=True))
        results_compute(con, dims, sorted(dims.indicators), facts="fact",
                        target="indicator_result")
        return sql_run(con, f"SELECT {', '.join(_as_text(c) for c in RESULT_COLUMNS)} "
                           "FROM indicator_result").to_arrow_table()
    finally:
        con.close()


def _as_text(column: str) -> str:
    return f"CAST({column} AS VARCHAR) AS {column}" if column in RESULT_TYPES else column
