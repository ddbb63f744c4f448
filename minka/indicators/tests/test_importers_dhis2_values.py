"""DHIS2 dataValueSets parsers (JSON and CSV), without a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minka.indicators.importers.dhis2_values import dhis2_csv_parse, dhis2_json_parse
from minka.indicators.importers.rows import boolean_parse

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
DHIS2 = SHARED_DATA / "dhis2"
needs_shared_data = pytest.mark.skipif(not DHIS2.is_dir(), reason="../shared/data is absent")


@needs_shared_data
def test_bulk_file_reads_its_231_values():
    content = (DHIS2 / "dataValues_bulk.json").read_bytes()
    expected = json.loads(content)["dataValues"]
    parsed = dhis2_json_parse(content)
    assert parsed.problems == []
    assert len(parsed.rows) == len(expected) == 231
    first = parsed.rows[0]
    assert (first.data_element, first.period, first.org_unit) == (
        "tpz77FcntKx", "2018", "O6uvpzGd5pu")
    assert first.category_option_combo == "HllvX50cXC0"
    assert first.value == "500000"
    assert first.index == 0 and first.line == 1
    with_comment = [row for row in parsed.rows if row.comment]
    assert [(r.comment, r.followup, r.value) for r in with_comment] == [
        ("Important!", True, "true")]


@needs_shared_data
def test_single_dataset_file_takes_header_defaults():
    parsed = dhis2_json_parse((DHIS2 / "dataValues_single_dataset.json").read_bytes())
    assert parsed.problems == []
    assert {row.period for row in parsed.rows} == {"201911"}
    assert len(parsed.rows) == 2


def test_set_period_and_org_unit_fill_values_that_leave_them_out():
    content = json.dumps({"period": "202401", "orgUnit": "OU1", "dataValues": [
        {"dataElement": "DE1", "value": 3},
        {"dataElement": "DE2", "period": "202402", "value": "4", "deleted": True},
    ]}).encode()
    rows = dhis2_json_parse(content).rows
    assert [(r.data_element, r.period, r.org_unit, r.value, r.deleted) for r in rows] == [
        ("DE1", "202401", "OU1", "3", False),
        ("DE2", "202402", "OU1", "4", True),
    ]


@needs_shared_data
def test_csv_with_and_without_header_read_the_same_rows():
    with_header = dhis2_csv_parse((DHIS2 / "conformance" / "dataValueSetB.csv").read_bytes())
    without = dhis2_csv_parse((DHIS2 / "conformance" / "dataValueSetBNoHeader.csv").read_bytes())
    assert with_header.problems == without.problems == []
    assert len(with_header.rows) == len(without.rows) == 12

    def essentials(rows):
        return [(r.data_element, r.period, r.org_unit, r.value, r.comment, r.stored_by)
                for r in rows]

    assert essentials(with_header.rows) == essentials(without.rows)
    assert with_header.rows[0].line == 2 and without.rows[0].line == 1
    assert with_header.rows[11].index == 11
    assert with_header.rows[0].last_updated == "2012-01-01"  # the old "timestamp" column


@needs_shared_data
def test_csv_rows_shorter_than_the_header_get_empty_fields():
    parsed = dhis2_csv_parse(
        (DHIS2 / "conformance" / "dataValueSetWithDataSetHeader.csv").read_bytes())
    assert parsed.problems == []
    assert [r.value for r in parsed.rows] == ["10001", "10002", "10003"]
    assert not any(r.deleted for r in parsed.rows)


def test_csv_deleted_column_and_empty_value():
    content = (
        b"dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,"
        b"lastupdated,comment,followup,deleted\n"
        b"A,202401,OU,,,5,,,,false,true\n"
        b"A,202402,OU,,,,,,,false,\n"
    )
    rows = dhis2_csv_parse(content).rows
    assert (rows[0].deleted, rows[0].value) == (True, "5")
    assert (rows[1].deleted, rows[1].value) == (False, None)


def test_csv_row_missing_required_fields_is_a_problem_with_its_line():
    content = b"dataelement,period,orgunit,value\nA,,OU,1\n"
    parsed = dhis2_csv_parse(content)
    assert parsed.rows == []
    [problem] = parsed.problems
    assert (problem.reason, problem.error_code, problem.line, problem.column, problem.index) == (
        "required", "E7611", 2, "period", 0)


def test_not_json_and_not_a_data_value_set():
    assert dhis2_json_parse(b"{oops").problems[0].reason == "invalid_json"
    assert dhis2_json_parse(b'{"values": []}').problems[0].reason == "not_a_data_value_set"
    assert dhis2_json_parse(b"\xff\xfe").problems[0].reason == "not_utf8"


@pytest.mark.parametrize("text", ["true", "True", "t", "T", "1", "TRUE"])
def test_boolean_true_spellings(text):
    assert boolean_parse(text) is True


@pytest.mark.parametrize("text", ["false", "False", "f", "F", "0"])
def test_boolean_false_spellings(text):
    assert boolean_parse(text) is False


@pytest.mark.parametrize("text", ["test", "not true", "", "2", "yes please"])
def test_boolean_refuses_other_text(text):
    assert boolean_parse(text) is None
