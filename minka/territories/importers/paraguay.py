"""Paraguay's districts from the DGEEC code list, one row per district.

Departments become regions (two digits, "00" is the capital Asunción) and districts keep the
four-digit `codigo`, which must be the department's code followed by `cod_distrito`; there is
no province level. Codes saved as numbers are padded back like Chile's.
"""

from __future__ import annotations

from pathlib import Path

from minka.territories.importers.checks import in_reading_order, territory_rows_check
from minka.territories.importers.csvfile import csv_records
from minka.territories.importers.flat import RepeatedLevel, padded_code
from minka.territories.importers.rows import Parsed, TerritoryRow, root_row

COUNTRY = "PY"
COLUMNS = ("codigo", "cod_departamento", "departamento", "cod_distrito", "distrito")


def paraguay_dgeec_parse(path: Path) -> Parsed[TerritoryRow]:
    """The root "PY", 18 departments (regions) and 250 districts from the DGEEC CSV."""
    result: Parsed[TerritoryRow] = Parsed()
    records, result.issues = csv_records(path, columns=COLUMNS, required=COLUMNS)
    departments = RepeatedLevel()
    districts: list[TerritoryRow] = []
    for record in records:
        codes = [padded_code(record, column, width)
                 for column, width in (("cod_departamento", 2), ("cod_distrito", 2),
                                       ("codigo", 4))]
        department, district, code = codes
        if not (isinstance(department, str) and isinstance(district, str)
                and isinstance(code, str)):
            result.issues.extend(c for c in codes if not isinstance(c, str))
            continue
        if code != department + district:
            result.issues.append(record.origin.error(
                "inconsistent_code", column="codigo", value=code,
                other_column="cod_departamento + cod_distrito", other=department + district,
                expected=department + district))
            continue
        departments.add(TerritoryRow(
            country=COUNTRY, code=department, name=record.get("departamento"), level="region",
            parent_code=COUNTRY, origin=record.origin.at("cod_departamento"),
        ), result.issues, name_column="departamento")
        districts.append(TerritoryRow(
            country=COUNTRY, code=code, name=record.get("distrito"), level="district",
            parent_code=department, origin=record.origin.at("codigo"),
        ))
    result.rows = [root_row(COUNTRY), *departments.rows.values(), *districts]
    result.issues.extend(territory_rows_check(result.rows, country=COUNTRY))
    result.issues = in_reading_order(result.issues)
    return result
