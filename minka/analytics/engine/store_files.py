"""Opening the analytics store file safely: locks, retries, settings, the stored catalogue.

DuckDB lets one process write a database file or many processes read it (docs/adr/0002):
- every open retries on DuckDB's lock error with a short backoff for up to
  `OPEN_TIMEOUT_SECONDS`, then raises `StoreBusy` — readers briefly wait out a refresh;
- writers also take an exclusive lock on `<store>.lock` (readers never do), so refreshes of
  one store never interleave: a full refresh must not swap out a file an incremental
  refresh is changing;
- connections are short-lived and always closed: DuckDB shares one database instance per
  file within a process, so a forgotten connection would keep serving a replaced file.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from minka.analytics.engine.catalogue_json import catalogue_to_json
from minka.analytics.engine.model import Catalogue

FORMAT_VERSION = "2"
"""Bumped when the store's tables change meaning; an older store is rebuilt in full."""
OPEN_TIMEOUT_SECONDS = 10.0
WRITER_TIMEOUT_SECONDS = 600.0
MEMORY_LIMIT = os.environ.get("MINKA_ANALYTICS_MEMORY_LIMIT", "1GB")
"""DuckDB's working memory (it spills beyond): the computing is numpy's now, DuckDB only
holds the store's pages and the rows being written; with the caller's facts and numpy's
batch in memory too, a national refresh stays under 4 GB (3.6 GB measured; 4.1 GB with
2 GB here and no faster)."""


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


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return ("Could not set lock" in text or "Conflicting lock" in text
            or "different configuration" in text)


def store_connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
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


def store_configure(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Use every core, bound memory, and spill beside the store rather than in /tmp."""
    spill = path.with_name(path.name + ".spill")
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{spill}'")


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
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
def store_reading(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to an existing store."""
    if not path.exists():
        raise StoreMissing(f"no analytics store at {path}: run a full refresh first")
    con = store_connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def stored_catalogue_json(con: duckdb.DuckDBPyConnection) -> str | None:
    """The catalogue the store was computed with; None for another format or no store."""
    try:
        rows = dict(con.execute("SELECT key, value FROM store_meta").fetchall())
    except duckdb.CatalogException:
        return None
    if rows.get("format") != FORMAT_VERSION:
        return None
    return rows.get("catalogue")


def meta_write(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("DELETE FROM store_meta")
    con.execute("INSERT INTO store_meta VALUES ('format', ?), ('catalogue', ?)",
                [FORMAT_VERSION, catalogue_to_json(catalogue)])
