"""Every read of accounts for pages and the API (services.py does the writes)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet

from minka.accounts.models import ApiToken, RoleAssignment, User


def user_role_assignments(*, user: User) -> QuerySet[RoleAssignment]:
    """The user's roles with their scope loaded, so a page listing them costs one query."""
    return (
        RoleAssignment.objects.filter(user=user)
        .select_related("territory", "institution__territory")
        .order_by("role", "territory__path", "institution__name")
    )


def user_api_tokens(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens, live first, newest first. Only metadata: the secret is never kept."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at", "-pk"
    )


def user_api_token_get(*, user: User, token_id: int) -> ApiToken | None:
    """One of the user's own tokens, or None. Another user's token id is "not found",
    never "forbidden", so token ids do not leak who owns what."""
    return ApiToken.objects.filter(user=user, pk=token_id).first()


@dataclass(frozen=True)
class UserProfile:
    """What the profile page shows: who the user is, what they may do where, their tokens."""

    user: User
    roles: list[RoleAssignment]
    tokens: list[ApiToken]


def user_profile(*, user: User) -> UserProfile:
    """Two queries whatever the number of roles and tokens."""
    return UserProfile(
        user=user,
        roles=list(user_role_assignments(user=user)),
        tokens=list(user_api_tokens(user=user)),
    )
