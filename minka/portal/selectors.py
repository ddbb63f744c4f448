"""Reads for the portal: the home page, the data center and the territory dashboard.

Every figure comes from the analytics results (`minka.analytics.selectors`), never from a
recomputation; what the public may read is decided by `indicator_sheet_list(user=…)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count

from minka.accounts.permissions import role_assignments
from minka.analytics.engine.periods import PeriodType
from minka.analytics.selectors import (
    ResultRow,
    data_value_fields_by_ids,
    figure_source_ids,
    indicator_periods,
    indicator_series,
    indicator_values,
    territory_results,
)
from minka.indicators.models import DataElement, ImportBatch, IndicatorSheet
from minka.indicators.selectors import (
    indicator_breakdowns,
    indicator_sheet_list,
    public_until,
)
from minka.territories.models import Boundary, Level, Territory
from minka.territories.selectors import with_population


@dataclass(frozen=True)
class CountrySummary:
    country: Territory
    counts: dict[str, int]
    population: int | None
    population_year: int | None


def country_summaries() -> list[CountrySummary]:
    """Each country root with how many current territories it has at each level (2 queries)."""
    roots = list(with_population(Territory.objects.filter(level=Level.COUNTRY)).order_by("name"))
    rows = (
        Territory.objects.filter(valid_to__isnull=True)
        .exclude(level=Level.COUNTRY)
        .values("country", "level")
        .annotate(n=Count("id"))
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["country"], {})[row["level"]] = row["n"]
    return [
        CountrySummary(
            country=root,
            counts=counts.get(root.country, {}),
            population=getattr(root, "population_total", None),
            population_year=getattr(root, "population_year", None),
        )
        for root in roots
    ]


# --- the data center and the dashboard --------------------------------------------------

YEARLY = PeriodType.YEARLY
GENDER_VIEW = ("FEMALE", "MALE")
"""The sex breakdowns shown beside every total where an indicator has them: the programmes
require a gender view of every figure."""
COMPARE_MAX = 5


@dataclass(frozen=True)
class TerritoryFigure:
    """One indicator for one territory: its yearly series and the latest year with a value."""

    sheet: IndicatorSheet
    series: list[ResultRow]
    latest: ResultRow | None


def _latest(rows: Sequence[ResultRow]) -> ResultRow | None:
    with_value = [r for r in rows if r.value is not None]
    return with_value[-1] if with_value else None


def territory_figures(*, territory: Territory, user: Any) -> list[TerritoryFigure]:
    """Every indicator the user may read, for this territory, by year: the dashboard's and
    the public profile's cards (one store query per indicator). Indicators with data first."""
    figures = []
    for sheet in indicator_sheet_list(user=user):
        series = indicator_series(
            indicator=sheet,
            territory=territory,
            period_type=YEARLY,
            until=public_until(sheet=sheet, user=user),
        )
        figures.append(TerritoryFigure(sheet=sheet, series=series, latest=_latest(series)))
    return sorted(figures, key=lambda f: f.latest is None)


def home_territory(*, user: Any) -> Territory | None:
    """Where a signed-in user's dashboard opens: the territory of their first role (a
    municipal official's municipality, a coordinator's region), else Peru."""
    for assignment in role_assignments(user):
        if assignment.territory is not None:
            return assignment.territory
        if assignment.institution is not None:
            return assignment.institution.territory
    return Territory.objects.filter(level=Level.COUNTRY, country="PE").first()


def levels_below(*, territory: Territory) -> list[str]:
    """The levels of the territory's descendants, nearest first (drill-down choices)."""
    rows = (
        Territory.objects.filter(path__startswith=territory.path, depth__gt=territory.depth)
        .values_list("depth", "level")
        .distinct()
        .order_by("depth")
    )
    return list(dict.fromkeys(level for _depth, level in rows))


def indicator_years(*, sheet: IndicatorSheet, territory: Territory, user: Any) -> list[str]:
    """The years the territory has a figure of this indicator the reader may see, latest
    first."""
    series = indicator_series(
        indicator=sheet,
        territory=territory,
        period_type=YEARLY,
        until=public_until(sheet=sheet, user=user),
    )
    return [r.period for r in reversed(series) if r.value is not None]


@dataclass(frozen=True)
class RankingRow:
    """A row of an indicator's ranking table: the figure and, for a total, its gender view."""

    result: ResultRow
    by_sex: dict[str, float | None]


def gender_breakdowns(*, sheet: IndicatorSheet) -> list[str]:
    """The sex breakdowns the indicator has (female first), or none."""
    options = set(indicator_breakdowns(indicator=sheet))
    return [code for code in GENDER_VIEW if code in options]


def indicator_ranking(
    *,
    sheet: IndicatorSheet,
    territory: Territory,
    level: str,
    period: str,
    breakdown: str,
    user: Any,
) -> list[RankingRow]:
    """The territories at `level` under `territory` in one period, best first: exactly the
    rows of the indicator page's table, of its map and of its downloads."""
    until = public_until(sheet=sheet, user=user)
    rows = indicator_values(
        indicator=sheet,
        territory=territory,
        level=level,
        periods=[period],
        breakdown=breakdown,
        until=until,
    )
    by_sex: dict[str, dict[int, float | None]] = {}
    if not breakdown and rows:
        for option in gender_breakdowns(sheet=sheet):
            found = indicator_values(
                indicator=sheet,
                territory=territory,
                level=level,
                periods=[period],
                breakdown=option,
                until=until,
            )
            by_sex[option] = {r.territory_id: r.value for r in found}
    return [
        RankingRow(
            result=row,
            by_sex={option: values.get(row.territory_id) for option, values in by_sex.items()},
        )
        for row in rows
    ]


def boundaries_of(*, territory_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """GeoJSON geometries of these territories (those without a boundary are absent)."""
    return dict(
        Boundary.objects.filter(territory_id__in=list(territory_ids)).values_list(
            "territory_id", "geometry"
        )
    )


@dataclass(frozen=True)
class ComparisonRow:
    """One indicator across the compared territories, in the latest year any has a value."""

    sheet: IndicatorSheet
    period: str | None
    cells: list[ResultRow | None]


def territories_compare(*, territories: Sequence[Territory], user: Any) -> list[ComparisonRow]:
    """Up to `COMPARE_MAX` territories side by side, every readable indicator in one year
    (the latest year with a value in any of them), so like is compared with like."""
    territories = list(territories)[:COMPARE_MAX]
    compared = []
    for sheet in indicator_sheet_list(user=user):
        periods = indicator_periods(indicator=sheet, period_type=YEARLY)
        rows = territory_results(
            indicator=sheet,
            territories=territories,
            periods=periods,
            until=public_until(sheet=sheet, user=user),
        )
        latest = _latest(rows)
        if latest is None:
            compared.append(
                ComparisonRow(sheet=sheet, period=None, cells=[None] * len(territories))
            )
            continue
        at = {r.territory_id: r for r in rows if r.period == latest.period}
        compared.append(
            ComparisonRow(
                sheet=sheet, period=latest.period, cells=[at.get(t.pk) for t in territories]
            )
        )
    return compared


@dataclass(frozen=True)
class SourceLine:
    """The data values of one element behind a figure, summed, with where they came from."""

    element: DataElement
    count: int
    total: float
    sources: list[str]
    batches: list[ImportBatch]


def figure_source_summary(
    *, sheet: IndicatorSheet, territory: Territory, period: str, user: Any, breakdown: str = ""
) -> list[SourceLine]:
    """What the public sees behind a figure: per data element, how many values, their sum,
    their sources and import batches (who stored them stays internal)."""
    ids = figure_source_ids(
        indicator=sheet,
        territory=territory,
        period=period,
        breakdown=breakdown,
        until=public_until(sheet=sheet, user=user),
    )
    counts: dict[int, int] = {}
    totals: dict[int, Decimal] = {}
    sources: dict[int, dict[str, None]] = {}
    batch_ids: dict[int, set[int]] = {}
    for element_id, value, source, batch_id in data_value_fields_by_ids(ids):
        counts[element_id] = counts.get(element_id, 0) + 1
        totals[element_id] = totals.get(element_id, Decimal(0)) + value
        if source:
            sources.setdefault(element_id, {})[source] = None
        if batch_id is not None:
            batch_ids.setdefault(element_id, set()).add(batch_id)
    elements = DataElement.objects.in_bulk(list(counts))
    batches = ImportBatch.objects.in_bulk(sorted(set().union(*batch_ids.values())))
    return [
        SourceLine(
            element=elements[element_id],
            count=counts[element_id],
            total=float(totals[element_id]),
            sources=sorted(sources.get(element_id, {})),
            batches=[batches[pk] for pk in sorted(batch_ids.get(element_id, ()))],
        )
        for element_id in sorted(counts, key=lambda pk: elements[pk].code)
    ]
