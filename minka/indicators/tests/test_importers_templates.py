"""Template readers (CSV and Excel) and the ubigeo figures parser, without a database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from minka.indicators.importers.template_csv import TEMPLATE_KEYS, template_csv_parse
from minka.indicators.importers.template_xlsx import template_xlsx_parse
from minka.indicators.importers.ubigeo_figures import FIGURES, ubigeo_figures_parse

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
DISTRICTS = SHARED_DATA / "peru_ubigeo_distrito.csv"
needs_shared_data = pytest.mark.skipif(not DISTRICTS.is_file(), reason="../shared is absent")

HEADER = ",".join(TEMPLATE_KEYS)


def test_csv_template_rows_and_blank_values_skipped():
    content = (
        f"\ufeff{HEADER}\r\n"
        "ANEMIA,Anemia,PE,080104,SAN JERÓNIMO,202401,,Total,12,revisado\r\n"
        "ANEMIA,Anemia,PE,080108,WANCHAQ,202401,,Total,,\r\n"
    ).encode()
    parsed = template_csv_parse(content)
    assert parsed.problems == []
    assert parsed.skipped == 1
    [row] = parsed.rows
    assert (row.data_element, row.country, row.org_unit, row.period, row.value, row.comment,
            row.line) == ("ANEMIA", "PE", "080104", "202401", "12", "revisado", 2)
    assert row.column("orgUnit") == "territory"


def test_csv_template_in_spanish_excel_uses_semicolons_and_spanish_headers():
    content = "dato;país;territorio;periodo;desagregación;valor\nA;PE;080104;2023;F;3,5\n"
    [row] = template_csv_parse(content.encode()).rows
    assert (row.data_element, row.category_option_combo, row.value) == ("A", "F", "3,5")


def test_csv_template_missing_column_is_reported():
    parsed = template_csv_parse(b"element,territory,value\nA,080104,3\n")
    [problem] = parsed.problems
    assert (problem.reason, problem.column) == ("missing_column", "period")


def _workbook(rows, *, formula_at=None, merge=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Datos"
    sheet.append(list(TEMPLATE_KEYS))
    for row in rows:
        sheet.append(row)
    if formula_at:
        sheet[formula_at] = "=1+1"
    if merge:
        sheet.merge_cells(merge)
    book.create_sheet("Instrucciones").append(["Español", "English"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROW = ["ANEMIA", "Anemia", "PE", "080104", "SAN JERÓNIMO", "202401", "", "Total", 12, ""]


def test_xlsx_template_reads_numbers_as_people_read_them():
    rows = [ROW, [*ROW[:5], 2023, "", "Total", 12.5, "nota"], [*ROW[:8], None, ""]]
    parsed = template_xlsx_parse(_workbook(rows))
    assert parsed.problems == []
    assert [(r.period, r.value, r.comment, r.line) for r in parsed.rows] == [
        ("202401", "12", "", 2), ("2023", "12.5", "nota", 3)]
    assert parsed.skipped == 1


def test_xlsx_formula_is_refused_with_its_cell():
    parsed = template_xlsx_parse(_workbook([ROW], formula_at="I2"))
    [problem] = parsed.problems
    assert (problem.reason, problem.line, problem.column, problem.params["cell"]) == (
        "xlsx_formula", 2, "value", "I2")
    assert parsed.rows == []


def test_xlsx_merged_cells_are_refused():
    parsed = template_xlsx_parse(_workbook([ROW, ROW], merge="I2:I3"))
    assert [(p.reason, p.value, p.line) for p in parsed.problems] == [("xlsx_merged", "I2:I3", 2)]


def test_not_a_workbook():
    assert template_xlsx_parse(b"not a zip").problems[0].reason == "xlsx_unreadable"


def test_workbook_without_template_sheet():
    book = Workbook()
    book.active.append(["a", "b"])
    out = io.BytesIO()
    book.save(out)
    assert template_xlsx_parse(out.getvalue()).problems[0].reason == "xlsx_no_data_sheet"


@needs_shared_data
def test_ubigeo_file_gives_four_figures_per_district_without_missing_cells():
    content = DISTRICTS.read_bytes()
    records = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    districts = [r for r in records if r["inei"] != "NA"]
    missing = {"S.I.", "NA", ""}
    expected = sum(1 for r in districts for f in FIGURES if r[f.column] not in missing)
    parsed = ubigeo_figures_parse(content)
    assert parsed.errors == []
    assert len(districts) == 1892
    assert len(parsed.rows) == expected
    # The 4 figure columns mark missing data as "NA" in 18 districts (S.I. appears only in
    # other columns); the RENIEC-only record is skipped with a warning.
    assert expected == 1892 * 4 - 18 * 4
    [note] = parsed.warnings
    assert (note.reason, note.params["reniec"]) == ("no_inei_code", "170107")
    san_jeronimo = {r.data_element: (r.period, r.value) for r in parsed.rows
                    if r.org_unit == "080104"}
    assert san_jeronimo == {
        "POBREZA_TOTAL_PCT": ("2018", "11.983353"),
        "POBREZA_EXTREMA_PCT": ("2018", "0.443086"),
        "IDH": ("2019", "0.65490256153328097"),
        "IVIA": ("2018", "0.21855598688125599"),
    }
    assert not any(r.org_unit == "080915" for r in parsed.rows)  # Kumpirushiato: NA


def test_ubigeo_si_is_missing_not_zero_and_lost_zero_is_an_error():
    header = "inei,reniec,pct_pobreza_total,pct_pobreza_extrema,idh_2019," \
             "indice_vulnerabilidad_alimentaria\n"
    content = (header + "080104,070104,S.I.,0.0,0.6,0.2\n10101,010101,1,1,0.5,0.5\n").encode()
    parsed = ubigeo_figures_parse(content)
    assert [(r.data_element, r.value) for r in parsed.rows] == [
        ("POBREZA_EXTREMA_PCT", "0.0"), ("IDH", "0.6"), ("IVIA", "0.2")]
    [problem] = parsed.errors
    assert (problem.reason, problem.line, problem.params["expected"]) == (
        "leading_zero", 3, "010101")
