"""What every write of the seal contest shares: the audit log and the coordinator check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission
from minka.contests.models import AuditEntry, Contest, Edition


def audit_record(
    *,
    edition: Edition,
    actor: Any,
    action: str,
    obj: Any,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        edition=edition,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        before=before,
        after=after,
        reason=reason,
        at=at or timezone.now(),
    )


def require_coordinator(user: Any, edition: Edition) -> None:
    require_coordinator_of(user, edition.contest)


def require_coordinator_of(user: Any, contest: Contest) -> None:
    if not has_permission(user, Action.CHANGE, contest.territory):
        raise PermissionDenied(_("Only the contest's coordinators may do this."))
