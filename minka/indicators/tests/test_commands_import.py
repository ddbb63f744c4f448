"""The import commands: what they print, their exit status, --dry-run, --mapping, --user."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from minka.indicators.models import DataElement, DataValue, ImportBatch, QualityFlag
from minka.indicators.services import data_element_save

pytestmark = pytest.mark.django_db

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
DHIS2 = SHARED_DATA / "dhis2"
needs_shared_data = pytest.mark.skipif(not DHIS2.is_dir(), reason="../shared/data is absent")


def _run(*args) -> str:
    """The command's output, in English (the assertions read it)."""
    out = StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out)
    return out.getvalue()


@needs_shared_data
def test_import_metadata_then_values_with_a_mapping(tree, tmp_path):
    printed = _run("import_metadata", str(DHIS2 / "metadata.json"), "--format", "dhis2")
    assert "dataElements: 75 in the file, 75 created" in printed
    assert "Kejj3gJ2GD0" in printed
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"orgUnits": {"O6uvpzGd5pu": "080104"}}))
    dry = _run("import_values", str(DHIS2 / "dataValues_bulk.json"), "--format", "dhis2-json",
               "--mapping", str(mapping), "--id-scheme", "uid", "--dry-run")
    assert "Imported 231, updated 0, ignored 0, deleted 0" in dry
    assert DataValue.objects.count() == 0
    _run("import_values", str(DHIS2 / "dataValues_bulk.json"), "--format", "dhis2-json",
         "--mapping", str(mapping), "--id-scheme", "uid")
    assert DataValue.objects.count() == 231
    assert ImportBatch.objects.filter(dry_run=False).get().created_by is None


@needs_shared_data
def test_import_metadata_dry_run_writes_nothing():
    printed = _run("import_metadata", str(DHIS2 / "metadata.json"), "--dry-run")
    assert "Dry run" in printed
    assert DataElement.objects.count() == 0


def test_refused_import_exits_with_an_error_and_lists_each_conflict(tree, tmp_path):
    data_element_save(code="ANEMIA", name_es="Anemia")
    path = tmp_path / "valores.csv"
    path.write_text("element,country,territory,period,value\n"
                    "ANEMIA,PE,080104,202401,3\n"
                    "ANEMIA,PE,999999,202401,4\n", encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_values", str(path), "--format", "csv", stdout=out)
    printed = out.getvalue()
    # "[E7612] row 3, column territory, '999999': …" in the interface's language.
    assert re.search(r"\[E7612\] \w+ 3, \w+ territory, '999999': ", printed)
    assert DataValue.objects.count() == 0


def test_user_option_applies_their_permissions(tree, personas, tmp_path):
    data_element_save(code="ANEMIA", name_es="Anemia")
    path = tmp_path / "valores.csv"
    path.write_text("element,territory,period,value\nANEMIA,080101,202401,3\n")
    with pytest.raises(CommandError):
        call_command("import_values", str(path), "--format", "csv", "--user",
                     personas.san_jeronimo_official.username, stdout=StringIO())
    _run("import_values", str(path), "--format", "csv", "--user",
         personas.cusco_official.username)
    assert DataValue.objects.get().stored_by == personas.cusco_official


def test_unknown_user_and_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_values", str(tmp_path / "nope.csv"), "--format", "csv")
    path = tmp_path / "v.csv"
    path.write_text("element,territory,period,value\n")
    with pytest.raises(CommandError):
        call_command("import_values", str(path), "--format", "csv", "--user", "nobody")


def test_quality_check_command_lists_flags(tree):
    element = data_element_save(code="ANEMIA", name_es="Anemia")
    for month, value in enumerate([10, 11, 9, 10, 12, 10, 95], start=1):
        DataValue.objects.create(element=element, territory=tree.san_jeronimo,
                                 period=f"2023{month:02d}", value=value)
    printed = _run("quality_check", "--element", "ANEMIA")
    assert "Open quality flags: 1" in printed
    assert "080104 202307 ANEMIA" in printed
    assert QualityFlag.objects.count() == 1
