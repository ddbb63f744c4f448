"""Page-number pagination: `?page=…&page_size=…` → `{"items": [...], "count": N}`."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# A page number past this would make an OFFSET the database cannot hold (a 500); no real
# listing comes close (Peru has ~2,100 territories in all).
MAX_PAGE = 1_000_000


class Pages(PageNumberPagination):
    """A page_size above the maximum is served at the maximum rather than refused."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(
            None, ge=1, description=f"Default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}."
        )

    def __init__(self, **kwargs: object) -> None:
        super().__init__(page_size=DEFAULT_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs)
