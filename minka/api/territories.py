"""/territories: the tree, searchable and paginated, and one territory with its context."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router
from ninja.pagination import paginate

from minka.api.auth import READ_AUTH
from minka.api.pagination import Pages
from minka.api.schemas import (
    CODE,
    COUNTRY,
    TEXT,
    ErrorOut,
    InvalidOut,
    TerritoryDetailOut,
    TerritoryOut,
)
from minka.api.selectors import TerritoryDetail, territory_detail, territory_search
from minka.territories.models import Level, Territory

router = Router(tags=["territories"], auth=READ_AUTH)


@router.get(
    "/territories",
    response={200: list[TerritoryOut], 401: ErrorOut, 422: InvalidOut},
    summary="List and search territories",
)
@paginate(Pages)
def territories(
    request: HttpRequest,
    country: str | None = Query(None, pattern=COUNTRY, description="ISO 3166-1, e.g. PE."),
    level: Level | None = None,
    parent: str | None = Query(
        None, max_length=20, pattern=CODE,
        description="A code in `country` (also Peru's 6-digit form).",
    ),
    q: str | None = Query(
        None, max_length=200, pattern=TEXT,
        description="Part of the name (accents and case ignored) or the start of a code.",
    ),
    include_retired: bool = Query(False),
) -> QuerySet[Territory]:
    """Current territories by default (retired ones carry `valid_to` and successors).

    Ordered from the top of the tree down (depth, then path), so pages are stable.
    """
    return territory_search(
        country=country, level=level, parent=parent, query=q, include_retired=include_retired
    )


@router.get(
    "/territories/{country}/{code}",
    response={200: TerritoryDetailOut, 401: ErrorOut, 404: ErrorOut, 422: InvalidOut},
    summary="One territory with its ancestors, population and aliases",
)
def territory(
    request: HttpRequest,
    country: str = Path(..., pattern=COUNTRY),
    code: str = Path(..., max_length=20, pattern=CODE),
) -> TerritoryDetail:
    """`code` may be Peru's 6-digit padded form ("080000" is the region "08")."""
    return territory_detail(country=country, code=code)
