"""Reads of analytics results: what pages, reports and the API show.

Results come from the analytics store (a DuckDB file written by the engine), never from a
recomputation over raw data values (DESIGN.md: "nothing reads raw facts to recompute a
result on a page"). Each read is one store query plus a few small database queries to name
the territories, whatever the number of territories and periods asked for.

A store that does not exist yet (nothing refreshed) answers empty lists, not an error: a
new installation shows "no data" until its first refresh. A store locked by a refresh for
longer than the engine's retries raises `StoreBusy`, which callers answer as "try again".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Max, Min

from minka.analytics.engine.formula import FormulaError, formula_parse
from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    PeriodType,
    period_parent,
    period_parse,
    period_range,
)
from minka.analytics.engine.store import store_exists, store_results, store_sources
from minka.analytics.models import AnalyticsRefresh
from minka.analytics.services import ID_CHUNK, store_path
from minka.indicators.models import DataValue, IndicatorSheet, Target
from minka.territories.models import Territory
from minka.territories.selectors import territory_descendants


@dataclass(frozen=True)
class ResultRow:
    """One figure: an indicator for one territory, period and breakdown, with its context."""

    territory_id: int
    territory_code: str
    territory_name: str
    territory_level: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    reason: str | None
    target: float | None
    target_period: str | None
    status: str | None
    change_previous: float | None
    change_base: float | None
    trend_slope: float | None
    forecast: float | None
    forecast_meets_target: bool | None
    rank: int | None
    rank_of: int | None
    reported_children: int | None
    expected_children: int | None
    from_successors: bool | None
    breakdown: str = ""
    territory_country: str = ""


def _row(result: dict[str, Any], territory: Territory) -> ResultRow:
    return ResultRow(
        territory_id=territory.pk,
        territory_code=territory.code,
        territory_name=territory.name,
        territory_level=territory.level,
        period=result["period"],
        value=result.get("value"),
        numerator=result.get("numerator"),
        denominator=result.get("denominator"),
        reason=result.get("reason"),
        target=result.get("target"),
        target_period=result.get("target_period"),
        status=result.get("status"),
        change_previous=result.get("change_previous"),
        change_base=result.get("change_base"),
        trend_slope=result.get("trend_slope"),
        forecast=result.get("forecast"),
        forecast_meets_target=result.get("forecast_meets_target"),
        rank=result.get("rank"),
        rank_of=result.get("rank_of"),
        reported_children=result.get("reported_children"),
        expected_children=result.get("expected_children"),
        from_successors=result.get("from_successors"),
        breakdown=result.get("breakdown") or "",
        territory_country=territory.country,
    )


def _sort_key(row: ResultRow) -> tuple[Any, ...]:
    period = period_parse(row.period)
    return (period, row.rank is None, row.rank or 0, row.territory_name, row.territory_code)


def periods_until(periods: Sequence[str], until: date | None) -> list[str]:
    """The periods that end on or before `until` (all of them when it is None)."""
    if until is None:
        return list(periods)
    return [p for p in periods if period_parse(p).end <= until]


def territory_results(
    *,
    indicator: IndicatorSheet,
    territories: Sequence[Territory],
    periods: Sequence[str],
    breakdown: str = "",
    until: date | None = None,
) -> list[ResultRow]:
    """The indicator for these territories in these periods (one store query), ordered by
    period, then rank, then name; territories without a result in a period are absent.
    `until`: leave out the periods that end after it (`indicators.selectors.public_until`)."""
    periods = periods_until(periods, until)
    path = store_path()
    if not territories or not periods or not store_exists(path):
        return []
    by_id = {t.pk: t for t in territories}
    rows = store_results(
        path,
        indicator=indicator.code,
        territory_ids=list(by_id),
        periods=list(periods),
        breakdown=breakdown,
    )
    found = [_row(r, by_id[r["territory_id"]]) for r in rows if r["territory_id"] in by_id]
    return sorted(found, key=_sort_key)


def indicator_values(
    *,
    indicator: IndicatorSheet,
    territory: Territory,
    level: str | None,
    periods: Sequence[str],
    breakdown: str = "",
    until: date | None = None,
) -> list[ResultRow]:
    """The indicator for the territories at `level` under `territory` (the territory itself
    when `level` is None) in these periods, ordered by period, then rank (best first,
    unranked last), then name. Territories without a result in a period are absent.

    Retired territories are included: their figures exist for the periods they existed in.
    """
    if level is None:
        territories: list[Territory] = [territory]
    else:
        territories = list(
            territory_descendants(territory=territory, level=level).only(
                "pk", "country", "code", "name", "level"
            )
        )
    return territory_results(
        indicator=indicator, territories=territories, periods=periods, breakdown=breakdown,
        until=until,
    )


def indicator_periods(*, indicator: IndicatorSheet, period_type: PeriodType) -> list[str]:
    """Every period of `period_type` from the first data of the indicator's elements (or
    its base year, if earlier) to the last data or target, whichever is later."""
    try:
        codes = {code for code, _option in formula_parse(indicator.formula).references}
    except FormulaError:
        return []
    bounds = DataValue.objects.filter(element__code__in=codes).aggregate(
        first=Min("period"), last=Max("period")
    )
    targets = Target.objects.filter(indicator=indicator).aggregate(last=Max("period"))
    years: list[int] = []
    for text in (bounds["first"], bounds["last"], targets["last"]):
        if text:
            years.append(int(text[:4]))
    if indicator.base_year:
        years.append(indicator.base_year)
    if not years:
        return []
    start = _first_of_year(min(years), period_type)
    end = _last_of_year(max(years), period_type)
    return [p.id for p in period_range(start, end)]


_FIRST = {
    PeriodType.YEARLY: "{y}",
    PeriodType.SIXMONTHLY: "{y}S1",
    PeriodType.QUARTERLY: "{y}Q1",
    PeriodType.MONTHLY: "{y}01",
    PeriodType.WEEKLY: "{y}W1",
}
_LAST = {
    PeriodType.YEARLY: "{y}",
    PeriodType.SIXMONTHLY: "{y}S2",
    PeriodType.QUARTERLY: "{y}Q4",
    PeriodType.MONTHLY: "{y}12",
}


def _first_of_year(year: int, period_type: PeriodType) -> Period:
    return period_parse(_FIRST[period_type].format(y=year))


def _last_of_year(year: int, period_type: PeriodType) -> Period:
    if period_type is PeriodType.WEEKLY:
        # The last ISO week of a year is 52 or 53: the week before the next year's first.
        first_next = period_parse(f"{year + 1}W1")
        return period_range(period_parse(f"{year}W52"), first_next)[-2]
    return period_parse(_LAST[period_type].format(y=year))


def indicator_series(
    *,
    indicator: IndicatorSheet,
    territory: Territory,
    period_type: str,
    breakdown: str = "",
    until: date | None = None,
) -> list[ResultRow]:
    """The territory's figures over time at one period type (coarser or equal to the
    indicator's frequency; a finer one has no results and answers [])."""
    wanted = PeriodType(period_type)
    frequency = PeriodType(indicator.frequency)
    probe = _first_of_year(2000, frequency)
    if period_parent(probe, wanted) is None:
        return []
    return territory_results(
        indicator=indicator,
        territories=[territory],
        periods=indicator_periods(indicator=indicator, period_type=wanted),
        breakdown=breakdown,
        until=until,
    )


def figure_source_ids(
    *, indicator: IndicatorSheet, territory: Territory, period: str, breakdown: str = "",
    until: date | None = None,
) -> list[int]:
    """The ids of the data values behind one figure, ascending ([] without a store, or
    when the period ends after `until`)."""
    path = store_path()
    try:
        canonical = period_parse(period).id
    except PeriodError:
        return []
    if not periods_until([canonical], until):
        return []
    if not store_exists(path):
        return []
    ids = store_sources(
        path,
        indicator=indicator.code,
        territory_id=territory.pk,
        period=canonical,
        breakdown=breakdown,
    )
    return sorted(int(pk) for pk in ids)


def figure_sources(
    *,
    indicator: IndicatorSheet,
    territory: Territory,
    period: str,
    breakdown: str = "",
    offset: int = 0,
    limit: int | None = None,
) -> list[DataValue]:
    """The data values behind one figure, with their element, territory, import batch,
    source and who stored them: how every figure is traced back to its data. A country's
    yearly figure rests on hundreds of thousands of values, hence `offset`/`limit` (in
    ascending id order) for pages of them."""
    ids = figure_source_ids(
        indicator=indicator, territory=territory, period=period, breakdown=breakdown
    )
    return data_values_by_ids(ids[offset : None if limit is None else offset + limit])


def data_values_by_ids(ids: Sequence[int]) -> list[DataValue]:
    """These data values with what a reader needs to trace them, in the order given."""
    found: dict[int, DataValue] = {}
    for i in range(0, len(ids), ID_CHUNK):
        for value in DataValue.objects.filter(pk__in=ids[i : i + ID_CHUNK]).select_related(
            "element", "territory", "batch", "stored_by"
        ):
            found[value.pk] = value
    return [found[pk] for pk in ids if pk in found]


def data_value_fields_by_ids(ids: Sequence[int]) -> list[tuple[int, Decimal, str, int | None]]:
    """(element id, value, source, batch id) of these data values, in no set order: what a
    summary of the values behind a figure needs (a country's figure rests on tens of
    thousands of them; model instances with their relations took seconds)."""
    rows: list[tuple[int, Decimal, str, int | None]] = []
    for i in range(0, len(ids), ID_CHUNK):
        rows.extend(
            DataValue.objects.filter(pk__in=ids[i : i + ID_CHUNK]).values_list(
                "element_id", "value", "source", "batch_id"
            )
        )
    return rows


def analytics_last_refresh(*, successful: bool = False) -> AnalyticsRefresh | None:
    """The latest refresh (running, failed or done), or the latest successful one: what a
    page shows as "figures as of …"."""
    qs = AnalyticsRefresh.objects.order_by("-id")
    if successful:
        qs = qs.filter(finished_at__isnull=False, error="")
    return qs.first()


def analytics_refresh_list(*, limit: int = 20) -> list[AnalyticsRefresh]:
    """The refresh log, newest first."""
    return list(AnalyticsRefresh.objects.order_by("-id")[:limit])
