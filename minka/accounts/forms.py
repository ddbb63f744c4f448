"""Forms for signing in and for API tokens.

Accessibility: every field has a visible label (templates), an `autocomplete` hint, and,
once it has errors, `aria-describedby` pointing at them and `aria-invalid` (Django sets
the latter) so a screen reader reads the error together with the field.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from minka.accounts.services import (
    LoginThrottle,
    login_attempt_check,
    login_failure_record,
    login_failures_clear,
)


class DescribedErrorsMixin:
    """Point each invalid field's `aria-describedby` at its error list (`<id>_errors`)
    and, if it has one, its help text (`<id>_helptext`, the id Django itself uses)."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        form: Any = self
        for name in form.errors:
            if name in form.fields:
                auto_id = form[name].auto_id
                described_by = [f"{auto_id}_errors"]
                if form.fields[name].help_text:
                    described_by.append(f"{auto_id}_helptext")
                form.fields[name].widget.attrs["aria-describedby"] = " ".join(described_by)


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address, for the audit trail only (throttling is per username). Proxy
    headers such as X-Forwarded-For are not trusted: anyone can write them."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def throttle_message(throttle: LoginThrottle) -> str:
    """Say plainly that sign-in is paused and from when it works again (local time)."""
    assert throttle.retry_at is not None
    seconds = (throttle.retry_at - timezone.now()).total_seconds()
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed attempts to sign in with this username. For your security, "
        "sign-in is paused until %(time)s (in about %(minutes)d minute). Then try again, "
        "or ask your administrator to reset your password.",
        "Too many failed attempts to sign in with this username. For your security, "
        "sign-in is paused until %(time)s (in about %(minutes)d minutes). Then try again, "
        "or ask your administrator to reset your password.",
        minutes,
    ) % {"time": date_format(timezone.localtime(throttle.retry_at), "H:i"), "minutes": minutes}


class LoginForm(DescribedErrorsMixin, AuthenticationForm):
    """Django's sign-in form with throttling in front of the password check.

    Order matters: the throttle is asked first, so once a username is locked even the
    right password is refused (and never reaches the hasher); a wrong password is
    recorded; a right one clears the username's failures.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The username or the password is not right. Both are case-sensitive."
        ),
        "inactive": _("This account is disabled. Ask your administrator."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data  # the field errors already say what is missing
        ip = client_ip(self.request)
        throttle = login_attempt_check(username=username)
        if not throttle.allowed:
            raise ValidationError(throttle_message(throttle), code="throttled")
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            login_failure_record(username=username, ip=ip)
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        login_failures_clear(username=username)
        return self.cleaned_data


class ApiTokenForm(DescribedErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What will use it, e.g. “DHIS2 exchange of the regional health office”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
