"""Peru's 2025 census figures by ubigeo: total, men and women for each territory.

The file (`ubigeo,nivel,nombre,clave_censo,total,hombre,mujer`) writes counts as decimals
("1379167.0"), so a value is accepted when it is a whole, non-negative number. The parts must
add up exactly: men + women = total on each row, and the districts in the file to their
province, the provinces to their department. A file that does not add up is refused: a page
that shows a region's total beside its districts' must not disagree with itself.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from minka.territories.importers.checks import (
    in_reading_order,
    population_rows_check,
    population_sum_issues,
)
from minka.territories.importers.csvfile import CsvRecord, csv_records
from minka.territories.importers.issues import Issue
from minka.territories.importers.rows import Parsed, PopulationRow

COLUMNS = ("ubigeo", "nivel", "nombre", "total", "hombre", "mujer")
# nivel -> digits of the short ubigeo at that level
LEVEL_DIGITS = {"departamento": 2, "provincia": 4, "distrito": 6}
SEX_COLUMNS = (("total", "total"), ("male", "hombre"), ("female", "mujer"))


def census_population_parse(path: Path, *, year: int, country: str = "PE") -> Parsed[PopulationRow]:
    """Three rows (total, male, female) per territory, checked to add up."""
    result: Parsed[PopulationRow] = Parsed()
    records, result.issues = csv_records(path, columns=COLUMNS, required=COLUMNS)
    for record in records:
        code = _ubigeo(record, result.issues)
        total, male, female = (whole_number(record, column, result.issues)
                               for _, column in SEX_COLUMNS)
        if code is None or total is None or male is None or female is None:
            continue
        values = {"total": total, "male": male, "female": female}
        if male + female != total:
            result.issues.append(record.origin.error(
                "sex_sum_mismatch", column="total", value=total, male=male, female=female,
                sum=male + female))
            continue
        for sex, column in SEX_COLUMNS:
            result.rows.append(PopulationRow(
                country=country, code=code, year=year, sex=sex, value=values[sex],
                name=record.get("nombre"), origin=record.origin.at(column),
            ))
    result.issues.extend(population_rows_check(result.rows))
    result.issues = in_reading_order(result.issues)
    if result.errors:
        return result  # a skipped row would make every sum above it look wrong
    parent_of = {row.code: ubigeo_parent(row.code) for row in result.rows}
    result.issues.extend(population_sum_issues(result.rows, parent_of=parent_of))
    result.issues = in_reading_order(result.issues)
    return result


def ubigeo_parent(code: str) -> str | None:
    """"080101" -> "0801" -> "08" -> None: the ubigeo nests by two digits."""
    return code[:-2] if len(code) > 2 else None


def _ubigeo(record: CsvRecord, issues: list[Issue]) -> str | None:
    level, value = record.get("nivel"), record.get("ubigeo")
    digits = LEVEL_DIGITS.get(level.casefold())
    if digits is None:
        issues.append(record.origin.error(
            "unknown_level", column="nivel", value=level, expected=", ".join(LEVEL_DIGITS)))
        return None
    if value.isdigit() and len(value) == 6 and set(value[digits:]) <= {"0"}:
        value = value[:digits]  # the padded six-digit form, "080000" for "08"
    if value.isdigit() and len(value) == digits - 1:
        issues.append(record.origin.error(
            "missing_leading_zero", column="ubigeo", value=value, expected="0" + value))
        return None
    if not value.isdigit() or len(value) != digits:
        issues.append(record.origin.error(
            "wrong_level", column="ubigeo", value=value, level=level,
            expected=f"{digits} digits"))
        return None
    return value


def whole_number(record: CsvRecord, column: str, issues: list[Issue]) -> int | None:
    """"1379167.0" -> 1379167; "12.5", "-3" and "n/a" are errors."""
    raw = record.get(column)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        issues.append(record.origin.error("not_a_number", column=column, value=raw))
        return None
    if not number.is_finite():
        issues.append(record.origin.error("not_a_number", column=column, value=raw))
        return None
    if number != number.to_integral_value():
        issues.append(record.origin.error("not_whole", column=column, value=raw))
        return None
    if number < 0:
        issues.append(record.origin.error("negative", column=column, value=raw))
        return None
    return int(number)
