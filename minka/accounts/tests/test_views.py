"""Sign-in, sign-out and the profile page with its API tokens, as people use them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from minka.accounts.models import ApiToken
from minka.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    role_assign,
)

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PROFILE = reverse("accounts:profile")
TOKEN_CREATE = reverse("accounts:token_create")
PASSWORD = "correct horse battery"


def _revoke_url(token: ApiToken) -> str:
    return reverse("accounts:token_revoke", args=[token.pk])


def test_the_urls_are_the_spanish_ones():
    assert (LOGIN, LOGOUT, PROFILE) == ("/cuenta/ingresar/", "/cuenta/salir/", "/cuenta/")


# --- Sign-in and sign-out ------------------------------------------------------------------


def test_login_page_has_labelled_fields_with_autocomplete_hints(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert re.search(r'<input[^>]*name="username"[^>]*autocomplete="username"', html)
    assert re.search(r'<input[^>]*name="password"[^>]*autocomplete="current-password"', html)
    assert 'type="password"' in html


def test_a_wrong_password_is_announced_and_the_fields_point_at_their_errors(client, personas):
    response = client.post(LOGIN, {"username": "evaluadora", "password": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == [
        "invalid_login"
    ]


def test_an_empty_field_is_tied_to_its_error_for_screen_readers(client, db):
    response = client.post(LOGIN, {"username": "", "password": ""})
    html = response.content.decode()
    assert re.search(r'<input[^>]*name="username"[^>]*aria-invalid="true"', html)
    assert re.search(r'<input[^>]*name="username"[^>]*aria-describedby="id_username_errors"', html)
    assert 'id="id_username_errors"' in html


def test_login_redirects_to_the_home_page_by_default(client, personas):
    response = client.post(LOGIN, {"username": "evaluadora", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert int(client.session["_auth_user_id"]) == personas.evaluator.pk


def test_login_follows_a_safe_next(client, personas):
    response = client.post(
        f"{LOGIN}?next={PROFILE}", {"username": "evaluadora", "password": PASSWORD}
    )
    assert response["Location"] == PROFILE


@pytest.mark.parametrize(
    "bad_next", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_ignores_an_unsafe_next(client, personas, bad_next):
    response = client.post(LOGIN, {"username": "evaluadora", "password": PASSWORD,
                                   "next": bad_next})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_the_login_page_carries_a_safe_next_in_the_form_and_drops_an_unsafe_one(client):
    html = client.get(LOGIN, {"next": PROFILE}).content.decode()
    assert f'<input type="hidden" name="next" value="{PROFILE}">' in html
    html = client.get(LOGIN, {"next": "https://evil.example/"}).content.decode()
    assert '<input type="hidden" name="next"' not in html


def test_an_inactive_user_cannot_sign_in(client, personas):
    personas.evaluator.is_active = False
    personas.evaluator.save()
    response = client.post(LOGIN, {"username": "evaluadora", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(client, personas):
    client.force_login(personas.evaluator)
    assert client.get(LOGOUT).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert "_auth_user_id" not in client.session


def test_the_header_offers_log_in_or_log_out(client, personas):
    assert f'href="{LOGIN}"' in client.get(reverse("portal:home")).content.decode()
    client.force_login(personas.evaluator)
    html = client.get(reverse("portal:home")).content.decode()
    assert f'action="{LOGOUT}"' in html
    assert f'href="{PROFILE}"' in html


# --- Profile --------------------------------------------------------------------------------


def test_profile_requires_sign_in(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PROFILE}"


def test_profile_shows_name_roles_and_their_scope(client, personas, tree):
    official = personas.cusco_official
    official.first_name, official.last_name = "Rosa", "Quispe"
    official.save()
    client.force_login(official)
    response = client.get(PROFILE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rosa Quispe" in html
    assert "funcionaria_cusco" in html
    assert tree.muni_cusco.name in html
    assert reverse("territories:institution", args=[tree.muni_cusco.pk]) in html
    assert "no-store" in response["Cache-Control"]


def test_profile_of_a_coordinator_names_the_region(client, personas, tree):
    client.force_login(personas.cusco_coordinator)
    html = client.get(PROFILE).content.decode()
    assert str(tree.cusco) in html
    assert reverse("territories:detail", args=["PE", "08"]) in html


def test_profile_without_roles_says_so(client, personas):
    client.force_login(personas.no_role)
    profile = client.get(PROFILE).context["profile"]
    assert profile.roles == []
    assert profile.tokens == []


def test_profile_lists_only_ones_own_tokens_live_first(client, personas):
    old, _ = api_token_create(user=personas.evaluator, name="old")
    live, _ = api_token_create(user=personas.evaluator, name="live")
    api_token_create(user=personas.viewer, name="someone else's")
    api_token_revoke(token=old)
    client.force_login(personas.evaluator)
    response = client.get(PROFILE)
    assert [t.name for t in response.context["profile"].tokens] == ["live", "old"]
    html = response.content.decode()
    assert f"mk_{live.prefix}" in html
    assert "someone else" not in html
    assert _revoke_url(live) in html
    assert _revoke_url(old) not in html  # nothing left to revoke


def test_profile_page_costs_a_fixed_number_of_queries(client, personas, tree,
                                                      django_assert_max_num_queries):
    role_assign(user=personas.cusco_official, role="viewer")
    for n in range(5):
        api_token_create(user=personas.cusco_official, name=f"t{n}")
    client.force_login(personas.cusco_official)
    with django_assert_max_num_queries(4):  # session, user, roles, tokens
        client.get(PROFILE)


# --- API tokens -----------------------------------------------------------------------------


def test_a_new_token_is_shown_once_with_a_warning(client, personas):
    client.force_login(personas.evaluator)
    response = client.post(TOKEN_CREATE, {"name": "DHIS2 sync"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    plaintext = response.context["new_token_plaintext"]
    html = response.content.decode()
    assert plaintext in html
    assert "no se volverá a mostrar" in html
    token = ApiToken.objects.get(user=personas.evaluator)
    assert token.name == "DHIS2 sync"
    assert plaintext not in token.digest and token.digest != plaintext
    assert api_token_authenticate(plaintext=plaintext) == personas.evaluator
    # Never again: the profile shows only the prefix.
    html = client.get(PROFILE).content.decode()
    assert plaintext not in html
    assert f"mk_{token.prefix}" in html


def test_a_token_needs_a_name(client, personas):
    client.force_login(personas.evaluator)
    for name in ("", "   "):
        response = client.post(TOKEN_CREATE, {"name": name})
        assert response.status_code == 400
        assert response.context["token_form"].errors["name"]
        assert response.context["new_token_plaintext"] is None
        html = response.content.decode()
        assert 'aria-describedby="id_name_errors id_name_helptext"' in html
    assert not ApiToken.objects.exists()


def test_token_create_is_post_only_and_needs_sign_in(client, personas):
    assert client.post(TOKEN_CREATE, {"name": "x"}).status_code == 302  # to the login page
    client.force_login(personas.evaluator)
    assert client.get(TOKEN_CREATE).status_code == 405
    assert not ApiToken.objects.exists()


def test_revoking_ones_own_token(client, personas):
    token, plaintext = api_token_create(user=personas.evaluator, name="DHIS2 sync")
    client.force_login(personas.evaluator)
    response = client.post(_revoke_url(token), follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(plaintext=plaintext) is None
    assert "DHIS2 sync" in str(next(iter(response.context["messages"])))


def test_another_users_token_is_not_found_and_stays_live(client, personas):
    token, plaintext = api_token_create(user=personas.viewer, name="viewer's")
    client.force_login(personas.evaluator)
    assert client.post(_revoke_url(token)).status_code == 404
    assert client.post(reverse("accounts:token_revoke", args=[999_999])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_authenticate(plaintext=plaintext) == personas.viewer


def test_revoke_is_post_only_and_needs_sign_in(client, personas):
    token, _ = api_token_create(user=personas.evaluator, name="t")
    assert client.post(_revoke_url(token)).status_code == 302  # to the login page
    client.force_login(personas.evaluator)
    assert client.get(_revoke_url(token)).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_forms_are_csrf_protected(personas):
    client = Client(enforce_csrf_checks=True)
    assert client.post(LOGIN, {"username": "evaluadora", "password": PASSWORD}).status_code == 403
    client.force_login(personas.evaluator)
    assert client.post(TOKEN_CREATE, {"name": "x"}).status_code == 403
