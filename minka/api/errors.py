"""Every API error is JSON `{"detail": "<a sentence a person can read>"}` with a 4xx code.

Invalid input (422) adds `errors: [{"field", "reason"}]` so a client can point at the field.
Messages go through gettext, so they follow `Accept-Language` (LocaleMiddleware). Anything
unexpected is logged and answered with a JSON 500, never an HTML page, but the tests hold
that no reachable input gets there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from minka.api.schemas import CODE, COUNTRY, MULTILINE_TEXT, TEXT

logger = logging.getLogger(__name__)

FieldError = dict[str, str | None]


def _pydantic_reason(error: dict[str, Any]) -> str:
    """pydantic's messages are English only: give the common ones a translatable form."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "enum":
        return _("Expected one of: %(expected)s.") % {"expected": ctx.get("expected", "")}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind == "bool_parsing":
        return _("Enter true or false.")
    if kind == "greater_than_equal":
        return _("Ensure this value is at least %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Ensure this value is at most %(limit)s.") % {"limit": ctx.get("le")}
    if kind == "string_too_long":
        return _("Ensure this value has at most %(limit)s characters.") % {
            "limit": ctx.get("max_length")
        }
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        if pattern == COUNTRY:
            return _("Use a two-letter country code, e.g. PE.")
        if pattern == CODE:
            return _("Use an official code (letters and digits), e.g. 080101.")
        if pattern in (TEXT, MULTILINE_TEXT):
            return _("Control characters are not allowed.")
        return _("This value is not in the expected form.")
    if kind == "string_type":
        return _("Enter a text value.")
    if kind == "extra_forbidden":
        return _("This field cannot be changed here.")
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return _("Send a JSON object.")
    return str(error.get("msg", _("Invalid value.")))


def _field_of(loc: list[Any] | tuple[Any, ...]) -> str:
    """("query", "level") → "level"; ("body", "payload", "contact_email") → "contact_email"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body" and len(parts) > 2:
        parts = parts[2:]
    elif parts and parts[0] in ("query", "path", "body", "header", "cookie", "form", "file"):
        parts = parts[1:]
    return ".".join(parts)


def _invalid(api: NinjaAPI, request: HttpRequest, errors: list[FieldError]) -> HttpResponse:
    reasons = "; ".join(
        f"{e['field']}: {e['reason']}" if e["field"] else str(e["reason"]) for e in errors
    )
    detail = _("Invalid input: %(reasons)s") % {"reasons": reasons}
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


def register_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's defaults (English, `detail` sometimes a list, HTML 500s)."""

    @api.exception_handler(NinjaValidationError)
    def ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: list[FieldError] = [
            {"field": _field_of(e.get("loc", ())), "reason": _pydantic_reason(e)}
            for e in exc.errors
        ]
        return _invalid(api, request, errors)

    @api.exception_handler(DjangoValidationError)
    def django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors: list[FieldError] = [
                {"field": None if field == "__all__" else field, "reason": message}
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            errors = [{"field": None, "reason": message} for message in exc.messages]
        return _invalid(api, request, errors)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        detail = str(exc) or _("You do not have permission to do this here.")
        return api.create_response(request, {"detail": detail}, status=403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc) or _("Not found.")}, status=404)

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        # ninja raises a bare AuthenticationError("Unauthorized") when no method matched.
        detail = str(exc)
        if detail == "Unauthorized":
            detail = _(
                "An API token is required: send the header 'Authorization: Bearer mk_…'."
            )
        response = api.create_response(request, {"detail": detail}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="minka"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        if detail == "Cannot parse request body":  # ninja's own, untranslated
            detail = _("The request body is not valid JSON.")
        return api.create_response(request, {"detail": detail}, status=exc.status_code)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unexpected API error on %s %s", request.method, request.path)
        detail = _("Something went wrong on our side; the error has been logged.")
        return api.create_response(request, {"detail": detail}, status=500)


def json_not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """Any unknown URL under /api/v1/ answers JSON, like the rest of the API."""
    return JsonResponse({"detail": _("There is no such API endpoint.")}, status=404)


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method with a plain-text 405: give it the JSON shape too."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            detail = _("The method %(method)s is not allowed here.") % {
                "method": request.method
            }
            json_response = JsonResponse({"detail": detail}, status=405)
            json_response["Allow"] = response.get("Allow", "")
            return json_response
        return response

    return wrapped
