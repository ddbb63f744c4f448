"""Security settings as production gets them, and sign-in throttling.

The settings checks run `import minka.settings` in a fresh interpreter with a controlled
environment: inside pytest the module believes it is under test ("pytest" in sys.modules)
and relaxes cookies and HSTS, and the autouse fixture in conftest swaps the hashers, so
neither `django.conf.settings` nor this process can show what production gets.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from minka.accounts.forms import LoginForm
from minka.accounts.models import LoginAttempt
from minka.accounts.services import (
    login_attempt_check,
    login_failure_record,
    login_failures_clear,
    user_create,
)

GOOD_SECRET = "k" * 20 + "-production-secret-x"  # 40 characters
assert len(GOOD_SECRET) == 40

# Variables the outer environment might set that would change what the child sees.
_CONTROLLED = (
    "DEBUG", "SECRET_KEY", "MINKA_TESTING", "TIME_ZONE", "DATABASE_URL", "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT", "DJANGO_SETTINGS_MODULE",
)

_PROBE = """
import json, sys
import minka.settings as s
print(json.dumps({
    "pytest_loaded": "pytest" in sys.modules,
    "TESTING": s.TESTING,
    "DEBUG": s.DEBUG,
    "SESSION_COOKIE_SECURE": getattr(s, "SESSION_COOKIE_SECURE", False),
    "CSRF_COOKIE_SECURE": getattr(s, "CSRF_COOKIE_SECURE", False),
    "SECURE_HSTS_SECONDS": getattr(s, "SECURE_HSTS_SECONDS", 0),
    "SECURE_SSL_REDIRECT": getattr(s, "SECURE_SSL_REDIRECT", False),
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "PASSWORD_HASHERS": s.PASSWORD_HASHERS,
}))
"""


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    """`import minka.settings` in a new interpreter with exactly these controlled variables."""
    child_env = {k: v for k, v in os.environ.items() if k not in _CONTROLLED}
    child_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=child_env, capture_output=True, text=True, timeout=60, check=False,
    )


def test_production_hashes_passwords_with_argon2_first():
    """Read the module's own value: pytest-django's `settings` fixture (autouse in conftest)
    overrides django.conf.settings, never the attribute of the minka.settings module."""
    import minka.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hasher_makes_argon2_hashes_that_verify():
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("correct horse battery", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.algorithm == "argon2"
    assert hasher.verify("correct horse battery", encoded)
    assert not hasher.verify("wrong horse battery", encoded)


@pytest.mark.django_db
def test_a_user_created_in_production_gets_an_argon2_hash():
    import minka.settings as production

    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        user = user_create(username="argon", password="correct horse battery")
        assert user.password.startswith("argon2$")
        assert user.check_password("correct horse battery")


def test_production_settings_send_secure_cookies_and_hsts():
    result = _import_settings(DEBUG="false", SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    # The probe really ran as production: TESTING is derived from sys.modules.
    assert seen["pytest_loaded"] is False
    assert seen["TESTING"] is False
    assert seen["DEBUG"] is False
    assert seen["SESSION_COOKIE_SECURE"] is True
    assert seen["CSRF_COOKIE_SECURE"] is True
    assert seen["SESSION_COOKIE_HTTPONLY"] is True
    assert seen["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert seen["SECURE_SSL_REDIRECT"] is True
    assert seen["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")


def test_under_test_the_cookies_are_relaxed_so_the_probe_above_is_meaningful():
    """The same probe with MINKA_TESTING=1 must differ; otherwise it proves nothing."""
    seen = json.loads(_import_settings(DEBUG="false", MINKA_TESTING="1").stdout)
    assert seen["TESTING"] is True
    assert seen["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe", "SECRET_KEY": GOOD_SECRET}, "DEBUG"),
        ({"DEBUG": "false", "SECRET_KEY": GOOD_SECRET, "TIME_ZONE": "Mars/Olympus"},
         "TIME_ZONE"),
        ({"DEBUG": "false", "SECRET_KEY": "too-short-for-production"}, "SECRET_KEY"),
        ({"DEBUG": "false"}, "SECRET_KEY"),  # missing altogether
        ({"DEBUG": "false", "SECRET_KEY": GOOD_SECRET, "MINKA_TESTING": "perhaps"},
         "MINKA_TESTING"),
        ({"DEBUG": "false", "SECRET_KEY": GOOD_SECRET, "DATABASE_URL": "mysql://db/minka"},
         "DATABASE_URL"),
    ],
    ids=["debug-maybe", "time-zone-mars", "short-secret", "no-secret", "testing-perhaps",
         "mysql-url"],
)
def test_a_bad_environment_stops_the_import_naming_the_variable(env, named):
    result = _import_settings(**env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert named in last_line


# --- Sign-in throttling ---------------------------------------------------------------------

LOGIN = reverse("accounts:login")
PASSWORD = "correct horse battery"  # the personas' password (conftest)


def _post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def _fail(client, username, times):
    for _ in range(times):
        response = _post_login(client, username, "wrong password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_five_failures_lock_the_username_even_for_the_right_password(client, personas):
    _fail(client, "evaluadora", 5)
    response = _post_login(client, "evaluadora", PASSWORD)
    assert response.status_code == 200
    assert not _signed_in(client)
    errors = response.context["form"].non_field_errors().as_data()
    assert [e.code for e in errors] == ["throttled"]
    html = response.content.decode()
    assert 'role="alert"' in html
    # Says when: the local time at which the first failure leaves the 15-minute window.
    first = LoginAttempt.objects.filter(username="evaluadora").earliest("attempted_at")
    retry_at = timezone.localtime(first.attempted_at + dt.timedelta(minutes=15))
    assert retry_at.strftime("%H:%M") in html
    # The refused attempts did not extend the lock.
    assert LoginAttempt.objects.filter(username="evaluadora").count() == 5


@pytest.mark.django_db
def test_four_failures_do_not_lock(client, personas):
    _fail(client, "evaluadora", 4)
    response = _post_login(client, "evaluadora", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_the_lock_lifts_once_the_failures_leave_the_window(client, personas):
    _fail(client, "evaluadora", 5)
    _post_login(client, "evaluadora", PASSWORD)
    assert not _signed_in(client)
    # Time travel: the five failures happened 16 minutes ago.
    LoginAttempt.objects.filter(username="evaluadora").update(
        attempted_at=timezone.now() - dt.timedelta(minutes=16)
    )
    response = _post_login(client, "evaluadora", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_the_window_slides_the_lock_lifts_when_enough_failures_age_out(personas):
    now = timezone.now()
    for minutes_ago in (14, 10, 5, 2, 1):
        attempt = login_failure_record(username="evaluadora", ip="192.0.2.1")
        LoginAttempt.objects.filter(pk=attempt.pk).update(
            attempted_at=now - dt.timedelta(minutes=minutes_ago)
        )
    throttle = login_attempt_check(username="evaluadora")
    assert not throttle.allowed
    assert throttle.failures == 5
    expected = now - dt.timedelta(minutes=14) + dt.timedelta(minutes=15)
    assert abs((throttle.retry_at - expected).total_seconds()) < 1
    # Six failures: it takes two to age out, so the lock lasts until the second oldest leaves.
    attempt = login_failure_record(username="evaluadora", ip=None)
    throttle = login_attempt_check(username="evaluadora")
    expected = now - dt.timedelta(minutes=10) + dt.timedelta(minutes=15)
    assert abs((throttle.retry_at - expected).total_seconds()) < 1
    assert attempt.ip_address is None


@pytest.mark.django_db
def test_another_username_is_not_affected(client, personas):
    _fail(client, "evaluadora", 6)
    response = _post_login(client, "observador", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_a_successful_sign_in_clears_that_usernames_failures_only(client, personas):
    _fail(client, "evaluadora", 4)
    _fail(client, "observador", 2)
    assert _post_login(client, "evaluadora", PASSWORD).status_code == 302
    assert not LoginAttempt.objects.filter(username="evaluadora").exists()
    assert LoginAttempt.objects.filter(username="observador").count() == 2
    client.post(reverse("accounts:logout"))
    # The slate is clean: four new failures still do not lock.
    _fail(client, "evaluadora", 4)
    assert _post_login(client, "evaluadora", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_failures_for_unknown_usernames_are_recorded_with_the_address(client, db):
    client.post(LOGIN, {"username": "nobody", "password": "x"}, REMOTE_ADDR="198.51.100.7")
    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("nobody", "198.51.100.7")


@pytest.mark.django_db
def test_the_limits_come_from_settings(client, personas):
    with override_settings(LOGIN_MAX_FAILURES=2, LOGIN_FAILURE_WINDOW_SECONDS=60):
        _fail(client, "evaluadora", 2)
        assert not login_attempt_check(username="evaluadora").allowed
        LoginAttempt.objects.update(attempted_at=timezone.now() - dt.timedelta(seconds=61))
        assert login_attempt_check(username="evaluadora").allowed


@pytest.mark.django_db
def test_the_lock_message_is_translated_and_names_the_time(rf, personas):
    from django.utils import translation

    for _ in range(5):
        login_failure_record(username="evaluadora", ip=None)
    with translation.override("en"):
        form = LoginForm(rf.post(LOGIN), data={"username": "evaluadora", "password": PASSWORD})
        assert not form.is_valid()
        message = form.non_field_errors()[0]
    assert "Too many failed attempts" in message
    assert "minutes" in message
    assert login_failures_clear(username="evaluadora") == 5
