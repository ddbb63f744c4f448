import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from minka.accounts.models import RoleAssignment
from minka.accounts.services import user_create

pytestmark = pytest.mark.django_db


def test_grants_a_municipal_official_the_municipality_of_a_district(tree):
    user = user_create(username="nuevo", password="x" * 12)
    call_command("grant_role", "nuevo", "municipal_official", "--scope", "PE:080104")
    assignment = RoleAssignment.objects.get(user=user)
    assert assignment.institution == tree.muni_san_jeronimo


def test_refuses_a_coordinator_scoped_to_a_province_and_writes_nothing(tree):
    user_create(username="nuevo", password="x" * 12)
    with pytest.raises(CommandError):
        call_command("grant_role", "nuevo", "regional_coordinator", "--scope", "PE:0801")
    assert RoleAssignment.objects.count() == 0


def test_unknown_user_or_territory_is_an_error(tree):
    with pytest.raises(CommandError, match="no user"):
        call_command("grant_role", "nadie", "viewer")
    user_create(username="nuevo", password="x" * 12)
    with pytest.raises(CommandError, match="no territory"):
        call_command("grant_role", "nuevo", "regional_coordinator", "--scope", "PE:99")
