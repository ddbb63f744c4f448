"""Scorecard pages: the list, a scorecard, the history of a text, and the forms that write.

Reading: `selectors.scorecard_or_404` answers 404 for what the reader may not see. Writing:
signed-in users only, and `Action.CHANGE` on the scorecard's territory (403 otherwise); a
form with errors is shown again with them (400) and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from minka.accounts.models import User
from minka.accounts.permissions import Action, require_permission
from minka.form_submit import form_submit
from minka.indicators.page_selectors import changeable_territories
from minka.indicators.selectors import indicator_sheet_list
from minka.portal.charts import sparkline_svg
from minka.scorecards import selectors, services
from minka.scorecards.forms import MeasureForm, ProgrammeForm, ScorecardForm, TextForm
from minka.scorecards.models import Programme, Scorecard, TextKind
from minka.territories.models import Institution


def _signed_in(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "view must be wrapped in login_required"
    return user


@dataclass(frozen=True)
class FormPage:
    """What a form page says around its form."""

    title: str
    action: str
    scorecard: Scorecard | None = None
    programme: Programme | None = None
    intro: str = ""


def _form_submit(
    request: HttpRequest, page: FormPage, form: Any, save: Callable[[dict[str, Any]], HttpResponse]
) -> HttpResponse:
    return form_submit(
        request, form, save, lambda form, status: _form_page(request, page, form, status=status)
    )


def _form_page(request: HttpRequest, page: FormPage, form: Any, status: int = 200) -> HttpResponse:
    return render(
        request,
        "scorecards/form.html",
        {
            "form": form,
            "title": page.title,
            "action": page.action,
            "intro": page.intro,
            "scorecard": page.scorecard,
            "programme": page.programme,
        },
        status=status,
    )


# --- reading ------------------------------------------------------------------------------


@require_GET
def scorecard_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "scorecards/list.html",
        {
            "scorecards": selectors.scorecard_list(user=request.user),
            "can_create": request.user.is_authenticated
            and changeable_territories(user=request.user).exists(),
        },
    )


SPARKLINE_PERIODS = 10


def _sparklines_draw(page: selectors.ScorecardPage) -> selectors.ScorecardPage:
    """Give every row a small chart of its last periods (the figures beside it say the same
    in words and numbers, so the chart needs no table of its own)."""
    rows = [*page.population]
    for block in page.programmes:
        for group in block.groups:
            rows.extend(group.rows)
    for row in rows:
        values = [value for _period, value in row.series][-SPARKLINE_PERIODS:]
        if any(v is not None for v in values):
            row.sparkline = sparkline_svg(values, title=row.indicator.name)
    return page


@require_GET
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scorecard = selectors.scorecard_or_404(pk=pk, user=request.user)
    page = selectors.scorecard_page(scorecard=scorecard, user=request.user)
    return render(
        request,
        "scorecards/detail.html",
        {
            "page": _sparklines_draw(page),
            "scorecard": scorecard,
            "can_change": selectors.may_change_scorecard(user=request.user, scorecard=scorecard),
        },
    )


def _kind_or_404(kind: str) -> str:
    if kind not in TextKind.values:
        raise Http404(_("There is no such kind of text."))
    return kind


@require_GET
def text_history(
    request: HttpRequest, pk: int, kind: str, programme_pk: int | None = None
) -> HttpResponse:
    scorecard = selectors.scorecard_or_404(pk=pk, user=request.user)
    programme = (
        None
        if programme_pk is None
        else selectors.programme_or_404(scorecard=scorecard, pk=programme_pk)
    )
    kind = _kind_or_404(kind)
    return render(
        request,
        "scorecards/history.html",
        {
            "scorecard": scorecard,
            "programme": programme,
            "kind": kind,
            "kind_label": TextKind(kind).label,
            "versions": selectors.scorecard_text_history(
                scorecard=scorecard, kind=kind, programme=programme
            ),
            "can_change": selectors.may_change_scorecard(user=request.user, scorecard=scorecard),
        },
    )


# --- writing ------------------------------------------------------------------------------


def _scorecard_form(request: HttpRequest, user: User, **kwargs: Any) -> ScorecardForm:
    return ScorecardForm(
        request.POST if request.method == "POST" else None,
        territories=changeable_territories(user=user),
        indicators=indicator_sheet_list(user=user),
        **kwargs,
    )


SCORECARD_FIELDS = (
    "title_es",
    "title_en",
    "population",
    "result",
    "territory",
    "period_type",
    "public",
)
"""The scorecard form's fields, as the create and update services take them."""


def _scorecard_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in SCORECARD_FIELDS}


def _to_detail(request: HttpRequest, scorecard: Scorecard, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("scorecards:detail", scorecard.pk)


@login_required
@require_http_methods(["GET", "POST"])
def scorecard_create(request: HttpRequest) -> HttpResponse:
    user = _signed_in(request)
    if not changeable_territories(user=user).exists():
        raise PermissionDenied(_("You do not have permission to do this here."))
    form = _scorecard_form(request, user)

    def save(data: dict[str, Any]) -> HttpResponse:
        require_permission(user, Action.CHANGE, data["territory"])
        scorecard = services.scorecard_create(
            **_scorecard_fields(data), indicators=form.indicators_in_order([]), user=user
        )
        return _to_detail(request, scorecard, _("Scorecard created."))

    return _form_submit(
        request, FormPage(title=_("New scorecard"), action=request.path), form, save
    )


@login_required
@require_http_methods(["GET", "POST"])
def scorecard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _signed_in(request)
    scorecard = selectors.scorecard_or_404(pk=pk, user=user)
    require_permission(user, Action.CHANGE, scorecard.territory)
    existing = selectors.scorecard_indicator_list(scorecard=scorecard)
    initial = {name: getattr(scorecard, name) for name in SCORECARD_FIELDS}
    form = _scorecard_form(request, user, initial={**initial, "indicators": existing})

    def save(data: dict[str, Any]) -> HttpResponse:
        require_permission(user, Action.CHANGE, data["territory"])
        services.scorecard_update(
            scorecard=scorecard,
            **_scorecard_fields(data),
            indicators=form.indicators_in_order(existing),
            user=user,
        )
        return _to_detail(request, scorecard, _("Scorecard saved."))

    page = FormPage(title=_("Edit the scorecard"), action=request.path, scorecard=scorecard)
    return _form_submit(request, page, form, save)


@login_required
@require_http_methods(["GET", "POST"])
def programme_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _signed_in(request)
    scorecard = selectors.scorecard_or_404(pk=pk, user=user)
    require_permission(user, Action.CHANGE, scorecard.territory)
    form = ProgrammeForm(
        request.POST if request.method == "POST" else None,
        institutions=Institution.objects.select_related("territory").order_by("name"),
    )

    def save(data: dict[str, Any]) -> HttpResponse:
        programme = services.programme_create(
            scorecard=scorecard,
            name_es=data["name_es"],
            name_en=data["name_en"],
            description=data["description"],
            lead_institution=data["lead_institution"],
            user=user,
        )
        return _to_detail(
            request, scorecard, _("Programme “%(name)s” added.") % {"name": programme.name}
        )

    page = FormPage(title=_("Add a programme"), action=request.path, scorecard=scorecard)
    return _form_submit(request, page, form, save)


@login_required
@require_http_methods(["GET", "POST"])
def measure_add(request: HttpRequest, pk: int, programme_pk: int) -> HttpResponse:
    user = _signed_in(request)
    scorecard = selectors.scorecard_or_404(pk=pk, user=user)
    require_permission(user, Action.CHANGE, scorecard.territory)
    programme = selectors.programme_or_404(scorecard=scorecard, pk=programme_pk)
    form = MeasureForm(
        request.POST if request.method == "POST" else None,
        indicators=indicator_sheet_list(user=user),
    )

    def save(data: dict[str, Any]) -> HttpResponse:
        services.performance_measure_add(
            programme=programme,
            indicator=data["indicator"],
            question=data["question"],
            user=user,
        )
        return _to_detail(request, scorecard, _("Performance measure added."))

    page = FormPage(
        title=_("Add a performance measure"),
        action=request.path,
        scorecard=scorecard,
        programme=programme,
        intro=_(
            "How much did we do? How well did we do it? Is anyone better off? "
            "Choose the indicator and the question it answers for this programme."
        ),
    )
    return _form_submit(request, page, form, save)


@login_required
@require_http_methods(["GET", "POST"])
def text_add(request: HttpRequest, pk: int, programme_pk: int | None = None) -> HttpResponse:
    """Add a version of a text. `?kind=` on a GET starts from that kind's latest version,
    which is how a text is edited without ever overwriting it."""
    user = _signed_in(request)
    scorecard = selectors.scorecard_or_404(pk=pk, user=user)
    require_permission(user, Action.CHANGE, scorecard.territory)
    programme = (
        None
        if programme_pk is None
        else selectors.programme_or_404(scorecard=scorecard, pk=programme_pk)
    )
    initial = {}
    kind = request.GET.get("kind", "")
    if request.method == "GET" and kind in TextKind.values:
        latest = selectors.scorecard_text_latest(
            scorecard=scorecard, kind=kind, programme=programme
        )
        initial = {"kind": kind, "body": latest.body if latest else ""}
    form = TextForm(request.POST if request.method == "POST" else None, initial=initial)

    def save(data: dict[str, Any]) -> HttpResponse:
        text = services.scorecard_text_add(
            scorecard=scorecard,
            programme=programme,
            kind=data["kind"],
            body=data["body"],
            user=user,
        )
        return _to_detail(
            request,
            scorecard,
            _("“%(kind)s” saved as a new version.") % {"kind": text.get_kind_display()},
        )

    page = FormPage(
        title=_("Write a text"), action=request.path, scorecard=scorecard, programme=programme
    )
    return _form_submit(request, page, form, save)
