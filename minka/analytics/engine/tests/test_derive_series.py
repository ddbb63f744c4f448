"""The numpy figures (derive_series.py) against the SQL window statement they replaced.

The reference below is the SQL `derive.derive_compute` ran before the figures moved to
numpy (DuckDB window functions: lags per (indicator, territory), rank per sibling group;
children counted per parent with a GROUP BY). Random batches — gaps, NULL values, ties,
−0, several breakdowns and period types, roots, invalid territory-periods, territories
outside the tree, rows continued from successors — must give the same figures bit for bit,
also when the batch is cut into tiny chunks (`CHUNK_ROWS`), so that chunk edges cannot
change a number, and when rows are searched instead of looked up in a table
(`DENSE_EXTRA`).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minka.analytics.engine import derive_series
from minka.analytics.engine.derive_series import (
    TREND_MINIMUM,
    TREND_WINDOW,
    Rows,
    TerritoryTree,
    series_figures,
)

KEY_STRIDE = 1_000_000
SERIES_STRIDE = 100_000_000  # the reference's position = breakdown × this + period key
# territory: parent (None for a root); 99 is outside the tree.
TREE = {1: None, 2: None, 10: 1, 11: 1, 12: 1, 20: 2, 21: 2, 110: 11, 111: 11}
OUTSIDE = 99
HIGHER = {1}  # indicator 1: higher is better; 2: lower is better


def _reference_sql() -> str:
    lags = range(1, TREND_WINDOW)
    windows = ", ".join(
        f"lag(value, {k}) OVER series AS v{k}, lag(position, {k}) OVER series AS o{k}"
        for k in lags)
    points = ", ".join(
        f"CAST(v{k} IS NOT NULL AND o{k} >= position - {TREND_WINDOW - 1} AS DOUBLE) AS m{k}, "
        f"CAST(coalesce(o{k} - position, 0) AS DOUBLE) AS x{k}, "
        f"coalesce(v{k}, CAST(0 AS DOUBLE)) AS y{k}" for k in lags)

    def total(first: str, term: str) -> str:
        return " + ".join([first, *(f"m{k} * {term.format(k=k)}" for k in lags)])

    sums = ", ".join([
        f"{' + '.join(['CAST(1 AS DOUBLE)', *(f'm{k}' for k in lags)])} AS n",
        f"{total('CAST(0 AS DOUBLE)', 'x{k}')} AS sx",
        f"{total('value', 'y{k}')} AS sy",
        f"{total('CAST(0 AS DOUBLE)', 'x{k} * x{k}')} AS sxx",
        f"{total('CAST(0 AS DOUBLE)', 'x{k} * y{k}')} AS sxy",
    ])
    narrow = "indicator_id, territory_id, period_key, breakdown_id, value, position, v1, o1"
    higher = ", ".join(map(str, sorted(HIGHER)))
    return f"""
        WITH windows AS MATERIALIZED (
            SELECT indicator_id, territory_id, period_key, breakdown_id, value, position,
                {windows},
                CASE WHEN eligible THEN rank() OVER siblings END AS rank,
                CASE WHEN eligible THEN count(*) OVER (siblings ROWS BETWEEN UNBOUNDED
                    PRECEDING AND UNBOUNDED FOLLOWING) END AS rank_of
            FROM (
                SELECT v.indicator_id, v.territory_id, v.period_key, v.breakdown_id, v.value,
                    t.parent_id,
                    CAST(v.breakdown_id AS BIGINT) * {SERIES_STRIDE} + v.period_key
                        AS position,
                    x.territory_id IS NULL AND NOT v.from_successors
                        AND v.value IS NOT NULL AS eligible,
                    CASE WHEN v.indicator_id IN ({higher}) THEN -v.value ELSE v.value END
                        AS signed
                FROM batch v
                JOIN dim_territory t ON t.territory_id = v.territory_id
                LEFT JOIN territory_invalid x ON x.territory_id = v.territory_id
                    AND x.period_key = v.period_key)
            WINDOW series AS (PARTITION BY indicator_id, territory_id ORDER BY position),
                siblings AS (
                    PARTITION BY indicator_id, parent_id, period_key, breakdown_id, eligible
                    ORDER BY signed)),
        points AS MATERIALIZED (SELECT {narrow}, rank, rank_of, {points} FROM windows),
        sums AS MATERIALIZED (SELECT {narrow}, rank, rank_of, {sums} FROM points)
        SELECT s.indicator_id, s.territory_id, s.period_key, s.breakdown_id,
            CASE WHEN o1 = position - 1 THEN value - v1 END AS change_previous,
            CASE WHEN value IS NOT NULL AND n >= {TREND_MINIMUM}
                THEN (n * sxy - sx * sy) / (n * sxx - sx * sx) END AS trend_slope,
            CAST(rank AS INTEGER) AS rank, CAST(rank_of AS INTEGER) AS rank_of,
            CAST(coalesce(r.reported, 0) AS INTEGER) AS reported
        FROM sums s
        LEFT JOIN (
            SELECT v.indicator_id, t.parent_id AS territory_id, v.period_key, v.breakdown_id,
                count(*) AS reported
            FROM batch v
            JOIN dim_territory t ON t.territory_id = v.territory_id
            ANTI JOIN territory_invalid x ON x.territory_id = v.territory_id
                AND x.period_key = v.period_key
            WHERE NOT v.from_successors AND t.parent_id IS NOT NULL
            GROUP BY ALL) r
            ON r.indicator_id = s.indicator_id AND r.territory_id = s.territory_id
            AND r.period_key = s.period_key AND r.breakdown_id = s.breakdown_id"""


KEYS = ("indicator_id", "territory_id", "period_key", "breakdown_id")
FIGURES = ("change_previous", "trend_slope", "rank", "rank_of", "reported")

TIES = np.array([0.0, -0.0, 1.0, 2.5, -3.0, 1e308, -1e308])


def _batch(seed: int, density: float) -> pa.Table:
    """A random batch over a small key grid (dense enough for long series, sibling groups
    and ties), unique keys sorted in RESULT_ORDER (indicator, period, breakdown,
    territory). Values: NULL (15 %), one of TIES (35 %; huge ones overflow the sums), or
    uniform in ±1e6; from_successors: NULL or True now and then."""
    rng = np.random.default_rng(seed)
    keys = [
        (indicator, rank * KEY_STRIDE + 24_000 + offset, breakdown, territory)
        for indicator in (1, 2)
        for rank in (2, 3)  # semesters and months
        for offset in range(9)
        for breakdown in (0, 1, 3)
        for territory in (*TREE, OUTSIDE)
        if rng.random() < density
    ]
    count = len(keys)
    kind = rng.random(count)
    value = np.where(kind < 0.5, rng.choice(TIES, count), rng.uniform(-1e6, 1e6, count))
    continued = rng.random(count)
    return pa.table({
        "indicator_id": pa.array([k[0] for k in keys], pa.int32()),
        "territory_id": pa.array([k[3] for k in keys], pa.int64()),
        "period_key": pa.array([k[1] for k in keys], pa.int32()),
        "breakdown_id": pa.array([k[2] for k in keys], pa.int32()),
        "value": pa.array(value, pa.float64(), mask=kind < 0.15),
        "from_successors": pa.array(continued < 0.1, pa.bool_(), mask=continued > 0.95),
    })


def _reference(batch: pa.Table, invalid: list[tuple[int, int]]) -> pa.Table:
    con = duckdb.connect()
    try:
        con.register("batch", batch)
        con.register("dim_territory", pa.table({
            "territory_id": pa.array(list(TREE), pa.int64()),
            "parent_id": pa.array(list(TREE.values()), pa.int64()),
        }))
        con.register("territory_invalid", pa.table({
            "territory_id": pa.array([i[0] for i in invalid], pa.int64()),
            "period_key": pa.array([i[1] for i in invalid], pa.int32()),
        }))
        return con.execute(f"SELECT * FROM ({_reference_sql()}) ORDER BY {', '.join(KEYS)}"
                           ).to_arrow_table()
    finally:
        con.close()


def _numpy(batch: pa.Table, invalid: list[tuple[int, int]]) -> pa.Table:
    tree = TerritoryTree.build(
        np.array(list(TREE), dtype=np.int64),
        pa.array(list(TREE.values()), pa.int64()),
        (np.array([i[0] for i in invalid], dtype=np.int64),
         np.array([i[1] for i in invalid], dtype=np.int64)),
    )
    figures = series_figures(Rows.from_arrow(batch), tree, HIGHER)
    table = batch.select(list(KEYS))
    for name in FIGURES:
        table = table.append_column(name, figures[name])
    # The final assembly drops territories outside the tree (an inner join), as the
    # reference does.
    table = table.filter(pa.compute.is_in(table.column("territory_id"),
                                          pa.array(list(TREE), pa.int64())))
    return table.sort_by([(k, "ascending") for k in KEYS])


def _bits(column: pa.ChunkedArray) -> list[object]:
    """Values with floats as their bit patterns (so −0 ≠ 0 and NaN = NaN); NULL as None."""
    array = column.combine_chunks()
    if pa.types.is_floating(array.type):
        bits = array.fill_null(0).to_numpy().view(np.int64)
        return [int(b) if valid else None
                for b, valid in zip(bits, array.is_valid().to_pylist(), strict=True)]
    return array.to_pylist()


@pytest.mark.parametrize(("chunk", "dense_extra"), [
    (3, derive_series.DENSE_EXTRA), (7, -(10**9)), (1 << 16, derive_series.DENSE_EXTRA),
    (1 << 16, -(10**9))])  # the row index as a table, or searched (DENSE_EXTRA < 0)
@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), density=st.sampled_from([0.1, 0.5, 0.9]),
       invalid=st.sets(st.tuples(st.sampled_from(list(TREE)),
                                 st.sampled_from([2 * KEY_STRIDE + 24_003,
                                                  3 * KEY_STRIDE + 24_005])), max_size=3))
def test_numpy_figures_equal_the_sql_windows_bit_for_bit(monkeypatch, chunk, dense_extra,
                                                         seed, density, invalid):
    monkeypatch.setattr(derive_series, "CHUNK_ROWS", chunk)
    monkeypatch.setattr(derive_series, "DENSE_EXTRA", dense_extra)
    batch, pairs = _batch(seed, density), sorted(invalid)
    expected, found = _reference(batch, pairs), _numpy(batch, pairs)
    assert found.column_names == expected.column_names
    assert found.num_rows == expected.num_rows
    for name in expected.column_names:
        assert _bits(found.column(name)) == _bits(expected.column(name)), name


def test_a_long_series_across_chunks_has_every_trend():
    """30 consecutive months cut into chunks of 4 rows: every row from the third on has a
    slope of exactly 2 (value = 2 × ordinal) and a change of 2."""
    months = 30
    batch = pa.table({
        "indicator_id": pa.array([2] * months, pa.int32()),
        "territory_id": pa.array([10] * months, pa.int64()),
        "period_key": pa.array([3 * KEY_STRIDE + 24_000 + m for m in range(months)],
                               pa.int32()),
        "breakdown_id": pa.array([0] * months, pa.int32()),
        "value": pa.array([2.0 * m for m in range(months)], pa.float64()),
        "from_successors": pa.array([False] * months, pa.bool_()),
    })
    tree = TerritoryTree.build(np.array([1, 10], dtype=np.int64), pa.array([None, 1], pa.int64()),
                               (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    original = derive_series.CHUNK_ROWS
    try:
        derive_series.CHUNK_ROWS = 4
        figures = series_figures(Rows.from_arrow(batch), tree, HIGHER)
    finally:
        derive_series.CHUNK_ROWS = original
    assert figures["trend_slope"].to_pylist() == [None, None] + [2.0] * (months - 2)
    assert figures["change_previous"].to_pylist() == [None] + [2.0] * (months - 1)
    assert figures["rank"].to_pylist() == [1] * months  # the only child of 1
