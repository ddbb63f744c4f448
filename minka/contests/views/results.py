"""Scoring pages: the coordinator freezes a cut's readings and publishes the scores; the
public reads the published results (ranking by category, fund, awards, each
municipality's points with their explanation and evidence), any earlier version and what
changed, as a page, an Excel file or a PDF annex; a municipality's officials appeal; the
coordinators resolve the appeals. Thin: parse, call one service or selector, render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from minka.contests import selectors, services
from minka.contests.forms import AppealForm, AppealResolveForm, ScoresPublishForm
from minka.contests.models import Edition, EvidenceStatus, Registration, ScoreVersion
from minka.contests.results import (
    MunicipalityResults,
    municipality_results,
    results_build,
    results_xlsx,
    version_changes,
)
from minka.contests.views.common import coordinator_edition, page
from minka.form_submit import form_submit


@login_required
@require_http_methods(["GET", "POST"])
def cut_freeze_page(request: HttpRequest, code: str, year: int, cut: str) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    found = edition.cuts.filter(code=cut).first()
    if found is None:
        raise Http404(_("There is no such cut."))
    form = forms.Form(request.POST if request.method == "POST" else None)

    def save(_data: dict[str, Any]) -> HttpResponse:
        readings = services.cut_readings_freeze(cut=found, user=request.user)
        messages.success(
            request,
            _("The readings of %(cut)s are frozen: %(count)s values, %(missing)s without data.")
            % {
                "cut": found.name,
                "count": len(readings),
                "missing": sum(1 for r in readings if r.value is None),
            },
        )
        return redirect("contests:edition", code, year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request, "cut_freeze.html", {"edition": edition, "cut": found, "form": form}, status
        )

    return form_submit(request, form, save, show)


@login_required
@require_http_methods(["GET", "POST"])
def scores_publish_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    form = ScoresPublishForm(request.POST or None)

    def save(data: dict[str, Any]) -> HttpResponse:
        version = services.scores_publish(edition=edition, user=request.user, reason=data["reason"])
        messages.success(
            request,
            _("Version %(number)s of the scores is published.") % {"number": version.number},
        )
        return redirect("contests:results", code, year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "scores_publish.html",
            {
                "edition": edition,
                "form": form,
                "frozen": edition.cuts.filter(readings_frozen_at__isnull=False).order_by(
                    "evidence_deadline"
                ),
                "latest": selectors.score_version_latest(edition=edition),
            },
            status,
        )

    return form_submit(request, form, save, show)


def _version(request: HttpRequest, edition: Edition) -> ScoreVersion:
    """The version asked for with ?version=N (the latest without it); 404 for anything
    that is not a published version's number."""
    asked = request.GET.get("version", "")
    if asked and not asked.isdigit():
        raise Http404(_("There is no such version."))
    return selectors.score_version_or_404(edition=edition, number=int(asked) if asked else None)


@require_GET
def results_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = selectors.edition_or_404(code=code, year=year)
    version = _version(request, edition)
    return page(
        request,
        "results.html",
        {
            "edition": edition,
            "version": version,
            "results": results_build(version),
            "changes": version_changes(version),
            "versions": selectors.score_version_list(edition=edition),
            "latest": selectors.score_version_latest(edition=edition),
            "coordinator": selectors.is_coordinator(user=request.user, edition=edition),
        },
    )


def _appealable(detail: MunicipalityResults) -> list[tuple[str, str]]:
    """The decisions on means of verification the municipality may appeal: observed or
    rejected, with files (nothing uploaded is no decision)."""
    return [
        (
            f"{line.score.cut.code}|{line.score.criterion}",
            f"{line.score.cut.name} · {line.score.criterion} {line.name}",
        )
        for line in detail.lines
        if line.explanation.get("kind") == "evidence"
        and line.explanation.get("status") in (EvidenceStatus.OBSERVED, EvidenceStatus.REJECTED)
    ]


@require_http_methods(["GET", "POST"])
def results_municipality_page(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    """Public once published; a municipality's officials also file appeals here (POST)."""
    edition = selectors.edition_or_404(code=code, year=year)
    version = _version(request, edition)
    registration: Registration = selectors.registration_or_404(edition=edition, pk=pk)
    detail = municipality_results(version, registration)
    if detail is None:
        raise Http404(_("This municipality is not in these results."))
    latest = selectors.score_version_latest(edition=edition)
    own = registration.municipality in selectors.municipalities_of(user=request.user)
    closes = services.appeal_deadline(version)
    may_appeal = own and version == latest and timezone.now() <= closes
    form = AppealForm(request.POST or None, decisions=_appealable(detail))

    def save(data: dict[str, Any]) -> HttpResponse:
        cut_code, criterion = data["decision"].split("|", 1)
        services.appeal_file(
            registration=registration,
            cut=edition.cuts.get(code=cut_code),
            criterion=criterion,
            reason=data["reason"],
            user=request.user,
        )
        messages.success(request, _("The appeal was filed; the coordinators will resolve it."))
        return redirect("contests:results_municipality", code, year, pk)

    def show(form: Any, status: int) -> HttpResponse:
        sees = selectors.may_see_registration(user=request.user, registration=registration)
        return page(
            request,
            "results_municipality.html",
            {
                "edition": edition,
                "version": version,
                "detail": detail,
                "registration": registration,
                "may_download": selectors.evidence_files_open(
                    user=request.user, registration=registration
                ),
                "appeals": selectors.registration_appeals(registration=registration)
                if sees
                else [],
                "may_appeal": may_appeal,
                "appeal_closes": closes,
                "form": form,
            },
            status,
        )

    if request.method == "POST" and not own:
        raise Http404(_("There is no such registration."))
    return form_submit(request, form, save, show)


@require_GET
def results_excel(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = selectors.edition_or_404(code=code, year=year)
    version = _version(request, edition)
    response = HttpResponse(
        results_xlsx(results_build(version)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{edition.contest.code}-{edition.year}-v{version.number}.xlsx"'
    )
    return response


@require_GET
def results_pdf(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The annex to the awards resolution, as a PDF drawn by WeasyPrint (`annex`)."""
    # Imported here, not at the top: WeasyPrint takes half a second to import and needs
    # pango, and only this page uses it (docs/adr/0005-pdf-annex-weasyprint.md).
    from minka.contests.annex import annex_pdf

    edition = selectors.edition_or_404(code=code, year=year)
    version = _version(request, edition)
    response = HttpResponse(annex_pdf(results_build(version)), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{edition.contest.code}-{edition.year}-v{version.number}.pdf"'
    )
    return response


@login_required
@require_GET
def appeals_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    return page(
        request,
        "appeals.html",
        {"edition": edition, "appeals": selectors.appeal_list(edition=edition)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal_resolve_page(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    appeal = selectors.appeal_or_404(edition=edition, pk=pk)
    form = AppealResolveForm(request.POST or None)

    def save(data: dict[str, Any]) -> HttpResponse:
        services.appeal_resolve(
            appeal=appeal,
            user=request.user,
            accept=data["decision"] == "accept",
            resolution=data["resolution"],
        )
        messages.success(
            request, _("The appeal was resolved. Publish the scores again to apply it.")
        )
        return redirect("contests:appeals", code, year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "appeal_resolve.html",
            {"edition": edition, "appeal": appeal, "form": form},
            status,
        )

    return form_submit(request, form, save, show)
