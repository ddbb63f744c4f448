"""Data element aggregates: facts rolled up the territory tree and over periods, in DuckDB.

What it computes, per data element × territory × period × breakdown (see
`model.Aggregation` for the rules and `Dimensions.register_combinations` for breakdowns):

- SUM: the sum of every fact of the territory's subtree in the period's sub-periods.
- AVERAGE: at the element's own period type, the weighted mean over the territories of the
  subtree that recorded a value (each weighed by its population for the period's year, or
  by the weight element's total at that territory and period, or equally); then, for
  coarser periods, the plain mean of the own-type periods that have a value. A territory
  without a weight is left out of the mean; when nothing in a subtree can be weighed, a
  territory that recorded a value keeps it, and one that did not has a row without a value
  (its children reported: completeness counts them).
- LAST: per recording territory, the value of the latest own-type sub-period that has one;
  then summed over the subtree.
- NONE: only where and when recorded: no rollup in space or in time.

How (the performance design): every rollup combines decomposable states one level at a
time (districts into provinces into regions, months into quarters into semesters into
years), never exploding a fact to all of its ancestors; the states are sums (SUM, LAST after
its time step), weighted sums and weights (AVERAGE in space), sums and counts (AVERAGE in
time), and (last period, value) pairs (LAST in time). Each step is one `INSERT … SELECT …
GROUP BY` that appends the next level to the same table.

Sums are exact, so they do not depend on the order the rows arrive in: every summed state
is a `DECIMAL(38,10)` (`EXACT`; data values have 6 decimals, population-weighted ones 6
more, rounded at the 10th), or a `DECIMAL(38,18)` for AVERAGE's means over periods
(`EXACT_MEAN`), and becomes a double only in the element's final value. Float
sums, even compensated ones (`fsum`), did depend on it: two runs over the same facts
(threads, input order) differed in the last bits, and ranks of near-equal values flipped
(12 ranks of 28 million figures in one pair of national runs). Summed magnitudes must
stay below 1e28 (data values have at most 18 integer digits, populations 8).

Missing is not zero: a row exists only where at least one fact lies beneath, so a territory
or period with no facts has no aggregate at all.

A retired territory with successors gets, for every period that starts after its
`valid_to`, rows computed from its successors (sum; AVERAGE: weighted mean; NONE: none),
in `agg_continued`; these rows never roll up, so the former parent does not count them.

Result: the TEMP view `element_final(element_id, territory_id, period_key, breakdown_id,
value, continued)`, where `continued` marks the successor rows. Facts join the catalogue
on the fact table's ENUM columns (`fact_dims_register`): integers, not text.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from minka.analytics.engine.dimensions import (
    KEY_STRIDE,
    TYPE_RANK,
    Dimensions,
    average_waves,
    sql_run,
    weight_of,
)
from minka.analytics.engine.model import Aggregation, ElementSpec

_KEYS = "element_id, territory_id, depth, period_key, breakdown_id"
EXACT = "DECIMAL(38,10)"
EXACT_MEAN = "DECIMAL(38,18)"
"""AVERAGE's means over periods: below 1e20, to 18 decimals (a double's precision)."""
_AS_DOUBLE = """SELECT element_id, territory_id, period_key, breakdown_id,
    CAST(value AS DOUBLE) AS value FROM """


def _exact_sum(expression: str) -> str:
    """The exact sum of `expression` (see the module's docstring: sums are order-free)."""
    return f"sum(CAST({expression} AS {EXACT}))"


def elements_needed(dims: Dimensions, codes: Collection[str]) -> set[str]:
    """`codes` and every element their averages are weighted by (transitively)."""
    needed: set[str] = set()
    pending = [c for c in codes if c in dims.elements]
    while pending:
        code = pending.pop()
        if code in needed:
            continue
        needed.add(code)
        weight = weight_of(dims.elements[code])
        if weight is not None:
            pending.append(weight)
    return needed


def element_values_compute(
    con: duckdb.DuckDBPyConnection,
    dims: Dimensions,
    *,
    facts: str,
    element_codes: Collection[str],
) -> None:
    """Create the TEMP view `element_final` for `element_codes` from the relation `facts`.

    `facts` has the columns of `FACT_COLUMNS`; the dimension tables must be registered with
    every period of those facts. Facts of unknown elements or territories, of a period that
    is not of the element's type, or of a combination with no breakdown are ignored.
    Aggregates of a period are complete only if `facts` holds every fact of its sub-periods
    (the incremental refresh relies on this and keeps only the periods it fed completely).
    """
    codes = elements_needed(dims, element_codes)
    specs = [dims.elements[c] for c in sorted(codes)]
    fact_dims_register(con)
    parts: list[str] = []
    for aggregation, build in (
        (Aggregation.SUM, _sum_build),
        (Aggregation.LAST, _last_build),
        (Aggregation.NONE, _none_build),
    ):
        group = [e for e in specs if e.aggregation is aggregation]
        if group:
            parts.append(build(con, dims, facts, group))
    _view(con, "element_value", parts)
    for number, wave in enumerate(average_waves(specs)):
        parts.append(_average_build(con, dims, facts, wave, number))
        _view(con, "element_value", parts)
    _continued_build(con, dims, specs)


def fact_dims_register(con: duckdb.DuckDBPyConnection) -> None:
    """Copies of the element, period and combination dimensions keyed by the fact table's
    ENUM types, so facts join on integers (codes the facts never use do not cast: NULL)."""
    sql_run(con, """CREATE OR REPLACE TEMP TABLE dim_fact_element AS
        SELECT *, TRY_CAST(code AS fact_element) AS fact_code FROM dim_element""")
    sql_run(con, """CREATE OR REPLACE TEMP TABLE dim_fact_period AS
        SELECT *, TRY_CAST(period AS fact_period) AS fact_period FROM dim_period""")
    sql_run(con, """CREATE OR REPLACE TEMP TABLE dim_fact_combination AS
        SELECT *, TRY_CAST(combination AS fact_combination) AS fact_combination
        FROM combo_map""")


def element_values_drop(con: duckdb.DuckDBPyConnection) -> None:
    """Drop `element_final` and the aggregate tables under it.

    Called once a batch's indicator values are computed: the derived figures and the
    write that follow need the memory more (a national batch's aggregates are hundreds of
    MB), and the next batch builds its own."""
    tables = con.execute("""SELECT table_name FROM duckdb_tables()
        WHERE temporary AND (table_name LIKE 'agg\\_%' ESCAPE '\\'
                             OR table_name = 'continued_period')""").fetchall()
    for view in ("element_final", "element_value"):
        con.execute(f"DROP VIEW IF EXISTS {view}")
    for (table,) in tables:
        con.execute(f"DROP TABLE {table}")


def _view(con: duckdb.DuckDBPyConnection, name: str, parts: list[str]) -> None:
    body = "\nUNION ALL\n".join(parts) if parts else (
        "SELECT NULL::INTEGER AS element_id, NULL::BIGINT AS territory_id, "
        "NULL::INTEGER AS period_key, NULL::INTEGER AS breakdown_id, NULL::DOUBLE AS value "
        "WHERE false"
    )
    sql_run(con, f"CREATE OR REPLACE TEMP VIEW {name} AS {body}")


def _coded(facts: str, group: list[ElementSpec], dims: Dimensions) -> str:
    """The facts of `group` with integer keys, one row per breakdown they count in."""
    ids = ", ".join(str(dims.element_id[e.code]) for e in group)
    return f"""
        SELECT e.element_id, f.territory_id, t.depth, p.period_key, m.breakdown_id, f.value
        FROM {facts} f
        JOIN dim_fact_element e ON e.fact_code = f.element
        JOIN dim_fact_period p ON p.fact_period = f.period AND p.type_rank = e.type_rank
        JOIN dim_territory t ON t.territory_id = f.territory_id
        JOIN dim_fact_combination m ON m.element_id = e.element_id
            AND m.fact_combination = f.combination
        WHERE e.element_id IN ({ids}) AND isfinite(f.value)"""


def _finest_rank(group: list[ElementSpec]) -> int:
    return max(TYPE_RANK[e.period_type] for e in group)


def _space_rollup(con: duckdb.DuckDBPyConnection, dims: Dimensions, table: str,
                  states: list[str]) -> None:
    """Add every ancestor's rows: each level is the sum of the states of the level below.

    A territory with facts of its own and children ends with two rows per key (its own and
    its children's); both are summed into its parent, and they are merged at the end.
    """
    sums = ", ".join(f"sum(a.{s}) AS {s}" for s in states)
    for depth in range(dims.max_depth - 1, -1, -1):
        sql_run(con, f"""
            INSERT INTO {table} BY NAME
            SELECT a.element_id, t.parent_id AS territory_id, {depth} AS depth, a.period_key,
                   a.breakdown_id, {sums}
            FROM {table} a JOIN dim_territory t ON t.territory_id = a.territory_id
            WHERE a.depth = {depth + 1} AND t.parent_id IS NOT NULL
            GROUP BY ALL""")


def _own_rows_above_leaves(con: duckdb.DuckDBPyConnection, dims: Dimensions,
                           table: str) -> bool:
    """Whether a territory with children recorded facts itself (then levels need merging)."""
    found = sql_run(con, f"""
        SELECT count(*) FROM (SELECT 1 FROM {table} a
        JOIN dim_territory t ON t.territory_id = a.territory_id
        WHERE a.depth < {dims.max_depth} AND t.has_children LIMIT 1)""").fetchone()
    return bool(found and found[0])


def _merge_levels(con: duckdb.DuckDBPyConnection, dims: Dimensions, table: str,
                  states: list[str]) -> None:
    sums = ", ".join(f"sum({s}) AS {s}" for s in states)
    upper = f"{table}_upper"
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE {upper} AS
        SELECT {_KEYS}, {sums} FROM {table} WHERE depth < {dims.max_depth} GROUP BY ALL""")
    sql_run(con, f"DELETE FROM {table} WHERE depth < {dims.max_depth}")
    sql_run(con, f"INSERT INTO {table} BY NAME SELECT * FROM {upper}")
    sql_run(con, f"DROP TABLE {upper}")


def _time_rollup(con: duckdb.DuckDBPyConnection, table: str, finest_rank: int,
                 aggregates: dict[str, str]) -> None:
    """Add coarser periods one type at a time (weeks → months → quarters → semesters →
    years), each from the rows of the type just below."""
    selected = ", ".join(f"{expression} AS {column}" for column, expression in aggregates.items())
    for rank in range(finest_rank, 0, -1):
        sql_run(con, f"""
            INSERT INTO {table} BY NAME
            SELECT a.element_id, a.territory_id, a.depth, p.next_key AS period_key,
                   a.breakdown_id, {selected}
            FROM {table} a JOIN dim_period p ON p.period_key = a.period_key
            WHERE a.period_key >= {rank * KEY_STRIDE} AND a.period_key < {(rank + 1) * KEY_STRIDE}
            GROUP BY ALL""")


def _sum_build(con: duckdb.DuckDBPyConnection, dims: Dimensions, facts: str,
               group: list[ElementSpec]) -> str:
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE agg_sum AS
        SELECT {_KEYS}, {_exact_sum("value")} AS value
        FROM ({_coded(facts, group, dims)}) GROUP BY ALL""")
    merge = _own_rows_above_leaves(con, dims, "agg_sum")
    _space_rollup(con, dims, "agg_sum", ["value"])
    if merge:
        _merge_levels(con, dims, "agg_sum", ["value"])
    _time_rollup(con, "agg_sum", _finest_rank(group), {"value": "sum(a.value)"})
    return _AS_DOUBLE + "agg_sum"


def _last_build(con: duckdb.DuckDBPyConnection, dims: Dimensions, facts: str,
                group: list[ElementSpec]) -> str:
    # Time first, at each recording territory: the latest sub-period with a value...
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE agg_last AS
        SELECT {_KEYS}, period_key AS last_key, {_exact_sum("value")} AS value
        FROM ({_coded(facts, group, dims)}) GROUP BY ALL""")
    _time_rollup(con, "agg_last", _finest_rank(group), {
        "last_key": "max(a.last_key)",
        "value": "arg_max(a.value, a.last_key)",
    })
    # ... then summed over territories, for every period type at once.
    merge = _own_rows_above_leaves(con, dims, "agg_last")
    _space_rollup(con, dims, "agg_last", ["value"])
    if merge:
        _merge_levels(con, dims, "agg_last", ["value"])
    return _AS_DOUBLE + "agg_last"


def _none_build(con: duckdb.DuckDBPyConnection, dims: Dimensions, facts: str,
                group: list[ElementSpec]) -> str:
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE agg_none AS
        SELECT {_KEYS}, {_exact_sum("value")} AS value
        FROM ({_coded(facts, group, dims)}) GROUP BY ALL""")
    return _AS_DOUBLE + "agg_none"


def _weight_joins(alias: str, weight_ids: list[int]) -> tuple[str, str]:
    """(joins, expression): the weight of the value in `alias` (element_id, territory_id,
    period_key): population for the period's year, the weight element's total for the
    (same or containing) period, or 1; NULL when the weight is unknown."""
    weights = ", ".join(str(i) for i in weight_ids) or "NULL"
    joins = f"""
        JOIN dim_element we_e ON we_e.element_id = {alias}.element_id
        JOIN dim_period we_p ON we_p.period_key = {alias}.period_key
        LEFT JOIN population we_pop ON we_pop.territory_id = {alias}.territory_id
            AND we_pop.year = we_p.year
        LEFT JOIN weight_period we_wp ON we_wp.element_id = {alias}.element_id
            AND we_wp.period_key = {alias}.period_key
        LEFT JOIN (SELECT element_id, territory_id, period_key, value FROM element_value
                   WHERE breakdown_id = 0 AND element_id IN ({weights})) we_v
            ON we_v.element_id = we_e.weight_element_id
            AND we_v.territory_id = {alias}.territory_id AND we_v.period_key = we_wp.weight_key"""
    expression = """CASE we_e.weight_kind WHEN 'population' THEN we_pop.population
        WHEN 'element' THEN we_v.value ELSE CAST(1 AS DOUBLE) END"""
    return joins, expression


def _average_build(con: duckdb.DuckDBPyConnection, dims: Dimensions, facts: str,
                   wave: list[ElementSpec], number: int) -> str:
    table = f"agg_average_{number}"
    weight_ids = sorted({dims.element_id[w] for e in wave if (w := weight_of(e))})
    joins, weight = _weight_joins("o", weight_ids)
    # Duplicated data values of one combination are averaged, not added. `own` is the
    # territory's own value: it stays its figure when nothing in its subtree can be weighed
    # (a district without a population still shows what it recorded).
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT o.element_id, o.territory_id, o.depth, o.period_key, o.breakdown_id,
               CAST(o.value * ({weight}) AS {EXACT}) AS weighted,
               CAST(({weight}) AS {EXACT}) AS weight, o.value AS own
        FROM (SELECT {_KEYS}, {_exact_sum("value")} / count(value) AS value
              FROM ({_coded(facts, wave, dims)}) GROUP BY ALL) o
        {joins}""")
    merge = _own_rows_above_leaves(con, dims, table)
    _space_rollup(con, dims, table, ["weighted", "weight"])
    if merge:
        _merge_levels(con, dims, table, ["weighted", "weight", "own"])
    # In time: the plain mean of the own-type periods that have a value (sum and count).
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE {table}_time AS
        SELECT {_KEYS}, total, CAST(total IS NOT NULL AS DOUBLE) AS count
        FROM (SELECT *, CAST(coalesce(weighted / NULLIF(weight, 0), own) AS {EXACT_MEAN}) AS total
              FROM {table})""")
    sql_run(con, f"DROP TABLE {table}")
    _time_rollup(con, f"{table}_time", _finest_rank(wave),
                 {"total": "sum(a.total)", "count": "sum(a.count)"})
    return f"""SELECT element_id, territory_id, period_key, breakdown_id,
        total / NULLIF(count, 0) AS value FROM {table}_time"""


def _continued_build(con: duckdb.DuckDBPyConnection, dims: Dimensions,
                     specs: list[ElementSpec]) -> None:
    """`element_final`: element values, where a retired territory's figures after its
    `valid_to` come from its successors (flagged `continued`)."""
    retired = [t for t in dims.catalogue.territories if t.valid_to and t.successor_ids]
    if not retired:
        con.execute("""CREATE OR REPLACE TEMP VIEW element_final AS
            SELECT *, false AS continued FROM element_value""")
        return
    weight_ids = sorted({dims.element_id[w] for e in specs if (w := weight_of(e))})
    joins, weight = _weight_joins("s", weight_ids)
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE agg_continued AS
        WITH s AS (
            SELECT c.retired_id, e.element_id, e.territory_id, e.period_key, e.breakdown_id,
                   e.value
            FROM continuation c
            JOIN element_value e ON e.territory_id = c.successor_id
            JOIN dim_period p ON p.period_key = e.period_key
            WHERE p.start > c.after AND (c.until IS NULL OR p.start <= c.until))
        SELECT s.element_id, s.retired_id AS territory_id, s.period_key, s.breakdown_id,
            CASE WHEN any_value(we_e.aggregation) = 'average'
                THEN {_exact_sum(f"s.value * ({weight})")}
                     / NULLIF({_exact_sum(f"CASE WHEN s.value IS NOT NULL THEN {weight} END")}, 0)
                ELSE CAST({_exact_sum("s.value")} AS DOUBLE) END AS value
        FROM s {joins}
        WHERE we_e.aggregation <> 'none'
        GROUP BY s.element_id, s.retired_id, s.period_key, s.breakdown_id""")
    con.execute("""CREATE OR REPLACE TEMP TABLE continued_period AS
        SELECT t.territory_id, p.period_key FROM dim_territory t
        JOIN dim_period p ON p.start > t.continued_after
        WHERE t.territory_id IN (SELECT retired_id FROM continuation)""")
    con.execute("""CREATE OR REPLACE TEMP VIEW element_final AS
        SELECT e.*, false AS continued FROM element_value e
        ANTI JOIN continued_period c
            ON c.territory_id = e.territory_id AND c.period_key = e.period_key
        UNION ALL
        SELECT element_id, territory_id, period_key, breakdown_id, value, true
        FROM agg_continued""")
