"""Chile's comunas from the BDCUT list (SUBDERE's Código Único Territorial), one row each.

Regions, provinces and comunas become levels region, province and district. The file's codes
are integers without their leading zero ("1101"): Minka pads them to the CUT widths (region
two digits, province three, comuna five), which is unambiguous because every code of a level
has the same width. The file keeps Ñuble's pre-2018 comuna codes (84xx under provinces
161-163); they are stored as given, under the parent the file names.
"""

from __future__ import annotations

from pathlib import Path

from minka.territories.importers.checks import in_reading_order, territory_rows_check
from minka.territories.importers.csvfile import csv_records
from minka.territories.importers.flat import RepeatedLevel, padded_code
from minka.territories.importers.rows import Parsed, TerritoryRow, root_row

COUNTRY = "CL"
COLUMNS = ("COMUNA_NOMBRE", "COMUNA_ID", "PROVINCIA_NOMBRE", "PROVINCIA_ID",
           "REGION_NOMBRE", "REGION_ID")


def chile_bdcut_parse(path: Path) -> Parsed[TerritoryRow]:
    """The root "CL", 16 regions, 56 provinces and 346 comunas from the BDCUT CSV."""
    result: Parsed[TerritoryRow] = Parsed()
    records, result.issues = csv_records(path, columns=COLUMNS, required=COLUMNS)
    regions, provinces = RepeatedLevel(), RepeatedLevel()
    comunas: list[TerritoryRow] = []
    for record in records:
        codes = [padded_code(record, column, width)
                 for column, width in (("REGION_ID", 2), ("PROVINCIA_ID", 3), ("COMUNA_ID", 5))]
        region, province, comuna = codes
        if not (isinstance(region, str) and isinstance(province, str)
                and isinstance(comuna, str)):
            result.issues.extend(c for c in codes if not isinstance(c, str))
            continue
        origin = record.origin
        regions.add(TerritoryRow(
            country=COUNTRY, code=region, name=record.get("REGION_NOMBRE"), level="region",
            parent_code=COUNTRY, origin=origin.at("REGION_ID"),
        ), result.issues, name_column="REGION_NOMBRE")
        provinces.add(TerritoryRow(
            country=COUNTRY, code=province, name=record.get("PROVINCIA_NOMBRE"),
            level="province", parent_code=region, origin=origin.at("PROVINCIA_ID"),
        ), result.issues, name_column="PROVINCIA_NOMBRE")
        comunas.append(TerritoryRow(
            country=COUNTRY, code=comuna, name=record.get("COMUNA_NOMBRE"), level="district",
            parent_code=province, origin=origin.at("COMUNA_ID"),
        ))
    result.rows = [root_row(COUNTRY), *regions.rows.values(), *provinces.rows.values(), *comunas]
    result.issues.extend(territory_rows_check(result.rows, country=COUNTRY))
    result.issues = in_reading_order(result.issues)
    return result
