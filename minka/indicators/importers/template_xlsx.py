"""Minka's data-entry template as an Excel workbook, read back with openpyxl (read-only).

The data sheet is the one whose first row holds the template's column keys (see
`template_csv.TEMPLATE_COLUMNS`); other sheets (the instructions) are ignored. What a
spreadsheet can hide is refused with the cell that holds it rather than guessed: a formula
(its cached result may be stale or missing, and we import what people typed), merged cells
(a merged block has one value for several rows), a date where a code or a number belongs.
Numbers become text the way people read them: 2023 stays "2023", 12.5 stays "12.5".
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from minka.indicators.importers.rows import ParsedValues, Problem
from minka.indicators.importers.template_csv import (
    template_header_problems,
    template_key,
    template_rows_add,
)

DATA_SHEET_TITLE = "Datos"
_MERGE = re.compile(rb'<mergeCell[^>]*\sref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def template_xlsx_parse(content: bytes) -> ParsedValues:
    """A filled-in workbook as rows; `line` is the spreadsheet row number."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    parsed = ParsedValues()
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        parsed.problems.append(
            Problem("xlsx_unreadable", "MK1000", params={"detail": type(exc).__name__})
        )
        return parsed
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows()
            first = next(rows, None)
            if first is None:
                continue
            headers = [_header_text(cell.value) for cell in first]
            keys = [template_key(text) for text in headers]
            if "element" not in keys:
                continue
            header_problems = template_header_problems(keys, headers)
            if header_problems:
                parsed.problems.extend(header_problems)
                return parsed
            merged = _merged_ranges(content, getattr(sheet, "_worksheet_path", ""))
            for ref in merged:
                parsed.problems.append(
                    Problem("xlsx_merged", "MK1000", line=_ref_row(ref), value=ref)
                )
            records = list(_records(parsed, rows, keys, get_column_letter))
            if not parsed.problems:
                template_rows_add(parsed, records)
            return parsed
        parsed.problems.append(
            Problem("xlsx_no_data_sheet", "MK1000", column="element", params={"column": "element"})
        )
        return parsed
    finally:
        workbook.close()


def _records(
    parsed: ParsedValues, rows: Iterator[Any], keys: list[str], letter: Any
) -> Iterator[tuple[int, dict[str, str]]]:
    for number, cells in enumerate(rows, start=2):
        record: dict[str, str] = {}
        for position, cell in enumerate(cells):
            key = keys[position] if position < len(keys) else ""
            value = getattr(cell, "value", None)
            if value is None or not key:
                continue
            where = f"{letter(position + 1)}{number}"
            if getattr(cell, "data_type", "") == "f" or (
                isinstance(value, str) and value.startswith("=")
            ):
                parsed.problems.append(Problem(
                    "xlsx_formula", "MK1000", None, number, key, str(value)[:100],
                    params={"cell": where},
                ))
                continue
            if isinstance(value, datetime | date | time):
                parsed.problems.append(Problem(
                    "xlsx_date", "MK1000", None, number, key, str(value),
                    params={"cell": where, "column": key},
                ))
                continue
            record[key] = _cell_text(value)
        if any(text.strip() for text in record.values()):
            yield number, record


def _header_text(value: Any) -> str:
    return "" if value is None else str(value)


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return str(Decimal(repr(value)))
    return str(value)


def _merged_ranges(content: bytes, sheet_path: str) -> list[str]:
    """The merged ranges of the sheet, read from its XML (read-only mode does not expose
    them). Without a known path every worksheet is looked at."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [sheet_path.lstrip("/")] if sheet_path else [
                name for name in archive.namelist() if name.startswith("xl/worksheets/")
            ]
            found: list[str] = []
            for name in names:
                if name in archive.namelist():
                    found.extend(m.decode() for m in _MERGE.findall(archive.read(name)))
            return found
    except zipfile.BadZipFile:
        return []


def _ref_row(ref: str) -> int | None:
    digits = re.search(r"[0-9]+", ref)
    return int(digits.group()) if digits else None
