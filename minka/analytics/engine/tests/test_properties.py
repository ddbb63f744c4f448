"""Properties of the engine over random trees, facts and changes (hypothesis).

- for SUM elements, every parent's value is the sum of its children's when facts sit only
  at leaves (and missing is not zero: a parent without reporting children has no row);
- an incremental refresh after random changes leaves exactly the store a full refresh of
  the final facts writes (every result row and column compared);
- a full refresh is deterministic.

Fact values are integers so that sums do not depend on the order DuckDB adds them in.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from minka.analytics.engine.model import (
    POPULATION_WEIGHT,
    RESULT_COLUMNS,
    IndicatorSpec,
    Polarity,
    Target,
    TerritoryNode,
)
from minka.analytics.engine.pipeline import results_table
from minka.analytics.engine.store import store_refresh_full, store_refresh_incremental
from minka.analytics.engine.tests.cases import (
    AVERAGE,
    LAST,
    MONTHLY,
    NONE,
    catalogue,
    element,
    facts_with_ids,
)

MONTHS = [f"2023{m:02d}" for m in range(1, 13)] + ["202401", "202402"]


@st.composite
def trees(draw) -> tuple[TerritoryNode, ...]:
    """A random tree: each new node hangs under an earlier one."""
    size = draw(st.integers(2, 9))
    nodes = [TerritoryNode(1, None, "root")]
    for node_id in range(2, size + 1):
        nodes.append(TerritoryNode(node_id, draw(st.integers(1, node_id - 1)), "node"))
    return tuple(nodes)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_every_parent_sums_its_children_for_sum_elements(data):
    territories = data.draw(trees())
    parents = {t.parent_id for t in territories}
    leaves = [t.id for t in territories if t.id not in parents]
    rows = data.draw(st.lists(
        st.tuples(st.sampled_from(leaves), st.sampled_from(MONTHS[:4]),
                  st.sampled_from(["", "F", "M"]), st.integers(0, 50)),
        min_size=1, max_size=15))
    cat = catalogue([element("S", options=("F", "M"))], territories=territories)
    table = facts_with_ids((n, "S", t, p, v, c) for n, (t, p, c, v) in enumerate(rows, 1))
    found = {(r["territory_id"], r["period"], r["breakdown"]): r["value"]
             for r in results_table(cat, table).to_pylist()}
    children: dict[int, list[int]] = {}
    for t in territories:
        if t.parent_id is not None:
            children.setdefault(t.parent_id, []).append(t.id)
    for (territory, period, breakdown), value in found.items():
        if territory in children:
            below = [found.get((c, period, breakdown)) for c in children[territory]]
            assert value == sum(v for v in below if v is not None)
    for territory in children:
        for period in MONTHS[:4]:
            below = [found.get((c, period, "")) for c in children[territory]]
            if all(v is None for v in below):
                assert (territory, period, "") not in found


TERRITORIES = (
    TerritoryNode(1, None, "country"), TerritoryNode(10, 1, "region"),
    TerritoryNode(11, 10, "district"), TerritoryNode(12, 10, "district"),
    TerritoryNode(20, 1, "region"), TerritoryNode(21, 20, "district"),
)
PROPERTY_CATALOGUE = catalogue(
    [element("S", options=("F", "M")), element("T", options=("F", "M")),
     element("A", AVERAGE, weight=POPULATION_WEIGHT), element("L", LAST),
     element("N", NONE)],
    [
        IndicatorSpec("RATIO", "100 * #{S} / #{T}", MONTHLY, base_year=2023),
        IndicatorSpec("GROWTH", "#{S} - #{S}[-1]", MONTHLY, polarity=Polarity.LOWER_IS_BETTER),
        IndicatorSpec("SHARE", "#{S.F} / #{S}", MONTHLY),
        IndicatorSpec("A", "#{A}", MONTHLY),
        IndicatorSpec("L", "#{L}", MONTHLY),
        IndicatorSpec("N", "#{N}", MONTHLY),
    ],
    territories=TERRITORIES,
    targets=(Target("RATIO", 11, "2023", 50.0), Target("RATIO", 10, "2024", 40.0)),
    population=((11, 2023, 10.0), (12, 2023, 30.0), (21, 2023, 5.0)),
)

fact_rows = st.tuples(
    st.sampled_from(["S", "T", "A", "L", "N"]), st.sampled_from([10, 11, 12, 21]),
    st.sampled_from(MONTHS), st.sampled_from(["", "F", "M"]), st.integers(0, 20),
)


def _store_rows(path: Path) -> list[tuple]:
    # Text columns are ENUMs in the store: compare them as text, in text order.
    columns = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" if t == "VARCHAR" else c
                        for c, t in RESULT_COLUMNS.items())
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT {columns} FROM indicator_result ORDER BY ALL").fetchall()
    finally:
        con.close()


def _memory_rows(table) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.register("results", results_table(PROPERTY_CATALOGUE, table))
        return con.execute("SELECT * FROM results ORDER BY ALL").fetchall()
    finally:
        con.close()


@settings(max_examples=8, deadline=None)
@given(
    initial=st.lists(fact_rows, min_size=1, max_size=20),
    changed=st.lists(st.tuples(st.integers(1, 25), fact_rows), max_size=6),
    deleted=st.lists(st.integers(1, 25), max_size=4),
)
def test_an_incremental_refresh_leaves_what_a_full_refresh_of_the_final_facts_writes(
        initial, changed, deleted):
    facts = {n: row for n, row in enumerate(initial, 1)}
    upserts = {fact_id: row for fact_id, row in changed}  # an id changed twice: the last
    deleted_ids = sorted(set(deleted) - set(upserts))
    final = {**{k: v for k, v in facts.items() if k not in deleted_ids}, **upserts}

    def table(rows):
        return facts_with_ids((n, e, t, p, v, c) for n, (e, t, p, c, v) in sorted(rows.items()))

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "analytics.duckdb"
        store_refresh_full(path, PROPERTY_CATALOGUE, table(facts))
        stats = store_refresh_incremental(path, PROPERTY_CATALOGUE, upserts=table(upserts),
                                          deleted_ids=deleted_ids)
        assert stats.mode == "incremental"
        assert stats.facts == len(final)
        assert _store_rows(path) == _memory_rows(table(final))


@settings(max_examples=4, deadline=None)
@given(initial=st.lists(fact_rows, min_size=1, max_size=25))
def test_a_full_refresh_is_deterministic(initial):
    table = facts_with_ids((n, e, t, p, v, c) for n, (e, t, p, c, v) in enumerate(initial, 1))
    with tempfile.TemporaryDirectory() as directory:
        first, second = Path(directory) / "a.duckdb", Path(directory) / "b.duckdb"
        store_refresh_full(first, PROPERTY_CATALOGUE, table)
        store_refresh_full(second, PROPERTY_CATALOGUE, table)
        assert _store_rows(first) == _store_rows(second)
