"""Chile's BDCUT and Paraguay's DGEEC parsers: padding, levels, conflicts (no database)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from minka.territories.importers import chile_bdcut_parse, paraguay_dgeec_parse

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "chile_comunas_bdcut.csv").is_file(),
    reason=f"the real Chile/Paraguay files are not in {SHARED_DATA}",
)
CHILE_HEADER = "COMUNA_NOMBRE,COMUNA_ID,PROVINCIA_NOMBRE,PROVINCIA_ID,REGION_NOMBRE,REGION_ID"
PARAGUAY_HEADER = "codigo,cod_departamento,departamento,cod_distrito,distrito"


def write(path: Path, header: str, *lines: str) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@needs_shared_data
def test_chile_has_346_comunas_in_56_provinces_and_16_regions():
    parsed = chile_bdcut_parse(SHARED_DATA / "chile_comunas_bdcut.csv")

    assert parsed.issues == []
    levels = Counter(row.level for row in parsed.rows)
    assert levels == {"country": 1, "region": 16, "province": 56, "district": 346}
    rows = {row.code: row for row in parsed.rows}
    assert (rows["CL"].name, rows["CL"].level) == ("Chile", "country")
    iquique = rows["01101"]
    assert (iquique.name, iquique.parent_code, iquique.level) == ("Iquique", "011", "district")
    assert rows["011"].parent_code == "01"
    assert rows["01"].name == "Tarapacá"


@needs_shared_data
def test_chile_nuble_keeps_its_old_comuna_codes_under_the_provinces_the_file_names():
    parsed = chile_bdcut_parse(SHARED_DATA / "chile_comunas_bdcut.csv")
    rows = {row.code: row for row in parsed.rows}

    assert (rows["08401"].name, rows["08401"].parent_code) == ("Chillán", "163")
    assert rows["163"].parent_code == "16"


@needs_shared_data
def test_paraguay_has_250_districts_in_18_departments():
    parsed = paraguay_dgeec_parse(SHARED_DATA / "paraguay_distritos_dgeec.csv")

    assert parsed.issues == []
    levels = Counter(row.level for row in parsed.rows)
    assert levels == {"country": 1, "region": 18, "district": 250}
    rows = {row.code: row for row in parsed.rows}
    assert (rows["PY"].name, rows["00"].name, rows["0000"].parent_code) == (
        "Paraguay", "ASUNCIÓN", "00")
    assert (rows["0102"].name, rows["0102"].parent_code) == ("BELÉN", "01")


def test_chile_codes_saved_as_numbers_are_padded(tmp_path):
    path = write(tmp_path / "cl.csv", CHILE_HEADER,
                 "Iquique,1101,Iquique,11,Tarapacá,1",
                 "Alto Hospicio,1107,Iquique,11,Tarapacá,1")

    parsed = chile_bdcut_parse(path)

    assert [(r.code, r.parent_code) for r in parsed.rows] == [
        ("CL", None), ("01", "CL"), ("011", "01"), ("01101", "011"), ("01107", "011")]


def test_chile_conflicting_region_names_and_bad_codes_are_errors(tmp_path):
    path = write(tmp_path / "cl.csv", CHILE_HEADER,
                 "Iquique,1101,Iquique,11,Tarapacá,1",
                 "Alto Hospicio,1107,Iquique,11,Tarapaca,1",
                 "Pica,14O5,Tamarugal,14,Tarapacá,1",
                 "Pozo Almonte,1401,Tamarugal,14,Tarapacá")

    parsed = chile_bdcut_parse(path)

    assert [(i.line, i.column, i.value, i.reason) for i in parsed.errors] == [
        (3, "REGION_NOMBRE", "01", "conflicting_name"),
        (4, "COMUNA_ID", "14O5", "invalid_code"),
        (5, "REGION_ID", "", "too_few_fields"),
    ]


def test_chile_a_province_under_two_regions_is_an_error(tmp_path):
    path = write(tmp_path / "cl.csv", CHILE_HEADER,
                 "Iquique,1101,Iquique,11,Tarapacá,1",
                 "Arica,1501,Iquique,11,Tarapacá,15")

    parsed = chile_bdcut_parse(path)

    assert [(i.line, i.value, i.reason) for i in parsed.errors] == [
        (3, "011", "conflicting_parent")]


def test_paraguay_codigo_must_be_department_and_district(tmp_path):
    path = write(tmp_path / "py.csv", PARAGUAY_HEADER,
                 "0000,00,ASUNCIÓN,00,ASUNCIÓN",
                 "101,1,CONCEPCIÓN,1,CONCEPCIÓN",
                 "0103,01,CONCEPCIÓN,02,HORQUETA",
                 "0101,01,CONCEPCIÓN,01,CONCEPCIÓN BIS")

    parsed = paraguay_dgeec_parse(path)

    assert [(i.line, i.column, i.value, i.reason) for i in parsed.errors] == [
        (4, "codigo", "0103", "inconsistent_code"),
        (5, "codigo", "0101", "duplicate_code"),
    ]
    assert [r.code for r in parsed.rows] == ["PY", "00", "01", "0000", "0101", "0101"]
