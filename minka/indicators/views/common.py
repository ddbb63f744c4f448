"""What the indicator views share: the signed-in user and analytics refreshes after a save."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from minka.accounts.models import User

logger = logging.getLogger(__name__)


def signed_in(request: HttpRequest) -> User:
    """The request's user, for views behind `login_required` (which guarantees it)."""
    user = request.user
    assert isinstance(user, User), "view must be wrapped in login_required"
    return user


def refresh_indicators_on_commit(codes: Sequence[str]) -> None:
    """Recompute these indicators' figures once the change is committed.

    A failed refresh must not undo or hide a saved change: the change is the fact, the
    figures are derived and can be refreshed again (the refresh log records the error).
    """

    def refresh() -> None:
        from minka.analytics.services import analytics_refresh_indicators

        try:
            analytics_refresh_indicators(codes=list(codes))
        except Exception:
            logger.exception("analytics refresh of %s failed", ", ".join(codes))

    transaction.on_commit(refresh)


def page_number(request: HttpRequest) -> Any:
    return request.GET.get("page")
