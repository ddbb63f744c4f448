"""seed_demo works without ../shared, is idempotent, and gives every role a login.

These tests load territories and people only (`indicators=None`, no analytics), except the
command's, which loads a small hand-made indicator file and computes its analytics; the
full indicator content is tested in test_demo_indicators.py.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from minka.accounts.models import Role, RoleAssignment
from minka.accounts.permissions import Action, has_permission
from minka.demo.services import DEMO_PEOPLE, demo_seed
from minka.indicators.models import IndicatorSheet, Target
from minka.territories.models import Boundary, Institution, Population, Sex, Territory
from minka.territories.selectors import municipality_of, territory_get

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[int, ...]:
    return (
        Territory.objects.count(), Population.objects.count(), Institution.objects.count(),
        RoleAssignment.objects.count(),
    )


def test_demo_without_shared_data_loads_cusco_and_one_user_per_role(tmp_path):
    result = demo_seed(shared_data=tmp_path / "absent", indicators=None, analytics=False)
    assert Territory.objects.filter(level="province", parent__code="08").count() == 13
    assert Territory.objects.filter(level="district", path__startswith="PE/08/").count() == 116
    cusco_total = Population.objects.get(territory__code="08", year=2025, sex=Sex.TOTAL)
    assert cusco_total.value == 1_379_167
    assert Boundary.objects.count() == 0
    assert {login.username for login in result.logins} == {p[0] for p in DEMO_PEOPLE}
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)


def test_demo_runs_twice_without_changing_anything(tmp_path):
    demo_seed(shared_data=tmp_path, indicators=None, analytics=False)
    before = _snapshot()
    demo_seed(shared_data=tmp_path, indicators=None, analytics=False)
    assert _snapshot() == before


def test_demo_officials_reach_only_their_own_municipality(tmp_path):
    from minka.accounts.models import User

    demo_seed(shared_data=tmp_path, indicators=None, analytics=False)
    official = User.objects.get(username="funcionaria.sanjeronimo")
    own = municipality_of(territory=territory_get(country="PE", code="080104"))
    other = municipality_of(territory=territory_get(country="PE", code="080108"))
    assert has_permission(official, Action.CHANGE, own)
    assert not has_permission(official, Action.VIEW_PRIVATE, other)


def _small_file(path: Path) -> Path:
    """Two districts, three months: every figure below is computed by hand from these."""
    path.write_text(json.dumps({
        "format": "minka.demo.indicators/1",
        "country": "PE",
        "figures": [{"element": "POBREZA_TOTAL_PCT", "period": "2018", "source": "INEI 2018",
                     "values": {"080101": "8.214426"}}],
        "synthetic": {
            "source": "Datos sintéticos de demostración", "seed": 1,
            "periods": ["201901", "201902", "202001"],
            "series": [
                {"element": "NINOS_6_35_TAMIZADOS", "combination": "FEMALE|URBAN",
                 "values": {"080101": [10, 20, 5], "080104": [30, None, 5]}},
                {"element": "NINOS_6_35_ANEMIA", "combination": "FEMALE|URBAN",
                 "values": {"080101": [5, 8, 1], "080104": [12, None, 1]}},
            ],
        },
    }), encoding="utf-8")
    return path


def test_seed_demo_prints_the_logins_and_computes_the_analytics(tmp_path, monkeypatch):
    from minka.analytics.selectors import indicator_values
    from minka.demo.management.commands import seed_demo
    from minka.territories.selectors import territory_get

    small = functools.partial(demo_seed, indicators=_small_file(tmp_path / "small.json"))
    monkeypatch.setattr(seed_demo, "demo_seed", small)
    out = StringIO()
    with override_settings(ANALYTICS_STORE=tmp_path / "analytics.duckdb"):
        call_command("seed_demo", stdout=out)
        text = out.getvalue()
        assert "funcionaria.sanjeronimo" in text and "minka-demo-2026" in text
        assert "Analytics" in text or "Analítica" in text
        anaemia = IndicatorSheet.objects.get(code="ANEMIA_6_35")
        cusco = territory_get(country="PE", code="08")
        rows = {row.period: row for row in indicator_values(
            indicator=anaemia, territory=cusco, level=None, periods=["2019", "201901"])}
    # 2019: (5 + 8 + 12) / (10 + 20 + 30); January: (5 + 12) / (10 + 30).
    assert rows["2019"].value == pytest.approx(100 * 25 / 60)
    assert rows["201901"].value == pytest.approx(100 * 17 / 40)
    baseline = Target.objects.get(indicator=anaemia, territory=cusco, kind="baseline")
    assert baseline.value == Decimal("41.67")


def test_a_re_seed_that_writes_nothing_refreshes_the_analytics_incrementally(
    tmp_path, monkeypatch
):
    from minka.demo import services as demo_services

    calls: list[bool] = []
    real = demo_services.analytics_refresh

    def recorded(*, full: bool = False):
        calls.append(full)
        return real(full=full)

    monkeypatch.setattr(demo_services, "analytics_refresh", recorded)
    small = _small_file(tmp_path / "small.json")
    first = demo_seed(shared_data=tmp_path / "absent", indicators=small)
    second = demo_seed(shared_data=tmp_path / "absent", indicators=small)
    # 1 poverty figure + 5 months screened + 5 months of anaemia (one month is missing).
    assert (first.values_written, second.values_written) == (11, 0)
    assert calls == [True, False]
