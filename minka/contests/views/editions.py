"""Seal contest pages: an edition's rules and calendar (public), registration and its
review, the municipality's checklist and uploads, the evaluators' queue and review, file
downloads (always as attachments, checksum verified) and the audit log. Thin: parse,
call one service or selector, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from minka.accounts.permissions import roles_of
from minka.contests import selectors, services
from minka.contests.forms import (
    EvidenceReviewForm,
    EvidenceUploadForm,
    RegistrationForm,
    RegistrationReviewForm,
)
from minka.contests.models import Edition
from minka.contests.views.common import (
    attachment,
    coordinator_edition,
    page,
    registration_is_open,
    visible_registration,
)
from minka.form_submit import form_submit


@require_GET
def edition_list(request: HttpRequest) -> HttpResponse:
    return page(request, "edition_list.html", {"editions": selectors.edition_list()})


@require_GET
def edition_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = selectors.edition_or_404(code=code, year=year)
    mine = [
        r
        for r in selectors.registration_list(edition=edition)
        if r.municipality in selectors.municipalities_of(user=request.user)
    ]
    coordinator = selectors.is_coordinator(user=request.user, edition=edition)
    return page(
        request,
        "edition.html",
        {
            "edition": edition,
            "rules": selectors.edition_rules(edition=edition),
            "phases": edition.phases.order_by("starts_at"),
            "cuts": edition.cuts.order_by("evidence_deadline"),
            "registration_open": registration_is_open(edition),
            "may_register": bool(selectors.municipalities_of(user=request.user)),
            "mine": mine,
            "coordinator": coordinator,
            "evaluator": "evaluator" in roles_of(request.user),
            "latest": selectors.score_version_latest(edition=edition),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def registration_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = selectors.edition_or_404(code=code, year=year)
    municipalities = selectors.municipalities_of(user=request.user)
    if not municipalities:
        raise PermissionDenied(_("Only municipal officials register a municipality."))
    form = RegistrationForm(
        request.POST or None, request.FILES or None, municipalities=municipalities
    )

    def save(data: dict[str, Any]) -> HttpResponse:
        registration = services.registration_submit(
            edition=edition,
            municipality=data["municipality"],
            user=request.user,
            accept_rules=data["accept_rules"],
            council_act=data["council_act"],
        )
        messages.success(
            request,
            _("%(name)s is registered; the coordinators will review it.")
            % {"name": registration.municipality.name},
        )
        return redirect("contests:edition", code, year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "registration_form.html",
            {
                "edition": edition,
                "form": form,
                "rules_version": edition.rules_version,
                "open": registration_is_open(edition),
            },
            status,
        )

    return form_submit(request, form, save, show)


@login_required
@require_GET
def registrations_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    return page(
        request,
        "registrations.html",
        {"edition": edition, "registrations": selectors.registration_list(edition=edition)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def registration_review_page(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    registration = selectors.registration_or_404(edition=edition, pk=pk)
    rules = selectors.edition_rules(edition=edition)
    categories = [(c.code, c.name) for c in rules.categories] if rules else []
    form = RegistrationReviewForm(request.POST or None, categories=categories)

    def save(data: dict[str, Any]) -> HttpResponse:
        services.registration_review(
            registration=registration,
            user=request.user,
            approve=data["decision"] == "approve",
            observation=data["observation"],
            category=data["category"],
        )
        messages.success(
            request,
            _("The registration of %(name)s was reviewed.")
            % {"name": registration.municipality.name},
        )
        return redirect("contests:registrations", code, year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "registration_review.html",
            {"edition": edition, "registration": registration, "form": form},
            status,
        )

    return form_submit(request, form, save, show)


@login_required
@require_GET
def checklist_page(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    registration = visible_registration(request, code, year, pk)
    items = selectors.evidence_checklist(registration=registration)
    return page(
        request,
        "checklist.html",
        {
            "edition": registration.edition,
            "registration": registration,
            "items": items,
            "downloadable": selectors.evidence_downloadable(
                user=request.user,
                registration=registration,
                evidence=[i.evidence for i in items if i.evidence is not None],
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def evidence_upload_page(
    request: HttpRequest, code: str, year: int, pk: int, cut: str, criterion: str
) -> HttpResponse:
    registration = visible_registration(request, code, year, pk)
    item = next(
        (
            i
            for i in selectors.evidence_checklist(registration=registration)
            if i.cut.code == cut and i.criterion == criterion
        ),
        None,
    )
    if item is None:
        raise Http404(_("The rules ask nothing for this criterion at this cut."))
    form = EvidenceUploadForm(request.POST or None, request.FILES or None)

    def save(data: dict[str, Any]) -> HttpResponse:
        services.evidence_upload(
            registration=registration,
            cut=item.cut,
            criterion=criterion,
            files=data["uploads"],
            value=data["value"],
            comment=data["comment"],
            user=request.user,
        )
        messages.success(
            request, _("Saved: the files were added to %(criterion)s.") % {"criterion": criterion}
        )
        return redirect("contests:checklist", code, year, pk)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "evidence_form.html",
            {
                "edition": registration.edition,
                "registration": registration,
                "item": item,
                "form": form,
            },
            status,
        )

    return form_submit(request, form, save, show)


def _evaluator_edition(request: HttpRequest, code: str, year: int) -> Edition:
    edition = selectors.edition_or_404(code=code, year=year)
    if "evaluator" not in roles_of(request.user):
        raise PermissionDenied(_("Only evaluators review means of verification."))
    return edition


@login_required
@require_GET
def review_queue_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = _evaluator_edition(request, code, year)
    return page(
        request,
        "review_queue.html",
        {"edition": edition, "queue": selectors.review_queue(edition=edition, user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def evidence_review_page(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    edition = _evaluator_edition(request, code, year)
    evidence = next(
        (e for e in selectors.review_queue(edition=edition, user=request.user) if e.pk == pk), None
    )
    if evidence is None:
        raise Http404(_("This means of verification is not in your queue."))
    form = EvidenceReviewForm(request.POST or None)

    def save(data: dict[str, Any]) -> HttpResponse:
        services.evidence_review(
            evidence=evidence, user=request.user, decision=data["decision"], reason=data["reason"]
        )
        messages.success(request, _("The decision was recorded."))
        return redirect("contests:review_queue", code, year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "evidence_review.html",
            {"edition": edition, "evidence": evidence, "form": form},
            status,
        )

    return form_submit(request, form, save, show)


@login_required
@require_GET
def evidence_file_download(request: HttpRequest, pk: int) -> HttpResponse:
    stored = selectors.evidence_file_or_404(pk=pk)
    evidence = stored.evidence
    if evidence.pk not in selectors.evidence_downloadable(
        user=request.user, registration=evidence.registration, evidence=[evidence]
    ):
        raise Http404(_("There is no such file."))
    try:
        content = services.evidence_file_read(stored=stored)
    except services.ChecksumMismatch:
        return page(request, "file_damaged.html", {"stored": stored}, status=409)
    name = stored.file.name.rsplit("/", 1)[-1]
    return attachment(content, stored.content_type, name)


@login_required
@require_GET
def council_act_download(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    registration = visible_registration(request, code, year, pk)
    try:
        content = services.file_read_verified(
            file=registration.council_act, sha256=registration.council_act_sha256
        )
    except services.ChecksumMismatch:
        return page(request, "file_damaged.html", {"stored": registration}, status=409)
    name = registration.council_act.name.rsplit("/", 1)[-1]
    return attachment(content, registration.council_act_type, name)


@login_required
@require_GET
def audit_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    return page(
        request,
        "audit.html",
        {"edition": edition, "entries": selectors.audit_list(edition=edition)[:500]},
    )
