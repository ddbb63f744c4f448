"""Derived figures: change, trend, forecast, status against targets, rank, completeness.

Computed over indicator values (`indicators.py`), per series = indicator × territory ×
breakdown × period type, ordered by the period's ordinal. The figures that read other rows
of the batch (change, trend, rank, children reported) are computed in numpy
(`derive_series.py`: DuckDB's window passes were half of a national refresh); targets,
base values and children expected are small joins in SQL:

- `change_previous`: value minus the value of the period just before (same type), when
  both exist;
- `change_base`: value minus the value of the same sub-period of the indicator's
  `base_year` (2023Q3 against 2015Q3);
- `trend_slope`: ordinary least squares slope per period through the periods p-4 … p that
  have a value, when p has one and there are at least 3 (x = ordinal − p's ordinal);
- target: the territory's target for exactly this period, else its target with the nearest
  later end (ties: the finest period); total breakdown only. `target` and `target_period`
  are the target used;
- `forecast`: value + slope × (periods of this type from p to the one the target ends in);
- `status`: on_track when the judged figure meets the target by polarity, at_risk when it
  misses by at most tolerance × |target|, off_track otherwise; the judged figure is the
  forecast when the target ends after this period, else the value;
- `rank`: among siblings (same parent, period and breakdown) valid in the period, not
  continued from successors, with a value; 1 is best by polarity; ties share the smallest
  rank ("1, 2, 2, 4"); `rank_of` counts them. Roots rank among roots;
- `reported_children` / `expected_children`: direct children valid in the period that have
  a figure (a row: some referenced element has data beneath them) / all of them; NULL for
  territories without children.

Every figure of a row depends only on values of the same slice (indicator, period) and of
the four periods before it and the base period: the incremental refresh recomputes exactly
the slices whose inputs changed, and a test checks it matches a full refresh.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from minka.analytics.engine.derive_series import (
    TREND_MINIMUM,
    TREND_WINDOW,
    Rows,
    TerritoryTree,
    series_figures,
)
from minka.analytics.engine.dimensions import (
    KEY_STRIDE,
    TYPE_RANK,
    Dimensions,
    arrow_table,
    base_period,
    period_key,
    period_last_of_type,
    period_ordinal,
    sql_run,
    step_traced,
)
from minka.analytics.engine.model import Polarity, Status
from minka.analytics.engine.periods import Period, PeriodError, period_parse

__all__ = [
    "TREND_MINIMUM",
    "TREND_WINDOW",
    "derive_compute",
    "derive_release",
    "derive_tables_register",
    "derived_rows_in_order",
]

RESULT_ORDER = "indicator_id, period_key, breakdown_id, territory_id"
"""How the store's rows are clustered: a page's query (one indicator, a few periods, one
breakdown, a hundred territories) then reads a few contiguous runs. Period keys order
types coarse to fine, then time."""

DERIVED_COLUMNS = """
    indicator_id INTEGER, territory_id BIGINT, period_key INTEGER, breakdown_id INTEGER,
    value DOUBLE, numerator DOUBLE, denominator DOUBLE, reason VARCHAR, target DOUBLE,
    target_period VARCHAR, status VARCHAR, change_previous DOUBLE, change_base DOUBLE,
    trend_slope DOUBLE, forecast DOUBLE, forecast_meets_target BOOLEAN, rank INTEGER,
    rank_of INTEGER, reported_children INTEGER, expected_children INTEGER,
    from_successors BOOLEAN"""


def derive_tables_register(con: duckdb.DuckDBPyConnection, dims: Dimensions) -> None:
    """Register base_map, target_dim, target_later, target_step and expected_children for
    the periods currently in `dims` (call after the last `periods_add`)."""
    base_rows: list[tuple[int, int, int]] = []
    for code, spec in dims.indicators.items():
        if spec.base_year is None:
            continue
        for key, period in dims.periods.items():
            if TYPE_RANK[period.type] > TYPE_RANK[spec.period_type]:
                continue
            base = base_period(period, spec.base_year)
            if base is not None:
                base_rows.append((dims.indicator_id[code], key, period_key(base)))
    arrow_table(con, "base_map", pa.table({
        "indicator_id": pa.array([r[0] for r in base_rows], pa.int32()),
        "period_key": pa.array([r[1] for r in base_rows], pa.int32()),
        "base_key": pa.array([r[2] for r in base_rows], pa.int32()),
    }))

    # The last target given for an (indicator, territory, period) wins.
    targets: dict[tuple[int, int, str], float] = {}
    for target in dims.catalogue.targets:
        if target.indicator in dims.indicator_id:
            targets[(dims.indicator_id[target.indicator], target.territory_id,
                     target.period)] = float(target.value)
    parsed: dict[str, Period | None] = {}
    for _, _, text in targets:
        if text not in parsed:
            try:
                parsed[text] = period_parse(text)
            except PeriodError:
                parsed[text] = None
    rows = []
    for (indicator_id, territory_id, text), value in sorted(targets.items()):
        chosen = parsed[text]
        if chosen is not None:
            rows.append((indicator_id, territory_id, period_key(chosen), chosen.start,
                         chosen.end, value, chosen.id))
    steps = {
        (period_key(chosen), rank): period_ordinal(period_last_of_type(chosen, type_))
        for chosen in parsed.values() if chosen is not None
        for type_, rank in TYPE_RANK.items()
    }
    columns = ("indicator_id", "territory_id", "target_key", "target_start", "target_end",
               "target_value", "target_period")
    types = (pa.int32(), pa.int64(), pa.int32(), pa.date32(), pa.date32(), pa.float64(),
             pa.string())
    arrow_table(con, "target_dim", pa.table({
        name: pa.array([r[n] for r in rows], type_)
        for n, (name, type_) in enumerate(zip(columns, types, strict=True))
    }))
    # For "the nearest later target": one per end date, the finest (latest start).
    con.execute("""CREATE OR REPLACE TEMP TABLE target_later AS
        SELECT * FROM target_dim QUALIFY row_number() OVER (
            PARTITION BY indicator_id, territory_id, target_end
            ORDER BY target_start DESC) = 1""")
    arrow_table(con, "target_step", pa.table({
        "target_key": pa.array([k[0] for k in steps], pa.int32()),
        "type_rank": pa.array([k[1] for k in steps], pa.int32()),
        "end_ordinal": pa.array(list(steps.values()), pa.int32()),
    }))
    sql_run(con, """CREATE OR REPLACE TEMP TABLE territory_invalid AS
        SELECT t.territory_id, p.period_key FROM dim_territory t, dim_period p
        WHERE (t.valid_from IS NOT NULL AND t.valid_from > p."end")
           OR (t.valid_to IS NOT NULL AND t.valid_to < p.start)""")
    sql_run(con, """CREATE OR REPLACE TEMP TABLE expected_children AS
        SELECT t.parent_id AS territory_id, p.period_key, count(*) AS expected
        FROM dim_territory t, dim_period p
        WHERE t.parent_id IS NOT NULL
          AND (t.valid_from IS NULL OR t.valid_from <= p."end")
          AND (t.valid_to IS NULL OR t.valid_to >= p.start)
        GROUP BY ALL""")


def derive_compute(
    con: duckdb.DuckDBPyConnection,
    dims: Dimensions,
    *,
    values: str,
    target: str = "indicator_derived",
    scope: str | None = None,
) -> None:
    """Create the TEMP view `target` (DERIVED_COLUMNS) over the relation `values`
    (indicators.INDICATOR_VALUE_COLUMNS).

    `values` must hold every row the output rows read: their series' 4 periods before and
    base period, their siblings (ranks) and children (completeness); `scope`
    (indicator_id, period_key, territory_id), if given, limits the rows output.

    Cost matters here (tens of millions of rows): the rows are fetched once, sorted, as
    Arrow; change, trend, rank and children reported are computed in numpy and appended to
    them as columns (`derive_series`), so the view reads one relation (`derive_rows`) with
    no join of two batch-sized tables; children expected, targets and base values are
    small tables joined at the end, and joins that no indicator needs are left out. Read
    the view inside `derived_rows_in_order`, or the rows lose their order; then
    `derive_release`.
    """
    # The rows to write, sorted once (RESULT_ORDER) before any figure is added: the store is
    # then clustered by indicator, period and breakdown (zone maps).
    rows = sql_run(con, f"SELECT * FROM {values} ORDER BY {RESULT_ORDER}").to_arrow_table()
    higher = {dims.indicator_id[c] for c, i in dims.indicators.items()
              if i.polarity is Polarity.HIGHER_IS_BETTER}
    tree = _territory_tree(con)
    with step_traced(f"numpy series_figures ({rows.num_rows} rows)"):
        figures = series_figures(Rows.from_arrow(rows), tree, higher)
    for name, column in figures.items():
        rows = rows.append_column(name, column)
    arrow_table(con, "derive_rows", rows)
    in_scope = ("" if scope is None else
                f"SEMI JOIN {scope} sc ON sc.indicator_id = b.indicator_id "
                f"AND sc.period_key = b.period_key AND sc.territory_id = b.territory_id")
    with_targets = bool(dims.catalogue.targets)
    if with_targets:
        sql_run(con, f"""CREATE OR REPLACE TEMP TABLE derive_target AS
            WITH rows AS (
                SELECT b.indicator_id, b.territory_id, b.period_key, p."end" AS period_end,
                    p.type_rank
                FROM derive_rows b
                {in_scope}
                JOIN dim_period p ON p.period_key = b.period_key
                SEMI JOIN target_dim d ON d.indicator_id = b.indicator_id
                    AND d.territory_id = b.territory_id
                WHERE b.breakdown_id = 0),
            chosen AS (
                SELECT r.*, coalesce(e.target_key, l.target_key) AS target_key
                FROM rows r
                LEFT JOIN target_dim e ON e.indicator_id = r.indicator_id
                    AND e.territory_id = r.territory_id AND e.target_key = r.period_key
                ASOF LEFT JOIN target_later l ON l.indicator_id = r.indicator_id
                    AND l.territory_id = r.territory_id AND l.target_end >= r.period_end)
            SELECT c.indicator_id, c.territory_id, c.period_key, 0 AS breakdown_id,
                d.target_value,
                d.target_period, d.target_end > c.period_end AS target_later,
                s.end_ordinal - c.period_key % {KEY_STRIDE} AS steps
            FROM chosen c
            JOIN target_dim d ON d.indicator_id = c.indicator_id
                AND d.territory_id = c.territory_id AND d.target_key = c.target_key
            JOIN target_step s ON s.target_key = c.target_key
                AND s.type_rank = c.type_rank""")
    based = [dims.indicator_id[c] for c, i in dims.indicators.items() if i.base_year]
    if based:
        sql_run(con, f"""CREATE OR REPLACE TEMP TABLE derive_base_value AS
            SELECT b.indicator_id, b.territory_id, b.breakdown_id, m.period_key,
                v.value AS base_value
            FROM base_map m
            JOIN {values} v ON v.indicator_id = m.indicator_id AND v.period_key = m.base_key
            JOIN (SELECT DISTINCT indicator_id, territory_id, breakdown_id FROM {values}
                  WHERE indicator_id IN ({', '.join(map(str, based))})) b
                ON b.indicator_id = v.indicator_id AND b.territory_id = v.territory_id
                AND b.breakdown_id = v.breakdown_id""")
    target_columns = ("g.target_value, g.target_period, g.target_later, g.steps"
                      if with_targets else
                      "NULL::DOUBLE AS target_value, NULL::VARCHAR AS target_period, "
                      "NULL::BOOLEAN AS target_later, NULL::INTEGER AS steps")
    target_join = ("""LEFT JOIN derive_target g ON g.breakdown_id = b.breakdown_id
                AND g.indicator_id = b.indicator_id AND g.territory_id = b.territory_id
                AND g.period_key = b.period_key""" if with_targets else "")
    base_column = "bv.base_value" if based else "NULL::DOUBLE AS base_value"
    base_join = ("""LEFT JOIN derive_base_value bv ON bv.indicator_id = b.indicator_id
                AND bv.territory_id = b.territory_id AND bv.breakdown_id = b.breakdown_id
                AND bv.period_key = b.period_key""" if based else "")
    on_track, at_risk, off_track = (Status.ON_TRACK.value, Status.AT_RISK.value,
                                    Status.OFF_TRACK.value)
    sql_run(con, f"""CREATE OR REPLACE TEMP VIEW {target} AS
        WITH figures AS (
            SELECT b.*, t.has_children,
                x.expected, i.higher_is_better, i.tolerance,
                {target_columns}, {base_column}
            FROM derive_rows b
            {in_scope}
            JOIN dim_territory t ON t.territory_id = b.territory_id
            JOIN dim_indicator i ON i.indicator_id = b.indicator_id
            LEFT JOIN expected_children x ON x.territory_id = b.territory_id
                AND x.period_key = b.period_key
            {target_join}
            {base_join}),
        forecasts AS (
            SELECT *, value + trend_slope * steps AS forecast FROM figures),
        gaps AS (
            SELECT *,
                CASE WHEN higher_is_better
                    THEN target_value - CASE WHEN target_later THEN forecast ELSE value END
                    ELSE CASE WHEN target_later THEN forecast ELSE value END - target_value
                END AS gap
            FROM forecasts)
        SELECT indicator_id, territory_id, period_key, breakdown_id, value, numerator,
            denominator, reason, target_value AS target, target_period,
            CASE WHEN gap IS NULL THEN NULL
                 WHEN gap <= 0 THEN '{on_track}'
                 WHEN gap <= tolerance * abs(target_value) THEN '{at_risk}'
                 ELSE '{off_track}' END AS status,
            change_previous, value - base_value AS change_base, trend_slope, forecast,
            CASE WHEN forecast IS NULL OR target_value IS NULL THEN NULL
                 WHEN higher_is_better THEN forecast >= target_value
                 ELSE forecast <= target_value END AS forecast_meets_target,
            CAST(rank AS INTEGER) AS rank, CAST(rank_of AS INTEGER) AS rank_of,
            CASE WHEN has_children THEN CAST(coalesce(reported, 0) AS INTEGER) END
                AS reported_children,
            CASE WHEN has_children THEN CAST(coalesce(expected, 0) AS INTEGER) END
                AS expected_children,
            from_successors
        FROM gaps""")


def _territory_tree(con: duckdb.DuckDBPyConnection) -> TerritoryTree:
    """The registered territories and their invalid periods as arrays (small tables)."""
    territories = sql_run(con, "SELECT territory_id, parent_id FROM dim_territory"
                          ).to_arrow_table()
    invalid = sql_run(con, "SELECT territory_id, period_key FROM territory_invalid"
                      ).to_arrow_table()
    return TerritoryTree.build(
        np.asarray(territories.column("territory_id").to_numpy(), dtype=np.int64),
        territories.column("parent_id").combine_chunks(),
        (np.asarray(invalid.column("territory_id").to_numpy(), dtype=np.int64),
         np.asarray(invalid.column("period_key").to_numpy(), dtype=np.int64)),
    )


def derive_release(con: duckdb.DuckDBPyConnection) -> None:
    """Let go of the batch's rows (`derive_rows`, Arrow held by the connection) once its
    view is written: the next batch's aggregation needs the memory more."""
    con.unregister("derive_rows")


@contextlib.contextmanager
def derived_rows_in_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Read the view of `derive_compute` in the rows' order (RESULT_ORDER): every join of
    it probes with the rows, the small tables are the hash tables.

    Why: DuckDB estimates an Arrow relation at one row, so left to itself it would build
    its hash tables on the batch's rows and emit them in the small tables' order — the
    store would lose its clustering, and hashing millions of wide rows costs more too.
    The joins are written in the order to run them; the optimizers that reorder them or
    swap their sides are off for this statement only.
    """
    row = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()
    before = str(row[0]) if row else ""
    off = ",".join(sorted({*filter(None, before.split(",")), *_ORDER_OPTIMIZERS}))
    con.execute(f"SET disabled_optimizers = '{off}'")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = '{before}'")


_ORDER_OPTIMIZERS = ("join_order", "build_side_probe_side")
