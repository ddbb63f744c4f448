"""Reads the indicator pages need beside `minka.indicators.selectors`.

They answer "where does this user work": which territories they may change (the choices of
the target and template forms) and whether they may import at all. The answers come from
the role assignments and are then confirmed with `has_permission`, the one permission
check, so a form never offers what the check would refuse.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from minka.accounts.models import Role
from minka.accounts.permissions import Action, has_permission, role_assignments
from minka.indicators.models import ImportBatch, IndicatorSheet, Target
from minka.territories.models import Level, Territory

UNSCOPED_READERS = frozenset({Role.NATIONAL_ADMIN, Role.EVALUATOR, Role.VIEWER})


def user_home_territories(*, user: Any) -> list[Territory]:
    """The roots of the user's territorial scopes: a coordinator's region, an official's
    municipality. A national admin has no home (they work everywhere): []."""
    homes: list[Territory] = []
    for assignment in role_assignments(user):
        if assignment.role == Role.REGIONAL_COORDINATOR and assignment.territory:
            homes.append(assignment.territory)
        elif assignment.role == Role.MUNICIPAL_OFFICIAL and assignment.institution:
            homes.append(assignment.institution.territory)
    return [home for home in homes if has_permission(user, Action.CHANGE, home)]


def changes_everywhere(*, user: Any) -> bool:
    """A national admin changes any territory (a coordinator's reach stops at the region)."""
    return has_permission(user, Action.ADMINISTER, None)


def changeable_territories(*, user: Any) -> QuerySet[Territory]:
    """Current territories down to districts that the user may change, in tree order.

    Localities are left out: targets and templates are set for districts and above.
    """
    qs = Territory.objects.filter(valid_to__isnull=True).exclude(level=Level.LOCALITY)
    if not changes_everywhere(user=user):
        scopes = Q(pk__in=[])
        for assignment in role_assignments(user):
            if assignment.role == Role.REGIONAL_COORDINATOR and assignment.territory:
                scopes |= Q(path__startswith=assignment.territory.path)
            elif assignment.role == Role.MUNICIPAL_OFFICIAL and assignment.institution:
                scopes |= Q(pk=assignment.institution.territory_id)
        qs = qs.filter(scopes)
    return qs.order_by("country", "path")


def may_import(*, user: Any) -> bool:
    """Any signed-in user who may change some territory; values_import then checks every
    row against the territory it writes."""
    return changes_everywhere(user=user) or bool(user_home_territories(user=user))


def may_derive_targets(*, user: Any) -> bool:
    """Deriving a region's targets down the tree is the coordinators' (and admin's) work."""
    return has_permission(user, Action.CHANGE, None)


def district_descendants(*, territory: Territory) -> QuerySet[Territory]:
    """The current districts inside a territory, in tree order."""
    return Territory.objects.filter(
        path__startswith=territory.path, level=Level.DISTRICT, valid_to__isnull=True
    ).order_by("path")


def derivable_targets(*, indicator: IndicatorSheet, user: Any) -> QuerySet[Target]:
    """Targets of territories above districts that the user may change: the sources of
    aligned district targets."""
    allowed = changeable_territories(user=user).exclude(level=Level.DISTRICT)
    return (
        Target.objects.filter(
            indicator=indicator, kind=Target.Kind.TARGET, territory__in=allowed
        )
        .select_related("territory")
        .order_by("territory__path", "period")
    )


def indicator_sheet_exists(*, code: str) -> bool:
    """Whether a code is taken, whatever the user may see (creating must not overwrite)."""
    return IndicatorSheet.objects.filter(code=code).exists()


def import_batch_confirmation(*, checked: ImportBatch) -> ImportBatch | None:
    """The import that confirmed a dry run, if it was confirmed already."""
    return (
        ImportBatch.objects.filter(dry_run=False, summary__importOptions__confirms=checked.pk)
        .order_by("-id")
        .first()
    )


def may_see_sources(*, user: Any, territory: Territory) -> bool:
    """Whether the user may read the data values behind a figure of this territory.

    They are internal (`Action.VIEW_INTERNAL`). Someone whose roles are all tied to a place
    (a municipal official, a regional coordinator) reads them only where they may see the
    territory's private data (`Action.VIEW_PRIVATE`): an official of another district sees
    none of this one's. Readers without a territorial scope (national admin, evaluator,
    viewer) read them everywhere.
    """
    if not has_permission(user, Action.VIEW_INTERNAL, None):
        return False
    if has_permission(user, Action.VIEW_PRIVATE, territory):
        return True
    return any(a.role in UNSCOPED_READERS for a in role_assignments(user))
