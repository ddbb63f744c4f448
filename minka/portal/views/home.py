"""Public pages of the portal (the data center grows here in later issues)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from minka.portal.selectors import country_summaries


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"countries": country_summaries()})
