"""What went wrong in an import, and where, as plain data.

The parsers have no Django (so they are tested without a database) and therefore cannot
translate: they return an `Issue` with a reason code, the place (file, physical line or
GeoJSON feature, column) and the offending value. The message templates below are English
msgids marked with a local `gettext_noop`, which `makemessages` extracts like Django's own;
the command layer (`minka.territories.services.import_issue_text`) translates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum


def gettext_noop(message: str) -> str:
    """Mark a msgid for extraction without translating it (translation needs Django)."""
    return message


class Severity(StrEnum):
    ERROR = "error"  # the whole import is refused
    WARNING = "warning"  # reported; the row or feature is skipped or merely noted


@dataclass(frozen=True)
class Issue:
    """One finding. `line` is the physical line where the record starts (1 = header).

    `feature` is the 1-based position of a GeoJSON feature (JSON has no usable line for it).
    `params` fill the message template next to file, line, feature, column and value.
    """

    severity: Severity
    reason: str
    file: str = ""
    line: int | None = None
    feature: int | None = None
    column: str = ""
    value: str = ""
    params: Mapping[str, str | int] = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True)
class Origin:
    """Where a row came from; rows built in code (the demo) may have none."""

    file: str
    line: int | None = None
    feature: int | None = None
    column: str = ""

    def at(self, column: str) -> Origin:
        return replace(self, column=column)

    def issue(
        self, severity: Severity, reason: str, *, column: str | None = None, value: object = "",
        **params: str | int,
    ) -> Issue:
        return Issue(
            severity=severity, reason=reason, file=self.file, line=self.line,
            feature=self.feature, column=self.column if column is None else column,
            value="" if value is None else str(value), params=params,
        )

    def error(
        self, reason: str, *, column: str | None = None, value: object = "", **params: str | int
    ) -> Issue:
        return self.issue(Severity.ERROR, reason, column=column, value=value, **params)

    def warning(
        self, reason: str, *, column: str | None = None, value: object = "", **params: str | int
    ) -> Issue:
        return self.issue(Severity.WARNING, reason, column=column, value=value, **params)


def origin_of(item: object) -> Origin:
    """The origin of a row, or an anonymous one for rows built in code."""
    origin = getattr(item, "origin", None)
    return origin if isinstance(origin, Origin) else Origin(file="")


# Every reason code an Issue may carry. Besides the listed params a template may use
# %(file)s, %(line)s, %(column)s and %(value)s.
MESSAGES: dict[str, str] = {
    # Reading the file
    "file_missing": gettext_noop("The file does not exist."),
    "file_unreadable": gettext_noop("The file cannot be read (%(detail)s)."),
    "not_a_directory": gettext_noop(
        "Expected a directory holding %(expected)s."
    ),
    "file_empty": gettext_noop("The file is empty: not even a header line."),
    "not_utf8": gettext_noop(
        "File %(file)s is not UTF-8 (byte %(byte)s at line %(line)s); save it as UTF-8."
    ),
    "csv_syntax": gettext_noop("The CSV cannot be read here: %(detail)s."),
    "missing_header_column": gettext_noop(
        "The header has no column %(column)s (it has: %(found)s)."
    ),
    "too_few_fields": gettext_noop(
        "The row has %(found)s fields, the header %(expected)s: column %(column)s and "
        "those after it are missing (is the file truncated?)."
    ),
    "too_many_fields": gettext_noop(
        "The row has %(found)s fields, the header only %(expected)s (a comma inside an "
        "unquoted value?)."
    ),
    "required": gettext_noop("Column %(column)s is empty."),
    # Codes
    "invalid_code": gettext_noop("%(value)s is not a valid code here: expected %(expected)s."),
    "missing_leading_zero": gettext_noop(
        "Code %(value)s has lost its leading zero (expected %(expected)s): save the column as "
        "text, not as a number."
    ),
    "wrong_level": gettext_noop("Code %(value)s is not a %(level)s code (expected %(expected)s)."),
    "inconsistent_code": gettext_noop(
        "Code %(value)s does not match %(other_column)s %(other)s (expected %(expected)s)."
    ),
    "duplicate_code": gettext_noop(
        "Code %(value)s appears more than once (first at %(first)s)."
    ),
    "conflicting_name": gettext_noop(
        "Code %(value)s is named %(name)s here but %(other)s at %(first)s."
    ),
    "conflicting_parent": gettext_noop(
        "Code %(value)s is under %(parent)s here but under %(other)s at %(first)s."
    ),
    "no_inei_code": gettext_noop(
        "The row has no INEI code (only RENIEC %(reniec)s): it is not a territory and was "
        "skipped."
    ),
    "unknown_level": gettext_noop("%(value)s is not a level (expected one of %(expected)s)."),
    "parent_level": gettext_noop(
        "%(code)s (%(level)s) cannot be under %(value)s (%(parent_level)s)."
    ),
    "missing_parent": gettext_noop(
        "The parent %(value)s of %(code)s is neither in the file nor in the database."
    ),
    "moved_territory": gettext_noop(
        "%(code)s already exists as %(existing)s; an import does not move or re-level a "
        "territory."
    ),
    "wrong_country": gettext_noop("The row belongs to %(value)s, the import to %(country)s."),
    "too_long": gettext_noop("The value has %(found)s characters; at most %(limit)s fit."),
    "unknown_alias_scheme": gettext_noop("%(value)s is not a known code scheme."),
    # Population
    "not_a_number": gettext_noop("%(value)s is not a number."),
    "not_whole": gettext_noop("%(value)s is not a whole number of people."),
    "negative": gettext_noop("%(value)s is negative."),
    "sex_sum_mismatch": gettext_noop(
        "Men %(male)s + women %(female)s = %(sum)s, but the total is %(value)s."
    ),
    "children_sum_mismatch": gettext_noop(
        "%(code)s has %(value)s (%(sex)s) but its %(children)s parts in the file add up to "
        "%(sum)s."
    ),
    "duplicate_cell": gettext_noop(
        "%(code)s already has a %(sex)s figure for %(year)s (first at %(first)s)."
    ),
    "unknown_territory": gettext_noop("%(value)s is not a known territory of %(country)s."),
    "year_mismatch": gettext_noop("The row is for %(value)s but the import is for %(year)s."),
    "unknown_sex": gettext_noop("%(value)s is not a sex category."),
    "unknown_area": gettext_noop("%(value)s is not an area category."),
    "name_differs": gettext_noop(
        "The file names %(code)s %(value)s; the territory is %(name)s (checked: same code)."
    ),
    # Boundaries
    "invalid_json": gettext_noop("The file is not valid JSON: %(detail)s."),
    "not_feature_collection": gettext_noop(
        "The file is not a GeoJSON FeatureCollection (found %(found)s)."
    ),
    "invalid_feature": gettext_noop("The entry is not a GeoJSON Feature."),
    "code_field_absent": gettext_noop(
        "No feature has the property %(column)s (the first one has: %(found)s)."
    ),
    "missing_code_field": gettext_noop("The feature has no property %(column)s."),
    "no_geometry": gettext_noop("The feature %(value)s has no geometry: skipped."),
    "invalid_geometry": gettext_noop("The geometry is not valid GeoJSON (%(detail)s)."),
    "merged_parts": gettext_noop(
        "%(value)s appears in %(parts)s features (first at %(first)s): its parts were joined "
        "into one MultiPolygon."
    ),
    "unknown_boundary_code": gettext_noop(
        "%(value)s is not a known territory of %(country)s: the feature was skipped."
    ),
    "no_feature": gettext_noop(
        "%(value)s %(name)s has no feature in the file: its boundary is left as it was."
    ),
}
