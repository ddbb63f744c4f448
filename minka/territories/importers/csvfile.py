"""Reading a UTF-8 CSV into records that know their physical line.

Why not csv.DictReader: a quoted value may hold a newline (the INEI district file has two),
so "record 61" is not "line 62", and users open the file in an editor that shows lines.
Each record carries the line where it starts; a short row (a truncated last line) or an
empty required value becomes an Issue naming the column instead of a KeyError.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from minka.territories.importers.issues import Issue, Origin


@dataclass(frozen=True)
class CsvRecord:
    origin: Origin
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


def text_read(path: Path) -> tuple[str | None, list[Issue]]:
    """The file's text, or the reason it cannot be had (missing, unreadable, not UTF-8)."""
    origin = Origin(file=path.name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [origin.error("file_missing", value=str(path))]
    except OSError as exc:
        return None, [origin.error("file_unreadable", value=str(path), detail=exc.strerror or "")]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        byte = f"0x{data[exc.start]:02x}"
        line = data.count(b"\n", 0, exc.start) + 1
        where = Origin(file=path.name, line=line)
        return None, [where.error("not_utf8", value=byte, byte=byte)]


def csv_records(
    path: Path, *, columns: Sequence[str], required: Sequence[str] = ()
) -> tuple[list[CsvRecord], list[Issue]]:
    """Records with stripped values; `columns` must be in the header, `required` non-empty.

    A record with an error is left out of the result (its issues say why), so callers only
    see complete records; they still check the meaning of each value.
    """
    text, issues = text_read(path)
    if text is None:
        return [], [replace(i, column=_bad_byte_column(path)) if i.reason == "not_utf8" else i
                    for i in issues]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return [], [Origin(file=path.name, line=1).error("file_empty")]
    except csv.Error as exc:
        return [], [Origin(file=path.name, line=1).error("csv_syntax", detail=str(exc))]
    missing = [c for c in columns if c not in header]
    if missing:
        where = Origin(file=path.name, line=1)
        found = ", ".join(header)
        return [], [where.error("missing_header_column", column=c, found=found) for c in missing]

    records: list[CsvRecord] = []
    next_line = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            issues.append(Origin(file=path.name, line=next_line).error(
                "csv_syntax", detail=str(exc)))
            break
        origin = Origin(file=path.name, line=next_line)
        next_line = reader.line_num + 1
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line, e.g. at the end of the file
        issue = _shape_issue(origin, header, fields)
        if issue is not None:
            issues.append(issue)
            continue
        values = {name: " ".join(value.split()) for name, value in zip(header, fields, strict=True)}
        empty = [c for c in required if not values[c]]
        issues.extend(origin.error("required", column=c) for c in empty)
        if not empty:
            records.append(CsvRecord(origin=origin, values=values))
    return records, issues


def _shape_issue(origin: Origin, header: list[str], fields: list[str]) -> Issue | None:
    if len(fields) < len(header):
        return origin.error(
            "too_few_fields", column=header[len(fields)], found=len(fields), expected=len(header)
        )
    if len(fields) > len(header):
        return origin.error(
            "too_many_fields", column=f"#{len(header) + 1}", value=fields[len(header)],
            found=len(fields), expected=len(header),
        )
    return None


def _bad_byte_column(path: Path) -> str:
    """The column holding the first byte that is not UTF-8, so the user can find the cell."""
    text = path.read_bytes().decode("utf-8", errors="surrogateescape").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        for fields in reader:
            for position, value in enumerate(fields):
                if any("\udc80" <= ch <= "\udcff" for ch in value):
                    return header[position] if position < len(header) else f"#{position + 1}"
    except csv.Error:
        pass
    return ""
