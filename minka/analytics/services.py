"""The adapter between the database and the pure analytics engine.

It builds the engine's input from the database (`analytics_catalogue`, `analytics_facts`)
and keeps the analytics store in step with the data values (`analytics_refresh`,
`analytics_refresh_indicators`). Nothing here computes a figure: the rules live in
`minka.analytics.engine`, results are read back through `minka.analytics.selectors`.

Why refreshes are serialised: the store is one DuckDB file, and DuckDB admits one writing
process at a time (or many readers). Two refreshes in the same process would otherwise
race for the file lock, the loser failing as "busy" after its retries, and two incremental
refreshes could both apply the same changes on top of different watermarks. A module lock
makes a concurrent call wait for the running one and then apply only what is left. Across
processes the engine's own file lock (retry, then `StoreBusy`) is the guard.

Why the watermark is safe: an incremental refresh applies the `DataValueChange` rows with
ids in (last applied, highest committed]. On PostgreSQL ids come from a sequence and
transactions may commit out of id order, so the highest id is read under a short SHARE lock
on the change table, which waits for every writing transaction to finish: every id below
the one read is then committed and visible, and none is skipped. SQLite has one writer at a
time, so ids are always committed in order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from minka.analytics.engine.model import (
    POPULATION_WEIGHT,
    Aggregation,
    Catalogue,
    ElementSpec,
    IndicatorSpec,
    Polarity,
    TerritoryNode,
)
from minka.analytics.engine.model import Target as TargetSpec
from minka.analytics.engine.periods import PeriodType
from minka.analytics.engine.pipeline import FACTS_SCHEMA
from minka.analytics.engine.store import (
    RefreshStats,
    store_exists,
    store_refresh_full,
    store_refresh_incremental,
    store_refresh_indicators,
)
from minka.analytics.models import AnalyticsRefresh
from minka.indicators.models import (
    AverageWeight,
    Constant,
    DataElement,
    DataValue,
    DataValueChange,
    IndicatorSheet,
    Target,
)
from minka.territories.models import Area, Population, Sex, Territory

logger = logging.getLogger(__name__)

# Rows read from the database per round trip, and per Arrow record batch.
FACT_CHUNK = 20_000
# Ids per `pk__in` query: below SQLite's limit on bound parameters.
ID_CHUNK = 10_000
# Past this many changed data values an incremental refresh costs more than a full one.
INCREMENTAL_LIMIT = 1_000_000

_REFRESH_LOCK = threading.Lock()



def store_path() -> Any:
    return settings.ANALYTICS_STORE


# --- the engine's input ---------------------------------------------------------------


def _element_weight(element: DataElement) -> str | None:
    if element.aggregation != Aggregation.AVERAGE.value:
        return None
    if element.average_weight == AverageWeight.POPULATION:
        return POPULATION_WEIGHT
    if element.average_weight == AverageWeight.ELEMENT and element.weight_element is not None:
        return element.weight_element.code
    return None


def analytics_catalogue() -> Catalogue:
    """Everything the engine needs but the facts, read from the database in a few queries.

    Every territory of every country is included, retired ones too (their history still
    rolls up), with their successors. Targets are the `target` kind only (baselines are
    context for people, not what status is measured against). Population is the all-sex,
    all-age, all-area total per territory and year: the weight of population averages.
    """
    elements = tuple(
        ElementSpec(
            code=element.code,
            aggregation=Aggregation(element.aggregation),
            period_type=PeriodType(element.period_type),
            options=frozenset(
                option.code
                for category in element.categories.all()
                for option in category.options.all()
            ),
            weight=_element_weight(element),
        )
        for element in DataElement.objects.select_related("weight_element")
        .prefetch_related("categories__options")
        .order_by("code")
    )
    indicators = tuple(
        IndicatorSpec(
            code=sheet.code,
            formula=sheet.formula,
            period_type=PeriodType(sheet.frequency),
            polarity=Polarity(sheet.polarity),
            base_year=sheet.base_year,
            tolerance=float(sheet.tolerance),
        )
        for sheet in IndicatorSheet.objects.order_by("code")
    )
    successors: dict[int, list[int]] = {}
    links = Territory.successors.through.objects.values_list(
        "from_territory_id", "to_territory_id"
    )
    for retired, successor in links.order_by("from_territory_id", "to_territory_id"):
        successors.setdefault(retired, []).append(successor)
    territories = tuple(
        TerritoryNode(
            id=pk,
            parent_id=parent_id,
            level=level,
            valid_from=valid_from,
            valid_to=valid_to,
            successor_ids=tuple(successors.get(pk, ())),
        )
        for pk, parent_id, level, valid_from, valid_to in Territory.objects.order_by(
            "depth", "path"
        ).values_list("pk", "parent_id", "level", "valid_from", "valid_to")
    )
    targets = tuple(
        TargetSpec(indicator=code, territory_id=territory_id, period=period, value=float(value))
        for code, territory_id, period, value in Target.objects.filter(kind=Target.Kind.TARGET)
        .order_by("indicator__code", "territory_id", "period")
        .values_list("indicator__code", "territory_id", "period", "value")
    )
    population = tuple(
        (territory_id, year, float(value))
        for territory_id, year, value in Population.objects.filter(
            sex=Sex.TOTAL, age_group="", area=Area.TOTAL
        )
        .order_by("territory_id", "year")
        .values_list("territory_id", "year", "value")
    )
    constants = {
        code: float(value)
        for code, value in Constant.objects.order_by("code").values_list("code", "value")
    }
    return Catalogue(
        elements=elements,
        indicators=indicators,
        territories=territories,
        constants=constants,
        targets=targets,
        population=population,
    )


def analytics_facts(queryset: QuerySet[DataValue] | None = None) -> pa.Table:
    """Data values as an Arrow table with FACT_COLUMNS, read in chunks.

    Rows stream from a server-side cursor (PostgreSQL) or chunked fetches (SQLite) and go
    into Arrow record batches chunk by chunk, so memory holds Arrow columns, not millions of
    model instances. Element ids become codes through one small lookup instead of a join.
    Values are Decimal in the database and DOUBLE in the engine (docs/adr/0002).
    """
    qs = DataValue.objects.all() if queryset is None else queryset
    codes = dict(DataElement.objects.values_list("pk", "code"))
    rows = qs.order_by().values_list(
        "id", "element_id", "territory_id", "period", "combination", "value"
    )
    batches = [
        _fact_batch(chunk, codes) for chunk in _chunks(rows.iterator(chunk_size=FACT_CHUNK))
    ]
    return pa.Table.from_batches(batches, schema=FACTS_SCHEMA)


def _chunks(rows: Iterable[tuple[Any, ...]]) -> Iterable[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == FACT_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _fact_batch(chunk: list[tuple[Any, ...]], codes: dict[int, str]) -> pa.RecordBatch:
    ids, elements, territories, periods, combinations, values = zip(*chunk, strict=True)
    return pa.RecordBatch.from_arrays(
        [
            pa.array(ids, pa.int64()),
            pa.array([codes[e] for e in elements], pa.string()),
            pa.array(territories, pa.int64()),
            pa.array(periods, pa.string()),
            pa.array(combinations, pa.string()),
            pa.array([float(v) if isinstance(v, Decimal) else v for v in values], pa.float64()),
        ],
        schema=FACTS_SCHEMA,
    )


# --- refreshes ------------------------------------------------------------------------


def _applied_change_id() -> int | None:
    """The watermark of the last successful refresh, None if the store was never built."""
    last = (
        AnalyticsRefresh.objects.filter(finished_at__isnull=False, error="")
        .order_by("-id")
        .values_list("last_change_id", flat=True)
        .first()
    )
    return last


def _committed_change_id() -> int:
    """The highest DataValueChange id such that every lower id is committed (see above)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = DataValueChange._meta.db_table
                cursor.execute(f'LOCK TABLE "{table}" IN SHARE MODE')
        highest = DataValueChange.objects.aggregate(highest=Max("id"))["highest"]
    return int(highest or 0)


def _touched_value_ids(after: int, upto: int) -> list[int]:
    return list(
        DataValueChange.objects.filter(id__gt=after, id__lte=upto)
        .order_by()
        .values_list("data_value_id", flat=True)
        .distinct()
    )


def _current_facts(value_ids: Sequence[int]) -> pa.Table:
    tables = [
        analytics_facts(DataValue.objects.filter(pk__in=value_ids[i : i + ID_CHUNK]))
        for i in range(0, len(value_ids), ID_CHUNK)
    ]
    if not tables:
        return FACTS_SCHEMA.empty_table()
    return pa.concat_tables(tables)


def _stat(stats: RefreshStats, name: str, default: Any = 0) -> Any:
    return getattr(stats, name, default)


def _log_finish(log: AnalyticsRefresh, stats: RefreshStats, started: float) -> None:
    fell_back = bool(_stat(stats, "full", False)) or _stat(stats, "mode", "") == "full"
    if fell_back:
        log.mode = AnalyticsRefresh.Mode.FULL
    log.facts = int(_stat(stats, "facts", 0) or 0)
    log.results = int(_stat(stats, "results", 0) or 0)
    log.seconds = round(time.monotonic() - started, 3)
    log.finished_at = timezone.now()
    log.save(update_fields=["mode", "facts", "results", "seconds", "finished_at"])


def _log_error(log: AnalyticsRefresh, error: BaseException, started: float) -> None:
    log.error = f"{type(error).__name__}: {error}"[:2000] or type(error).__name__
    log.seconds = round(time.monotonic() - started, 3)
    log.finished_at = timezone.now()
    log.save(update_fields=["error", "seconds", "finished_at"])


def analytics_refresh(*, full: bool = False) -> RefreshStats:
    """Bring the analytics store up to date with the data values and the catalogue.

    Incremental by default: the data values touched since the last successful refresh are
    handed to the engine as upserts (their current rows) and deletions (ids that no longer
    exist), and the engine recomputes only what depends on them. Full when asked, when the
    store file does not exist or was never built successfully, or when too much changed;
    the engine itself falls back to a full rebuild when the catalogue differs from the one
    it stored, and says so in its stats (recorded as the refresh's mode).

    Every refresh, successful or not, leaves an AnalyticsRefresh row; a failed one is logged
    with its error, its watermark ignored, and the exception re-raised.
    """
    with _REFRESH_LOCK:
        path = store_path()
        applied = _applied_change_id()
        upto = _committed_change_id()
        touched: list[int] = []
        if not full and applied is not None and store_exists(path):
            touched = _touched_value_ids(applied, upto)
            full = len(touched) > INCREMENTAL_LIMIT
        else:
            full = True
        mode = AnalyticsRefresh.Mode.FULL if full else AnalyticsRefresh.Mode.INCREMENTAL
        log = AnalyticsRefresh.objects.create(
            started_at=timezone.now(), mode=mode, last_change_id=upto
        )
        started = time.monotonic()
        try:
            catalogue = analytics_catalogue()
            if full:
                stats = store_refresh_full(path, catalogue, analytics_facts())
            else:
                upserts = _current_facts(touched)
                present = set(upserts.column("id").to_pylist())
                deleted = [pk for pk in touched if pk not in present]
                stats = store_refresh_incremental(
                    path, catalogue, upserts=upserts, deleted_ids=deleted
                )
        except BaseException as error:
            _log_error(log, error, started)
            raise
        _log_finish(log, stats, started)
        logger.info("analytics refresh %s: %s", log.mode, stats)
        return stats


def analytics_refresh_indicators(*, codes: Sequence[str]) -> RefreshStats:
    """Recompute the results of these indicators after their sheet or targets changed.

    The data values have not changed, so the watermark is carried over; without a store
    (or a successful refresh to carry over), a full refresh is what brings them in.
    """
    with _REFRESH_LOCK:
        path = store_path()
        applied = _applied_change_id()
        must_build = applied is None or not store_exists(path)
    if must_build:
        return analytics_refresh(full=True)
    with _REFRESH_LOCK:
        applied = _applied_change_id() or 0
        log = AnalyticsRefresh.objects.create(
            started_at=timezone.now(),
            mode=AnalyticsRefresh.Mode.INDICATORS,
            last_change_id=applied,
        )
        started = time.monotonic()
        try:
            stats = store_refresh_indicators(path, analytics_catalogue(), list(codes))
        except BaseException as error:
            _log_error(log, error, started)
            raise
        _log_finish(log, stats, started)
        return stats
