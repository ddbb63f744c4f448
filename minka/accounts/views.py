"""Views: thin, each parses input, calls one selector or service and renders.

Sign-in and sign-out are Django's own views (safe `next` handling, session rotation,
POST-only logout) with Minka's form and templates; throttling lives in forms.LoginForm.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from minka.accounts import selectors
from minka.accounts.forms import ApiTokenForm, LoginForm
from minka.accounts.models import ApiToken, User
from minka.accounts.services import api_token_create, api_token_revoke


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule): a link or an image tag cannot sign anyone out."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


def _signed_in(request: HttpRequest) -> User:
    """The request's user, for views behind `login_required` (which guarantees it)."""
    user = request.user
    assert isinstance(user, User), "view must be wrapped in login_required"
    return user


def _render_profile(
    request: HttpRequest,
    *,
    token_form: ApiTokenForm,
    new_token: tuple[ApiToken, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "profile": selectors.user_profile(user=_signed_in(request)),
        "token_form": token_form,
        "new_token": new_token[0] if new_token else None,
        "new_token_plaintext": new_token[1] if new_token else None,
    }
    return render(request, "accounts/profile.html", context, status=status)


@never_cache
@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return _render_profile(request, token_form=ApiTokenForm())


@never_cache
@login_required
@require_POST
def api_token_create_view(request: HttpRequest) -> HttpResponse:
    """Create a token and show its secret on this response only (never stored, never
    cached: `never_cache` sends no-store). Reloading would make a new token, not re-show
    this one."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            new_token = api_token_create(
                user=_signed_in(request), name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            return _render_profile(
                request, token_form=ApiTokenForm(), new_token=new_token, status=201
            )
    return _render_profile(request, token_form=form, status=400)


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.user_api_token_get(user=_signed_in(request), token_id=token_id)
    if token is None:
        raise Http404(_("You have no such token."))
    api_token_revoke(token=token)
    messages.success(
        request,
        _("The token “%(name)s” was revoked: nothing can use it to reach the API any more.")
        % {"name": token.name},
    )
    return redirect("accounts:profile")
