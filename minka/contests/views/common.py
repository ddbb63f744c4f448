"""What the contest pages share: rendering, who may reach an edition or a registration,
and files served as attachments. Forms go through `minka.form_submit`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.contests import selectors
from minka.contests.calendar import window_open
from minka.contests.models import Edition, Registration


def page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, f"contests/{template}", context, status=status)


def registration_is_open(edition: Edition) -> bool:
    phase = edition.phases.filter(kind="registration").first()
    return bool(
        edition.rules_frozen
        and phase
        and window_open(timezone.now(), phase.starts_at, phase.ends_at)
    )


def coordinator_edition(request: HttpRequest, code: str, year: int) -> Edition:
    edition = selectors.edition_or_404(code=code, year=year)
    if not selectors.is_coordinator(user=request.user, edition=edition):
        raise PermissionDenied(_("Only the contest's coordinators may do this."))
    return edition


def visible_registration(request: HttpRequest, code: str, year: int, pk: int) -> Registration:
    edition = selectors.edition_or_404(code=code, year=year)
    registration = selectors.registration_or_404(edition=edition, pk=pk)
    if not selectors.may_see_registration(user=request.user, registration=registration):
        # An official of another municipality learns nothing, not even that it exists.
        raise Http404(_("There is no such registration."))
    return registration


def attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    """A stored file, always as a download: never rendered by the browser."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
