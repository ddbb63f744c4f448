"""The portal's charts from analytics results: the glue between `ResultRow`s and the pure
SVG drawing in `minka.portal.charts` (which knows nothing of indicators or locales)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from minka.analytics.selectors import ResultRow
from minka.indicators.models import IndicatorSheet
from minka.portal.charts import (
    Area,
    Bar,
    ChartLabels,
    Choropleth,
    Point,
    bars_svg,
    choropleth_svg,
    curve_svg,
    sparkline_svg,
)
from minka.portal.figures import figure_number

HISTORY_YEARS = 10


def _forecast(series: Sequence[ResultRow]) -> tuple[ResultRow | None, list[Point]]:
    """The last row with a value and the years after it up to its target's year at the
    current pace (value + slope × years): the "turn the curve" baseline forecast."""
    with_value = [r for r in series if r.value is not None]
    if not with_value:
        return None, []
    last = with_value[-1]
    if last.trend_slope is None or not last.target_period:
        return last, []
    try:
        last_year, target_year = int(last.period[:4]), int(last.target_period[:4])
    except ValueError:
        return last, []
    assert last.value is not None
    return last, [
        Point(str(year), last.value + last.trend_slope * (year - last_year))
        for year in range(last_year + 1, target_year + 1)
    ]


def sparkline(sheet: IndicatorSheet, series: Sequence[ResultRow]) -> str:
    """The last ten years and the forecast to the target, as a tiny line."""
    recent = list(series)[-HISTORY_YEARS:]
    _last, forecast = _forecast(series)
    return sparkline_svg(
        [r.value for r in recent],
        forecast=[p.value for p in forecast],
        title=ngettext("%(name)s, the last year", "%(name)s, the last %(years)s years", len(recent))
        % {"name": sheet.name, "years": len(recent)},
    )


def curve(sheet: IndicatorSheet, series: Sequence[ResultRow], territory_name: str) -> str:
    """History, forecast at the current pace and target line: "turn the curve"."""
    last, forecast = _forecast(series)
    target = None
    if last is not None and last.target is not None and last.target_period:
        target = Point(last.target_period, last.target)
    base = next(
        (r.value for r in series if sheet.base_year and r.period == str(sheet.base_year)), None
    )
    return curve_svg(
        history=[Point(r.period, r.value) for r in series],
        forecast=forecast,
        target=target,
        baseline=base,
        title=_("%(name)s in %(territory)s") % {"name": sheet.name, "territory": territory_name},
        description=_("History by year, forecast at the current pace and the target."),
        number=partial(_plain, sheet=sheet),
        labels=ChartLabels(target=_("Target"), baseline=_("Baseline"), forecast=_("Forecast")),
    )


def _plain(value: float, *, sheet: IndicatorSheet) -> str:
    return figure_number(value, sheet)


def ranking_map(
    sheet: IndicatorSheet,
    rows: Sequence[ResultRow],
    geometries: dict[int, Any],
    hrefs: dict[int, str],
) -> Choropleth:
    """The rows' territories coloured by quantile, best class first by polarity."""
    return choropleth_svg(
        [
            Area(
                key=r.territory_code,
                label=r.territory_name,
                geometry=geometries.get(r.territory_id),
                value=r.value,
                href=hrefs.get(r.territory_id),
            )
            for r in rows
        ],
        higher_is_better=sheet.polarity == "higher",
        title=_("Map of %(name)s") % {"name": sheet.name},
        number=partial(_plain, sheet=sheet),
    )


def ranking_bars(sheet: IndicatorSheet, rows: Sequence[ResultRow], hrefs: dict[int, str]) -> str:
    """The ranked bar chart shown when some territory has no boundary to draw."""
    return bars_svg(
        [
            Bar(
                label=r.territory_name,
                value=r.value,
                css_class=r.status or "",
                href=hrefs.get(r.territory_id),
            )
            for r in rows
        ],
        title=_("%(name)s by territory") % {"name": sheet.name},
        number=partial(_plain, sheet=sheet),
    )
