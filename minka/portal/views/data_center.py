"""The data center (public, no login) and the territory dashboard (signed in): territory
profiles, indicator pages with map, curve and ranking, comparisons, downloads and the
sources of every figure. Thin: parse the query, call selectors, render.

Signed-in readers see unpublished indicators too (marked as such); the public only
published ones, because every list of indicators comes from `indicator_sheet_list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from minka.analytics.engine.store import StoreBusy
from minka.analytics.selectors import analytics_last_refresh, indicator_series
from minka.indicators.models import IndicatorSheet
from minka.indicators.page_selectors import may_see_sources
from minka.indicators.selectors import (
    indicator_breakdowns,
    indicator_sheet_list,
    indicator_sheet_or_404,
    public_until,
    sees_internal,
)
from minka.portal import figure_charts
from minka.portal.ranking_table import Table, ranking_table, table_csv, table_xlsx
from minka.portal.selectors import (
    COMPARE_MAX,
    YEARLY,
    boundaries_of,
    figure_source_summary,
    gender_breakdowns,
    home_territory,
    indicator_ranking,
    indicator_years,
    levels_below,
    territories_compare,
    territory_figures,
)
from minka.territories.models import Level, Territory
from minka.territories.selectors import (
    territory_ancestors,
    territory_children,
    territory_get,
    territory_list,
    territory_or_404,
)


def _territory_ref(territory: Territory) -> str:
    return f"{territory.country}-{territory.code}"


def _territory_from_ref(ref: str) -> Territory | None:
    country, _sep, code = ref.partition("-")
    if not code:
        return None
    return territory_get(country=country.upper(), code=code)


def _busy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/busy.html", status=503)


@require_GET
def data_center(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "portal/data_center.html",
        {
            "query": query,
            "found": territory_list(query=query)[:20] if query else [],
            "sheets": indicator_sheet_list(user=request.user),
            "regions": Territory.objects.filter(
                country="PE", level=Level.REGION, valid_to__isnull=True
            ).order_by("name"),
            "last_refresh": analytics_last_refresh(successful=True),
        },
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in user's dashboard: their territory's profile, with internal figures."""
    territory = home_territory(user=request.user)
    if territory is None:
        return redirect("portal:data_center")
    return redirect("portal:territory", territory.country, territory.code)


@dataclass(frozen=True)
class Card:
    figure: object
    sparkline: str
    indicator_url: str


@require_GET
def territory_page(request: HttpRequest, country: str, code: str) -> HttpResponse:
    territory = territory_or_404(country=country, code=code)
    if territory.code != code or territory.country != country:
        return redirect("portal:territory", territory.country, territory.code, permanent=True)
    try:
        figures = territory_figures(territory=territory, user=request.user)
    except StoreBusy:
        return _busy(request)
    ref = urlencode({"territorio": _territory_ref(territory)})
    cards = [
        Card(
            figure=f,
            sparkline=figure_charts.sparkline(f.sheet, f.series) if f.latest else "",
            indicator_url=f"{reverse('portal:indicator', args=[f.sheet.code])}?{ref}",
        )
        for f in figures
    ]
    return render(
        request,
        "portal/territory.html",
        {
            "territory": territory,
            "ancestors": territory_ancestors(territory=territory),
            "children": territory_children(territory=territory).filter(valid_to__isnull=True),
            "cards": cards,
            "internal": sees_internal(request.user),
            "last_refresh": analytics_last_refresh(successful=True),
            "compare_url": f"{reverse('portal:compare')}?"
            + urlencode({"t": _territory_ref(territory)}),
        },
    )


@dataclass(frozen=True)
class IndicatorView:
    """The indicator page's filters after checking them (invalid ones fall back, with a
    notice saying so)."""

    sheet: IndicatorSheet
    territory: Territory
    levels: list[str]
    level: str | None
    years: list[str]
    period: str | None
    breakdowns: list[str]
    breakdown: str
    notices: list[str]

    def query(self, **changes: str) -> str:
        params = {
            "territorio": _territory_ref(self.territory),
            "nivel": self.level or "",
            "periodo": self.period or "",
            "desagregacion": self.breakdown,
        }
        params.update(changes)
        return urlencode({k: v for k, v in params.items() if v})


def _indicator_view(request: HttpRequest, code: str) -> IndicatorView:
    sheet = indicator_sheet_or_404(code=code, user=request.user)
    notices: list[str] = []
    ref = request.GET.get("territorio", "")
    territory = _territory_from_ref(ref) if ref else None
    if territory is None:
        if ref:
            notices.append(_("There is no territory %(ref)s; showing the default.") % {"ref": ref})
        territory = home_territory(user=request.user)
    if territory is None:
        raise Http404(_("There are no territories yet."))
    levels = levels_below(territory=territory)
    level = request.GET.get("nivel") or (levels[0] if levels else None)
    if level not in levels:
        if request.GET.get("nivel"):
            notices.append(
                _("%(territory)s has no level %(level)s; showing its children.")
                % {"territory": territory.name, "level": level}
            )
        level = levels[0] if levels else None
    years = indicator_years(sheet=sheet, territory=territory, user=request.user)
    period = request.GET.get("periodo") or (years[0] if years else None)
    if period not in years:
        if request.GET.get("periodo"):
            notices.append(
                _("There are no figures for %(period)s; showing the latest year.")
                % {"period": period}
            )
        period = years[0] if years else None
    gender = gender_breakdowns(sheet=sheet)
    others = [b for b in indicator_breakdowns(indicator=sheet) if b not in gender]
    breakdowns = ["", *gender, *others]
    breakdown = request.GET.get("desagregacion", "")
    if breakdown not in breakdowns:
        notices.append(
            _("%(name)s has no breakdown %(breakdown)s; showing the total.")
            % {"name": sheet.name, "breakdown": breakdown}
        )
        breakdown = ""
    return IndicatorView(
        sheet=sheet,
        territory=territory,
        levels=levels,
        level=level,
        years=years,
        period=period,
        breakdowns=breakdowns,
        breakdown=breakdown,
        notices=notices,
    )


def _ranking(view: IndicatorView, user: Any) -> tuple[list, Table]:
    if view.level is None or view.period is None:
        rows = []
    else:
        rows = indicator_ranking(
            sheet=view.sheet,
            territory=view.territory,
            level=view.level,
            period=view.period,
            breakdown=view.breakdown,
            user=user,
        )
    gender = [] if view.breakdown else gender_breakdowns(sheet=view.sheet)
    if rows and not any(r.by_sex for r in rows):
        gender = []
    return rows, ranking_table(sheet=view.sheet, rows=rows, gender=gender)


@require_GET
def indicator_page(request: HttpRequest, code: str) -> HttpResponse:
    view = _indicator_view(request, code)
    try:
        rows, table = _ranking(view, request.user)
        series = indicator_series(
            indicator=view.sheet,
            territory=view.territory,
            period_type=YEARLY,
            breakdown=view.breakdown,
            until=public_until(sheet=view.sheet, user=request.user),
        )
    except StoreBusy:
        return _busy(request)
    results = [r.result for r in rows]
    hrefs = {
        r.territory_id: f"{reverse('portal:indicator', args=[view.sheet.code])}?"
        + view.query(territorio=f"{r.territory_country}-{r.territory_code}", nivel="")
        for r in results
    }
    geometries = boundaries_of(territory_ids=[r.territory_id for r in results])
    choropleth = (
        figure_charts.ranking_map(view.sheet, results, geometries, hrefs) if results else None
    )
    bars = ""
    if results and choropleth is not None and choropleth.missing_geometry:
        bars = figure_charts.ranking_bars(view.sheet, results, hrefs)
    missing_names = []
    if choropleth is not None:
        missing = set(choropleth.missing_geometry)
        missing_names = [r.territory_name for r in results if r.territory_code in missing]
    return render(
        request,
        "portal/indicator.html",
        {
            "view": view,
            "sheet": view.sheet,
            "territory": view.territory,
            "ancestors": territory_ancestors(territory=view.territory),
            "table": table,
            "rows": rows,
            "choropleth": choropleth,
            "missing_names": missing_names,
            "map_drawn": len(missing_names) < len(results),
            "bars": bars,
            "curve": figure_charts.curve(view.sheet, series, view.territory.name)
            if any(r.value is not None for r in series)
            else "",
            "series": series,
            "internal": sees_internal(request.user),
            "last_refresh": analytics_last_refresh(successful=True),
            "csv_url": _download_url(view, "csv"),
            "xlsx_url": _download_url(view, "xlsx"),
        },
    )


def _download_url(view: IndicatorView, file_format: str) -> str:
    url = reverse("portal:indicator_download", args=[view.sheet.code, file_format])
    return f"{url}?{view.query()}"


@require_GET
def indicator_download(request: HttpRequest, code: str, file_format: str) -> HttpResponse:
    if file_format not in ("csv", "xlsx"):
        raise Http404(_("Downloads are CSV or Excel (xlsx)."))
    view = _indicator_view(request, code)
    try:
        _rows, table = _ranking(view, request.user)
    except StoreBusy:
        return _busy(request)
    name = "-".join(
        part
        for part in (
            view.sheet.code,
            _territory_ref(view.territory),
            view.level,
            view.period,
            view.breakdown,
        )
        if part
    )
    if file_format == "csv":
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    else:
        notes = [
            f"{view.sheet.name} ({view.sheet.code})",
            _("Territory: %(name)s; period: %(period)s")
            % {"name": view.territory.name, "period": view.period or "—"},
            _("Source: %(source)s") % {"source": view.sheet.source or "—"},
        ]
        response = HttpResponse(
            table_xlsx(table, title=view.sheet.code, notes=notes),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@require_GET
def compare_page(request: HttpRequest) -> HttpResponse:
    refs = list(dict.fromkeys(r for r in request.GET.getlist("t") if r.strip()))
    notices = []
    if len(refs) > COMPARE_MAX:
        notices.append(
            _("At most %(n)s territories can be compared; the first %(n)s are shown.")
            % {"n": COMPARE_MAX}
        )
        refs = refs[:COMPARE_MAX]
    territories = []
    for ref in refs:
        found = _territory_from_ref(ref)
        if found is None:
            notices.append(_("There is no territory %(ref)s.") % {"ref": ref})
        else:
            territories.append(found)
    query = request.GET.get("q", "").strip()
    try:
        rows = territories_compare(territories=territories, user=request.user)
    except StoreBusy:
        return _busy(request)
    return render(
        request,
        "portal/compare.html",
        {
            "territories": territories,
            "refs": [_territory_ref(t) for t in territories],
            "rows": rows if territories else [],
            "notices": notices,
            "query": query,
            "found": territory_list(query=query)[:20] if query else [],
            "room": len(territories) < COMPARE_MAX,
            "compare_max": COMPARE_MAX,
        },
    )


@require_GET
def figure_sources_page(
    request: HttpRequest, code: str, country: str, territory_code: str, period: str
) -> HttpResponse:
    sheet = indicator_sheet_or_404(code=code, user=request.user)
    territory = territory_or_404(country=country, code=territory_code)
    breakdown = request.GET.get("desagregacion", "")
    if breakdown and breakdown not in indicator_breakdowns(indicator=sheet):
        raise Http404(
            _("%(name)s has no breakdown %(breakdown)s.")
            % {"name": sheet.name, "breakdown": breakdown}
        )
    try:
        lines = figure_source_summary(
            sheet=sheet, territory=territory, period=period, breakdown=breakdown,
            user=request.user,
        )
    except StoreBusy:
        return _busy(request)
    return render(
        request,
        "portal/figure_sources.html",
        {
            "sheet": sheet,
            "territory": territory,
            "period": period,
            "breakdown": breakdown,
            "lines": lines,
            "detail": may_see_sources(user=request.user, territory=territory),
        },
    )
