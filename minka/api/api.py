"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Reads are public; writes need an API token (see minka.api.auth). Every error is JSON
`{"detail": …}` (see minka.api.errors). Endpoints stay thin: parse, call one selector or
service, return a schema.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from minka.api.errors import register_error_handlers
from minka.api.indicators import router as indicators_router
from minka.api.institutions import router as institutions_router
from minka.api.territories import router as territories_router

api = NinjaAPI(
    title="Minka API",
    version="1",
    description=(
        "Territories, population, institutions, indicators and their results. Reads are "
        "public; send "
        "`Authorization: Bearer mk_…` to read as yourself and to write."
    ),
    urls_namespace="api",
    # Swagger UI from django-ninja's bundled static files (needs "ninja" in
    # INSTALLED_APPS): the docs must work with no internet, so never the CDN template.
    docs=Swagger(),
)
register_error_handlers(api)
api.add_router("", territories_router)
api.add_router("", institutions_router)
api.add_router("", indicators_router)
