"""Who is calling the API.

- Writes need a bearer token (`Authorization: Bearer mk_…`, see accounts.services): a token
  is sent on purpose by its holder, so a write cannot be forged from another site the way a
  cookie-authenticated request can (no CSRF hole, and no CSRF token to juggle for scripts).
- Reads are public, but whoever identifies themselves is used, so a municipal official sees
  their municipality's private fields: a valid token first, then the browser session, then
  the anonymous public.
- A token that is sent but invalid (unknown, revoked, its user deactivated) is a 401 even on
  a read: a client that sends credentials must learn they are wrong, not silently receive
  the public view and take it for the whole truth.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from minka.accounts.services import api_token_authenticate


class InvalidToken(AuthenticationError):
    """A bearer token was sent and does not open anything."""

    def __init__(self) -> None:
        super().__init__(message=_("The API token is invalid or has been revoked."))


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer mk_…`, checked against the stored SHA-256 of live tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(plaintext=token.strip())
        if user is None:
            raise InvalidToken()
        return user


class BrowserSession(SessionAuth):
    """The signed-in browser user, for reads only (writes never accept a cookie)."""


def anonymous_public(request: HttpRequest) -> AnonymousUser:
    """The last resort for reads: the public (an AnonymousUser is truthy, so ninja stops)."""
    return AnonymousUser()


# Order matters: ninja uses the first method that returns a user.
READ_AUTH = [ApiTokenAuth(), BrowserSession(), anonymous_public]
WRITE_AUTH = [ApiTokenAuth()]


def actor(request: HttpRequest) -> Any:
    """The user (or AnonymousUser) that the endpoint's auth resolved for this request."""
    return getattr(request, "auth", None) or AnonymousUser()
