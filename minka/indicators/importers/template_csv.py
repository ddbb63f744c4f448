"""Minka's data-entry template as CSV: the columns, and reading a filled-in file back.

A template has one row per data element × territory × period × disaggregation. Its columns
are named by the keys of `TEMPLATE_COLUMNS` (Spanish names are accepted too, for a header a
person retyped); the *_name columns are there for people and are not read back. A row whose
value is empty was not filled in and is skipped: filling part of a template never deletes
anything. Excel in Spanish saves CSV with ";" between fields: that is detected from the
header line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from minka.indicators.importers.rows import ParsedValues, Problem, ValueRow, values_text

# (key, neutral field or "" when the column is only for people)
TEMPLATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("element", "dataElement"),
    ("element_name", ""),
    ("country", "country"),
    ("territory", "orgUnit"),
    ("territory_name", ""),
    ("period", "period"),
    ("disaggregation", "categoryOptionCombo"),
    ("disaggregation_name", ""),
    ("value", "value"),
    ("comment", "comment"),
)
TEMPLATE_KEYS = tuple(key for key, _field in TEMPLATE_COLUMNS)
REQUIRED_KEYS = ("element", "territory", "period", "value")

_ALIASES = {
    "dato": "element",
    "codigo_dato": "element",
    "código_dato": "element",
    "pais": "country",
    "país": "country",
    "territorio": "territory",
    "codigo_territorio": "territory",
    "código_territorio": "territory",
    "periodo": "period",
    "período": "period",
    "desagregacion": "disaggregation",
    "desagregación": "disaggregation",
    "valor": "value",
    "comentario": "comment",
}


def template_key(header: str) -> str:
    """The template key a header cell names ("" when it is not a template column)."""
    folded = header.strip().lower().lstrip("\ufeff").replace(" ", "_")
    if folded in TEMPLATE_KEYS:
        return folded
    return _ALIASES.get(folded, "")


def template_header_problems(keys: Iterable[str], found: list[str]) -> list[Problem]:
    present = set(keys)
    return [
        Problem("missing_column", "MK1000", line=1, column=key,
                params={"column": key, "found": ", ".join(found)})
        for key in REQUIRED_KEYS
        if key not in present
    ]


def template_rows_add(
    parsed: ParsedValues,
    records: Iterable[tuple[int, Mapping[str, str]]],
) -> None:
    """Rows from (line, key -> text) records; blank values are skipped, not deleted."""
    columns = {field: key for key, field in TEMPLATE_COLUMNS if field}
    index = 0
    for line, record in records:
        values = {key: (record.get(key) or "").strip() for key in TEMPLATE_KEYS}
        if not values["value"]:
            parsed.skipped += 1
            continue
        missing = [key for key in ("element", "territory", "period") if not values[key]]
        for key in missing:
            parsed.problems.append(
                Problem("required", "MK1000", index, line, key, params={"column": key})
            )
        if not missing:
            parsed.rows.append(ValueRow(
                index=index,
                line=line,
                data_element=values["element"],
                period=values["period"],
                org_unit=values["territory"],
                country=values["country"].upper(),
                category_option_combo=values["disaggregation"],
                value=values["value"],
                comment=values["comment"],
                columns=columns,
            ))
        index += 1


def template_csv_parse(content: bytes) -> ParsedValues:
    """A filled-in CSV template as rows; `line` is the physical line (1 = header)."""
    parsed, text = values_text(content)
    if text is None:
        return parsed
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, dict[str, str]]] = []
    keys: list[str] | None = None
    line_after = 0
    try:
        for record in reader:
            line = line_after + 1
            line_after = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if keys is None:
                keys = [template_key(cell) for cell in record]
                header_problems = template_header_problems(keys, record)
                if header_problems:
                    parsed.problems.extend(header_problems)
                    return parsed
                continue
            if len(record) > len(keys) and any(cell.strip() for cell in record[len(keys):]):
                parsed.problems.append(Problem(
                    "too_many_fields", "MK1000", None, line, value=delimiter.join(record),
                    params={"found": len(record), "expected": len(keys)},
                ))
                continue
            records.append(
                (line, {key: cell for key, cell in zip(keys, record, strict=False) if key})
            )
    except csv.Error as exc:
        parsed.problems.append(
            Problem("csv_syntax", "MK1000", line=line_after + 1, params={"detail": str(exc)})
        )
        return parsed
    if keys is None:
        parsed.problems.append(Problem("file_empty", "MK1000"))
        return parsed
    template_rows_add(parsed, records)
    return parsed
