"""The analytics store: one DuckDB file with the engine's facts, catalogue and results.

Tables:
- `fact` (FACT_COLUMNS; element, period and combination are ENUM types, read as text):
  the engine's own copy of the facts, so an incremental refresh needs only what changed
  and every figure can be traced to its data values (`store_sources`);
- `indicator_result` (RESULT_COLUMNS; the text columns are ENUM types, read as text):
  every figure, clustered by indicator and period so that a page's query reads a few
  blocks (`store_results`);
- `store_meta` (key, value): the format version and the catalogue as canonical JSON.

Refreshes (all serialised by the writer lock, see `store_files`):
- full: computes into a new file beside the store and swaps it in with `os.replace`, so
  readers see the old store or the new one, never half of one;
- incremental and per-indicator: change the store in one transaction; when they cannot
  (no store, another catalogue, a code or a period beyond what the store's types hold —
  ten years past the last fact) they fall back to a full refresh from the stored facts and
  the changes, and say why in `RefreshStats.note`.

Reading is in `store_queries` (re-exported here).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa

from minka.analytics.engine.catalogue_json import catalogue_from_json, catalogue_to_json
from minka.analytics.engine.dimensions import arrow_table, catalogue_check, sql_run
from minka.analytics.engine.incremental import StoreCapacity, incremental_refresh
from minka.analytics.engine.model import Catalogue
from minka.analytics.engine.pipeline import (
    FACTS_SCHEMA,
    dimensions_prepare,
    fact_table_create,
    facts_select,
    result_dictionaries,
    result_table_sql,
    result_types_create,
    results_compute,
)
from minka.analytics.engine.store_files import (
    StoreBusy,
    StoreMissing,
    meta_write,
    store_configure,
    store_connect,
    stored_catalogue_json,
    writer_lock,
)
from minka.analytics.engine.store_queries import store_results, store_sources

__all__ = [
    "RefreshStats",
    "StoreBusy",
    "StoreMissing",
    "store_exists",
    "store_refresh_full",
    "store_refresh_incremental",
    "store_refresh_indicators",
    "store_results",
    "store_sources",
]


@dataclass(frozen=True)
class RefreshStats:
    """What a refresh did.

    `facts`: facts in the store afterwards; `results`: result rows written (full: all of
    them; incremental: rows added, changed or removed; per indicator: rows removed and
    written); `indicators`: the indicators recomputed; `mode`: "full", "incremental" or
    "indicators"; `note`: why an incremental or per-indicator refresh was done in full
    ("" if it was not); `ignored_facts` (full refreshes): facts that count nowhere (unknown
    element or territory, or a period not of the element's type).
    """

    facts: int
    results: int
    seconds: float
    indicators: tuple[str, ...]
    mode: str = "full"
    note: str = ""
    ignored_facts: int = 0


def store_exists(path: Path) -> bool:
    return Path(path).is_file()


# --- Full refresh -------------------------------------------------------------------------


def store_refresh_full(path: Path, catalogue: Catalogue, facts: pa.Table) -> RefreshStats:
    """Recompute everything from `facts` (FACT_COLUMNS; ids unique) into a new store file.

    The file is written beside `path` and swapped in with `os.replace` once complete.
    """
    path = Path(path)
    catalogue_check(catalogue)
    with writer_lock(path):
        return _full_refresh(path, catalogue, lambda con: _facts_load(con, facts))


def _facts_load(con: duckdb.DuckDBPyConnection, facts: pa.Table) -> None:
    """`fact_staging`: the caller's facts, read in place (a view over the Arrow table)."""
    con.register("facts_input", facts)
    sql_run(con, f"CREATE TEMP VIEW fact_staging AS {facts_select('facts_input')}")


def _full_refresh(path: Path, catalogue: Catalogue,
                  load: Callable[[duckdb.DuckDBPyConnection], None], *, note: str = ""
                  ) -> RefreshStats:
    started = time.perf_counter()
    temporary = path.with_name(f"{path.name}.refresh-{os.getpid()}")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(temporary))
    try:
        store_configure(con, path)
        load(con)
        dims = dimensions_prepare(con, catalogue, facts="fact_staging")
        fact_table_create(con, dims, staging="fact_staging")
        codes = sorted(dims.indicators)
        result_types_create(con, dims)
        con.execute(result_table_sql())
        results = results_compute(con, dims, codes, facts="fact", target="indicator_result",
                                  write_behind=True)
        meta_write(con, catalogue)
        count = sql_run(con, "SELECT count(*) FROM fact").fetchone()
        ignored = _ignored_facts(con)
        sql_run(con, "CHECKPOINT")
    except BaseException:
        con.close()
        temporary.unlink(missing_ok=True)
        raise
    con.close()
    # A write-ahead log left by a crashed writer of the old file must not be replayed onto
    # the new one.
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    os.replace(temporary, path)
    return RefreshStats(
        facts=int(count[0]) if count else 0, results=results,
        seconds=time.perf_counter() - started, indicators=tuple(codes), mode="full",
        note=note, ignored_facts=ignored,
    )


def _ignored_facts(con: duckdb.DuckDBPyConnection) -> int:
    """Facts that count nowhere: an (element, period) pair that fits no element's type, or
    a territory outside the tree. Both are checked against small tables of what is valid,
    so the facts are scanned once, not grouped."""
    row = sql_run(con, """
        WITH valid_pair AS (
            SELECT e.fact_code AS element, p.fact_period AS period FROM dim_fact_element e
            JOIN dim_fact_period p ON p.type_rank = e.type_rank)
        SELECT count(*) FROM fact f
        WHERE NOT EXISTS (SELECT 1 FROM valid_pair v
                          WHERE v.element = f.element AND v.period = f.period)
           OR NOT EXISTS (SELECT 1 FROM dim_territory t WHERE t.territory_id = f.territory_id)
        """).fetchone()
    return int(row[0]) if row else 0


def _changes_load(con: duckdb.DuckDBPyConnection, old: Path | None, upserts: pa.Table,
                  deleted: list[int]) -> None:
    """`fact_staging` of a fallback full refresh: the stored facts, then the changes."""
    con.register("upserts_input", upserts)
    sql_run(con, f"CREATE TEMP TABLE upserts AS {facts_select('upserts_input')}")
    con.unregister("upserts_input")
    if old is None:
        sql_run(con, "CREATE TEMP VIEW fact_staging AS SELECT * FROM upserts")
        return
    sql_run(con, f"ATTACH '{old}' AS old_store (READ_ONLY)")
    try:
        arrow_table(con, "deleted_id", pa.table({"id": pa.array(deleted, pa.int64())}))
        sql_run(con, """CREATE TEMP TABLE changed_id AS
            SELECT id FROM deleted_id UNION ALL SELECT id FROM upserts""")
        stored = facts_select("old_store.fact")
        sql_run(con, f"""CREATE TEMP TABLE fact_staging AS
            SELECT * FROM ({stored}) f ANTI JOIN changed_id c ON c.id = f.id
            UNION ALL SELECT * FROM upserts""")
    finally:
        sql_run(con, "DETACH old_store")


# --- Incremental and per-indicator refreshes ----------------------------------------------


def store_refresh_incremental(
    path: Path, catalogue: Catalogue, *, upserts: pa.Table, deleted_ids: Sequence[int]
) -> RefreshStats:
    """Apply changed facts (upserts by id, deletions by id) and recompute what they touch.

    Recomputed (see `incremental.py`): the (indicator, period) slices whose inputs changed
    — the touched periods and every period containing them, for the indicators that read
    the touched elements directly or as a weight, across all territories (so ranks,
    completeness and continued territories follow) — and the derived figures reading them
    (the next four periods, the base-year comparisons). Only rows that differ are written.
    Without a store, or with another catalogue, or with a period the store cannot hold,
    this is a full refresh from the stored facts and the changes (`mode`/`note` say so).
    """
    path = Path(path)
    catalogue_check(catalogue)
    if upserts.num_rows == 0 and not upserts.schema.names:
        upserts = FACTS_SCHEMA.empty_table()
    deleted = sorted({int(i) for i in deleted_ids})

    def full(note: str, old: Path | None) -> RefreshStats:
        return _full_refresh(path, catalogue, lambda c: _changes_load(c, old, upserts,
                                                                       deleted), note=note)

    with writer_lock(path):
        if not path.exists():
            return full("no store yet", None)
        con = store_connect(path, read_only=False)
        try:
            stored = stored_catalogue_json(con)
            if stored != catalogue_to_json(catalogue):
                con.close()
                return full("the catalogue changed" if stored else
                            "the store has another format", path)
            store_configure(con, path)
            started = time.perf_counter()
            sql_run(con, "BEGIN")
            try:
                facts, results, codes = incremental_refresh(con, catalogue, upserts, deleted)
                sql_run(con, "COMMIT")
            except StoreCapacity as reason:
                sql_run(con, "ROLLBACK")
                con.close()
                return full(str(reason), path)
            except BaseException:
                sql_run(con, "ROLLBACK")
                raise
            return RefreshStats(facts=facts, results=results,
                                seconds=time.perf_counter() - started,
                                indicators=tuple(codes), mode="incremental")
        finally:
            con.close()


def store_refresh_indicators(path: Path, catalogue: Catalogue, codes: Sequence[str]
                             ) -> RefreshStats:
    """Recompute the indicators `codes` (their sheet or targets changed) from the stored
    facts; codes no longer in the catalogue lose their rows. A code the store's indicator
    type cannot hold (a new sheet: the column is an ENUM, a quarter cheaper to write than
    text) or anything else changed in the catalogue falls back to a full refresh from the
    stored facts (`note` says why).
    """
    path = Path(path)
    catalogue_check(catalogue)
    chosen = sorted(set(codes))
    present = [c for c in chosen if c in {i.code for i in catalogue.indicators}]

    def full(note: str) -> RefreshStats:
        return _full_refresh(path, catalogue, lambda c: _changes_load(
            c, path, FACTS_SCHEMA.empty_table(), []), note=note)

    with writer_lock(path):
        if not path.exists():
            raise StoreMissing(f"no analytics store at {path}: run a full refresh first")
        con = store_connect(path, read_only=False)
        try:
            stored = stored_catalogue_json(con)
            if stored is None or _without(catalogue_from_json(stored), chosen) != _without(
                    catalogue, chosen):
                con.close()
                return full("more than these indicators changed")
            if set(present) - set(result_dictionaries(con)["indicator"]):
                con.close()
                return full("a new indicator: the store's indicator type cannot hold it")
            store_configure(con, path)
            started = time.perf_counter()
            sql_run(con, "BEGIN")
            try:
                results = _indicators_recompute(con, catalogue, chosen, present)
                meta_write(con, catalogue)
                sql_run(con, "COMMIT")
            except BaseException:
                sql_run(con, "ROLLBACK")
                raise
            facts = sql_run(con, "SELECT count(*) FROM fact").fetchone()
            return RefreshStats(
                facts=int(facts[0]) if facts else 0, results=results,
                seconds=time.perf_counter() - started, indicators=tuple(present),
                mode="indicators",
            )
        finally:
            con.close()


def _without(catalogue: Catalogue, codes: list[str]) -> str:
    """The catalogue's JSON without these indicators and their targets."""
    return catalogue_to_json(replace(
        catalogue,
        indicators=tuple(i for i in catalogue.indicators if i.code not in codes),
        targets=tuple(t for t in catalogue.targets if t.indicator not in codes),
    ))


def _indicators_recompute(con: duckdb.DuckDBPyConnection, catalogue: Catalogue,
                          codes: list[str], present: list[str]) -> int:
    arrow_table(con, "refreshed_indicator", pa.table({"code": pa.array(codes, pa.string())}))
    deleted = sql_run(con, """DELETE FROM indicator_result
        WHERE indicator IN (SELECT code FROM refreshed_indicator)""").fetchone()
    removed = int(deleted[0]) if deleted else 0
    if not present:
        return removed
    # Only the facts of the elements these indicators read (and their weights).
    dims = dimensions_prepare(con, catalogue, facts="fact")
    return removed + results_compute(con, dims, present, facts="fact",
                                     target="indicator_result")
