"""The census population parser: whole numbers, men + women = total, parts add up (no DB)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from minka.territories.importers import census_population_parse

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
CENSUS = SHARED_DATA / "cusco_censo2025_poblacion.csv"
needs_shared_data = pytest.mark.skipif(
    not CENSUS.is_file(), reason=f"the real census file is not in {SHARED_DATA}")
HEADER = "ubigeo,nivel,nombre,clave_censo,total,hombre,mujer"
# A consistent slice: Cusco region = province 0801 = its two districts in the file.
GOOD = [
    "08,departamento,CUSCO,CUSCO,300.0,140.0,160.0",
    "0801,provincia,CUSCO,CUSCO|CUSCO,300.0,140.0,160.0",
    "080101,distrito,CUSCO,CUSCO|CUSCO|CUSCO,100.0,50.0,50.0",
    "080104,distrito,SAN JERONIMO,CUSCO|CUSCO|SAN JERONIMO,200,90,110",
]


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "censo.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def errors(parsed):
    return [(i.line, i.column, i.value, i.reason) for i in parsed.errors]


@needs_shared_data
def test_cusco_2025_adds_up_to_1379167_and_each_province_to_its_districts():
    parsed = census_population_parse(CENSUS, year=2025)

    assert parsed.issues == []
    assert len(parsed.rows) == 3 * (1 + 13 + 116)
    value = {(r.code, r.sex): r.value for r in parsed.rows}
    assert value[("08", "total")] == 1_379_167
    assert value[("08", "male")] + value[("08", "female")] == 1_379_167
    districts: dict[tuple[str, str], int] = defaultdict(int)
    for row in parsed.rows:
        if len(row.code) == 6:
            districts[(row.code[:4], row.sex)] += row.value
    assert len({code for code, _ in districts}) == 13
    for (province, sex), total in districts.items():
        assert value[(province, sex)] == total, (province, sex)
    provinces = sum(v for (code, sex), v in value.items() if len(code) == 4 and sex == "total")
    assert provinces == 1_379_167


def test_decimal_looking_whole_numbers_are_accepted(tmp_path):
    parsed = census_population_parse(write(tmp_path, *GOOD), year=2025)

    assert parsed.issues == []
    assert {(r.code, r.sex): r.value for r in parsed.rows}[("080104", "female")] == 110
    assert {r.year for r in parsed.rows} == {2025}


@pytest.mark.parametrize(("value", "reason"), [
    ("12.5", "not_whole"), ("-3", "negative"), ("n/a", "not_a_number"), ("NaN", "not_a_number"),
])
def test_a_value_that_is_not_a_whole_non_negative_number_is_an_error(tmp_path, value, reason):
    lines = [*GOOD[:3], f"080104,distrito,SAN JERONIMO,X,200,{value},110"]

    parsed = census_population_parse(write(tmp_path, *lines), year=2025)

    assert errors(parsed) == [(5, "hombre", value, reason)]


def test_men_and_women_must_make_the_total(tmp_path):
    lines = [*GOOD[:3], "080104,distrito,SAN JERONIMO,X,200,90,111"]

    parsed = census_population_parse(write(tmp_path, *lines), year=2025)

    assert errors(parsed) == [(5, "total", "200", "sex_sum_mismatch")]


def test_districts_must_add_up_to_their_province_and_provinces_to_the_region(tmp_path):
    lines = [*GOOD[:2], "080101,distrito,CUSCO,X,101,51,50", GOOD[3]]

    parsed = census_population_parse(write(tmp_path, *lines), year=2025)

    assert errors(parsed) == [(3, "total", "300", "children_sum_mismatch"),
                              (3, "hombre", "140", "children_sum_mismatch")]
    assert parsed.errors[0].params["sum"] == 301


def test_codes_lost_zeros_wrong_levels_and_missing_columns_are_errors(tmp_path):
    lines = ["8,departamento,CUSCO,CUSCO,300.0,140.0,160.0",
             "0801,distrito,CUSCO,CUSCO|CUSCO,300.0,140.0,160.0",
             "080101,distrito,CUSCO,CUSCO|CUSCO|CUSCO,100.0,50.0"]

    parsed = census_population_parse(write(tmp_path, *lines), year=2025)

    assert errors(parsed) == [(2, "ubigeo", "8", "missing_leading_zero"),
                              (3, "ubigeo", "0801", "wrong_level"),
                              (4, "mujer", "", "too_few_fields")]


def test_six_digit_padded_codes_are_read_as_short_ones(tmp_path):
    lines = ["080000,departamento,CUSCO,CUSCO,300.0,140.0,160.0",
             "080100,provincia,CUSCO,CUSCO|CUSCO,300.0,140.0,160.0", *GOOD[2:]]

    parsed = census_population_parse(write(tmp_path, *lines), year=2025)

    assert parsed.issues == []
    assert {r.code for r in parsed.rows} == {"08", "0801", "080101", "080104"}


def test_a_territory_twice_is_an_error(tmp_path):
    parsed = census_population_parse(write(tmp_path, *GOOD, GOOD[2]), year=2025)

    assert [(i.line, i.reason) for i in parsed.errors] == [
        (6, "duplicate_cell"), (6, "duplicate_cell"), (6, "duplicate_cell")]
