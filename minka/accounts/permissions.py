"""The one permission check. Every view and API endpoint asks `has_permission` (or
`require_permission`); nothing else decides who may see or change what.

Rules (the ones users trust):
- the anonymous public sees only what is published: never VIEW_INTERNAL, VIEW_PRIVATE, CHANGE;
- a national admin may do everything, everywhere;
- a regional coordinator may see and change everything inside their region's subtree, and
  region-independent material (target None: e.g. indicator sheets) but not administer it;
- a municipal official may see and change their own municipality, its territory and the
  localities under it, and nothing of any other municipality (a province's official does
  not reach the district municipalities of the province: each municipality is autonomous);
- an evaluator sees internal (unpublished) material; what they may review is granted by
  assignment in the contests app, not here;
- a viewer sees internal material and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from minka.accounts.models import Role, RoleAssignment
from minka.territories.models import Institution, Level, Territory


class Action(StrEnum):
    VIEW_INTERNAL = "view_internal"  # unpublished material, any signed-in role
    VIEW_PRIVATE = "view_private"  # an institution's or territory's private data
    CHANGE = "change"
    ADMINISTER = "administer"  # manage users and roles within the scope


Target = Territory | Institution | None

_ROLE_CACHE = "_minka_role_assignments"


def role_assignments(user: Any) -> list[RoleAssignment]:
    """The user's role assignments, read once per user object (i.e. once per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _ROLE_CACHE, None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user=user).select_related(
                "territory", "institution__territory"
            )
        )
        setattr(user, _ROLE_CACHE, cached)
    return cached


def _territory_of(target: Target) -> Territory | None:
    if isinstance(target, Institution):
        return target.territory
    return target


def _inside(territory: Territory | None, scope: Territory) -> bool:
    return territory is not None and territory.path.startswith(scope.path)


def _official_reaches(assignment: RoleAssignment, target: Target) -> bool:
    municipality = assignment.institution
    if municipality is None or target is None:
        return False
    if isinstance(target, Institution):
        return target.pk == municipality.pk
    home = municipality.territory
    return target.pk == home.pk or (target.level == Level.LOCALITY and _inside(target, home))


def _grants(assignment: RoleAssignment, action: Action, target: Target) -> bool:
    role = assignment.role
    if role == Role.NATIONAL_ADMIN:
        return True
    if action == Action.VIEW_INTERNAL:
        return True
    if role == Role.REGIONAL_COORDINATOR:
        scope = assignment.territory
        if target is None:
            return action != Action.ADMINISTER
        return scope is not None and _inside(_territory_of(target), scope)
    if role == Role.MUNICIPAL_OFFICIAL:
        return action in (Action.VIEW_PRIVATE, Action.CHANGE) and _official_reaches(
            assignment, target
        )
    return False  # evaluator and viewer: internal reading only


def has_permission(user: Any, action: Action, target: Target = None) -> bool:
    """May this user (possibly anonymous) do `action` on `target`?"""
    return any(_grants(a, action, target) for a in role_assignments(user))


def require_permission(user: Any, action: Action, target: Target = None) -> None:
    """Raise PermissionDenied (403) with a reason the user can read."""
    if not has_permission(user, action, target):
        raise PermissionDenied(_("You do not have permission to do this here."))


def roles_of(user: Any) -> set[str]:
    return {a.role for a in role_assignments(user)}
