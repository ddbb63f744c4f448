"""Helpers for flat files that repeat the region (and province) on every row (Chile, Paraguay).

Such a file states a region's name once per comuna; the first statement is kept and any
later one that disagrees (another name, another parent) is an error, not a silent choice.
Its codes were often saved as numbers, so they are padded back to their width here.
"""

from __future__ import annotations

from minka.territories.importers.checks import where
from minka.territories.importers.csvfile import CsvRecord
from minka.territories.importers.issues import Issue, origin_of
from minka.territories.importers.rows import TerritoryRow


def padded_code(record: CsvRecord, column: str, width: int) -> str | Issue:
    """The column's code padded with zeros to `width` ("1101" -> "01101"), or an error."""
    value = record.get(column)
    if not value.isdigit() or len(value) > width:
        return record.origin.error(
            "invalid_code", column=column, value=value, expected=f"at most {width} digits")
    return value.zfill(width)


class RepeatedLevel:
    """The distinct territories of one level, collected from the rows below them."""

    def __init__(self) -> None:
        self.rows: dict[str, TerritoryRow] = {}

    def add(self, row: TerritoryRow, issues: list[Issue], *, name_column: str) -> None:
        first = self.rows.get(row.code)
        if first is None:
            self.rows[row.code] = row
            return
        origin, place = origin_of(row), where(origin_of(first))
        if first.name != row.name:
            issues.append(origin.error(
                "conflicting_name", column=name_column, value=row.code, name=row.name,
                other=first.name, first=place))
        if first.parent_code != row.parent_code:
            issues.append(origin.error(
                "conflicting_parent", value=row.code, parent=row.parent_code or "",
                other=first.parent_code or "", first=place))
