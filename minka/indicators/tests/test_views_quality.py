"""Quality review and the data behind a figure: what each persona sees and may decide.

An official of another district must see nothing of this one: neither its flags nor the
data values behind its figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from minka.analytics.services import analytics_refresh
from minka.analytics.tests.factories import anaemia_data
from minka.indicators.models import DataElement, QualityFlag

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
QUALITY = reverse("indicators:quality")


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def data(tree):
    return anaemia_data(tree)


@pytest.fixture
def flags(data, tree):
    """One open outlier in each district of Cusco province."""
    def flag(territory, value, score):
        return QualityFlag.objects.create(
            kind=QualityFlag.Kind.OUTLIER, element=data.anemia, territory=territory,
            period="202302", combination="FEMALE", value=Decimal(value), score=score,
            detail="far from the district's median",
        )
    return {"cusco": flag(tree.cusco_district, "12", 4.2),
            "san_jeronimo": flag(tree.san_jeronimo, "3", 3.9)}


def listed(response) -> set[int]:
    return {flag.pk for flag in response.context["page"].object_list}


class TestQualityReview:
    def test_each_official_sees_only_their_district_flags(self, client, personas, flags):
        login(client, personas.cusco_official)
        response = client.get(QUALITY)
        assert response.status_code == 200
        assert listed(response) == {flags["cusco"].pk}
        assert "4,2" in response.content.decode()  # the score, in Spanish decimals
        client.logout()
        login(client, personas.san_jeronimo_official)
        assert listed(client.get(QUALITY)) == {flags["san_jeronimo"].pk}
        client.logout()
        login(client, personas.cusco_coordinator)
        assert listed(client.get(QUALITY)) == {flags["cusco"].pk, flags["san_jeronimo"].pk}
        client.logout()
        login(client, personas.apurimac_coordinator)
        assert listed(client.get(QUALITY)) == set()

    def test_official_confirms_a_value_with_a_note(self, client, personas, flags):
        login(client, personas.cusco_official)
        flag = flags["cusco"]
        response = client.post(
            reverse("indicators:quality_review", args=[flag.pk]),
            {"state": "confirmed", "note": "Campaña de tamizaje en febrero"},
        )
        assert response.status_code == 302
        flag.refresh_from_db()
        assert (flag.state, flag.review_note, flag.reviewed_by_id) == (
            "confirmed", "Campaña de tamizaje en febrero", personas.cusco_official.pk
        )
        assert flag.reviewed_at is not None
        assert listed(client.get(QUALITY)) == set()  # no longer open
        assert listed(client.get(QUALITY, {"state": "confirmed"})) == {flag.pk}

    def test_official_of_another_district_cannot_review(self, client, personas, flags):
        login(client, personas.san_jeronimo_official)
        flag = flags["cusco"]
        response = client.post(
            reverse("indicators:quality_review", args=[flag.pk]),
            {"state": "corrected", "note": "no"},
        )
        assert response.status_code == 404
        flag.refresh_from_db()
        assert (flag.state, flag.reviewed_by_id) == ("open", None)

    def test_a_decision_must_be_one_of_the_two(self, client, personas, flags):
        login(client, personas.cusco_official)
        flag = flags["cusco"]
        client.post(reverse("indicators:quality_review", args=[flag.pk]), {"state": "deleted"})
        flag.refresh_from_db()
        assert flag.state == "open"

    def test_coordinator_runs_the_checks_and_an_out_of_bounds_value_is_listed(
        self, client, personas, data, tree
    ):
        # at most 10 children with anaemia per cell: 080101 202302 FEMALE has 12
        DataElement.objects.filter(pk=data.anemia.pk).update(maximum=Decimal(10))
        login(client, personas.cusco_official)
        assert client.post(reverse("indicators:quality_check")).status_code == 403
        assert not QualityFlag.objects.exists()
        client.logout()
        login(client, personas.cusco_coordinator)
        response = client.post(reverse("indicators:quality_check"))
        assert response.status_code == 302
        bounds = QualityFlag.objects.filter(kind=QualityFlag.Kind.OUT_OF_BOUNDS)
        assert [(f.territory.code, f.period, f.combination, f.value) for f in bounds] == [
            ("080101", "202302", "FEMALE", Decimal("12"))
        ]
        assert bounds[0].pk in listed(client.get(QUALITY))


def sources_url(code: str, territory: str, period: str) -> str:
    return reverse("indicators:sources", args=[code, "PE", territory, period])


@pytest.fixture
def refreshed(data):
    analytics_refresh(full=True)
    return data


class TestFigureSources:
    def test_san_jeronimo_2023_rests_on_its_eight_values(self, client, personas, refreshed):
        login(client, personas.san_jeronimo_official)
        response = client.get(sources_url("ANEMIA_PCT", "080104", "2023"))
        assert response.status_code == 200
        found = {(v.element.code, v.territory.code, v.period, v.combination, int(v.value))
                 for v in response.context["values"]}
        assert found == {
            ("ANEMIA", "080104", "202301", "FEMALE", 2),
            ("ANEMIA", "080104", "202301", "MALE", 2),
            ("ANEMIA", "080104", "202303", "FEMALE", 3),
            ("ANEMIA", "080104", "202303", "MALE", 3),
            ("SCREENED", "080104", "202301", "FEMALE", 10),
            ("SCREENED", "080104", "202301", "MALE", 10),
            ("SCREENED", "080104", "202303", "FEMALE", 15),
            ("SCREENED", "080104", "202303", "MALE", 15),
        }
        assert response.context["count"] == 8
        assert "HIS 2023" in response.content.decode()  # the values' source

    def test_a_breakdown_keeps_only_its_values(self, client, personas, refreshed):
        login(client, personas.cusco_coordinator)
        response = client.get(
            sources_url("ANEMIA_PCT", "0801", "2023"), {"breakdown": "FEMALE"}
        )
        # province: both districts' FEMALE values: 080101 4 cells + 080104 4 cells
        found = {(v.territory.code, v.combination) for v in response.context["values"]}
        assert response.context["count"] == 8
        assert found == {("080101", "FEMALE"), ("080104", "FEMALE")}

    def test_an_official_of_another_district_sees_nothing(self, client, personas, refreshed):
        login(client, personas.cusco_official)
        assert client.get(sources_url("ANEMIA_PCT", "080104", "2023")).status_code == 403
        assert client.get(sources_url("ANEMIA_PCT", "0801", "2023")).status_code == 403
        assert client.get(sources_url("ANEMIA_PCT", "080101", "2023")).status_code == 200

    def test_readers_without_a_territory_see_all(self, client, personas, refreshed):
        login(client, personas.viewer)
        assert client.get(sources_url("ANEMIA_PCT", "080104", "2023")).status_code == 200

    def test_the_public_signs_in_first_and_never_learns_of_unpublished_ones(
        self, client, refreshed
    ):
        response = client.get(sources_url("ANEMIA_PCT", "080104", "2023"))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]
        assert client.get(sources_url("ANEMIA_DRAFT", "080104", "2023")).status_code == 404

    def test_bad_period_or_territory_is_404_not_500(self, client, personas, refreshed):
        login(client, personas.viewer)
        assert client.get(sources_url("ANEMIA_PCT", "080104", "23Q1")).status_code == 404
        assert client.get(sources_url("ANEMIA_PCT", "999999", "2023")).status_code == 404
        response = client.get(sources_url("ANEMIA_PCT", "080104", "2023"), {"breakdown": "<x>"})
        assert response.status_code == 404

    def test_a_busy_store_is_said_plainly_not_a_500(self, client, personas, refreshed):
        from pathlib import Path
        from unittest import mock

        from minka.analytics.engine.store import StoreBusy

        login(client, personas.viewer)
        with mock.patch(
            "minka.indicators.views.catalogue.figure_source_ids",
            side_effect=StoreBusy(Path("store.duckdb"), 5.0),
        ):
            response = client.get(sources_url("ANEMIA_PCT", "080104", "2023"))
        assert response.status_code == 503
        assert 'role="alert"' in response.content.decode()
