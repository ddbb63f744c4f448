"""Quality review: the values listed for review (outliers, out of bounds, broken rules),
each confirmed or marked corrected with a note; coordinators can run the checks at once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from minka.accounts.permissions import Action, has_permission, require_permission
from minka.indicators import selectors
from minka.indicators.forms import QualityReviewForm
from minka.indicators.models import QualityFlag
from minka.indicators.views.common import signed_in

PAGE_SIZE = 50


@login_required
@require_GET
def flag_list(request: HttpRequest) -> HttpResponse:
    """The flags the user may see (an official only their municipality's), open first."""
    state = request.GET.get("state", QualityFlag.State.OPEN)
    if state not in QualityFlag.State.values and state != "all":
        state = QualityFlag.State.OPEN
    flags = selectors.quality_flag_list(
        user=request.user, state=None if state == "all" else state
    )
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    form = QualityReviewForm()
    return render(
        request,
        "indicators/quality.html",
        {
            "page": page,
            "state": state,
            "states": [*QualityFlag.State.choices, ("all", _("All"))],
            "decisions": form.fields["state"].choices,  # type: ignore[attr-defined]
            "can_run_checks": has_permission(request.user, Action.CHANGE, None),
        },
    )


@login_required
@require_POST
def flag_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a flagged value as correct, or mark it corrected, with a note."""
    from minka.indicators.imports import quality_flag_review

    user = signed_in(request)
    flag = selectors.quality_flag_list(user=user).filter(pk=pk).first()
    if flag is None:
        raise Http404(_("There is no such value to review."))
    require_permission(user, Action.CHANGE, flag.territory)
    form = QualityReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision for the value under review."))
    else:
        try:
            quality_flag_review(
                flag=flag,
                state=form.cleaned_data["state"],
                note=form.cleaned_data["note"],
                user=user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The review was saved."))
    return _back(request)


@login_required
@require_POST
def quality_check_view(request: HttpRequest) -> HttpResponse:
    """Run the quality checks now (coordinators and the national admin)."""
    from minka.indicators.imports import quality_check

    require_permission(request.user, Action.CHANGE, None)
    flags = quality_check(user=request.user)
    messages.success(
        request,
        _("The checks ran: %(count)s values to review.") % {"count": len(flags)},
    )
    return _back(request)


def _back(request: HttpRequest) -> HttpResponse:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(referer)
    return redirect("indicators:quality")
