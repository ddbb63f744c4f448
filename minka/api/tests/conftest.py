"""API test helpers: a client that speaks English unless told otherwise, and tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from minka.accounts.services import api_token_create


class ApiClient:
    """Thin wrapper over Django's test client: JSON bodies, bearer tokens, a language."""

    def __init__(self, language: str = "en") -> None:
        self.client = Client(HTTP_ACCEPT_LANGUAGE=language)

    def _headers(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, *, token: str | None = None, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self._headers(token))

    def patch(self, path: str, body: dict, *, token: str | None = None):
        return self.client.patch(
            f"/api/v1{path}", body, content_type="application/json",
            headers=self._headers(token),
        )


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


@pytest.fixture
def token_of():
    """token_of(user) → the plaintext bearer token of a fresh token for that user."""

    def make(user) -> str:
        _token, plaintext = api_token_create(user=user, name="tests")
        return plaintext

    return make
