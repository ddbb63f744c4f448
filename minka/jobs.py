"""A job runner that needs no extra server: a callable run in a background thread.

Why a thread and not a queue (docs/adr/0003-job-runner.md): the embedded default is one
machine with SQLite and no broker; an import of a few thousand rows takes seconds, which is
too long for a request to wait on but too short to justify Celery, Redis or a worker
process to deploy and watch. The job's own database row (an ImportBatch for imports) is the
job record: its status, progress and report, so a page can follow it by polling.

Invariants:
- a job runs with its own database connection (Django's are per thread), and closes it at
  the end whatever happens, so threads never leak connections;
- a job is started only once the transaction that created its record has committed (the
  thread could not see the row otherwise);
- with `settings.MINKA_JOBS_SYNC` (on under tests) the job runs at once in the caller's
  thread and connection, so tests see its effects without threads or commits;
- an exception escaping the job is handed to `on_failure` (inside a fresh connection in
  the thread) and logged; it never kills the process or passes silently.

Progress: a job inside a database transaction cannot make its progress visible through the
database until it commits, so progress is also kept in memory, per process
(`job_progress_set` / `job_progress_get`). A page polling another process sees the progress
stored in the record instead (updated at the end). See the ADR.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobProgress:
    done: int
    total: int


_progress: dict[str, JobProgress] = {}
_progress_lock = threading.Lock()


def job_progress_set(*, key: str, done: int, total: int) -> None:
    """Record how far a running job is (cheap: memory only, safe across threads)."""
    with _progress_lock:
        _progress[key] = JobProgress(done=done, total=total)


def job_progress_get(*, key: str) -> JobProgress | None:
    """How far a job running in this process is, or None if it is not known here."""
    with _progress_lock:
        return _progress.get(key)


def job_progress_clear(*, key: str) -> None:
    with _progress_lock:
        _progress.pop(key, None)


def jobs_run_synchronously() -> bool:
    return bool(getattr(settings, "MINKA_JOBS_SYNC", False))


def _run(name: str, work: Callable[[], None], on_failure: Callable[[BaseException], None]) -> None:
    try:
        work()
    except Exception as error:
        logger.exception("job %s failed", name)
        try:
            on_failure(error)
        except Exception:
            logger.exception("job %s: recording its failure failed too", name)


def _run_in_thread(
    name: str, work: Callable[[], None], on_failure: Callable[[BaseException], None]
) -> None:
    try:
        _run(name, work, on_failure)
    finally:
        connections.close_all()  # this thread's connections only: they are per thread


def job_start(
    *,
    name: str,
    work: Callable[[], None],
    on_failure: Callable[[BaseException], None],
) -> None:
    """Run `work` in the background once the current transaction commits.

    `on_failure(error)` records the failure in the job's record; it must not raise. In
    synchronous mode (tests) both run at once, in this thread.
    """
    if jobs_run_synchronously():
        _run(name, work, on_failure)
        return

    def start() -> None:
        thread = threading.Thread(
            target=_run_in_thread, args=(name, work, on_failure), name=f"job-{name}", daemon=True
        )
        thread.start()

    transaction.on_commit(start)
