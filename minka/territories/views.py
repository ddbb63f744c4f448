"""Territory browser, territory page and institution page. Thin: parse, select, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from minka.accounts.permissions import Action, has_permission, require_permission
from minka.territories import selectors
from minka.territories.forms import InstitutionContactForm, TerritorySearchForm
from minka.territories.services import institution_update_contact

PAGE_SIZE = 50


def browse(request: HttpRequest) -> HttpResponse:
    form = TerritorySearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    territories = selectors.territory_list(
        country=filters.get("country") or None,
        level=filters.get("level") or None,
        query=filters.get("q") or None,
    )
    page = Paginator(territories, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "territories/browse.html", {"form": form, "page": page})


def territory_detail(request: HttpRequest, country: str, code: str) -> HttpResponse:
    territory = selectors.territory_or_404(country=country, code=code)
    if territory.code != code or territory.country != country:
        return redirect("territories:detail", territory.country, territory.code, permanent=True)
    return render(
        request,
        "territories/detail.html",
        {
            "territory": territory,
            "ancestors": selectors.territory_ancestors(territory=territory),
            "population": selectors.population_by_sex(territory=territory),
            "children": selectors.territory_children(territory=territory),
            "institutions": selectors.institution_list(territory=territory),
            "aliases": territory.aliases.all(),
            "successors": territory.successors.all(),
            "predecessors": territory.predecessors.all(),
        },
    )


def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = selectors.institution_or_404(pk=pk)
    return render(
        request,
        "territories/institution_detail.html",
        {
            "institution": institution,
            "ancestors": selectors.territory_ancestors(territory=institution.territory),
            "can_view_private": has_permission(request.user, Action.VIEW_PRIVATE, institution),
            "can_change": has_permission(request.user, Action.CHANGE, institution),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def institution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    institution = selectors.institution_or_404(pk=pk)
    require_permission(request.user, Action.CHANGE, institution)
    initial = {
        "contact_email": institution.contact_email,
        "contact_phone": institution.contact_phone,
        "technical_team_notes": institution.technical_team_notes,
    }
    form = InstitutionContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        institution_update_contact(institution=institution, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The contact details were saved."))
        return redirect("territories:institution", institution.pk)
    return render(
        request,
        "territories/institution_edit.html",
        {"institution": institution, "form": form},
        status=400 if form.errors else 200,
    )
