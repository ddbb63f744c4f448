"""`minka grant_role USER ROLE [--scope PE:08]`: give an existing user a role.

How a deployment gets its first national administrator (after `minka createsuperuser` or
`minka createuser`) and how roles are granted until an administration page exists.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minka.accounts.models import Role, User
from minka.accounts.services import role_assign
from minka.territories.models import Institution
from minka.territories.selectors import municipality_of, territory_get


class Command(BaseCommand):
    help = (
        "Grant a role to a user. Scope: a region for regional_coordinator, the territory of "
        "a municipality for municipal_official, e.g. --scope PE:080104."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--scope", default="", help="COUNTRY:CODE, e.g. PE:08")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"There is no user {options['username']!r}.")
        role = options["role"]
        territory = None
        institution: Institution | None = None
        if options["scope"]:
            country, _sep, code = options["scope"].partition(":")
            territory = territory_get(country=country, code=code)
            if territory is None:
                raise CommandError(f"There is no territory {options['scope']!r}.")
        if role == Role.MUNICIPAL_OFFICIAL:
            institution = municipality_of(territory=territory) if territory else None
            if institution is None:
                raise CommandError("A municipal official needs --scope with a municipality's "
                                   "territory, e.g. PE:080104.")
            territory = None
        try:
            assignment = role_assign(
                user=user, role=role, territory=territory, institution=institution
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"{assignment}"))
