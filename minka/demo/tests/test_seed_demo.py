"""seed_demo works without ../shared, is idempotent, and gives every role a login."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from minka.accounts.models import Role, RoleAssignment
from minka.accounts.permissions import Action, has_permission
from minka.demo.services import DEMO_PEOPLE, demo_seed
from minka.territories.models import Boundary, Institution, Population, Sex, Territory
from minka.territories.selectors import municipality_of, territory_get

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[int, ...]:
    return (
        Territory.objects.count(), Population.objects.count(), Institution.objects.count(),
        RoleAssignment.objects.count(),
    )


def test_demo_without_shared_data_loads_cusco_and_one_user_per_role(tmp_path):
    result = demo_seed(shared_data=tmp_path / "absent")
    assert Territory.objects.filter(level="province", parent__code="08").count() == 13
    assert Territory.objects.filter(level="district", path__startswith="PE/08/").count() == 116
    cusco_total = Population.objects.get(territory__code="08", year=2025, sex=Sex.TOTAL)
    assert cusco_total.value == 1_379_167
    assert Boundary.objects.count() == 0
    assert {login.username for login in result.logins} == {p[0] for p in DEMO_PEOPLE}
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)


def test_demo_runs_twice_without_changing_anything(tmp_path):
    demo_seed(shared_data=tmp_path)
    before = _snapshot()
    demo_seed(shared_data=tmp_path)
    assert _snapshot() == before


def test_demo_officials_reach_only_their_own_municipality(tmp_path):
    from minka.accounts.models import User

    demo_seed(shared_data=tmp_path)
    official = User.objects.get(username="funcionaria.sanjeronimo")
    own = municipality_of(territory=territory_get(country="PE", code="080104"))
    other = municipality_of(territory=territory_get(country="PE", code="080108"))
    assert has_permission(official, Action.CHANGE, own)
    assert not has_permission(official, Action.VIEW_PRIVATE, other)


def test_seed_demo_command_prints_the_logins(tmp_path, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "funcionaria.sanjeronimo" in out
    assert "minka-demo-2026" in out
