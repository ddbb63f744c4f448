"""Imports from the page: upload → dry run (a job, run synchronously in tests) → report →
confirm, with the values checked in the database against figures computed by hand; refused
imports; the progress endpoint; templates."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minka.analytics.tests.factories import anaemia_data
from minka.indicators.import_jobs import progress_key
from minka.indicators.models import DataValue, ImportBatch
from minka.jobs import job_progress_clear, job_progress_set

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
IMPORT = reverse("indicators:import")
TEMPLATE = reverse("indicators:template")

GOOD_CSV = (
    "element,country,territory,period,disaggregation,value\n"
    "ANEMIA,PE,080101,202401,FEMALE,7\n"
    "ANEMIA,PE,080101,202401,MALE,5\n"
    "SCREENED,PE,080101,202401,FEMALE,21\n"
    "SCREENED,PE,080101,202401,MALE,19\n"
)
# Row 3 is San Jerónimo's (not the official's), row 4's value is not a number.
BAD_CSV = (
    "element,country,territory,period,disaggregation,value\n"
    "ANEMIA,PE,080101,202401,FEMALE,7\n"
    "ANEMIA,PE,080104,202401,MALE,5\n"
    "SCREENED,PE,080101,202401,FEMALE,veinte\n"
)


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MINKA_JOBS_SYNC = True


@pytest.fixture
def data(tree):
    return anaemia_data(tree, with_values=False)


def upload(client, text: str, **extra):
    payload = {
        "file": SimpleUploadedFile("anemia.csv", text.encode("utf-8"), "text/csv"),
        "format": "csv",
        "id_scheme": "code",
        **extra,
    }
    return client.post(IMPORT, payload)


def stored_values() -> dict[tuple[str, str, str, str], Decimal]:
    return {
        (v.element.code, v.territory.code, v.period, v.combination): v.value
        for v in DataValue.objects.select_related("element", "territory")
    }


class TestDryRunThenConfirm:
    def test_dry_run_reports_and_confirm_writes_the_values(self, client, personas, data, settings):
        login(client, personas.cusco_official)
        response = upload(client, GOOD_CSV)
        assert response.status_code == 302
        checked = ImportBatch.objects.get()
        assert response["Location"] == reverse("indicators:import_batch", args=[checked.pk])
        assert (checked.dry_run, checked.status) == (True, "checked")
        assert (checked.rows_done, checked.rows_total) == (4, 4)
        assert checked.summary["importCount"] == {
            "imported": 4, "updated": 0, "ignored": 0, "deleted": 0
        }
        assert DataValue.objects.count() == 0
        # the file is kept under its SHA-256
        digest = hashlib.sha256(GOOD_CSV.encode()).hexdigest()
        assert checked.sha256 == digest
        assert (settings.MEDIA_ROOT / "imports" / digest).read_bytes() == GOOD_CSV.encode()

        report = client.get(response["Location"])
        assert report.status_code == 200
        assert report.context["confirmable"] is True
        html = report.content.decode()
        assert reverse("indicators:import_confirm", args=[checked.pk]) in html
        assert "<progress" not in html

        confirmed = client.post(reverse("indicators:import_confirm", args=[checked.pk]))
        applied = ImportBatch.objects.exclude(pk=checked.pk).get()
        assert confirmed["Location"] == reverse("indicators:import_batch", args=[applied.pk])
        assert (applied.dry_run, applied.status, applied.sha256) == (False, "applied", digest)
        assert applied.summary["importOptions"]["confirms"] == checked.pk
        assert applied.summary["importCount"]["imported"] == 4
        assert stored_values() == {
            ("ANEMIA", "080101", "202401", "FEMALE"): Decimal("7"),
            ("ANEMIA", "080101", "202401", "MALE"): Decimal("5"),
            ("SCREENED", "080101", "202401", "FEMALE"): Decimal("21"),
            ("SCREENED", "080101", "202401", "MALE"): Decimal("19"),
        }
        assert set(DataValue.objects.values_list("batch_id", flat=True)) == {applied.pk}
        assert set(DataValue.objects.values_list("stored_by", flat=True)) == {
            personas.cusco_official.pk
        }

        # A second confirmation of the same dry run changes nothing.
        client.post(reverse("indicators:import_confirm", args=[checked.pk]))
        assert ImportBatch.objects.count() == 2
        page = client.get(reverse("indicators:import_batch", args=[checked.pk]))
        assert page.context["confirmable"] is False
        assert page.context["confirmation"].pk == applied.pk

    def test_refused_import_shows_every_row_reason_and_writes_nothing(
        self, client, personas, data
    ):
        login(client, personas.cusco_official)
        response = upload(client, BAD_CSV)
        batch = ImportBatch.objects.get()
        assert batch.status == "refused"
        report = client.get(response["Location"])
        conflicts = report.context["conflicts"]
        assert sorted((c["row"], c["column"], c["object"]) for c in conflicts) == [
            (3, "territory", "080104"),
            (4, "value", "veinte"),
        ]
        assert all(c["reason"] for c in conflicts)
        html = report.content.decode()
        for conflict in conflicts:
            assert conflict["reason"] in html.replace("&#x27;", "'").replace("&quot;", '"')
        assert report.context["confirmable"] is False
        assert reverse("indicators:import_confirm", args=[batch.pk]) not in html
        client.post(reverse("indicators:import_confirm", args=[batch.pk]))
        assert ImportBatch.objects.count() == 1
        assert DataValue.objects.count() == 0

    def test_only_the_person_who_ran_the_dry_run_confirms_it(self, client, personas, data):
        login(client, personas.cusco_coordinator)
        upload(client, GOOD_CSV)
        checked = ImportBatch.objects.get()
        client.logout()
        login(client, personas.national_admin)
        client.post(reverse("indicators:import_confirm", args=[checked.pk]))
        assert ImportBatch.objects.count() == 1
        assert DataValue.objects.count() == 0

    def test_a_mapping_file_that_is_not_json_is_refused_at_upload(self, client, personas, data):
        login(client, personas.cusco_official)
        response = upload(
            client, GOOD_CSV,
            mapping=SimpleUploadedFile("mapping.json", b"{not json", "application/json"),
        )
        assert response.status_code == 400
        assert "mapping" in response.context["form"].errors
        assert ImportBatch.objects.count() == 0

    def test_a_mapping_file_renames_the_file_codes(self, client, personas, data):
        login(client, personas.cusco_official)
        renamed = GOOD_CSV.replace("ANEMIA,", "ANEMIA_HIS,")
        mapping = {"dataElements": {"ANEMIA_HIS": "ANEMIA"}}
        upload(
            client, renamed,
            mapping=SimpleUploadedFile(
                "mapping.json", json.dumps(mapping).encode(), "application/json"
            ),
        )
        checked = ImportBatch.objects.get()
        options = checked.summary["importOptions"]
        assert options["mapping"] and options["idScheme"] == "code"
        assert checked.status == "checked"
        # the confirmation reads the same stored mapping
        client.post(reverse("indicators:import_confirm", args=[checked.pk]))
        assert stored_values()[("ANEMIA", "080101", "202401", "FEMALE")] == Decimal("7")
        assert len(stored_values()) == 4

    def test_a_job_that_raises_is_failed_with_its_reason_and_the_file_kept(
        self, client, personas, data, settings
    ):
        login(client, personas.cusco_official)
        with mock.patch(
            "minka.indicators.imports.values_import", side_effect=RuntimeError("disk full")
        ):
            response = upload(client, GOOD_CSV)
        batch = ImportBatch.objects.get()
        assert batch.status == "failed"
        assert "disk full" in batch.summary["description"]
        assert (settings.MEDIA_ROOT / "imports" / batch.sha256).exists()
        assert DataValue.objects.count() == 0
        page = client.get(response["Location"])
        assert "disk full" in page.content.decode()
        assert page.context["confirmable"] is False


class TestWhoImports:
    def test_evaluator_and_viewer_may_not_import(self, client, personas, data):
        for person in (personas.evaluator, personas.viewer, personas.no_role):
            client.logout()
            login(client, person)
            assert client.get(IMPORT).status_code == 403
            assert upload(client, GOOD_CSV).status_code == 403
        assert ImportBatch.objects.count() == 0

    def test_the_public_is_sent_to_sign_in(self, client, data):
        response = client.get(IMPORT)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]

    def test_recent_imports_are_the_user_own(self, client, personas, data):
        login(client, personas.cusco_official)
        upload(client, GOOD_CSV)
        client.logout()
        login(client, personas.san_jeronimo_official)
        assert list(client.get(IMPORT).context["recent"]) == []


class TestProgress:
    def test_status_of_a_finished_dry_run(self, client, personas, data):
        login(client, personas.cusco_official)
        upload(client, GOOD_CSV)
        batch = ImportBatch.objects.get()
        status = client.get(reverse("indicators:import_status", args=[batch.pk])).json()
        assert status.pop("status_label")
        assert status == {
            "id": batch.pk, "status": "checked",
            "rows_done": 4, "rows_total": 4, "percent": 100, "finished": True,
        }

    def test_status_and_page_of_a_running_job(self, client, personas, data):
        login(client, personas.cusco_official)
        batch = ImportBatch.objects.create(
            format="csv", file_name="x.csv", dry_run=True, status="running",
            created_by=personas.cusco_official, rows_total=10,
        )
        job_progress_set(key=progress_key(batch.pk), done=3, total=10)
        try:
            status = client.get(reverse("indicators:import_status", args=[batch.pk])).json()
            page = client.get(reverse("indicators:import_batch", args=[batch.pk]))
        finally:
            job_progress_clear(key=progress_key(batch.pk))
        assert (status["rows_done"], status["rows_total"], status["percent"]) == (3, 10, 30)
        assert status["finished"] is False
        html = page.content.decode()
        assert '<progress id="import-progress"' in html and 'max="10" value="3"' in html
        assert '<meta http-equiv="refresh" content="2">' in html  # works without JavaScript
        assert "import_progress.js" in html

    def test_another_persons_batch_is_not_found_for_a_user_without_role(
        self, client, personas, data
    ):
        login(client, personas.cusco_official)
        upload(client, GOOD_CSV)
        batch = ImportBatch.objects.get()
        client.logout()
        login(client, personas.no_role)
        assert client.get(reverse("indicators:import_status", args=[batch.pk])).status_code == 404


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


class TestTemplates:
    def test_official_gets_their_municipality_preselected_and_a_csv(
        self, client, personas, data, tree
    ):
        login(client, personas.cusco_official)
        page = client.get(TEMPLATE)
        assert page.status_code == 200
        form = page.context["form"]
        assert form.initial["territory"] == tree.cusco_district.pk
        assert "include_districts" not in form.fields
        response = client.get(TEMPLATE, {
            "elements": [data.anemia.pk, data.screened.pk], "territory": tree.cusco_district.pk,
            "period_from": "202401", "period_to": "202403", "format": "csv",
        })
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = _csv_rows(response.content)
        # 2 elements × 2 sexes × 1 territory × 3 months = 12 rows, plus the header
        assert len(rows) == 13
        assert {(r[0], r[3], r[5], r[6]) for r in rows[1:]} == {
            (element, "080101", period, sex)
            for element in ("ANEMIA", "SCREENED")
            for period in ("202401", "202402", "202403")
            for sex in ("FEMALE", "MALE")
        }

    def test_coordinator_includes_the_districts_and_a_year_gives_its_months(
        self, client, personas, data, tree
    ):
        login(client, personas.cusco_coordinator)
        response = client.get(TEMPLATE, {
            "elements": [data.anemia.pk], "territory": tree.cusco_province.pk,
            "include_districts": "on", "period_from": "2024", "period_to": "2024",
            "format": "csv",
        })
        rows = _csv_rows(response.content)
        # 1 element × 2 sexes × 3 territories (0801, 080101, 080104) × 12 months = 72
        assert len(rows) - 1 == 72
        assert {r[3] for r in rows[1:]} == {"0801", "080101", "080104"}

    def test_excel_template_opens_as_a_workbook(self, client, personas, data, tree):
        from openpyxl import load_workbook

        login(client, personas.cusco_official)
        response = client.get(TEMPLATE, {
            "elements": [data.anemia.pk], "territory": tree.cusco_district.pk,
            "period_from": "202401", "period_to": "202401", "format": "xlsx",
        })
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.content))
        data_rows = [row for row in workbook.worksheets[0].iter_rows(values_only=True) if any(row)]
        assert len(data_rows) == 1 + 2  # header + FEMALE and MALE

    def test_an_official_cannot_ask_for_another_district(self, client, personas, data, tree):
        login(client, personas.cusco_official)
        response = client.get(TEMPLATE, {
            "elements": [data.anemia.pk], "territory": tree.san_jeronimo.pk,
            "period_from": "202401", "period_to": "202401", "format": "csv",
        })
        assert response.status_code == 400
        assert "territory" in response.context["form"].errors

    def test_periods_coarser_than_never_finer_than_the_elements(
        self, client, personas, data, tree
    ):
        login(client, personas.cusco_official)
        response = client.get(TEMPLATE, {
            "elements": [data.anemia.pk], "territory": tree.cusco_district.pk,
            "period_from": "2024W1", "period_to": "2024W2", "format": "csv",
        })
        assert response.status_code == 400
        assert response.context["form"].non_field_errors()
