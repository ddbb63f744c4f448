"""The analytics store: one DuckDB file with the engine's facts, catalogue and results.

Tables:
- `fact` (FACT_COLUMNS): the engine's own copy of the facts, so an incremental refresh needs
  only what changed and every figure can be traced to its data values (`store_sources`);
- `indicator_result` (RESULT_COLUMNS): every figure, sorted by indicator, period type,
  period and territory so that a page's query reads a few blocks;
- `store_meta` (key, value): the format version and the catalogue as canonical JSON.

Concurrency (see docs/adr/0002): DuckDB lets one process write or many read a file. So:
- readers (`store_results`, `store_sources`) open the file read-only, briefly;
- a full refresh writes a new file beside the store and swaps it in with `os.replace`:
  readers see the old store or the new one, never half of one;
- incremental and per-indicator refreshes change the file in one transaction;
- writers also take an exclusive lock on `<store>.lock`, so refreshes never interleave
  (a full refresh must not swap out a file an incremental refresh is changing);
- every open retries on DuckDB's lock error with a short backoff for up to
  `OPEN_TIMEOUT_SECONDS`, then raises `StoreBusy`.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from minka.analytics.engine.catalogue_json import catalogue_from_json, catalogue_to_json
from minka.analytics.engine.dimensions import (
    TYPE_RANK,
    arrow_table,
    catalogue_check,
    continuation_map,
    period_key,
)
from minka.analytics.engine.incremental import incremental_refresh
from minka.analytics.engine.model import RESULT_COLUMNS, Aggregation, Catalogue
from minka.analytics.engine.periods import (
    PeriodError,
    period_children,
    period_offset,
    period_parse,
)
from minka.analytics.engine.pipeline import (
    FACTS_SCHEMA,
    dimensions_prepare,
    facts_select,
    result_table_sql,
    results_compute,
)

FORMAT_VERSION = "1"
OPEN_TIMEOUT_SECONDS = 10.0
WRITER_TIMEOUT_SECONDS = 600.0
MEMORY_LIMIT = os.environ.get("MINKA_ANALYTICS_MEMORY_LIMIT", "3GB")

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


class StoreBusy(RuntimeError):
    """The store stayed locked by another process for longer than we wait."""

    def __init__(self, path: Path, waited: float) -> None:
        super().__init__(
            f"the analytics store {path} is busy (locked by another process for "
            f"{waited:.1f} s); try again shortly"
        )
        self.path = path


class StoreMissing(FileNotFoundError):
    """There is no store yet: a full refresh creates it."""


@dataclass(frozen=True)
class RefreshStats:
    """What a refresh did.

    `facts`: facts in the store afterwards; `results`: result rows written (a full refresh:
    all of them; an incremental one: rows added, changed or removed); `indicators`: the
    indicators recomputed; `mode`: "full", "incremental" or "indicators"; `note`: why an
    incremental or per-indicator refresh fell back to a full one ("" if it did not).
    """

    facts: int
    results: int
    seconds: float
    indicators: tuple[str, ...]
    mode: str = "full"
    note: str = ""
    ignored_facts: int = 0


# --- Opening ------------------------------------------------------------------------------


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return ("Could not set lock" in text or "Conflicting lock" in text
            or "different configuration" in text)


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the store, retrying while another process holds a conflicting lock."""
    started = time.monotonic()
    delay = 0.01
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            waited = time.monotonic() - started
            if not _is_lock_error(error):
                raise
            if waited >= OPEN_TIMEOUT_SECONDS:
                raise StoreBusy(path, waited) from error
            time.sleep(min(delay, OPEN_TIMEOUT_SECONDS - waited))
            delay = min(delay * 2, 0.25)


def _configure(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Use every core, bound memory, and spill beside the store rather than in /tmp."""
    spill = path.with_name(path.name + ".spill")
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{spill}'")


@contextlib.contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    """Serialise refreshes of one store across processes (readers never take it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+") as handle:
        started = time.monotonic()
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as error:
                waited = time.monotonic() - started
                if waited >= WRITER_TIMEOUT_SECONDS:
                    raise StoreBusy(path, waited) from error
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if not path.exists():
        raise StoreMissing(f"no analytics store at {path}: run a full refresh first")
    con = _connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def _stored_catalogue_json(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        rows = dict(con.execute("SELECT key, value FROM store_meta").fetchall())
    except duckdb.CatalogException:
        return None
    if rows.get("format") != FORMAT_VERSION:
        return None
    return rows.get("catalogue")


def _meta_write(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("DELETE FROM store_meta")
    con.execute("INSERT INTO store_meta VALUES ('format', ?), ('catalogue', ?)",
                [FORMAT_VERSION, catalogue_to_json(catalogue)])


def store_exists(path: Path) -> bool:
    return Path(path).is_file()


# --- Full refresh -------------------------------------------------------------------------


def store_refresh_full(path: Path, catalogue: Catalogue, facts: pa.Table) -> RefreshStats:
    """Recompute everything from `facts` (FACT_COLUMNS; ids unique) into a new store file.

    The file is written beside `path` and swapped in with `os.replace` once complete.
    """
    path = Path(path)
    catalogue_check(catalogue)
    with _writer_lock(path):
        return _full_refresh(path, catalogue, lambda con: _facts_load(con, facts))


def _facts_load(con: duckdb.DuckDBPyConnection, facts: pa.Table) -> None:
    con.register("facts_input", facts)
    try:
        con.execute(f"CREATE TABLE fact AS {facts_select('facts_input')}")
    finally:
        con.unregister("facts_input")


def _full_refresh(path: Path, catalogue: Catalogue, load: Any, *, note: str = "") -> RefreshStats:
    started = time.perf_counter()
    temporary = path.with_name(f"{path.name}.refresh-{os.getpid()}")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(temporary))
    try:
        _configure(con, path)
        load(con)
        dims = dimensions_prepare(con, catalogue, facts="fact")
        codes = sorted(dims.indicators)
        con.execute(result_table_sql())
        results_compute(con, dims, codes, facts="fact", target="indicator_result", ordered=True)
        _meta_write(con, catalogue)
        counts = con.execute(
            "SELECT (SELECT count(*) FROM fact), (SELECT count(*) FROM indicator_result)"
        ).fetchone()
        assert counts is not None
        ignored = _ignored_facts(con)
        con.execute("CHECKPOINT")
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
        facts=int(counts[0]), results=int(counts[1]), seconds=time.perf_counter() - started,
        indicators=tuple(codes), mode="full", note=note, ignored_facts=ignored,
    )


def _ignored_facts(con: duckdb.DuckDBPyConnection) -> int:
    """Facts that count nowhere: unknown element or territory, or a period not of the
    element's type."""
    row = con.execute("""SELECT count(*) FROM fact f
        LEFT JOIN dim_element e ON e.code = f.element
        LEFT JOIN dim_period p ON p.period = f.period AND p.type_rank = e.type_rank
        LEFT JOIN dim_territory t ON t.territory_id = f.territory_id
        WHERE p.period_key IS NULL OR t.territory_id IS NULL""").fetchone()
    return int(row[0]) if row else 0


# --- Incremental refreshes ----------------------------------------------------------------


def store_refresh_incremental(
    path: Path, catalogue: Catalogue, *, upserts: pa.Table, deleted_ids: Sequence[int]
) -> RefreshStats:
    """Apply changed facts (upserts by id, deletions by id) and recompute what they touch.

    What is recomputed (see `incremental.py`): the (indicator, period) slices whose inputs
    changed — the touched periods and every period containing them, for the indicators
    that read the touched elements (directly or as a weight), across all territories — and
    the derived figures that read them (the next four periods, the base-year comparisons).
    Only rows that differ are written. Without a store, or when the stored catalogue
    differs from `catalogue`, this is a full refresh from the stored facts and the changes.
    """
    path = Path(path)
    catalogue_check(catalogue)
    upserts = _facts_table(upserts)
    deleted = sorted({int(i) for i in deleted_ids})
    with _writer_lock(path):
        if not path.exists():
            return _full_refresh(path, catalogue, lambda con: _changes_load(con, None, upserts,
                                                                             deleted),
                                 note="no store yet")
        con = _connect(path, read_only=False)
        try:
            stored = _stored_catalogue_json(con)
            if stored != catalogue_to_json(catalogue):
                con.close()
                return _full_refresh(
                    path, catalogue,
                    lambda c: _changes_load(c, path, upserts, deleted),
                    note="the catalogue changed" if stored else "the store has another format",
                )
            _configure(con, path)
            started = time.perf_counter()
            con.execute("BEGIN")
            try:
                facts, results, codes = incremental_refresh(con, catalogue, upserts, deleted)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return RefreshStats(facts=facts, results=results,
                                seconds=time.perf_counter() - started,
                                indicators=tuple(codes), mode="incremental")
        finally:
            con.close()


def _facts_table(table: pa.Table) -> pa.Table:
    if table.num_rows == 0 and not table.schema.names:
        return FACTS_SCHEMA.empty_table()
    return table


def _changes_load(con: duckdb.DuckDBPyConnection, old: Path | None, upserts: pa.Table,
                  deleted: list[int]) -> None:
    """The `fact` table of a fallback full refresh: stored facts, then the changes."""
    con.register("upserts_input", upserts)
    try:
        con.execute(f"CREATE TEMP TABLE upserts AS {facts_select('upserts_input')}")
    finally:
        con.unregister("upserts_input")
    if old is None:
        con.execute("CREATE TABLE fact AS SELECT * FROM upserts")
        return
    con.execute(f"ATTACH '{old}' AS old_store (READ_ONLY)")
    try:
        arrow_table(con, "deleted_id", pa.table({"id": pa.array(deleted, pa.int64())}))
        con.execute("""CREATE TEMP TABLE changed_id AS
            SELECT id FROM deleted_id UNION ALL SELECT id FROM upserts""")
        con.execute("""CREATE TABLE fact AS
            SELECT * FROM old_store.fact ANTI JOIN changed_id c ON c.id = fact.id
            UNION ALL SELECT * FROM upserts""")
    finally:
        con.execute("DETACH old_store")


def store_refresh_indicators(path: Path, catalogue: Catalogue, codes: Sequence[str]
                             ) -> RefreshStats:
    """Recompute the indicators `codes` (their sheet or targets changed) from the stored
    facts; codes no longer in the catalogue lose their rows. Anything else changed in the
    catalogue falls back to a full refresh from the stored facts."""
    path = Path(path)
    catalogue_check(catalogue)
    chosen = sorted(set(codes))
    with _writer_lock(path):
        if not path.exists():
            raise StoreMissing(f"no analytics store at {path}: run a full refresh first")
        con = _connect(path, read_only=False)
        try:
            stored = _stored_catalogue_json(con)
            if stored is None or _without(catalogue_from_json(stored), chosen) != _without(
                catalogue, chosen
            ):
                con.close()
                return _full_refresh(path, catalogue,
                                     lambda c: _changes_load(c, path, FACTS_SCHEMA.empty_table(),
                                                             []),
                                     note="more than these indicators changed")
            _configure(con, path)
            started = time.perf_counter()
            con.execute("BEGIN")
            try:
                results = _indicators_recompute(con, catalogue, chosen)
                _meta_write(con, catalogue)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            facts = con.execute("SELECT count(*) FROM fact").fetchone()
            return RefreshStats(
                facts=int(facts[0]) if facts else 0, results=results,
                seconds=time.perf_counter() - started,
                indicators=tuple(c for c in chosen if c in {i.code for i in catalogue.indicators}),
                mode="indicators",
            )
        finally:
            con.close()


def _without(catalogue: Catalogue, codes: list[str]) -> str:
    """The catalogue's JSON without these indicators and their targets."""
    from dataclasses import replace

    return catalogue_to_json(replace(
        catalogue,
        indicators=tuple(i for i in catalogue.indicators if i.code not in codes),
        targets=tuple(t for t in catalogue.targets if t.indicator not in codes),
    ))


def _indicators_recompute(con: duckdb.DuckDBPyConnection, catalogue: Catalogue,
                          codes: list[str]) -> int:
    present = [c for c in codes if c in {i.code for i in catalogue.indicators}]
    quoted = ", ".join(_quote(c) for c in codes)
    deleted = con.execute(
        f"SELECT count(*) FROM indicator_result WHERE indicator IN ({quoted})").fetchone()
    con.execute(f"DELETE FROM indicator_result WHERE indicator IN ({quoted})")
    if not present:
        return int(deleted[0]) if deleted else 0
    dims = dimensions_prepare(con, catalogue, facts="fact")
    inserted = results_compute(con, dims, present, facts="fact", target="indicator_result",
                               ordered=True)
    return (int(deleted[0]) if deleted else 0) + inserted


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- Reading ------------------------------------------------------------------------------


def store_results(
    path: Path,
    *,
    indicator: str,
    territory_ids: Sequence[int],
    periods: Sequence[str],
    breakdown: str = "",
) -> list[dict[str, Any]]:
    """The stored figures of one indicator for these territories and periods, as dicts
    keyed by RESULT_COLUMNS, ordered by period then territory. Missing rows are absent
    (no data beneath that territory in that period)."""
    if not territory_ids or not periods:
        return []
    territories = sorted({int(t) for t in territory_ids})
    period_ids = sorted(set(periods))
    columns = ", ".join(RESULT_COLUMNS)
    # Bounds next to the IN lists let the scan skip blocks by their min/max (zone maps).
    sql = f"""SELECT {columns} FROM indicator_result
        WHERE indicator = ? AND breakdown = ?
          AND period BETWEEN ? AND ? AND period IN ({', '.join('?' * len(period_ids))})
          AND territory_id BETWEEN ? AND ?
          AND territory_id IN ({', '.join('?' * len(territories))})
        ORDER BY period, territory_id"""
    parameters: list[Any] = [indicator, breakdown, period_ids[0], period_ids[-1], *period_ids,
                             territories[0], territories[-1], *territories]
    with _reading(Path(path)) as con:
        cursor = con.execute(sql, parameters)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def store_sources(
    path: Path, *, indicator: str, territory_id: int, period: str, breakdown: str = ""
) -> list[int]:
    """The ids of the facts behind one figure, sorted.

    For each reference of the indicator's formula: the facts of its element in the
    territory's subtree (NONE elements: the territory itself; a figure continued from
    successors: their subtrees) in the sub-periods of the referenced period (the figure's
    period, moved by the reference's offset), in the combinations that count for the
    reference's breakdown (its own `.OPT`, else `breakdown`); plus, for AVERAGE elements
    weighted by an element, that element's facts there.
    """
    with _reading(Path(path)) as con:
        stored = _stored_catalogue_json(con)
        if stored is None:
            return []
        catalogue = catalogue_from_json(stored)
        spec = next((i for i in catalogue.indicators if i.code == indicator), None)
        if spec is None:
            return []
        try:
            figure_period = period_parse(period)
        except PeriodError:
            return []
        from minka.analytics.engine.formula import formula_parse

        formula = formula_parse(spec.formula)
        elements = {e.code: e for e in catalogue.elements}
        roots = _source_roots(catalogue, territory_id, figure_period.start)
        children: dict[int, list[int]] = {}
        for node in catalogue.territories:
            if node.parent_id is not None:
                children.setdefault(node.parent_id, []).append(node.id)
        subtree: set[int] = set()
        pending = list(roots)
        while pending:
            node_id = pending.pop()
            if node_id not in subtree:
                subtree.add(node_id)
                pending.extend(children.get(node_id, ()))
        ids: set[int] = set()
        wanted: list[tuple[str, str | None, int]] = list(formula.inputs)
        for code, disaggregation, offset in wanted:
            element = elements.get(code)
            if element is None:
                continue
            shown = disaggregation if disaggregation is not None else breakdown
            try:
                referenced = period_offset(figure_period, offset)
            except PeriodError:
                continue
            if TYPE_RANK[referenced.type] > TYPE_RANK[element.period_type]:
                continue
            own = [p.id for p in period_children(referenced, element.period_type)]
            if element.aggregation is Aggregation.NONE:
                if referenced.type != element.period_type:
                    continue
                territories = set(roots)
            else:
                territories = subtree
            ids.update(_fact_ids(con, code, territories, own, shown,
                                 exact=element.aggregation in (Aggregation.AVERAGE,
                                                               Aggregation.NONE)))
            weight = element.weight
            if (element.aggregation is Aggregation.AVERAGE and weight in elements
                    and weight is not None):
                weight_type = elements[weight].period_type
                weight_periods = {
                    q.id
                    for p in own
                    for q in period_children(
                        _weight_period(period_parse(p), elements[weight].period_type),
                        weight_type)
                }
                ids.update(_fact_ids(con, weight, territories, sorted(weight_periods), "",
                                     exact=False))
        return sorted(ids)


def _weight_period(period: Any, weight_type: Any) -> Any:
    from minka.analytics.engine.periods import period_parent

    if TYPE_RANK[weight_type] < TYPE_RANK[period.type]:
        return period_parent(period, weight_type)
    return period


def _source_roots(catalogue: Catalogue, territory_id: int, start: Any) -> list[int]:
    """The territories whose subtrees make a figure: itself, or after it was retired, the
    successors that continue it for a period starting on `start`."""
    rows = [r for r in continuation_map(catalogue.territories)
            if r[0] == territory_id and start > r[2] and (r[3] is None or start <= r[3])]
    return [r[1] for r in rows] if rows else [territory_id]


def _fact_ids(con: duckdb.DuckDBPyConnection, element: str, territories: set[int],
              periods: list[str], breakdown: str, *, exact: bool) -> list[int]:
    if not territories or not periods:
        return []
    if exact:
        combination = "combination = ?"
    elif breakdown:
        combination = "list_contains(string_split(combination, '|'), ?)"
    else:
        combination = "? = ?"
    parameters: list[Any] = [element, *periods, *sorted(territories), breakdown]
    if combination == "? = ?":
        parameters.append(breakdown)
    rows = con.execute(
        f"""SELECT id FROM fact WHERE element = ?
            AND period IN ({', '.join('?' * len(periods))})
            AND territory_id IN ({', '.join('?' * len(territories))})
            AND {combination}""",
        parameters,
    ).fetchall()
    return [int(r[0]) for r in rows]


_ = period_key  # re-exported for callers that build keys for the store's periods
