"""Properties of the analytics engine, checked on random trees and facts (hypothesis).

- For SUM and LAST elements with facts only on leaves, every parent's figure is the sum of
  its children's, and every figure is the hand-computed sum of the facts beneath it; an
  unweighted AVERAGE is the plain mean of the leaves below that recorded a value.
- An incremental refresh after random upserts and deletions leaves exactly the rows a full
  refresh on the final facts gives (every row of `indicator_result` compared).
- A full refresh is deterministic: the same facts, in any order, give identical rows.

Each example runs real refreshes (about a quarter of a second each), so the example counts
are modest. No database: stores live in a temporary directory per example.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minka.analytics.engine.model import (
    POPULATION_WEIGHT,
    RESULT_COLUMNS,
    Aggregation,
    Catalogue,
    ElementSpec,
    IndicatorSpec,
    Polarity,
    Target,
    TerritoryNode,
)
from minka.analytics.engine.periods import PeriodType, period_parent, period_parse
from minka.analytics.engine.store import (
    store_refresh_full,
    store_refresh_incremental,
    store_refresh_indicators,
)

MONTHLY = PeriodType.MONTHLY
COARSER = (PeriodType.QUARTERLY, PeriodType.SIXMONTHLY, PeriodType.YEARLY)
OPTIONS = frozenset({"F", "M", "R", "U"})
SUM_COMBINATIONS = ("", "F", "M", "F|R", "F|U", "M|R", "M|U", "R")
AVERAGE_COMBINATIONS = ("", "F", "M")

# A refresh takes about a quarter of a second, so the default example counts are small
# enough to keep both engine test files near 20 s in all; set MINKA_ENGINE_EXAMPLES=10 (a
# multiplier) for a thorough run.
SCALE = max(1, int(os.environ.get("MINKA_ENGINE_EXAMPLES", "1")))


def examples(count: int) -> settings:
    return settings(max_examples=count * SCALE, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def store_path() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory) / "analytics.duckdb"


def facts_table(rows: list[tuple[int, str, int, str, str, float]]) -> pa.Table:
    """(id, element, territory, period, combination, value) rows as FACT_COLUMNS."""
    return pa.table({
        "id": pa.array([r[0] for r in rows], pa.int64()),
        "element": pa.array([r[1] for r in rows], pa.string()),
        "territory_id": pa.array([r[2] for r in rows], pa.int64()),
        "period": pa.array([r[3] for r in rows], pa.string()),
        "combination": pa.array([r[4] for r in rows], pa.string()),
        "value": pa.array([r[5] for r in rows], pa.float64()),
    })


def stored_rows(path: Path) -> list[tuple[Any, ...]]:
    """Every row of `indicator_result`, sorted (NULLs first, so any two rows compare)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = ", ".join(RESULT_COLUMNS)
        return con.execute(
            f"SELECT {columns} FROM indicator_result ORDER BY ALL NULLS FIRST").fetchall()
    finally:
        con.close()


def keyed_rows(path: Path) -> dict[tuple[str, int, str, str], dict[str, Any]]:
    names = list(RESULT_COLUMNS)
    return {(r[0], r[1], r[2], r[4]): dict(zip(names, r, strict=True))
            for r in stored_rows(path)}


# --- Parents are the sums of their children ----------------------------------------------


MONTHS = ("202211", "202301", "202302", "202304", "202312")


@st.composite
def trees(draw: st.DrawFn) -> dict[int, int | None]:
    """{territory: parent}: territory 1 is the root, each later one hangs below an earlier."""
    size = draw(st.integers(2, 9))
    parents: dict[int, int | None] = {1: None}
    for node in range(2, size + 1):
        parents[node] = draw(st.integers(1, node - 1))
    return parents


@st.composite
def leaf_facts(draw: st.DrawFn, parents: dict[int, int | None]
               ) -> list[tuple[int, str, int, str, str, float]]:
    leaves = sorted(set(parents) - {p for p in parents.values() if p is not None})
    keys = draw(st.lists(
        st.one_of(
            st.tuples(st.sampled_from(["S", "L"]), st.sampled_from(leaves),
                      st.sampled_from(MONTHS), st.sampled_from(SUM_COMBINATIONS)),
            st.tuples(st.just("A"), st.sampled_from(leaves), st.sampled_from(MONTHS),
                      st.sampled_from(AVERAGE_COMBINATIONS)),
        ),
        max_size=24, unique=True))
    values = draw(st.lists(st.integers(0, 1000), min_size=len(keys), max_size=len(keys)))
    return [(n, *key, float(value)) for n, (key, value) in enumerate(zip(keys, values,
                                                                          strict=True), 1)]


def _periods_of(month: str) -> list[str]:
    period = period_parse(month)
    return [month, *(p.id for t in COARSER if (p := period_parent(period, t)) is not None)]


def _counts_for(element: str, combination: str, breakdown: str) -> bool:
    """Whether a fact of this combination counts in `breakdown` (model.py's rules)."""
    if element == "A":  # averages: "" for the total, the one-option combination "O" for O
        return combination == breakdown
    return breakdown == "" or breakdown in combination.split("|")


def expected_figures(parents: dict[int, int | None],
                     facts: list[tuple[int, str, int, str, str, float]]
                     ) -> dict[tuple[str, int, str, str], float]:
    """The figures computed by hand: {(element, territory, period, breakdown): value}."""
    ancestors: dict[int, list[int]] = {}
    for node in parents:
        chain, current = [], node
        while current is not None:
            chain.append(current)
            current = parents[current]
        ancestors[node] = chain
    breakdowns = ("", *sorted(OPTIONS))
    # Per leaf, month and breakdown: the sum of its facts there.
    leaf_month: dict[tuple[str, int, str, str], float] = defaultdict(float)
    for _, element, territory, month, combination, value in facts:
        for breakdown in breakdowns:
            if _counts_for(element, combination, breakdown):
                leaf_month[(element, territory, month, breakdown)] += value
    figures: dict[tuple[str, int, str, str], float] = {}
    # SUM: every fact beneath, in every sub-period.
    for (element, leaf, month, breakdown), value in leaf_month.items():
        if element != "S":
            continue
        for node in ancestors[leaf]:
            for period in _periods_of(month):
                key = ("S", node, period, breakdown)
                figures[key] = figures.get(key, 0.0) + value
    # LAST: per leaf the value of its latest month with one in the period, then summed.
    latest: dict[tuple[int, str, str], str] = {}
    for (element, leaf, month, breakdown) in leaf_month:
        if element == "L":
            for period in _periods_of(month):
                if latest.get((leaf, period, breakdown), "") < month:
                    latest[(leaf, period, breakdown)] = month
    for (leaf, period, breakdown), month in latest.items():
        for node in ancestors[leaf]:
            key = ("L", node, period, breakdown)
            figures[key] = figures.get(key, 0.0) + leaf_month[("L", leaf, month, breakdown)]
    # AVERAGE (unweighted): in space the mean of the leaves below with a value, in time the
    # mean of the months with a value.
    in_space: dict[tuple[int, str, str], list[float]] = defaultdict(list)
    for (element, leaf, month, breakdown), value in leaf_month.items():
        if element == "A":
            for node in ancestors[leaf]:
                in_space[(node, month, breakdown)].append(value)
    in_time: dict[tuple[int, str, str], list[float]] = defaultdict(list)
    for (node, month, breakdown), values in in_space.items():
        for period in _periods_of(month):
            in_time[(node, period, breakdown)].append(sum(values) / len(values))
    for (node, period, breakdown), means in in_time.items():
        figures[("A", node, period, breakdown)] = sum(means) / len(means)
    return figures


def _tree_catalogue(parents: dict[int, int | None]) -> Catalogue:
    elements = (
        ElementSpec("S", Aggregation.SUM, MONTHLY, OPTIONS),
        ElementSpec("L", Aggregation.LAST, MONTHLY, OPTIONS),
        ElementSpec("A", Aggregation.AVERAGE, MONTHLY, OPTIONS),
    )
    return Catalogue(
        elements=elements,
        indicators=tuple(IndicatorSpec(e.code, f"#{{{e.code}}}", MONTHLY) for e in elements),
        territories=tuple(TerritoryNode(t, p, "level") for t, p in parents.items()),
    )


@examples(12)
@given(st.data())
def test_parents_are_the_sums_of_their_children_and_figures_match_the_facts(data):
    parents = data.draw(trees())
    facts = data.draw(leaf_facts(parents))

    with store_path() as path:
        store_refresh_full(path, _tree_catalogue(parents), facts_table(facts))
        rows = keyed_rows(path)

    got = {key: row["value"] for key, row in rows.items()}
    expected = expected_figures(parents, facts)
    # Exactly the figures with facts beneath them, none for the others (missing is not 0).
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key
    # The property as the issue states it, read from the engine's own rows.
    children: dict[int, list[int]] = defaultdict(list)
    for node, parent in parents.items():
        if parent is not None:
            children[parent].append(node)
    for (element, node, period, breakdown), value in got.items():
        if element == "A" or node not in children:
            continue
        below = [got[(element, c, period, breakdown)] for c in children[node]
                 if (element, c, period, breakdown) in got]
        assert below, "a parent has a figure only if some child has one"
        assert value == sum(below)  # integers: exact
        assert rows[(element, node, period, breakdown)]["reported_children"] == len(below)
        assert rows[(element, node, period, breakdown)]["expected_children"] == len(
            children[node])


# --- An incremental refresh equals a full one --------------------------------------------


ROOT, P10, P20 = 1, 10, 20
D101, D102, D103, D201, D202 = 101, 102, 103, 201, 202
DISTRICTS = (D101, D102, D103, D201, D202)
RICH_MONTHS = ("202201", "202206", "202212", "202301", "202302", "202303", "202306",
               "202307", "202309", "202312", "202401")
YEARS = ("2022", "2023", "2024")

RICH = Catalogue(
    elements=(
        ElementSpec("NUM", Aggregation.SUM, MONTHLY, frozenset({"F", "M"})),
        ElementSpec("DEN", Aggregation.SUM, MONTHLY, frozenset({"F", "M"})),
        ElementSpec("PREV", Aggregation.AVERAGE, MONTHLY, frozenset({"F", "M"}),
                    weight=POPULATION_WEIGHT),
        ElementSpec("PREVW", Aggregation.AVERAGE, MONTHLY, weight="DEN"),
        ElementSpec("PREVY", Aggregation.AVERAGE, MONTHLY, weight="POPY"),
        ElementSpec("POPY", Aggregation.SUM, PeriodType.YEARLY),
        ElementSpec("STOCK", Aggregation.LAST, MONTHLY),
        ElementSpec("NOTE", Aggregation.NONE, MONTHLY),
    ),
    indicators=(
        IndicatorSpec("RATE", "100 * #{NUM} / #{DEN}", MONTHLY,
                      polarity=Polarity.LOWER_IS_BETTER, base_year=2022),
        IndicatorSpec("RATE_Q", "#{NUM} / #{DEN}", PeriodType.QUARTERLY),
        IndicatorSpec("CHANGE", "#{NUM} - #{NUM}[-1]", MONTHLY),
        IndicatorSpec("SHARE", "100 * #{NUM.F} / #{NUM}", MONTHLY),
        IndicatorSpec("GUARD", "if(#{DEN} > 0, #{NUM} / #{DEN}, 0)", MONTHLY),
        IndicatorSpec("PREV_I", "#{PREV}", MONTHLY, base_year=2023),
        IndicatorSpec("PREVW_I", "#{PREVW}", MONTHLY),
        IndicatorSpec("PREVY_I", "#{PREVY} + C{K}", MONTHLY),
        IndicatorSpec("STOCK_I", "#{STOCK}", MONTHLY),
        IndicatorSpec("NOTE_I", "#{NOTE}", MONTHLY),
    ),
    territories=(
        TerritoryNode(ROOT, None, "country"),
        TerritoryNode(P10, ROOT, "province"),
        TerritoryNode(P20, ROOT, "province"),
        TerritoryNode(D101, P10, "district"),
        TerritoryNode(D102, P10, "district"),
        # 103 moved to P20 as 202 in mid-2023.
        TerritoryNode(D103, P10, "district", valid_to=date(2023, 6, 30),
                      successor_ids=(D202,)),
        TerritoryNode(D201, P20, "district"),
        TerritoryNode(D202, P20, "district", valid_from=date(2023, 7, 1)),
    ),
    constants={"K": 1.0},
    targets=(
        Target("RATE", D101, "2024", 10.0),
        Target("RATE", P10, "2023Q4", 20.0),
        Target("PREV_I", ROOT, "2023", 30.0),
    ),
    population=((D101, 2022, 100.0), (D102, 2022, 300.0), (D103, 2023, 50.0),
                (D201, 2022, 200.0), (D202, 2024, 80.0)),
)

_KEYS = st.one_of(
    st.tuples(st.sampled_from(["NUM", "DEN"]), st.sampled_from((*DISTRICTS, P10)),
              st.sampled_from(RICH_MONTHS), st.sampled_from(["", "F", "M", "F|M"])),
    st.tuples(st.just("PREV"), st.sampled_from(DISTRICTS), st.sampled_from(RICH_MONTHS),
              st.sampled_from(["", "F", "M"])),
    st.tuples(st.sampled_from(["PREVW", "PREVY", "STOCK", "NOTE"]),
              st.sampled_from(DISTRICTS), st.sampled_from(RICH_MONTHS), st.just("")),
    st.tuples(st.just("POPY"), st.sampled_from(DISTRICTS), st.sampled_from(YEARS),
              st.just("")),
)
_VALUES = st.integers(0, 40).map(float)


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[tuple, tuple[int, float]],
                                        dict[tuple, tuple[int, float]]]:
    """(before, after): {key: (id, value)} facts before and after a batch of changes.

    A key is (element, territory, period, combination); a changed value keeps its id
    (an upsert of the same data value), a new key gets a new id, a dropped key is deleted.
    """
    keys = draw(st.lists(_KEYS, max_size=30, unique=True))
    before: dict[tuple, tuple[int, float]] = {}
    after: dict[tuple, tuple[int, float]] = {}
    for n, key in enumerate(keys, 1):
        fate = draw(st.sampled_from(["keep", "change", "delete", "add"]))
        value = draw(_VALUES)
        if fate != "add":
            before[key] = (n, value)
        if fate == "keep":
            after[key] = (n, value)
        elif fate in ("change", "add"):
            after[key] = (n, draw(_VALUES))
    return before, after


def _rows(facts: dict[tuple, tuple[int, float]]) -> list[tuple[int, str, int, str, str, float]]:
    return [(n, key[0], key[1], key[2], key[3], value) for key, (n, value) in facts.items()]


@examples(6)
@given(histories(), st.randoms(use_true_random=False))
def test_an_incremental_refresh_leaves_the_rows_of_a_full_refresh(history, random):
    before, after = history
    upserts = {k: v for k, v in after.items() if before.get(k) != v}
    deleted = sorted(n for k, (n, _) in before.items() if k not in after)

    final = _rows(after)
    random.shuffle(final)  # the order of the facts must not matter either

    with store_path() as incremental, store_path() as full, ThreadPoolExecutor(1) as pool:
        # Two stores, two writers: the full refresh runs beside the other two (DuckDB
        # releases the GIL), which keeps the example count affordable.
        full_done = pool.submit(store_refresh_full, full, RICH, facts_table(final))
        store_refresh_full(incremental, RICH, facts_table(_rows(before)))
        stats = store_refresh_incremental(incremental, RICH,
                                          upserts=facts_table(_rows(upserts)),
                                          deleted_ids=deleted)
        full_done.result()

        assert stats.mode == "incremental"
        assert stats.facts == len(after)
        assert stored_rows(incremental) == stored_rows(full)


# --- A full refresh is deterministic -----------------------------------------------------


@examples(2)
@given(histories(), st.randoms(use_true_random=False))
def test_the_same_facts_in_any_order_give_identical_rows(history, random):
    rows = _rows(history[1])
    shuffled = list(rows)
    random.shuffle(shuffled)

    with store_path() as first, store_path() as second, ThreadPoolExecutor(1) as pool:
        first_done = pool.submit(store_refresh_full, first, RICH, facts_table(rows))
        store_refresh_full(second, RICH, facts_table(shuffled))
        first_done.result()
        assert stored_rows(first) == stored_rows(second)


# --- A per-indicator refresh equals a full one -------------------------------------------


def test_an_indicators_refresh_after_new_targets_leaves_the_rows_of_a_full_refresh():
    facts = [
        (1, "NUM", D101, "202301", "F", 3.0), (2, "DEN", D101, "202301", "F", 6.0),
        (3, "NUM", D101, "202302", "", 4.0), (4, "DEN", D101, "202302", "", 5.0),
        (5, "NUM", D101, "202303", "", 5.0), (6, "DEN", D101, "202303", "", 5.0),
        (7, "NUM", D102, "202303", "M", 1.0), (8, "DEN", D102, "202303", "M", 2.0),
        (9, "PREV", D201, "202307", "", 12.0),
    ]
    changed = Catalogue(**{
        **{f: getattr(RICH, f) for f in ("elements", "indicators", "territories",
                                         "constants", "population")},
        "targets": (Target("RATE", D101, "2024", 60.0), Target("RATE", D102, "2023Q1", 40.0),
                    Target("PREV_I", ROOT, "2023", 30.0)),
    })

    with store_path() as refreshed, store_path() as full:
        store_refresh_full(refreshed, RICH, facts_table(facts))
        before = stored_rows(refreshed)
        stats = store_refresh_indicators(refreshed, changed, ["RATE"])
        store_refresh_full(full, changed, facts_table(facts))

        assert stats.mode == "indicators"
        assert stored_rows(refreshed) == stored_rows(full)
        assert stored_rows(full) != before  # the new targets show
        # RATE for 101 in 202303: 100 × 5 / 5 = 100; slope through 202301 … 202303:
        # (50, 80, 100) → (3 × (−2 × 50 − 80) + 3 × 230) / 6 = 25 per month; the target
        # ends in 202412, 21 months on: 100 + 25 × 21 = 625 > 60, lower is better: off track.
        row = keyed_rows(full)[("RATE", D101, "202303", "")]
        assert row["trend_slope"] == pytest.approx(25.0)
        assert row["forecast"] == pytest.approx(625.0)
        assert (row["target"], row["status"]) == (60.0, "off_track")
