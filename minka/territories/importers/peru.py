"""Peru's INEI ubigeo lists: three CSV files (departments, provinces, districts) in one folder.

The files give every code as six digits ("080000" Cusco, "080100" its province, "080101" the
district); Minka stores the short form ("08", "0801", "080101") and keeps the six-digit one
as an `inei6` alias, RENIEC's different code as a `reniec` alias. A five-digit code is refused,
not padded: it is the mark of a spreadsheet that read the column as a number, and the same
spreadsheet may have mangled other values too.
"""

from __future__ import annotations

from pathlib import Path

from minka.territories.importers.checks import in_reading_order, territory_rows_check
from minka.territories.importers.csvfile import CsvRecord, csv_records
from minka.territories.importers.issues import Issue, Origin
from minka.territories.importers.rows import Parsed, TerritoryRow, root_row

COUNTRY = "PE"
CODE_LENGTH = 6
NO_VALUE = "NA"  # how the files spell "no data"

# (file, level, column with the name, digits kept in the short code)
PERU_FILES: tuple[tuple[str, str, str, int], ...] = (
    ("peru_ubigeo_departamento.csv", "region", "departamento", 2),
    ("peru_ubigeo_provincia.csv", "province", "provincia", 4),
    ("peru_ubigeo_distrito.csv", "district", "distrito", 6),
)
_PARENT_LEVEL_DIGITS = {2: None, 4: 2, 6: 4}
_LEVEL_EXAMPLE = {2: "080000", 4: "080100", 6: "080101"}


def peru_ubigeo_parse(directory: Path) -> Parsed[TerritoryRow]:
    """The root "PE", 25 regions, 196 provinces and 1,892 districts from the folder's files.

    A row without an INEI code (the district file has a RENIEC-only "NA,170107" row) is a
    warning and is skipped: RENIEC's list is not INEI's.
    """
    result: Parsed[TerritoryRow] = Parsed(rows=[root_row(COUNTRY)])
    if not directory.is_dir():
        names = ", ".join(name for name, *_ in PERU_FILES)
        result.issues.append(Origin(file=directory.name).error(
            "not_a_directory", value=str(directory), expected=names))
        return result
    for filename, level, name_column, digits in PERU_FILES:
        records, issues = csv_records(
            directory / filename, columns=("inei", "reniec", name_column, "capital"),
            required=(name_column,),
        )
        result.issues.extend(issues)
        for record in records:
            row = _row(record, level=level, name_column=name_column, digits=digits,
                       issues=result.issues)
            if row is not None:
                result.rows.append(row)
    result.issues.extend(territory_rows_check(result.rows, country=COUNTRY))
    result.issues = in_reading_order(result.issues)
    return result


def _row(
    record: CsvRecord, *, level: str, name_column: str, digits: int, issues: list[Issue]
) -> TerritoryRow | None:
    inei, reniec = record.get("inei"), record.get("reniec")
    if inei in ("", NO_VALUE):
        if reniec in ("", NO_VALUE):
            issues.append(record.origin.error("required", column="inei", value=inei))
        else:
            issues.append(record.origin.warning(
                "no_inei_code", column="inei", value=inei, reniec=reniec))
        return None
    code_issue = inei_code_issue(record, column="inei", value=inei, digits=digits, level=level)
    reniec_issue = None
    if reniec not in ("", NO_VALUE):
        reniec_issue = six_digit_issue(record, column="reniec", value=reniec)
    if code_issue or reniec_issue:
        issues.extend(i for i in (code_issue, reniec_issue) if i is not None)
        return None
    aliases = {"inei6": inei}
    if reniec not in ("", NO_VALUE):
        aliases["reniec"] = reniec
    capital = record.get("capital")
    parent_digits = _PARENT_LEVEL_DIGITS[digits]
    return TerritoryRow(
        country=COUNTRY,
        code=inei[:digits],
        name=record.get(name_column),
        level=level,
        parent_code=COUNTRY if parent_digits is None else inei[:parent_digits],
        capital="" if capital == NO_VALUE else capital,
        aliases=aliases,
        origin=record.origin.at("inei"),
    )


def six_digit_issue(record: CsvRecord, *, column: str, value: str) -> Issue | None:
    """A six-digit ubigeo, or why not (a five-digit one has lost its leading zero)."""
    if value.isdigit() and len(value) == CODE_LENGTH - 1:
        return record.origin.error(
            "missing_leading_zero", column=column, value=value, expected="0" + value)
    if not (value.isdigit() and len(value) == CODE_LENGTH):
        return record.origin.error(
            "invalid_code", column=column, value=value, expected="six digits, e.g. 080101")
    return None


def inei_code_issue(
    record: CsvRecord, *, column: str, value: str, digits: int, level: str
) -> Issue | None:
    """The six-digit code must also be of the file's level: "080100" in the province file."""
    issue = six_digit_issue(record, column=column, value=value)
    if issue is not None:
        return issue
    kept, rest = value[:digits], value[digits:]
    nonzero_parts = all(kept[i:i + 2] != "00" for i in range(0, digits, 2))
    if set(rest) - {"0"} or not nonzero_parts:
        return record.origin.error(
            "wrong_level", column=column, value=value, level=level, expected=_LEVEL_EXAMPLE[digits])
    return None
