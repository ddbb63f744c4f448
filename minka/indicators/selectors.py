"""Every read of the indicator catalogue, imports and quality flags goes through here.

Visibility rules (DESIGN.md, "the public only what is published"):
- the public sees published indicator sheets only, and an unpublished sheet is answered
  exactly like one that does not exist, so its existence never leaks;
- any signed-in role that reads internal material (`Action.VIEW_INTERNAL`) sees every sheet;
- import batches and quality flags are internal: the public sees none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission
from minka.analytics.engine.formula import FormulaError, formula_parse
from minka.analytics.engine.periods import PeriodError, period_parse
from minka.indicators.models import (
    CategoryOption,
    DataElement,
    ImportBatch,
    IndicatorSheet,
    QualityFlag,
    Target,
)
from minka.territories.models import Territory


def data_element_list() -> QuerySet[DataElement]:
    """The data elements with their disaggregations and options, by code."""
    return (
        DataElement.objects.select_related("weight_element")
        .prefetch_related(
            "categories",
            Prefetch(
                "categories__options",
                queryset=CategoryOption.objects.order_by("sort_order", "code"),
            ),
        )
        .order_by("code")
    )


def sees_internal(user: Any) -> bool:
    """Whether the user reads unpublished material (any signed-in role)."""
    return has_permission(user, Action.VIEW_INTERNAL, None)


def indicator_sheet_list(*, user: Any) -> QuerySet[IndicatorSheet]:
    """Sheets the user may read: published ones for the public, all for internal readers."""
    qs = IndicatorSheet.objects.select_related("responsible__territory").order_by("code")
    if not sees_internal(user):
        qs = qs.filter(published=True)
    return qs


def public_until(*, sheet: IndicatorSheet, user: Any) -> date | None:
    """The last day whose figures of this sheet the reader may see: None (every period) for
    internal readers and for sheets published without a limit; else the end of the sheet's
    `public_through` period. Every read of results for a page, a download or the API
    filters its periods with it, so unvalidated figures never reach the public."""
    if not sheet.public_through or sees_internal(user):
        return None
    try:
        return period_parse(sheet.public_through).end
    except PeriodError:
        return date.min  # a limit that cannot be read hides every period, never shows all


def indicator_sheet_get(*, code: str, user: Any) -> IndicatorSheet | None:
    """The sheet, or None when it does not exist *or* the user may not see it (one answer
    for both, so the public cannot probe for unpublished codes)."""
    return indicator_sheet_list(user=user).filter(code=code).first()


def indicator_sheet_or_404(*, code: str, user: Any) -> IndicatorSheet:
    sheet = indicator_sheet_get(code=code, user=user)
    if sheet is None:
        raise Http404(_("There is no indicator %(code)s.") % {"code": code})
    return sheet


def indicator_breakdowns(*, indicator: IndicatorSheet) -> list[str]:
    """The option codes results of this indicator can be broken down by: the options of
    the disaggregations of every data element its formula reads, in their display order."""
    try:
        codes = {code for code, _option in formula_parse(indicator.formula).references}
    except FormulaError:
        return []  # saved sheets are checked; a broken one simply has no breakdowns
    return list(
        CategoryOption.objects.filter(category__elements__code__in=codes)
        .order_by("category__code", "sort_order", "code")
        .values_list("code", flat=True)
        .distinct()
    )


def target_list(
    *, indicator: IndicatorSheet, territory: Territory | None = None
) -> QuerySet[Target]:
    """Targets and baselines of an indicator (of one territory if given), tree then period."""
    qs = Target.objects.filter(indicator=indicator).select_related("territory")
    if territory is not None:
        qs = qs.filter(territory=territory)
    return qs.order_by("territory__path", "period", "kind")


def import_batch_list(*, user: Any) -> QuerySet[ImportBatch]:
    """Import batches, newest first: internal readers see all; a signed-in user without a
    role sees the ones they sent; the public none."""
    qs = ImportBatch.objects.select_related("created_by").order_by("-created_at", "-id")
    if sees_internal(user):
        return qs
    if getattr(user, "is_authenticated", False):
        return qs.filter(created_by=user)
    return qs.none()


def import_batch_get(*, pk: int, user: Any) -> ImportBatch | None:
    return import_batch_list(user=user).filter(pk=pk).first()


def quality_flag_list(
    *, user: Any, state: str | None = None, territories: Sequence[Territory] = ()
) -> QuerySet[QualityFlag]:
    """Quality flags the user may review, newest first.

    A flag is about a territory's raw data, so it is shown to whoever may see that
    territory's private data (`Action.VIEW_PRIVATE`): the national admin everywhere, a
    regional coordinator inside the region, a municipal official for their municipality; the
    public, evaluators and viewers see none. The check runs once per flagged territory.
    """
    qs = QualityFlag.objects.select_related("element", "rule", "territory", "batch")
    if state:
        qs = qs.filter(state=state)
    if territories:
        qs = qs.filter(territory__in=territories)
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    flagged = Territory.objects.filter(
        pk__in=qs.order_by().values("territory_id").distinct()
    ).select_related("parent")
    visible = [t.pk for t in flagged if has_permission(user, Action.VIEW_PRIVATE, t)]
    return qs.filter(territory_id__in=visible).order_by("-created_at", "-id")
