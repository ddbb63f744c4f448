"""/institutions: public directory; private contact data only for those who may see it."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router
from ninja.pagination import paginate

from minka.api.auth import READ_AUTH, WRITE_AUTH, actor
from minka.api.pagination import Pages
from minka.api.schemas import (
    TEXT,
    ErrorOut,
    InstitutionContactIn,
    InstitutionDetailOut,
    InstitutionOut,
    InvalidOut,
)
from minka.api.selectors import (
    InstitutionRead,
    institution_read,
    institution_search,
    institution_view,
)
from minka.territories.models import Institution
from minka.territories.selectors import institution_or_404
from minka.territories.services import institution_update_contact

router = Router(tags=["institutions"])

# Primary keys are 64-bit: a larger number would overflow the query instead of a 404.
MAX_ID = 2**63 - 1


@router.get(
    "/institutions",
    auth=READ_AUTH,
    response={200: list[InstitutionOut], 401: ErrorOut, 422: InvalidOut},
    summary="List institutions (public fields)",
)
@paginate(Pages)
def institutions(
    request: HttpRequest,
    territory: str | None = Query(
        None, max_length=24, pattern=TEXT,
        description="COUNTRY:CODE, e.g. PE:080101 (that territory only).",
    ),
    kind: Institution.Kind | None = None,
) -> QuerySet[Institution]:
    return institution_search(territory=territory, kind=kind)


@router.get(
    "/institutions/{institution_id}",
    auth=READ_AUTH,
    response={200: InstitutionDetailOut, 401: ErrorOut, 404: ErrorOut, 422: InvalidOut},
    summary="One institution; `private` is filled only for those allowed to see it",
)
def institution(
    request: HttpRequest, institution_id: int = Path(..., ge=1, le=MAX_ID)
) -> InstitutionRead:
    return institution_read(pk=institution_id, reader=actor(request))


@router.patch(
    "/institutions/{institution_id}",
    auth=WRITE_AUTH,
    response={
        200: InstitutionDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidOut,
    },
    summary="Change an institution's private contact data (API token required)",
)
def institution_contact_update(
    request: HttpRequest,
    payload: InstitutionContactIn,
    institution_id: int = Path(..., ge=1, le=MAX_ID),
) -> InstitutionRead:
    """Who may change it is decided by accounts.permissions inside the service (403)."""
    user = actor(request)
    updated = institution_update_contact(
        institution=institution_or_404(pk=institution_id),
        actor=user,
        contact_email=payload.contact_email,
        contact_phone=payload.contact_phone,
        technical_team_notes=payload.technical_team_notes,
    )
    return institution_view(institution=updated, reader=user)
