"""Every write to accounts goes through here (keyword-only, atomic)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from minka.accounts.models import Role, RoleAssignment, User
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
