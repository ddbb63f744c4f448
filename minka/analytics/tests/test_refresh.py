"""analytics_refresh: full or incremental, its watermark and its log, and the command."""

from __future__ import annotations

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max

from minka.analytics import services
from minka.analytics.models import AnalyticsRefresh
from minka.analytics.selectors import analytics_last_refresh, analytics_refresh_list
from minka.analytics.services import analytics_refresh, analytics_refresh_indicators
from minka.analytics.tests.factories import VALUES, anaemia_data, cell
from minka.indicators.models import DataValue, DataValueChange
from minka.indicators.services import data_values_write

pytestmark = pytest.mark.django_db


def last_change_id() -> int:
    return DataValueChange.objects.aggregate(m=Max("id"))["m"]


@pytest.fixture
def engine_calls(monkeypatch):
    """Record what the adapter hands the (real) engine, without changing it."""
    calls: list[tuple[str, dict]] = []
    for name in ("store_refresh_full", "store_refresh_incremental", "store_refresh_indicators"):
        real = getattr(services, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append((_name, {"args": args, **kwargs}))
            return _real(*args, **kwargs)

        monkeypatch.setattr(services, name, spy)
    return calls


def test_the_first_refresh_is_full_and_logged(tree, settings, engine_calls):
    anaemia_data(tree)

    analytics_refresh()

    assert [name for name, _ in engine_calls] == ["store_refresh_full"]
    facts = engine_calls[0][1]["args"][2]
    assert facts.num_rows == len(VALUES)
    assert settings.ANALYTICS_STORE.exists()
    log = AnalyticsRefresh.objects.get()
    assert log.mode == AnalyticsRefresh.Mode.FULL
    assert log.last_change_id == last_change_id()
    assert log.finished_at is not None and log.error == ""
    assert log.succeeded
    assert log.seconds >= 0
    assert analytics_last_refresh(successful=True) == log


def test_an_incremental_refresh_hands_over_only_what_changed(tree, engine_calls):
    data = anaemia_data(tree)
    analytics_refresh()
    updated = DataValue.objects.get(element=data.anemia, territory=tree.san_jeronimo,
                                    period="202303", combination="FEMALE")
    deleted = DataValue.objects.get(element=data.screened, territory=tree.abancay,
                                    period="202301", combination="MALE")
    data_values_write(
        cells=[
            cell(data, "ANEMIA", "san_jeronimo", "202303", "FEMALE", 9),
            cell(data, "SCREENED", "abancay", "202301", "MALE", None),
            cell(data, "ANEMIA", "san_jeronimo", "202304", "FEMALE", 1),
            cell(data, "ANEMIA", "cusco_district", "202301", "FEMALE", 6),  # unchanged
        ],
        batch=None,
    )
    created = DataValue.objects.get(element=data.anemia, period="202304")

    analytics_refresh()

    name, call = engine_calls[-1]
    assert name == "store_refresh_incremental"
    upserts = {r["id"]: r for r in call["upserts"].to_pylist()}
    assert set(upserts) == {updated.pk, created.pk}
    assert upserts[updated.pk]["value"] == 9.0
    assert list(call["deleted_ids"]) == [deleted.pk]
    log = analytics_last_refresh()
    assert log.mode == AnalyticsRefresh.Mode.INCREMENTAL
    assert log.last_change_id == last_change_id()


def test_nothing_changed_hands_over_nothing(tree, engine_calls):
    anaemia_data(tree)
    analytics_refresh()

    analytics_refresh()

    name, call = engine_calls[-1]
    assert name == "store_refresh_incremental"
    assert call["upserts"].num_rows == 0
    assert list(call["deleted_ids"]) == []


def test_full_when_asked_or_when_the_store_is_gone(tree, settings, engine_calls):
    anaemia_data(tree)
    analytics_refresh()

    analytics_refresh(full=True)
    settings.ANALYTICS_STORE.unlink()
    analytics_refresh()

    assert [name for name, _ in engine_calls] == ["store_refresh_full"] * 3
    assert [log.mode for log in analytics_refresh_list()] == ["full"] * 3


def test_a_failed_refresh_is_logged_and_its_watermark_never_used(
    tree, settings, tmp_path, engine_calls
):
    data = anaemia_data(tree)
    analytics_refresh()
    applied = last_change_id()
    data_values_write(cells=[cell(data, "ANEMIA", "abancay", "202302", "MALE", 5)], batch=None)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    real = services.store_refresh_incremental
    services.store_refresh_incremental = broken
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            analytics_refresh()
    finally:
        services.store_refresh_incremental = real

    failed = analytics_last_refresh()
    assert failed.error == "RuntimeError: disk full"
    assert not failed.succeeded
    assert analytics_last_refresh(successful=True).last_change_id == applied

    analytics_refresh()  # picks up the change the failed refresh did not apply

    name, call = engine_calls[-1]
    assert name == "store_refresh_incremental"
    assert [r["value"] for r in call["upserts"].to_pylist()] == [5.0]


def test_too_many_changes_make_it_full(tree, monkeypatch, engine_calls):
    data = anaemia_data(tree)
    analytics_refresh()
    monkeypatch.setattr(services, "INCREMENTAL_LIMIT", 1)
    data_values_write(
        cells=[cell(data, "ANEMIA", "abancay", "202302", "MALE", 5),
               cell(data, "ANEMIA", "abancay", "202303", "MALE", 5)],
        batch=None,
    )

    analytics_refresh()

    assert engine_calls[-1][0] == "store_refresh_full"


def test_indicators_refresh_keeps_the_watermark(tree, engine_calls):
    anaemia_data(tree)
    analytics_refresh()
    applied = last_change_id()

    analytics_refresh_indicators(codes=["ANEMIA_PCT"])

    name, call = engine_calls[-1]
    assert name == "store_refresh_indicators"
    assert list(call["args"][2]) == ["ANEMIA_PCT"]
    log = analytics_last_refresh()
    assert log.mode in (AnalyticsRefresh.Mode.INDICATORS, AnalyticsRefresh.Mode.FULL)
    assert log.last_change_id == applied


def test_indicators_refresh_without_a_store_builds_it(tree, engine_calls):
    anaemia_data(tree)

    analytics_refresh_indicators(codes=["ANEMIA_PCT"])

    assert [name for name, _ in engine_calls] == ["store_refresh_full"]


class RecordingLock:
    """A real lock that also says whether it is held, to check who writes under it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.held = False

    def __enter__(self):
        self.lock.acquire()
        self.held = True
        return self

    def __exit__(self, *exc):
        self.held = False
        self.lock.release()


def test_every_write_to_the_store_happens_under_the_refresh_lock(tree, monkeypatch):
    """DuckDB has one writer: a second refresh in this process waits for the first."""
    data = anaemia_data(tree)
    lock = RecordingLock()
    monkeypatch.setattr(services, "_REFRESH_LOCK", lock)
    held_during: list[bool] = []
    for name in ("store_refresh_full", "store_refresh_incremental", "store_refresh_indicators"):
        real = getattr(services, name)

        def spy(*args, _real=real, **kwargs):
            held_during.append(lock.held)
            return _real(*args, **kwargs)

        monkeypatch.setattr(services, name, spy)

    analytics_refresh()
    data_values_write(cells=[cell(data, "ANEMIA", "abancay", "202302", "MALE", 5)], batch=None)
    analytics_refresh()
    analytics_refresh_indicators(codes=["ANEMIA_PCT"])

    assert held_during == [True, True, True]
    assert not lock.held

    # And a caller that finds the lock taken waits for it.
    lock.__enter__()
    finished = threading.Event()
    thread = threading.Thread(target=lambda: (lock.__enter__(), lock.__exit__(), finished.set()))
    thread.start()
    assert not finished.wait(0.2)
    lock.__exit__()
    assert finished.wait(5)
    thread.join(5)


def test_command_prints_what_it_did(tree):
    anaemia_data(tree)
    out = StringIO()

    call_command("refresh_analytics", stdout=out)
    call_command("refresh_analytics", "--full", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Analytics refresh (full): ")
    assert lines[1].startswith("Analytics refresh (full): ")
    assert f"changes applied up to #{last_change_id()}" in lines[1]
    assert " s, " in lines[1]


def test_command_incremental_after_a_write(tree):
    data = anaemia_data(tree)
    call_command("refresh_analytics", stdout=StringIO())
    data_values_write(cells=[cell(data, "ANEMIA", "abancay", "202302", "MALE", 5)], batch=None)
    out = StringIO()

    call_command("refresh_analytics", stdout=out)

    assert out.getvalue().startswith("Analytics refresh (incremental): ")
    assert Decimal(5) in set(DataValue.objects.values_list("value", flat=True))
