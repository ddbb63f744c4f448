"""Targets and baselines per territory and period, and district targets aligned with the
region's, as coordinators and officials set them."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from minka.analytics.tests.factories import anaemia_data
from minka.indicators.models import Target
from minka.indicators.services import target_set

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def data(tree):
    return anaemia_data(tree, with_values=False)


def url(name: str = "indicators:targets") -> str:
    return reverse(name, args=["ANEMIA_PCT"])


def target_value(indicator, territory, period, kind="target"):
    found = Target.objects.filter(
        indicator=indicator, territory=territory, period=period, kind=kind
    ).first()
    return None if found is None else found.value


class TestSetting:
    def test_table_pairs_baseline_and_target_per_territory_and_period(
        self, client, personas, data
    ):
        login(client, personas.cusco_coordinator)
        response = client.get(url())
        assert response.status_code == 200
        rows = [
            (r.territory.code, r.period,
             r.baseline and int(r.baseline.value), r.target and int(r.target.value))
            for r in response.context["rows"]
        ]
        assert rows == [
            ("0801", "2022", 45, None),
            ("0801", "2023", None, 30),
            ("080101", "2023", None, 28),
            ("080104", "2023", None, 15),
        ]

    def test_official_sets_a_target_for_their_district_in_spanish_decimals(
        self, client, personas, data, tree, django_capture_on_commit_callbacks
    ):
        login(client, personas.cusco_official)
        form = client.get(url()).context["set_form"]
        assert [t.code for t in form.fields["territory"].queryset] == ["080101"]
        with (
            mock.patch("minka.analytics.services.analytics_refresh_indicators") as refresh,
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(url(), {
                "set-territory": tree.cusco_district.pk, "set-period": "2026",
                "set-kind": "target", "set-value": "22,5", "set-note": "Plan local",
            })
        assert response.status_code == 302
        assert target_value(data.sheet, tree.cusco_district, "2026") == Decimal("22.5")
        refresh.assert_called_once_with(codes=["ANEMIA_PCT"])

    def test_official_cannot_set_another_district_target(self, client, personas, data, tree):
        login(client, personas.cusco_official)
        response = client.post(url(), {
            "set-territory": tree.san_jeronimo.pk, "set-period": "2026",
            "set-kind": "target", "set-value": "10",
        })
        assert response.status_code == 400  # not among the choices offered
        assert target_value(data.sheet, tree.san_jeronimo, "2026") is None

    def test_a_bad_period_is_refused_with_a_reason(self, client, personas, data, tree):
        login(client, personas.cusco_coordinator)
        response = client.post(url(), {
            "set-territory": tree.san_jeronimo.pk, "set-period": "23Q1",
            "set-kind": "target", "set-value": "10",
        })
        assert response.status_code == 400
        assert "23Q1" in response.context["set_form"].errors["period"][0]
        assert not Target.objects.filter(period="23Q1").exists()


class TestDeriving:
    def test_same_change_needs_baselines_and_names_who_lacks_one(
        self, client, personas, data, tree
    ):
        login(client, personas.cusco_coordinator)
        source = Target.objects.get(
            indicator=data.sheet, territory=tree.cusco_province, period="2023", kind="target"
        )
        target_set(indicator=data.sheet, territory=tree.cusco_district, period="2022",
                   value=Decimal("60"), kind="baseline")
        response = client.post(url("indicators:targets_derive"), {
            "derive-source": source.pk, "derive-method": "same_change",
        })
        assert response.status_code == 400
        errors = response.context["derive_form"].non_field_errors()
        assert len(errors) == 1 and "SAN JERÓNIMO" in errors[0] and "CUSCO" not in errors[0]
        # nothing changed: 080101 keeps 28
        assert target_value(data.sheet, tree.cusco_district, "2023") == Decimal("28")

    def test_same_change_moves_each_district_by_the_province_change(
        self, client, personas, data, tree
    ):
        login(client, personas.cusco_coordinator)
        source = Target.objects.get(
            indicator=data.sheet, territory=tree.cusco_province, period="2023", kind="target"
        )
        for territory, value in ((tree.cusco_district, "60"), (tree.san_jeronimo, "36")):
            target_set(indicator=data.sheet, territory=territory, period="2022",
                       value=Decimal(value), kind="baseline")
        response = client.post(url("indicators:targets_derive"), {
            "derive-source": source.pk, "derive-method": "same_change",
        })
        assert response.status_code == 302
        # province 45 → 30 is a factor of 2/3: 60 → 40, 36 → 24
        assert target_value(data.sheet, tree.cusco_district, "2023") == Decimal("40")
        assert target_value(data.sheet, tree.san_jeronimo, "2023") == Decimal("24")
        derived = Target.objects.get(
            indicator=data.sheet, territory=tree.san_jeronimo, period="2023", kind="target"
        )
        assert (derived.method, derived.derived_from_id) == ("same_change", source.pk)

    def test_same_value_copies_the_province_target(self, client, personas, data, tree):
        login(client, personas.cusco_coordinator)
        source = Target.objects.get(
            indicator=data.sheet, territory=tree.cusco_province, period="2023", kind="target"
        )
        response = client.post(url("indicators:targets_derive"), {
            "derive-source": source.pk, "derive-method": "same_value",
        })
        assert response.status_code == 302
        assert target_value(data.sheet, tree.cusco_district, "2023") == Decimal("30")
        assert target_value(data.sheet, tree.san_jeronimo, "2023") == Decimal("30")

    def test_official_cannot_derive(self, client, personas, data, tree):
        login(client, personas.cusco_official)
        source = Target.objects.get(
            indicator=data.sheet, territory=tree.cusco_province, period="2023", kind="target"
        )
        response = client.post(url("indicators:targets_derive"), {
            "derive-source": source.pk, "derive-method": "same_value",
        })
        assert response.status_code == 403
        assert target_value(data.sheet, tree.san_jeronimo, "2023") == Decimal("15")

    def test_another_region_coordinator_is_not_offered_cusco_targets(
        self, client, personas, data, tree
    ):
        login(client, personas.apurimac_coordinator)
        source = Target.objects.get(
            indicator=data.sheet, territory=tree.cusco_province, period="2023", kind="target"
        )
        response = client.post(url("indicators:targets_derive"), {
            "derive-source": source.pk, "derive-method": "same_value",
        })
        assert response.status_code == 400
        assert target_value(data.sheet, tree.san_jeronimo, "2023") == Decimal("15")
