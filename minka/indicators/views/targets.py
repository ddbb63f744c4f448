"""Targets and baselines of an indicator: the table, setting one, and aligned district
targets derived from a region's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from minka.accounts.permissions import Action, require_permission
from minka.indicators import selectors
from minka.indicators.forms import TargetDeriveForm, TargetForm
from minka.indicators.models import IndicatorSheet, Target
from minka.indicators.page_selectors import (
    changeable_territories,
    derivable_targets,
    district_descendants,
    may_derive_targets,
)
from minka.indicators.services import target_set, targets_derive
from minka.indicators.views.common import refresh_indicators_on_commit, signed_in
from minka.territories.models import Territory


@dataclass
class TargetRow:
    """One line of the table: a territory and period with its baseline and its target."""

    territory: Territory
    period: str
    baseline: Target | None = None
    target: Target | None = None

    @property
    def note(self) -> str:
        return " ".join(t.note for t in (self.baseline, self.target) if t and t.note)


def target_rows(targets: list[Target]) -> list[TargetRow]:
    rows: dict[tuple[int, str], TargetRow] = {}
    for target in targets:
        row = rows.setdefault(
            (target.territory_id, target.period), TargetRow(target.territory, target.period)
        )
        if target.kind == Target.Kind.BASELINE:
            row.baseline = target
        else:
            row.target = target
    return list(rows.values())


def _render(
    request: HttpRequest,
    sheet: IndicatorSheet,
    *,
    set_form: TargetForm | None = None,
    derive_form: TargetDeriveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in(request)
    territories = changeable_territories(user=user)
    can_derive = may_derive_targets(user=user)
    if set_form is None:
        set_form = TargetForm(territories=territories, prefix="set")
    if derive_form is None and can_derive:
        derive_form = TargetDeriveForm(
            sources=derivable_targets(indicator=sheet, user=user), prefix="derive"
        )
    return render(
        request,
        "indicators/targets.html",
        {
            "sheet": sheet,
            "rows": target_rows(list(selectors.target_list(indicator=sheet))),
            "set_form": set_form,
            "derive_form": derive_form if can_derive else None,
            "can_set": territories.exists(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def targets_page(request: HttpRequest, code: str) -> HttpResponse:
    """The table, and the form to set a target or a baseline (POST)."""
    sheet = selectors.indicator_sheet_or_404(code=code, user=request.user)
    if request.method == "GET":
        return _render(request, sheet)
    user = signed_in(request)
    form = TargetForm(request.POST, territories=changeable_territories(user=user), prefix="set")
    if not form.is_valid():
        return _render(request, sheet, set_form=form, status=400)
    territory = form.cleaned_data["territory"]
    require_permission(user, Action.CHANGE, territory)
    target = target_set(
        indicator=sheet,
        territory=territory,
        period=form.cleaned_data["period"],
        value=form.cleaned_data["value"],
        kind=form.cleaned_data["kind"],
        note=form.cleaned_data["note"],
        user=user,
    )
    refresh_indicators_on_commit([sheet.code])
    messages.success(
        request,
        _("%(kind)s of %(territory)s for %(period)s saved: %(value)s.")
        % {
            "kind": target.get_kind_display(),
            "territory": territory.name,
            "period": target.period,
            "value": _number(target.value),
        },
    )
    return redirect("indicators:targets", sheet.code)


@login_required
@require_POST
def targets_derive_view(request: HttpRequest, code: str) -> HttpResponse:
    """Give every district inside the chosen territory a target derived from its own."""
    sheet = selectors.indicator_sheet_or_404(code=code, user=request.user)
    user = signed_in(request)
    if not may_derive_targets(user=user):
        require_permission(user, Action.CHANGE, None)
    form = TargetDeriveForm(
        request.POST, sources=derivable_targets(indicator=sheet, user=user), prefix="derive"
    )
    if not form.is_valid():
        return _render(request, sheet, derive_form=form, status=400)
    source: Target = form.cleaned_data["source"]
    require_permission(user, Action.CHANGE, source.territory)
    districts = list(district_descendants(territory=source.territory))
    if not districts:
        form.add_error(None, _("%(name)s has no districts.") % {"name": source.territory.name})
        return _render(request, sheet, derive_form=form, status=400)
    for district in districts:
        require_permission(user, Action.CHANGE, district)
    try:
        derived = targets_derive(
            source=source, territories=districts, method=form.cleaned_data["method"], user=user
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _render(request, sheet, derive_form=form, status=400)
    refresh_indicators_on_commit([sheet.code])
    messages.success(
        request,
        _("%(count)s district targets for %(period)s derived from %(territory)s.")
        % {"count": len(derived), "period": source.period, "territory": source.territory.name},
    )
    return redirect("indicators:targets", sheet.code)


def _number(value: Decimal) -> str:
    """A stored value without the trailing zeros of its six decimals, in local format."""
    return number_format(value.normalize())
