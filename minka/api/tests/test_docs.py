"""The OpenAPI document and the interactive docs, which must work with no internet."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/territories": {"get"},
    "/api/v1/territories/{country}/{code}": {"get"},
    "/api/v1/institutions": {"get"},
    "/api/v1/institutions/{institution_id}": {"get", "patch"},
    "/api/v1/indicators": {"get"},
    "/api/v1/indicators/{code}": {"get"},
    "/api/v1/indicators/{code}/values": {"get"},
    "/api/v1/indicators/{code}/values/{territory}/{period}/sources": {"get"},
    "/api/v1/data-elements": {"get"},
    "/api/v1/data-values/import": {"post"},
}


def test_openapi_lists_every_path_and_method(api):
    response = api.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Minka API"
    assert {path: set(ops) for path, ops in document["paths"].items()} == PATHS


def test_openapi_says_writes_need_a_bearer_token(api):
    document = api.get("/openapi.json").json()

    patch = document["paths"]["/api/v1/institutions/{institution_id}"]["patch"]
    assert patch["security"] == [{"ApiTokenAuth": []}]
    assert document["components"]["securitySchemes"]["ApiTokenAuth"] == {
        "type": "http", "scheme": "bearer",
    }
    assert {"401", "403", "404", "422"} <= set(patch["responses"])


def test_openapi_documents_the_list_filters(api):
    document = api.get("/openapi.json").json()

    operation = document["paths"]["/api/v1/territories"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"country", "level", "parent", "q", "page", "page_size"} <= names


def _docs_html(api) -> str:
    assert "ninja" in settings.INSTALLED_APPS, (
        "Add 'ninja' to INSTALLED_APPS: without it django-ninja renders Swagger UI from a "
        "CDN, and the docs page is blank with no internet."
    )
    response = api.get("/docs")
    assert response.status_code == 200
    return response.content.decode()


def test_docs_page_references_no_external_host(api):
    html = _docs_html(api)

    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert references, "the docs page loads no assets at all?"
    assert not [r for r in references if re.match(r"^(https?:)?//", r)]
    assert not re.search(r"https?://", html)


def test_docs_assets_come_from_installed_packages(api):
    html = _docs_html(api)

    static = [
        r.removeprefix(settings.STATIC_URL)
        for r in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
        if r.startswith(settings.STATIC_URL)
    ]
    assert {"ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css"} <= set(static)
    assert [path for path in static if finders.find(path) is None] == []


def test_docs_point_swagger_at_our_openapi_document(api):
    assert '"url": "/api/v1/openapi.json"' in _docs_html(api)
