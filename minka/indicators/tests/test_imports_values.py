"""values_import: all or nothing, dry run, permissions, templates, ubigeo figures."""

from __future__ import annotations

import csv
import io
import re
import sys
import types
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from minka.indicators.importers.template_csv import TEMPLATE_KEYS
from minka.indicators.imports import template_build, value_parse, values_import
from minka.indicators.models import DataElement, DataValue, ImportBatch
from minka.indicators.services import OptionSpec, category_save, data_element_save
from minka.territories.models import Level
from minka.territories.tests.factories import make_territory

pytestmark = pytest.mark.django_db

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()


@pytest.fixture
def anaemia(tree):
    sex = category_save(code="SEX", name_es="Sexo", options=[
        OptionSpec("FEMALE", "Mujer", "Female"), OptionSpec("MALE", "Hombre", "Male")])
    return data_element_save(code="ANEMIA", name_es="Niños con anemia", categories=[sex])


@pytest.fixture
def wanchaq(tree):
    return make_territory(code="080108", name="WANCHAQ", level=Level.DISTRICT,
                          parent=tree.cusco_province)


def _csv(rows, header=TEMPLATE_KEYS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def _row(territory="080104", period="202401", combination="FEMALE", value="10", element="ANEMIA"):
    return [element, "", "PE", territory, "", period, combination, "", value, ""]


def _import(content, *, user=None, dry_run=False, format="csv"):
    return values_import(content=content, file_name="plantilla.csv", format=format,
                         dry_run=dry_run, user=user)


def test_one_bad_row_refuses_everything_and_names_row_column_value_reason(anaemia):
    content = _csv([_row(), _row(combination="MALE", value="12"), _row(period="2024-13")])
    batch = _import(content)
    assert batch.status == ImportBatch.Status.REFUSED
    assert batch.summary["status"] == "ERROR"
    [conflict] = batch.summary["conflicts"]
    assert conflict["errorCode"] == "E7611"
    assert (conflict["row"], conflict["column"], conflict["object"]) == (4, "period", "2024-13")
    assert conflict["indexes"] == [2]
    assert "2024-13" in conflict["reason"] and "2023Q3" in conflict["reason"]
    assert DataValue.objects.count() == 0
    assert batch.imported == 0


def test_every_row_problem_is_reported_at_once(anaemia):
    rows = [
        _row(element="NOPE"),
        _row(territory="999999"),
        _row(combination="RURAL"),
        _row(value="12,5"),
        _row(value="2.5"),
        _row(period="2024"),
        _row(),
        _row(value="11"),  # the same cell again
    ]
    conflicts = _import(_csv(rows)).summary["conflicts"]
    codes = {(c["errorCode"], c["row"], c["column"]) for c in conflicts}
    assert codes == {
        ("E7610", 2, "element"),
        ("E7612", 3, "territory"),
        ("E7613", 4, "disaggregation"),
        ("E7619", 5, "value"),
        ("E7619", 6, "value"),
        ("E7632", 7, "period"),
        ("MK1001", 9, "element"),
    }
    duplicate = next(c for c in conflicts if c["errorCode"] == "MK1001")
    assert re.search(r"\b8\b", duplicate["reason"])  # "row 8" in the user's language


def test_total_is_not_a_disaggregation_of_a_disaggregated_element(anaemia):
    [conflict] = _import(_csv([_row(combination="")])).summary["conflicts"]
    assert conflict["errorCode"] == "E7634"
    assert "FEMALE" in conflict["reason"] and "MALE" in conflict["reason"]


def test_dry_run_reports_the_same_and_writes_nothing(anaemia):
    content = _csv([_row(), _row(combination="MALE", value="12")])
    checked = _import(content, dry_run=True)
    assert checked.status == ImportBatch.Status.CHECKED
    assert checked.summary["importCount"] == {
        "imported": 2, "updated": 0, "ignored": 0, "deleted": 0}
    assert checked.summary["dryRun"] is True
    assert DataValue.objects.count() == 0
    applied = _import(content)
    assert applied.summary["importCount"] == checked.summary["importCount"]
    assert DataValue.objects.count() == 2
    again = _import(content, dry_run=True)
    assert again.summary["importCount"]["ignored"] == 2


def test_changed_value_is_updated_and_unchanged_ignored(anaemia):
    _import(_csv([_row(), _row(combination="MALE", value="12")]))
    batch = _import(_csv([_row(value="11"), _row(combination="MALE", value="12")]))
    assert (batch.imported, batch.updated, batch.ignored) == (0, 1, 1)
    assert DataValue.objects.get(combination="FEMALE").value == 11


def test_official_cannot_import_for_another_district(anaemia, personas, wanchaq):
    official = personas.san_jeronimo_official
    batch = _import(_csv([_row(), _row(territory="080108")]), user=official)
    assert batch.status == ImportBatch.Status.REFUSED
    [conflict] = batch.summary["conflicts"]
    assert (conflict["errorCode"], conflict["row"], conflict["object"]) == ("E7617", 3, "080108")
    assert "WANCHAQ" in conflict["reason"]
    assert DataValue.objects.count() == 0
    ok = _import(_csv([_row()]), user=official)
    assert ok.status == ImportBatch.Status.APPLIED
    assert DataValue.objects.get().territory.code == "080104"
    assert ok.created_by == official
    assert DataValue.objects.get().stored_by == official


def test_coordinator_imports_anywhere_in_the_region(anaemia, personas, wanchaq):
    batch = _import(_csv([_row(), _row(territory="080108")]), user=personas.cusco_coordinator)
    assert batch.imported == 2
    abancay = _import(_csv([_row(territory="030101")]), user=personas.cusco_coordinator)
    assert abancay.summary["conflicts"][0]["errorCode"] == "E7617"


def test_retired_territory_refuses_later_periods(anaemia, tree):
    import datetime as dt

    tree.san_jeronimo.valid_to = dt.date(2023, 12, 31)
    tree.san_jeronimo.save()
    [conflict] = _import(_csv([_row(period="202401")])).summary["conflicts"]
    assert conflict["errorCode"] == "E2019"
    assert _import(_csv([_row(period="202312")])).imported == 1


def test_unreadable_file_is_refused_not_raised(anaemia):
    batch = _import(b"\xff\xfe\x00garbage", format="xlsx")
    assert batch.status == ImportBatch.Status.REFUSED
    assert batch.summary["conflicts"][0]["errorCode"] == "MK1000"


def test_bad_mapping_is_refused(anaemia):
    batch = values_import(content=_csv([_row()]), file_name="x.csv", format="csv",
                          dry_run=True, user=None, mapping={"orgunits": {}})
    assert batch.summary["conflicts"][0]["errorCode"] == "MK1003"


def test_progress_is_reported(anaemia):
    seen = []
    rows = [_row(period=f"2023{m:02d}") for m in range(1, 13)]
    batch = values_import(content=_csv(rows), file_name="x.csv", format="csv", dry_run=True,
                          user=None, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (12, 12)
    assert (batch.rows_done, batch.rows_total) == (12, 12)


def test_analytics_refresh_is_scheduled_after_a_committed_import(
    anaemia, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    fake = types.ModuleType("minka.analytics.services")
    fake.analytics_refresh = lambda **kwargs: calls.append(kwargs)
    monkeypatch.setitem(sys.modules, "minka.analytics.services", fake)
    with django_capture_on_commit_callbacks(execute=True):
        _import(_csv([_row()]))
    assert calls == [{}]
    with django_capture_on_commit_callbacks(execute=True):
        _import(_csv([_row()]), dry_run=True)
        _import(_csv([_row()]))  # all ignored: nothing to refresh
    assert calls == [{}]


@pytest.mark.parametrize(("text", "value_type", "expected"), [
    ("12", "integer", Decimal(12)),
    ("12.0", "integer", Decimal(12)),
    ("12.5", "integer", None),
    ("1e3", "number", Decimal(1000)),
    ("0.123456789", "number", Decimal("0.123457")),
    ("NaN", "number", None),
    ("1,5", "number", None),
    ("100.5", "percentage", None),
    ("0", "percentage", Decimal(0)),
    ("sí", "boolean", Decimal(1)),
    ("F", "boolean", Decimal(0)),
    ("1" + "0" * 18, "number", None),
])
def test_value_parse(text, value_type, expected):
    value, reason = value_parse(text, value_type)
    assert value == expected
    assert bool(reason) is (expected is None)


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_template_round_trip(anaemia, tree, format):
    yearly = data_element_save(code="IDH_TEST", name_es="IDH", value_type="number",
                               period_type="Yearly")
    content = template_build(elements=[anaemia, yearly],
                             territories=[tree.cusco_district, tree.san_jeronimo],
                             periods=["202401", "202402", "2024"], format=format)
    # 2 territories x 2 months x 2 sexes for anaemia, and 2 territories x 1 year for IDH.
    expected_rows = 2 * 2 * 2 + 2
    if format == "csv":
        text = content.decode("utf-8-sig")
        records = list(csv.DictReader(io.StringIO(text)))
        assert len(records) == expected_rows
        for number, record in enumerate(records):
            record["value"] = "0.5" if record["element"] == "IDH_TEST" else str(number)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=TEMPLATE_KEYS)
        writer.writeheader()
        writer.writerows(records)
        filled = out.getvalue().encode()
    else:
        book = load_workbook(io.BytesIO(content))
        sheet = book["Datos"]
        assert sheet.max_row == expected_rows + 1
        assert sheet.protection.sheet is True
        assert [c.value for c in sheet[1]] == list(TEMPLATE_KEYS)
        assert sheet.cell(row=2, column=4).value == "080101"  # text: the zero survives
        assert book["Instrucciones"]["A1"].value == "Español"
        for number in range(2, sheet.max_row + 1):
            element = sheet.cell(row=number, column=1).value
            sheet.cell(row=number, column=9).value = 0.5 if element == "IDH_TEST" else number
        out_bytes = io.BytesIO()
        book.save(out_bytes)
        filled = out_bytes.getvalue()
    batch = values_import(content=filled, file_name=f"t.{format}", format=format,
                          dry_run=False, user=None)
    assert batch.summary["conflicts"] == []
    assert batch.imported == expected_rows
    assert DataValue.objects.filter(element=yearly, period="2024").count() == 2
    assert set(DataValue.objects.filter(element=anaemia).values_list("combination", flat=True)) \
        == {"FEMALE", "MALE"}


def test_empty_template_imports_nothing_and_deletes_nothing(anaemia, tree):
    _import(_csv([_row()]))
    content = template_build(elements=[anaemia], territories=[tree.san_jeronimo],
                             periods=["202401"], format="csv")
    batch = _import(content)
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.summary["rowsSkipped"] == 2
    assert DataValue.objects.count() == 1


@pytest.mark.skipif(not (SHARED_DATA / "peru_ubigeo_distrito.csv").is_file(),
                    reason="../shared/data is absent")
def test_ubigeo_figures_import_as_yearly_values(db):
    from minka.territories.importers import territory_files_parse
    from minka.territories.services import import_apply, territories_load

    report = import_apply(
        parsed=territory_files_parse("PE", SHARED_DATA), source="PE",
        load=lambda rows: territories_load(country="PE", rows=rows, source="PE"),
    )
    assert not report.errors
    content = (SHARED_DATA / "peru_ubigeo_distrito.csv").read_bytes()
    records = [r for r in csv.DictReader(io.StringIO(content.decode())) if r["inei"] != "NA"]
    columns = ("pct_pobreza_total", "pct_pobreza_extrema", "idh_2019",
               "indice_vulnerabilidad_alimentaria")
    present = sum(1 for r in records for c in columns if r[c] not in ("S.I.", "NA", ""))
    assert len(records) == 1892
    dry = values_import(content=content, file_name="peru_ubigeo_distrito.csv", format="ubigeo",
                        dry_run=True, user=None)
    assert dry.summary["importCount"]["imported"] == present == 1874 * 4
    assert not DataElement.objects.filter(code="IDH").exists()  # a dry run writes nothing
    batch = values_import(content=content, file_name="peru_ubigeo_distrito.csv",
                          format="ubigeo", dry_run=False, user=None)
    assert batch.summary["conflicts"] == []
    assert batch.imported == present
    assert batch.summary["status"] == "WARNING"  # the RENIEC-only record was skipped
    idh = DataElement.objects.get(code="IDH")
    assert (idh.period_type, idh.aggregation) == ("Yearly", "average")
    sj = {v.element.code: (v.period, v.value) for v in DataValue.objects.filter(
        territory__code="080104").select_related("element")}
    assert sj == {
        "POBREZA_TOTAL_PCT": ("2018", Decimal("11.983353")),
        "POBREZA_EXTREMA_PCT": ("2018", Decimal("0.443086")),
        "IDH": ("2019", Decimal("0.654903")),
        "IVIA": ("2018", Decimal("0.218556")),
    }
    # Kumpirushiato (080915) has no figures: absent, not zero.
    assert not DataValue.objects.filter(territory__code="080915").exists()
    zeros = DataValue.objects.filter(element__code="POBREZA_EXTREMA_PCT", value=0).count()
    assert zeros == sum(1 for r in records if r["pct_pobreza_extrema"] in ("0", "0.0"))
    again = values_import(content=content, file_name="peru_ubigeo_distrito.csv",
                          format="ubigeo", dry_run=False, user=None)
    assert (again.imported, again.updated, again.ignored) == (0, 0, present)
