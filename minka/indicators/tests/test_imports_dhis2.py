"""DHIS2 fixtures end to end: metadata into the catalogue, then its values; DHIS2's own
conformance files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from minka.indicators.imports import metadata_import, values_import
from minka.indicators.models import (
    Category,
    CategoryOption,
    Combination,
    DataElement,
    DataValue,
    DataValueChange,
    ImportBatch,
    IndicatorSheet,
    ValidationRule,
)
from minka.indicators.services import data_element_save

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
DHIS2 = SHARED_DATA / "dhis2"
CONFORMANCE = DHIS2 / "conformance"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not DHIS2.is_dir(), reason="../shared/data is absent"),
]
BULK_MAPPING = {"orgUnits": {"O6uvpzGd5pu": "080104"}}


@pytest.fixture
def metadata():
    content = (DHIS2 / "metadata.json").read_bytes()
    return json.loads(content), metadata_import(content=content, dry_run=False, user=None)


def test_metadata_imports_with_the_counts_the_file_holds(tree, metadata):
    document, summary = metadata
    reports = summary["typeReports"]
    assert summary["status"] == "WARNING"  # one rule left out, notes on a few objects
    assert reports["dataElements"]["created"] == len(document["dataElements"]) == 75
    assert reports["categories"]["created"] == len(document["categories"]) == 3
    assert reports["categoryOptions"]["created"] == len(document["categoryOptions"]) == 8
    assert reports["categoryOptionCombos"]["created"] == len(
        document["categoryOptionCombos"]) == 12
    assert reports["indicators"]["created"] == len(document["indicators"]) == 19
    # 12 rules in the file; Kejj3gJ2GD0's right side is "#jtyuEfbNbkb}" (malformed).
    assert reports["validationRules"]["created"] == len(document["validationRules"]) - 1 == 11
    [conflict] = summary["conflicts"]
    assert (conflict["objectType"], conflict["uid"]) == ("validationRules", "Kejj3gJ2GD0")
    assert "#jtyuEfbNbkb" in conflict["reason"]
    assert DataElement.objects.count() == 75
    assert Category.objects.count() == 3
    assert CategoryOption.objects.count() == 8
    assert Combination.objects.exclude(uid="").count() == 12
    assert IndicatorSheet.objects.count() == 19
    assert ValidationRule.objects.count() == 11
    female_0_4 = Combination.objects.get(uid="t5FrQ0GTvGf")
    assert female_0_4.key == "TA_F|TA_P0Y--P5Y"
    rdt = IndicatorSheet.objects.get(uid="K1DkT2kokjD")
    assert rdt.formula == (
        "100 * #{TA_MAL_CASES_TEST_RDT} / (#{TA_MAL_CASES_TEST_MICR} + #{TA_MAL_CASES_TEST_RDT})"
    )
    assert DataElement.objects.get(uid="tpz77FcntKx").period_type == "Yearly"


def test_metadata_import_again_changes_nothing(tree, metadata):
    content = (DHIS2 / "metadata.json").read_bytes()
    again = metadata_import(content=content, dry_run=False, user=None)
    for kind, report in again["typeReports"].items():
        assert report["created"] == report["updated"] == 0, kind
    assert again["typeReports"]["dataElements"]["ignored"] == 75
    assert again["typeReports"]["indicators"]["ignored"] == 19


def test_metadata_dry_run_writes_nothing(db):
    content = (DHIS2 / "metadata.json").read_bytes()
    summary = metadata_import(content=content, dry_run=True, user=None)
    assert summary["dryRun"] is True
    assert summary["typeReports"]["dataElements"]["created"] == 75
    assert DataElement.objects.count() == 0
    assert IndicatorSheet.objects.count() == 0


def test_metadata_import_needs_the_right_to_change_the_catalogue(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        metadata_import(content=b"{}", dry_run=True, user=personas.san_jeronimo_official)


def test_broken_metadata_is_refused_whole(db):
    summary = metadata_import(content=b"{not json", dry_run=False, user=None)
    assert summary["status"] == "ERROR"
    assert DataElement.objects.count() == 0


def test_bulk_values_import_into_a_mapped_territory(tree, metadata):
    content = (DHIS2 / "dataValues_bulk.json").read_bytes()
    expected = len(json.loads(content)["dataValues"])
    batch = values_import(content=content, file_name="dataValues_bulk.json",
                          format="dhis2-json", dry_run=False, user=None,
                          mapping=BULK_MAPPING, id_scheme="uid")
    assert batch.summary["conflicts"] == []
    assert batch.status == ImportBatch.Status.APPLIED
    assert (batch.imported, batch.updated, batch.ignored, batch.deleted) == (expected, 0, 0, 0)
    assert expected == 231
    assert DataValue.objects.filter(territory=tree.san_jeronimo).count() == 231
    assert DataValueChange.objects.filter(batch=batch).count() == 231
    funding = DataValue.objects.get(element__uid="tpz77FcntKx")
    assert (funding.period, funding.value, funding.combination) == ("2018", Decimal(500000), "")
    flagged = DataValue.objects.get(element__uid="Md3xk3vlABx")
    assert (flagged.value, flagged.comment, flagged.followup) == (1, "Important!", True)
    again = values_import(content=content, file_name="dataValues_bulk.json",
                          format="dhis2-json", dry_run=False, user=None,
                          mapping=BULK_MAPPING, id_scheme="uid")
    assert (again.imported, again.updated, again.ignored) == (0, 0, 231)
    assert DataValueChange.objects.count() == 231


def test_bulk_values_without_mapping_name_the_unknown_org_unit(tree, metadata):
    content = (DHIS2 / "dataValues_bulk.json").read_bytes()
    batch = values_import(content=content, file_name="bulk.json", format="dhis2-json",
                          dry_run=True, user=None, id_scheme="uid")
    assert batch.status == ImportBatch.Status.REFUSED
    [conflict] = batch.summary["conflicts"]
    assert (conflict["errorCode"], conflict["object"], len(conflict["indexes"])) == (
        "E7612", "O6uvpzGd5pu", 231)
    assert conflict["value"] == "O6uvpzGd5pu is not a known territory."
    assert DataValue.objects.count() == 0


# --- DHIS2's conformance files ---------------------------------------------------------

CONFORMANCE_MAPPING = {"orgUnits": {"DiszpKrYNg8": "080101", "BdfsJfj87js": "080104"}}


@pytest.fixture
def sierra_leone(tree):
    """The conformance files use Sierra Leone demo uids: our own elements carry them."""
    for uid in ("f7n9E0hX8qk", "Ix2HsbDMLea", "eY5ehpbEsB7"):
        data_element_save(code=f"DE_{uid}", name_es=uid, uid=uid)
    for uid in ("jH26dja2f30", "jH26dja2f31"):
        data_element_save(code=f"DE_{uid}", name_es=uid, uid=uid, value_type="boolean")
    return tree


def _import(name: str, **options):
    content = (CONFORMANCE / name).read_bytes()
    format = "dhis2-json" if name.endswith(".json") else "dhis2-csv"
    return values_import(content=content, file_name=name, format=format, user=None,
                         mapping=CONFORMANCE_MAPPING, id_scheme="uid",
                         dry_run=options.pop("dry_run", False), **options)


def test_csv_b_imports_its_rows(sierra_leone):
    batch = _import("dataValueSetB.csv")
    assert (batch.imported, batch.summary["status"]) == (12, "SUCCESS")
    value = DataValue.objects.get(element__uid="f7n9E0hX8qk", period="201201",
                                  territory=sierra_leone.cusco_district)
    assert (value.value, value.comment) == (10001, "comment")


def test_csv_without_header_imports_the_same_rows(sierra_leone):
    batch = _import("dataValueSetBNoHeader.csv")
    assert batch.imported == 12
    again = _import("dataValueSetB.csv")
    assert (again.imported, again.ignored) == (0, 12)


def test_csv_with_data_set_header_imports_three(sierra_leone):
    assert _import("dataValueSetWithDataSetHeader.csv").imported == 3


def test_boolean_spellings_and_bad_booleans(sierra_leone):
    batch = _import("dataValueSetBooleanTest.csv")
    assert batch.status == ImportBatch.Status.REFUSED
    conflicts = batch.summary["conflicts"]
    assert {c["errorCode"] for c in conflicts} == {"E7619"}
    # DHIS2 also refuses index 16 ("false") because jH26dja2f31 is TRUE_ONLY there;
    # Minka has no TRUE_ONLY type, so for a yes/no element "false" is a value.
    assert sorted(i for c in conflicts for i in c["indexes"]) == [10, 11, 17]
    assert {c["object"] for c in conflicts} == {"test", "not true"}
    assert DataValue.objects.count() == 0


def test_boolean_spellings_store_one_and_zero(sierra_leone):
    lines = (CONFORMANCE / "dataValueSetBooleanTest.csv").read_text().splitlines()
    good = [line for line in lines if '"test"' not in line and '"not true"' not in line]
    batch = values_import(content="\n".join(good).encode(), file_name="b.csv",
                          format="dhis2-csv", dry_run=False, user=None,
                          mapping=CONFORMANCE_MAPPING, id_scheme="uid")
    assert batch.imported == 15
    stored = dict(DataValue.objects.filter(element__uid="jH26dja2f30").values_list(
        "period", "value"))
    assert {p: int(v) for p, v in stored.items()} == {
        "201201": 1, "201202": 1, "201203": 0, "201204": 0, "201205": 0, "201206": 0,
        "201207": 1, "201208": 1, "201209": 1, "201210": 0}


def test_created_last_updated_and_stored_by_are_read(sierra_leone):
    batch = _import("dataValueSetCreateDate.json")
    assert batch.imported == 1
    assert DataValue.objects.get().value == 20


def test_delete_strategy_deletes_the_named_value(sierra_leone):
    assert _import("dataValueSetJ.json").imported == 1
    batch = _import("dataValueSetJDeleteNewValue.json", strategy="DELETE")
    assert (batch.imported, batch.updated, batch.deleted) == (0, 0, 1)
    assert DataValue.objects.count() == 0
    assert DataValueChange.objects.filter(kind="deleted").count() == 1


def test_zero_is_stored_as_zero(sierra_leone):
    # DHIS2 deletes the value when the element is not zero-significant; Minka stores the
    # zero: a reported zero is information and missing is not zero.
    assert _import("dataValueSetJ.json").imported == 1
    batch = _import("dataValueSetJDeleteZeroValue.json")
    assert (batch.updated, batch.deleted) == (1, 0)
    assert DataValue.objects.get().value == 0


def test_deleted_flag_deletes(sierra_leone):
    _import("dataValueSetJ.json")
    content = json.dumps({"dataValues": [{
        "dataElement": "f7n9E0hX8qk", "period": "201201", "orgUnit": "DiszpKrYNg8",
        "value": "10", "deleted": True}]}).encode()
    batch = values_import(content=content, file_name="d.json", format="dhis2-json",
                          dry_run=False, user=None, mapping=CONFORMANCE_MAPPING,
                          id_scheme="uid")
    assert batch.deleted == 1
    assert DataValue.objects.count() == 0
