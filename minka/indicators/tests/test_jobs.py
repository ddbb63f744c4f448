"""The job runner for real: a background thread with its own database connection, started
after the commit, its failure recorded; and an import run that way from end to end."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.db import connections, transaction

from minka.indicators.import_jobs import import_start
from minka.indicators.models import DataValue, ImportBatch
from minka.jobs import job_progress_get, job_progress_set, job_start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _threads(settings, tmp_path):
    settings.MINKA_JOBS_SYNC = False
    settings.MEDIA_ROOT = tmp_path / "media"


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the job did not finish in time"
        time.sleep(0.02)


def test_a_job_runs_in_another_thread_with_its_own_connection():
    seen: dict[str, object] = {}
    done = threading.Event()
    closed_in: list[str] = []
    close_all = connections.close_all

    def close_all_recorded() -> None:
        closed_in.append(threading.current_thread().name)
        close_all()

    def work() -> None:
        seen["thread"] = threading.current_thread().name
        ImportBatch.objects.create(format="csv", file_name="from-a-thread.csv")
        seen["wrapper"] = connections["default"]
        done.set()

    # (SQLite's in-memory test database ignores close(), so the call itself is checked.)
    with mock.patch("minka.jobs.connections.close_all", close_all_recorded):
        job_start(name="test", work=work, on_failure=lambda error: None)
        assert done.wait(10)
        wait_for(lambda: closed_in)
    assert seen["thread"] == "job-test"
    assert seen["thread"] != threading.current_thread().name
    assert ImportBatch.objects.filter(file_name="from-a-thread.csv").exists()
    assert seen["wrapper"] is not connections["default"]
    assert closed_in == ["job-test"]  # the job's own connections, closed at the end


def test_a_job_waits_for_the_commit_and_a_failure_is_handed_over():
    failures: list[BaseException] = []
    started = threading.Event()

    def work() -> None:
        started.set()
        raise RuntimeError("boom")

    with transaction.atomic():
        job_start(name="late", work=work, on_failure=failures.append)
        time.sleep(0.2)
        assert not started.is_set()  # not before the commit
    assert started.wait(10)
    wait_for(lambda: failures)
    assert str(failures[0]) == "boom"


def test_progress_is_kept_per_job_in_memory():
    job_progress_set(key="k", done=5, total=20)
    progress = job_progress_get(key="k")
    assert progress is not None and (progress.done, progress.total) == (5, 20)
    assert job_progress_get(key="unknown") is None


def test_an_import_dry_run_runs_in_the_background(tree, personas):
    from minka.analytics.tests.factories import anaemia_data

    anaemia_data(tree, with_values=False)
    content = (
        b"element,country,territory,period,disaggregation,value\n"
        b"ANEMIA,PE,080101,202401,FEMALE,7\n"
    )
    batch = import_start(
        content=content, file_name="a.csv", format="csv", user=personas.cusco_official
    )

    def finished() -> bool:
        batch.refresh_from_db()
        return batch.status not in ("pending", "running")

    wait_for(finished)
    assert batch.status == "checked"
    assert batch.summary["importCount"]["imported"] == 1
    assert DataValue.objects.count() == 0
