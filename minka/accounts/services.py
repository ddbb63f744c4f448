"""Every write to accounts goes through here (keyword-only, atomic)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.accounts.models import ApiToken, LoginAttempt, Role, RoleAssignment, User
from minka.territories.models import Institution, Level, Territory


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def role_assign(
    *,
    user: User,
    role: str,
    territory: Territory | None = None,
    institution: Institution | None = None,
) -> RoleAssignment:
    """Give a user a role with the scope that role requires (see accounts.models)."""
    if role == Role.REGIONAL_COORDINATOR:
        if territory is None or territory.level != Level.REGION or institution is not None:
            raise ValidationError(_("A regional coordinator's scope must be one region."))
    elif role == Role.MUNICIPAL_OFFICIAL:
        if institution is None or institution.kind != Institution.Kind.MUNICIPALITY:
            raise ValidationError(_("A municipal official's scope must be one municipality."))
        territory = institution.territory
    elif territory is not None or institution is not None:
        raise ValidationError(_("This role has no territorial scope."))
    assignment, _created = RoleAssignment.objects.get_or_create(
        user=user, role=role, territory=territory, institution=institution
    )
    return assignment


TOKEN_BYTES = 32


def _token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plaintext is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name, e.g. the system that will use it."))
    plaintext = "mk_" + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=plaintext[3:11], digest=_token_digest(plaintext)
    )
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, plaintext: str) -> User | None:
    """The active user behind a live token, or None. Records when the token was last used."""
    if not plaintext.startswith("mk_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_token_digest(plaintext), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


# --- Login throttling -------------------------------------------------------------------
# Failures are counted per username (not per IP: behind a NAT a whole municipality shares
# one address) in a sliding window. A refused attempt is not itself recorded as a failure:
# otherwise anyone who keeps knocking would keep the owner locked out forever, and the
# owner's own correct password typed during the lock would extend it.


@dataclass(frozen=True)
class LoginThrottle:
    """The verdict of `login_attempt_check`: allowed, or refused until `retry_at`."""

    failures: int
    retry_at: dt.datetime | None

    @property
    def allowed(self) -> bool:
        return self.retry_at is None


def login_attempt_check(*, username: str) -> LoginThrottle:
    """May someone try to sign in as `username` now? Reads only; see module note above.

    Refused once LOGIN_MAX_FAILURES failures fall within LOGIN_FAILURE_WINDOW_SECONDS; the
    refusal lasts until enough of those failures age out of the window (`retry_at`).
    """
    window = dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    maximum = settings.LOGIN_MAX_FAILURES
    recent = list(
        LoginAttempt.objects.filter(
            username=username, attempted_at__gt=timezone.now() - window
        )
        .order_by("attempted_at")
        .values_list("attempted_at", flat=True)
    )
    if len(recent) < maximum:
        return LoginThrottle(failures=len(recent), retry_at=None)
    # The lock lifts when the count inside the window drops to maximum - 1.
    return LoginThrottle(failures=len(recent), retry_at=recent[len(recent) - maximum] + window)


@transaction.atomic
def login_failure_record(*, username: str, ip: str | None) -> LoginAttempt:
    """Record one failed sign-in (kept also as the audit of who tried which username)."""
    return LoginAttempt.objects.create(username=username[:150], ip_address=ip or None)


@transaction.atomic
def login_failures_clear(*, username: str) -> int:
    """A successful sign-in forgives that username's earlier failures. Returns how many."""
    deleted, _per_model = LoginAttempt.objects.filter(username=username).delete()
    return deleted
