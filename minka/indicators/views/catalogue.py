"""The catalogue: indicator sheets (list, ficha técnica, create and edit), data elements,
and the data values behind a figure."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from minka.accounts.permissions import Action, has_permission, require_permission
from minka.analytics.engine.store import StoreBusy
from minka.analytics.selectors import analytics_last_refresh, figure_source_ids, figure_sources
from minka.indicators import selectors
from minka.indicators.forms import (
    FIGURE_BREAKDOWN,
    IndicatorSheetForm,
    formula_marks,
    period_field_parse,
)
from minka.indicators.models import IndicatorSheet
from minka.indicators.page_selectors import (
    changeable_territories,
    indicator_sheet_exists,
    may_see_sources,
)
from minka.indicators.services import FormulaRejected, indicator_sheet_save
from minka.indicators.views.common import refresh_indicators_on_commit
from minka.territories.models import Institution
from minka.territories.selectors import institution_list, territory_or_404

SOURCES_PAGE_SIZE = 200


@require_GET
def sheet_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "indicators/sheet_list.html",
        {
            "sheets": selectors.indicator_sheet_list(user=request.user),
            "can_create": has_permission(request.user, Action.CHANGE, None),
        },
    )


@require_GET
def sheet_detail(request: HttpRequest, code: str) -> HttpResponse:
    sheet = selectors.indicator_sheet_or_404(code=code, user=request.user)
    internal = selectors.sees_internal(request.user)
    return render(
        request,
        "indicators/sheet_detail.html",
        {
            "sheet": sheet,
            "targets": selectors.target_list(indicator=sheet),
            "breakdowns": selectors.indicator_breakdowns(indicator=sheet),
            "last_refresh": analytics_last_refresh(successful=True),
            "can_change": has_permission(request.user, Action.CHANGE, None),
            "can_set_targets": internal and changeable_territories(user=request.user).exists(),
            "internal": internal,
        },
    )


@require_GET
def element_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "indicators/element_list.html", {"elements": selectors.data_element_list()}
    )


def _institutions() -> QuerySet[Institution]:
    """Any institution may answer for an indicator (a ministry, a health network, a
    municipality)."""
    return institution_list().order_by("name")


def _sheet_initial(sheet: IndicatorSheet) -> dict[str, object]:
    fields = IndicatorSheetForm.base_fields
    initial = {name: getattr(sheet, name) for name in fields if name != "responsible"}
    initial["responsible"] = sheet.responsible_id
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def sheet_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Create a sheet (no code) or edit one. A formula with unknown references or a syntax
    error is refused by the service, with each problem shown at its position; nothing is
    saved then."""
    require_permission(request.user, Action.CHANGE, None)
    sheet = selectors.indicator_sheet_or_404(code=code, user=request.user) if code else None
    form = IndicatorSheetForm(
        request.POST or None,
        initial=_sheet_initial(sheet) if sheet else None,
        institutions=_institutions(),
        editing=sheet is not None,
    )
    marks = []
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        if sheet is None and indicator_sheet_exists(code=arguments["code"]):
            form.add_error("code", _("An indicator with this code exists already."))
        else:
            try:
                saved = indicator_sheet_save(**arguments)
            except FormulaRejected as rejected:
                marks = formula_marks(arguments["formula"], rejected.problems)
                form.formula_rejected(rejected.problems)
            else:
                refresh_indicators_on_commit([saved.code])
                messages.success(
                    request,
                    _("The indicator sheet %(code)s was saved.") % {"code": saved.code},
                )
                return redirect("indicators:sheet", saved.code)
    return render(
        request,
        "indicators/sheet_form.html",
        {"form": form, "sheet": sheet, "marks": marks},
        status=400 if form.errors else 200,
    )


@require_GET
def figure_sources_find(request: HttpRequest, code: str) -> HttpResponse:
    """The small form on a sheet ("the data behind a figure") sends here; go to the page."""
    sheet = selectors.indicator_sheet_or_404(code=code, user=request.user)
    territory_code = request.GET.get("territory", "").strip()
    country = request.GET.get("country", "PE").strip() or "PE"
    period = request.GET.get("period", "").strip()
    if not territory_code or not period:
        messages.error(request, _("Write the territory code and the period of the figure."))
        return redirect("indicators:sheet", sheet.code)
    return redirect(
        "indicators:sources", sheet.code, country.upper(), territory_code, period
    )


@require_GET
def figure_sources_page(
    request: HttpRequest, code: str, country: str, territory_code: str, period: str
) -> HttpResponse:
    """The data values behind one figure: internal readers only, and a territorially scoped
    one (an official, a coordinator) only inside their scope."""
    sheet = selectors.indicator_sheet_or_404(code=code, user=request.user)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    territory = territory_or_404(country=country, code=territory_code)
    if not may_see_sources(user=request.user, territory=territory):
        raise PermissionDenied(_("You may not see the data values of this territory."))
    try:
        canonical = period_field_parse(period).id
    except ValidationError as error:
        raise Http404(_("“%(period)s” is not a period.") % {"period": period}) from error
    breakdown = request.GET.get("breakdown", "")
    if not FIGURE_BREAKDOWN.match(breakdown):
        raise Http404(_("There is no such disaggregation."))
    context = {
        "sheet": sheet,
        "territory": territory,
        "period": canonical,
        "breakdown": breakdown,
        "last_refresh": analytics_last_refresh(successful=True),
    }
    try:
        ids = figure_source_ids(
            indicator=sheet, territory=territory, period=canonical, breakdown=breakdown
        )
        page = Paginator(ids, SOURCES_PAGE_SIZE).get_page(request.GET.get("page"))
        values = figure_sources(
            indicator=sheet,
            territory=territory,
            period=canonical,
            breakdown=breakdown,
            offset=page.start_index() - 1 if ids else 0,
            limit=SOURCES_PAGE_SIZE,
        )
    except StoreBusy:
        # a refresh holds the store: say so and let the person try again, never a 500
        return render(
            request, "indicators/figure_sources.html", {**context, "busy": True}, status=503
        )
    context.update({"page": page, "count": len(ids), "values": values})
    return render(request, "indicators/figure_sources.html", context)
