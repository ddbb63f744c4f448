"""Peru's INEI ubigeo parser, on the real files and on small broken copies (no database)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from minka.territories.importers import Severity, peru_ubigeo_parse

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "peru_ubigeo_distrito.csv").is_file(),
    reason=f"the real INEI files are not in {SHARED_DATA}",
)

DEPARTAMENTO_HEADER = "inei,reniec,departamento,iso_3166_2,capital"
PROVINCIA_HEADER = "inei,reniec,departamento,provincia,capital"
DISTRITO_HEADER = "inei,reniec,departamento,provincia,distrito,capital"
CUSCO_REGION = ["080000,070000,CUSCO,PE-CUS,Cusco"]
CUSCO_PROVINCES = ["080100,070100,CUSCO,CUSCO,Cusco", "080200,070200,CUSCO,ACOMAYO,Acomayo"]
CUSCO_DISTRICTS = [
    "080101,070101,CUSCO,CUSCO,CUSCO,Cusco",
    '080104,070104,CUSCO,CUSCO,SAN JERONIMO,"San\n Jerónimo"',
    "080201,070201,CUSCO,ACOMAYO,ACOMAYO,Acomayo",
]


def write_peru(
    folder: Path,
    *,
    regions: list[str] = CUSCO_REGION,
    provinces: list[str] = CUSCO_PROVINCES,
    districts: list[str] = CUSCO_DISTRICTS,
) -> Path:
    """Three small files shaped like INEI's (a subset of their columns), in `folder`."""
    for name, header, lines in (
        ("peru_ubigeo_departamento.csv", DEPARTAMENTO_HEADER, regions),
        ("peru_ubigeo_provincia.csv", PROVINCIA_HEADER, provinces),
        ("peru_ubigeo_distrito.csv", DISTRITO_HEADER, districts),
    ):
        (folder / name).write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return folder


def errors(parsed):
    return [(i.file, i.line, i.column, i.value, i.reason) for i in parsed.errors]


@needs_shared_data
def test_the_real_files_give_25_regions_196_provinces_1892_districts():
    parsed = peru_ubigeo_parse(SHARED_DATA)

    assert parsed.errors == []
    levels = Counter(row.level for row in parsed.rows)
    assert levels == {"country": 1, "region": 25, "province": 196, "district": 1892}
    cusco = Counter(row.level for row in parsed.rows if row.code.startswith("08"))
    assert cusco == {"region": 1, "province": 13, "district": 116}
    la_convencion = [r for r in parsed.rows if r.parent_code == "0809"]
    assert len(la_convencion) == 18


@needs_shared_data
def test_codes_are_stored_short_with_the_six_digit_and_reniec_forms_as_aliases():
    rows = {row.code: row for row in peru_ubigeo_parse(SHARED_DATA).rows}

    root, region, province, district = rows["PE"], rows["08"], rows["0801"], rows["080101"]
    assert (root.name, root.level, root.parent_code) == ("Perú", "country", None)
    assert (region.name, region.parent_code, region.capital) == ("CUSCO", "PE", "Cusco")
    assert province.parent_code == "08"
    assert district.parent_code == "0801"
    assert region.aliases == {"inei6": "080000", "reniec": "070000"}
    assert district.aliases == {"inei6": "080101", "reniec": "070101"}


@needs_shared_data
def test_the_reniec_only_row_is_a_warning_at_its_physical_line():
    """The district file has two quoted capitals spanning two lines: record 1893 is line 1896."""
    parsed = peru_ubigeo_parse(SHARED_DATA)

    [warning] = [i for i in parsed.issues if i.severity is Severity.WARNING]
    assert (warning.reason, warning.file, warning.line, warning.column, warning.value) == (
        "no_inei_code", "peru_ubigeo_distrito.csv", 1896, "inei", "NA")
    assert warning.params["reniec"] == "170107"
    assert not any(row.aliases.get("reniec") == "170107" for row in parsed.rows)


@needs_shared_data
def test_a_capital_split_over_two_lines_is_joined_and_NA_means_none():
    rows = {row.code: row for row in peru_ubigeo_parse(SHARED_DATA).rows}

    assert "San Juan de Lopecancha" in {row.capital for row in rows.values()}
    assert rows["080915"].capital == ""


def test_a_small_copy_parses_with_multiline_values(tmp_path):
    parsed = peru_ubigeo_parse(write_peru(tmp_path))

    assert parsed.issues == []
    assert [row.code for row in parsed.rows] == ["PE", "08", "0801", "0802", "080101",
                                                 "080104", "080201"]
    assert parsed.rows[5].capital == "San Jerónimo"


def test_line_numbers_count_physical_lines_after_a_multiline_value(tmp_path):
    districts = [*CUSCO_DISTRICTS, "080102,070102,CUSCO,CUSCO,CCORCA,Ccorca"]
    districts[2] = "080201,070201,CUSCO,ACOMAYO,ACOMAYO"  # truncated: no capital
    parsed = peru_ubigeo_parse(write_peru(tmp_path, districts=districts))

    # header 1, 080101 line 2, 080104 lines 3-4, 080201 line 5
    assert errors(parsed) == [("peru_ubigeo_distrito.csv", 5, "capital", "", "too_few_fields")]


def test_latin1_bytes_are_refused_with_the_byte_and_its_line(tmp_path):
    write_peru(tmp_path)
    path = tmp_path / "peru_ubigeo_distrito.csv"
    latin1 = "080105,070105,CUSCO,CUSCO,SAN SEBASTIAN,Espa\u00f1a\n".encode("latin-1")
    path.write_bytes(path.read_bytes() + latin1)

    parsed = peru_ubigeo_parse(tmp_path)

    [error] = parsed.errors
    assert (error.reason, error.file, error.line, error.column, error.value) == (
        "not_utf8", "peru_ubigeo_distrito.csv", 6, "capital", "0xf1")


def test_a_code_without_its_leading_zero_is_an_error_not_padded(tmp_path):
    districts = [*CUSCO_DISTRICTS, "10101,10101,AMAZONAS,CHACHAPOYAS,CHACHAPOYAS,Chachapoyas"]
    parsed = peru_ubigeo_parse(write_peru(tmp_path, districts=districts))

    assert errors(parsed) == [
        ("peru_ubigeo_distrito.csv", 6, "inei", "10101", "missing_leading_zero"),
        ("peru_ubigeo_distrito.csv", 6, "reniec", "10101", "missing_leading_zero"),
    ]
    assert parsed.errors[0].params["expected"] == "010101"


def test_a_duplicate_code_names_both_lines(tmp_path):
    districts = [*CUSCO_DISTRICTS, "080101,070101,CUSCO,CUSCO,CUSCO BIS,Cusco"]
    parsed = peru_ubigeo_parse(write_peru(tmp_path, districts=districts))

    [error] = parsed.errors
    assert (error.reason, error.line, error.column, error.value) == (
        "duplicate_code", 6, "inei", "080101")
    assert error.params["first"] == "peru_ubigeo_distrito.csv:2"


def test_a_code_of_another_level_is_an_error(tmp_path):
    provinces = [*CUSCO_PROVINCES, "080301,070301,CUSCO,ANTA,Anta"]
    parsed = peru_ubigeo_parse(write_peru(tmp_path, provinces=provinces))

    assert errors(parsed) == [("peru_ubigeo_provincia.csv", 4, "inei", "080301", "wrong_level")]


def test_a_missing_header_column_and_an_empty_name_are_errors(tmp_path):
    write_peru(tmp_path, districts=[*CUSCO_DISTRICTS[:2], "080201,070201,CUSCO,ACOMAYO,,Acomayo"])
    regions = tmp_path / "peru_ubigeo_departamento.csv"
    regions.write_text("inei,reniec,departamento\n080000,070000,CUSCO\n", encoding="utf-8")

    parsed = peru_ubigeo_parse(tmp_path)

    assert errors(parsed) == [
        ("peru_ubigeo_departamento.csv", 1, "capital", "", "missing_header_column"),
        ("peru_ubigeo_distrito.csv", 5, "distrito", "", "required"),
    ]


def test_a_row_without_any_code_is_an_error_and_a_missing_file_is_named(tmp_path):
    write_peru(tmp_path, districts=[*CUSCO_DISTRICTS, ",,CUSCO,CUSCO,NUEVO,Nuevo"])
    (tmp_path / "peru_ubigeo_provincia.csv").unlink()

    parsed = peru_ubigeo_parse(tmp_path)

    assert [(i.file, i.reason) for i in parsed.errors] == [
        ("peru_ubigeo_provincia.csv", "file_missing"),
        ("peru_ubigeo_distrito.csv", "required"),
    ]


def test_a_file_instead_of_the_folder_is_an_error(tmp_path):
    path = tmp_path / "peru_ubigeo_distrito.csv"
    path.write_text(DISTRITO_HEADER + "\n", encoding="utf-8")

    assert [i.reason for i in peru_ubigeo_parse(path).errors] == ["not_a_directory"]
