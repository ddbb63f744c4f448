"""The analytics store (store.py): refreshes, reads, sources, locking. Stores live under
`tmp_path`; expected figures are worked out by hand in the comments."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from minka.analytics.engine import store_files as store_module
from minka.analytics.engine.catalogue_json import catalogue_from_json, catalogue_to_json
from minka.analytics.engine.dimensions import CatalogueError
from minka.analytics.engine.model import (
    POPULATION_WEIGHT,
    RESULT_COLUMNS,
    IndicatorSpec,
    Polarity,
    Target,
    TerritoryNode,
)
from minka.analytics.engine.pipeline import results_table
from minka.analytics.engine.store import (
    StoreBusy,
    StoreMissing,
    store_exists,
    store_refresh_full,
    store_refresh_incremental,
    store_refresh_indicators,
    store_results,
    store_sources,
)
from minka.analytics.engine.tests.cases import (
    AVERAGE,
    MONTHLY,
    NONE,
    catalogue,
    element,
    facts,
    facts_with_ids,
)

RATIO = IndicatorSpec("R", "100 * #{N} / #{D}", MONTHLY, polarity=Polarity.HIGHER_IS_BETTER)


def ratio_catalogue(**kwargs):
    return catalogue([element("N", options=("F", "M")), element("D", options=("F", "M"))],
                     [RATIO], **kwargs)


FACTS = facts(
    ("N", 11, "202301", 1, "F"), ("N", 11, "202301", 2, "M"), ("D", 11, "202301", 10, "F"),
    ("D", 11, "202301", 10, "M"), ("N", 12, "202302", 5, "F"), ("D", 12, "202302", 10, "F"),
)


def all_rows(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT * FROM indicator_result ORDER BY indicator, CAST(period AS VARCHAR), "
            "territory_id, CAST(breakdown AS VARCHAR)"
        ).fetchall()
    finally:
        con.close()


def memory_rows(cat, table) -> list[tuple]:
    rows = results_table(cat, table).to_pylist()
    rows.sort(key=lambda r: (r["indicator"], r["period"], r["territory_id"], r["breakdown"]))
    return [tuple(r.values()) for r in rows]


def test_a_full_refresh_writes_a_store_that_answers_queries(tmp_path):
    path = tmp_path / "analytics.duckdb"
    assert not store_exists(path)
    stats = store_refresh_full(path, ratio_catalogue(), FACTS)
    assert store_exists(path)
    assert (stats.facts, stats.mode, stats.indicators) == (6, "full", ("R",))
    assert stats.results == len(all_rows(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analytics.duckdb",
                                                          "analytics.duckdb.lock"]
    rows = store_results(path, indicator="R", territory_ids=[10, 11], periods=["202301", "2023"])
    assert all(set(r) == set(RESULT_COLUMNS) for r in rows)
    # 11 in January: 100 x 3 / 20 = 15 %; region 10 in 2023: 100 x (3 + 5) / (20 + 10).
    found = {(r["territory_id"], r["period"]): r["value"] for r in rows}
    assert found == {(10, "2023"): pytest.approx(800 / 30), (10, "202301"): 15,
                     (11, "2023"): 15, (11, "202301"): 15}
    female = store_results(path, indicator="R", territory_ids=[11], periods=["202301"],
                           breakdown="F")
    assert [r["value"] for r in female] == [10]  # 100 x 1 / 10
    assert store_results(path, indicator="R", territory_ids=[], periods=["2023"]) == []


def test_sources_are_the_facts_behind_a_figure(tmp_path):
    path = tmp_path / "analytics.duckdb"
    store_refresh_full(path, ratio_catalogue(), FACTS)
    # Region 10 in Q1, total: every N and D fact of 11 and 12 in January-March.
    assert store_sources(path, indicator="R", territory_id=10, period="2023Q1") == [
        1, 2, 3, 4, 5, 6]
    # Breakdown F: only the combinations holding F.
    assert store_sources(path, indicator="R", territory_id=10, period="2023Q1",
                         breakdown="F") == [1, 3, 5, 6]
    # One district and month.
    assert store_sources(path, indicator="R", territory_id=12, period="202301") == []
    assert store_sources(path, indicator="unknown", territory_id=12, period="202301") == []


def test_sources_follow_offsets_weights_none_and_successors(tmp_path):
    territories = (
        TerritoryNode(1, None, "country"), TerritoryNode(10, 1, "province"),
        TerritoryNode(11, 10, "district", valid_to=date(2022, 12, 31), successor_ids=(12,)),
        TerritoryNode(12, 10, "district", valid_from=date(2023, 1, 1)),
    )
    cat = catalogue(
        [element("W"), element("A", AVERAGE, weight="W"), element("X", NONE),
         element("S")],
        [IndicatorSpec("A", "#{A}", MONTHLY), IndicatorSpec("X", "#{X}", MONTHLY),
         IndicatorSpec("G", "#{S} - #{S}[-1]", MONTHLY)],
        territories=territories,
    )
    path = tmp_path / "analytics.duckdb"
    store_refresh_full(path, cat, facts(
        ("A", 12, "202301", 5), ("W", 12, "202301", 2),       # 1, 2
        ("X", 10, "202301", 7), ("X", 12, "202301", 8),        # 3, 4
        ("S", 12, "202301", 1), ("S", 12, "202302", 2),        # 5, 6
    ))
    # The average's figure comes from its facts and its weight's.
    assert store_sources(path, indicator="A", territory_id=10, period="202301") == [1, 2]
    # NONE: only what was recorded at the territory itself.
    assert store_sources(path, indicator="X", territory_id=10, period="202301") == [3]
    # February's change reads February and January.
    assert store_sources(path, indicator="G", territory_id=12, period="202302") == [5, 6]
    # The retired 11 in 2023 is continued by 12: 12's facts.
    assert store_sources(path, indicator="G", territory_id=11, period="202302") == [5, 6]


def test_an_incremental_refresh_gives_what_a_full_refresh_gives(tmp_path):
    path = tmp_path / "analytics.duckdb"
    cat = ratio_catalogue(targets=(Target("R", 11, "2023", 20.0),))
    store_refresh_full(path, cat, FACTS)
    changes = facts_with_ids([(2, "N", 11, "202301", 4, "M"),       # changed: 2 -> 4
                              (7, "N", 13, "202303", 1, "F"),       # new district-month
                              (8, "D", 13, "202303", 4, "F")])
    stats = store_refresh_incremental(path, cat, upserts=changes, deleted_ids=[5])
    assert (stats.mode, stats.note, stats.facts, stats.indicators) == (
        "incremental", "", 7, ("R",))
    assert stats.results > 0
    final = facts_with_ids([(1, "N", 11, "202301", 1, "F"), (2, "N", 11, "202301", 4, "M"),
                            (3, "D", 11, "202301", 10, "F"), (4, "D", 11, "202301", 10, "M"),
                            (6, "D", 12, "202302", 10, "F"), (7, "N", 13, "202303", 1, "F"),
                            (8, "D", 13, "202303", 4, "F")])
    assert all_rows(path) == memory_rows(cat, final)
    # 11 in January now: 100 x (1 + 4) / 20 = 25 %.
    [row] = store_results(path, indicator="R", territory_ids=[11], periods=["202301"])
    assert row["value"] == 25


def test_an_incremental_refresh_without_a_store_or_with_another_catalogue_is_full(tmp_path):
    path = tmp_path / "analytics.duckdb"
    first = store_refresh_incremental(path, ratio_catalogue(), upserts=FACTS, deleted_ids=[])
    assert (first.mode, first.note, first.facts) == ("full", "no store yet", 6)
    changed = ratio_catalogue(constants={"UNUSED": 1.0})
    second = store_refresh_incremental(path, changed, upserts=facts(first_id=100),
                                       deleted_ids=[6])
    assert (second.mode, second.note, second.facts) == ("full", "the catalogue changed", 5)
    assert all_rows(path) == memory_rows(changed, FACTS.slice(0, 5))


def test_an_incremental_refresh_the_store_cannot_hold_is_done_in_full(tmp_path):
    path = tmp_path / "analytics.duckdb"
    cat = ratio_catalogue()
    store_refresh_full(path, cat, FACTS)
    # The store's types hold the periods up to ten years after the last fact (2033) and
    # the element codes seen; 2040 and an unknown code need a new store.
    later = store_refresh_incremental(path, cat, upserts=facts(("N", 11, "204001", 1),
                                                               first_id=20), deleted_ids=[])
    assert (later.mode, later.facts) == ("full", 7)
    assert "cannot hold" in later.note
    unknown = store_refresh_incremental(path, cat, upserts=facts(("X", 11, "202301", 1),
                                                                 first_id=21), deleted_ids=[])
    assert (unknown.mode, unknown.facts) == ("full", 8)
    # Both facts are kept (a later catalogue may use them) and the next change is
    # incremental again.
    again = store_refresh_incremental(path, cat, upserts=facts(("N", 11, "202302", 2),
                                                               first_id=22), deleted_ids=[])
    assert (again.mode, again.facts) == ("incremental", 9)
    assert all_rows(path) == memory_rows(cat, facts_with_ids([
        (1, "N", 11, "202301", 1, "F"), (2, "N", 11, "202301", 2, "M"),
        (3, "D", 11, "202301", 10, "F"), (4, "D", 11, "202301", 10, "M"),
        (5, "N", 12, "202302", 5, "F"), (6, "D", 12, "202302", 10, "F"),
        (20, "N", 11, "204001", 1), (21, "X", 11, "202301", 1), (22, "N", 11, "202302", 2)]))


def test_an_incremental_refresh_that_touches_no_indicator_only_stores_the_facts(tmp_path):
    path = tmp_path / "analytics.duckdb"
    cat = catalogue([element("N"), element("D"), element("OTHER")], [RATIO])
    store_refresh_full(path, cat, FACTS)
    before = all_rows(path)
    stats = store_refresh_incremental(path, cat, upserts=facts(("OTHER", 11, "202301", 1),
                                                               first_id=50), deleted_ids=[])
    assert (stats.facts, stats.results, stats.indicators) == (7, 0, ())
    assert all_rows(path) == before


def test_refreshing_indicators_recomputes_their_rows_from_the_stored_facts(tmp_path):
    path = tmp_path / "analytics.duckdb"
    store_refresh_full(path, ratio_catalogue(), FACTS)
    per_mille = replace(RATIO, formula="1000 * #{N} / #{D}")
    cat = ratio_catalogue()
    cat = replace(cat, indicators=(per_mille, IndicatorSpec("NEW", "#{D}", MONTHLY)),
                  targets=(Target("R", 11, "2023", 1.0),))
    # R's formula changed: only its rows are recomputed.
    changed = replace(cat, indicators=(per_mille,))
    stats = store_refresh_indicators(path, changed, ["R"])
    assert (stats.mode, stats.indicators) == ("indicators", ("R",))
    assert all_rows(path) == memory_rows(changed, FACTS)
    # NEW is a code the store's indicator type cannot hold: the store is rebuilt.
    stats = store_refresh_indicators(path, cat, ["NEW"])
    assert (stats.mode, stats.indicators) == ("full", ("NEW", "R"))
    assert "new indicator" in stats.note
    assert all_rows(path) == memory_rows(cat, FACTS)
    # An indicator dropped from the catalogue loses its rows.
    without = replace(cat, indicators=(per_mille,))
    assert store_refresh_indicators(path, without, ["NEW"]).mode == "indicators"
    assert {r[0] for r in all_rows(path)} == {"R"}
    # Anything else changed: a full refresh from the stored facts.
    moved = replace(without, constants={"K": 1.0})
    assert store_refresh_indicators(path, moved, ["R"]).mode == "full"
    with pytest.raises(StoreMissing):
        store_refresh_indicators(tmp_path / "none.duckdb", cat, ["R"])


_HOLD = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_reader_waits_for_a_writer_then_gives_up_with_store_busy(tmp_path, monkeypatch):
    path = tmp_path / "analytics.duckdb"
    store_refresh_full(path, ratio_catalogue(), FACTS)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(path), "1.2"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(store_module, "OPEN_TIMEOUT_SECONDS", 0.3)
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="busy"):
            store_results(path, indicator="R", territory_ids=[11], periods=["202301"])
        assert time.monotonic() - started >= 0.3
        # With the usual patience the reader gets in once the writer is done.
        monkeypatch.setattr(store_module, "OPEN_TIMEOUT_SECONDS", 10.0)
        rows = store_results(path, indicator="R", territory_ids=[11], periods=["202301"])
        assert [r["value"] for r in rows] == [15]
    finally:
        holder.wait(timeout=10)


def test_the_catalogue_round_trips_through_json():
    cat = ratio_catalogue(
        targets=(Target("R", 11, "2023", 20.0),), constants={"K": 2.5},
        population=((11, 2023, 100.0),),
    )
    cat = replace(cat, elements=(*cat.elements, element("A", AVERAGE,
                                                        weight=POPULATION_WEIGHT)))
    text = catalogue_to_json(cat)
    back = catalogue_from_json(text)
    assert catalogue_to_json(back) == text
    assert set(back.elements) == set(cat.elements)
    assert (back.targets, back.constants, back.population) == (
        cat.targets, cat.constants, cat.population)
    # Order does not matter; content does.
    assert catalogue_to_json(replace(cat, elements=cat.elements[::-1])) == text
    assert catalogue_to_json(replace(cat, targets=())) != text


def test_a_catalogue_the_engine_cannot_compute_is_refused_before_anything_is_written(
        tmp_path):
    path = tmp_path / "analytics.duckdb"
    broken = replace(ratio_catalogue(), indicators=(replace(RATIO, formula="#{N} /"),))
    with pytest.raises(CatalogueError, match="indicator R"):
        store_refresh_full(path, broken, FACTS)
    cycle = catalogue([element("A", AVERAGE, weight="B"), element("B", AVERAGE, weight="A")])
    with pytest.raises(CatalogueError, match="cycle"):
        store_refresh_full(path, cycle, FACTS)
    assert not store_exists(path)


def test_the_engine_imports_nothing_from_django():
    engine = Path(store_module.__file__).parent
    for source in engine.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+django\b", text, re.MULTILINE), source
