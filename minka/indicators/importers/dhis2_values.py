"""DHIS2 `dataValueSets` in JSON and CSV, read into neutral rows.

Field names are DHIS2's. JSON: an object with `dataValues` (each with dataElement, period,
orgUnit, categoryOptionCombo, attributeOptionCombo, value, storedBy, created, lastUpdated,
comment, followup, deleted); the set's own `period`, `orgUnit` and `attributeOptionCombo`
fill what a value leaves out, as in DHIS2. CSV: the columns dataelement, period, orgunit,
categoryoptioncombo, attributeoptioncombo, value, storedby, lastupdated (older files say
timestamp), comment, followup, deleted, in that order when the file has no header. Whether
the first row is a header is detected (its first field is "dataelement"), so the files
DHIS2 exports with and without a header both read. A row shorter than the header gets its
missing trailing fields empty, as DHIS2 does (a "deleted" column that the rows leave out).

Nothing is resolved here: identifiers stay as written (uid or code, whichever `idScheme`
the sender used). An empty value is DHIS2's "delete this value".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from minka.indicators.importers.rows import (
    ParsedValues,
    Problem,
    ValueRow,
    boolean_parse,
    values_text,
)

# DHIS2's CSV columns in their standard order, and the neutral field each one fills.
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataelement", "dataElement"),
    ("period", "period"),
    ("orgunit", "orgUnit"),
    ("categoryoptioncombo", "categoryOptionCombo"),
    ("attributeoptioncombo", "attributeOptionCombo"),
    ("value", "value"),
    ("storedby", "storedBy"),
    ("lastupdated", "lastUpdated"),
    ("comment", "comment"),
    ("followup", "followup"),
    ("deleted", "deleted"),
)
_CSV_ALIASES = {
    "timestamp": "lastUpdated",
    "created": "created",
    "catoptcombo": "categoryOptionCombo",
    "attroptcombo": "attributeOptionCombo",
    **{name: field for name, field in CSV_COLUMNS},
}
_REQUIRED = ("dataElement", "period", "orgUnit")
_JSON_COLUMNS = {
    name: name
    for name in (
        "dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo",
        "value", "storedBy", "created", "lastUpdated", "comment", "followup", "deleted",
    )
}


def dhis2_json_parse(content: bytes) -> ParsedValues:
    """A dataValueSets JSON document as rows (index = position in `dataValues`)."""
    parsed, text = values_text(content)
    if text is None:
        return parsed
    if not text.strip():
        parsed.problems.append(Problem("file_empty", "MK1000"))
        return parsed
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        parsed.problems.append(
            Problem("invalid_json", "MK1000", line=exc.lineno, params={"detail": exc.msg})
        )
        return parsed
    if not isinstance(document, dict) or not isinstance(document.get("dataValues"), list):
        parsed.problems.append(Problem("not_a_data_value_set", "MK1000"))
        return parsed
    defaults = {
        key: _text(document.get(key))
        for key in ("period", "orgUnit", "attributeOptionCombo")
        if document.get(key) not in (None, "")
    }
    for index, item in enumerate(document["dataValues"]):
        if not isinstance(item, dict):
            parsed.problems.append(Problem("not_a_data_value", "MK1000", index, index + 1))
            continue
        _row_add(parsed, {**defaults, **_present(item)}, index, index + 1, _JSON_COLUMNS)
    return parsed


def dhis2_csv_parse(content: bytes) -> ParsedValues:
    """A dataValueSets CSV (with or without its header row) as rows."""
    parsed, text = values_text(content)
    if text is None:
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    fields: list[str] | None = None
    columns: dict[str, str] = {}
    index = 0
    line_after = 0
    try:
        for record in reader:
            line = line_after + 1
            line_after = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if fields is None:
                if record[0].strip().lower().lstrip("\ufeff") == "dataelement":
                    fields, columns = _header(record)
                    continue
                fields = [field for _name, field in CSV_COLUMNS]
                columns = {field: name for name, field in CSV_COLUMNS}
            if len(record) > len(fields):
                parsed.problems.append(Problem(
                    "too_many_fields", "MK1000", index, line, value=",".join(record),
                    params={"found": len(record), "expected": len(fields)},
                ))
                index += 1
                continue
            values = {
                field: cell for field, cell in zip(fields, record, strict=False) if field
            }
            _row_add(parsed, values, index, line, columns)
            index += 1
    except csv.Error as exc:
        parsed.problems.append(
            Problem("csv_syntax", "MK1000", line=line_after + 1, params={"detail": str(exc)})
        )
    if fields is None:
        parsed.problems.append(Problem("file_empty", "MK1000"))
    return parsed


def _header(record: list[str]) -> tuple[list[str], dict[str, str]]:
    """The neutral field of each header column ("" for columns Minka does not read)."""
    fields = [_CSV_ALIASES.get(cell.strip().lower().lstrip("\ufeff"), "") for cell in record]
    columns = {
        field: cell.strip() for field, cell in zip(fields, record, strict=True) if field
    }
    return fields, columns


def _present(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if value is not None}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return boolean_parse(_text(value)) is True


def _row_add(
    parsed: ParsedValues,
    values: Mapping[str, Any],
    index: int,
    line: int,
    columns: Mapping[str, str],
) -> None:
    missing = [field for field in _REQUIRED if not _text(values.get(field))]
    for field in missing:
        parsed.problems.append(Problem(
            "required", "E7610" if field == "dataElement" else (
                "E7611" if field == "period" else "E7612"
            ), index, line, columns.get(field, field), params={"column": columns.get(field, field)},
        ))
    if missing:
        return
    raw_value = values.get("value")
    value = None if raw_value is None or _text(raw_value) == "" else _text(raw_value)
    parsed.rows.append(ValueRow(
        index=index,
        line=line,
        data_element=_text(values["dataElement"]),
        period=_text(values["period"]),
        org_unit=_text(values["orgUnit"]),
        category_option_combo=_text(values.get("categoryOptionCombo")),
        attribute_option_combo=_text(values.get("attributeOptionCombo")),
        value=value,
        stored_by=_text(values.get("storedBy")),
        created=_text(values.get("created")),
        last_updated=_text(values.get("lastUpdated")),
        comment=_text(values.get("comment")),
        followup=_flag(values.get("followup", False)),
        deleted=_flag(values.get("deleted", False)),
        columns=columns,
    ))
