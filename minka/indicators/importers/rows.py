"""What the data-value and metadata parsers return: neutral rows and row-level problems.

The parsers have no Django (they are tested without a database) and therefore cannot
translate nor look anything up. They return rows that say where they came from (file,
physical line or position in the file, column) and `Problem`s with a stable reason code,
the DHIS2 error code when DHIS2 has one, and the parameters of the message; the services in
`minka.indicators.imports` resolve the rows against the catalogue and translate the messages
(`MESSAGES` holds the English msgids, marked for extraction with a local `gettext_noop`).
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, field


def gettext_noop(message: str) -> str:
    """Mark a msgid for extraction without translating it (translation needs Django)."""
    return message


# Fields of a neutral data-value row; what each is called in a file varies by format and is
# told by `ValueRow.columns` (field -> the column or key name in the file).
FIELDS = (
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "storedBy",
    "created",
    "lastUpdated",
    "comment",
    "followup",
    "deleted",
)


@dataclass(frozen=True)
class ValueRow:
    """One data value as the file states it, not yet resolved against the catalogue.

    `index` is DHIS2's: the 0-based position among the file's data values (the header row
    of a CSV is not counted). `line` is what a person finds in an editor: the physical line
    of a CSV (1 = the header), the row of a spreadsheet, or `index + 1` for JSON. `value`
    None means "delete this cell" (DHIS2's empty value); a template's empty value cell is
    not a row at all, so filling part of a template never deletes anything.
    `country` qualifies `orgUnit` when it is an official territory code ("" = not said).
    """

    index: int
    line: int
    data_element: str
    period: str
    org_unit: str
    category_option_combo: str = ""
    attribute_option_combo: str = ""
    value: str | None = None
    stored_by: str = ""
    created: str = ""
    last_updated: str = ""
    comment: str = ""
    followup: bool = False
    deleted: bool = False
    country: str = ""
    columns: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def column(self, name: str) -> str:
        """The file's name for field `name` (one of FIELDS)."""
        return self.columns.get(name, name)


@dataclass(frozen=True)
class Problem:
    """One row-level (or file-level) finding. `index`/`line` are None for the whole file.

    `error_code` is DHIS2's (E7610 …) when DHIS2 has one for the same finding, else Minka's
    own (MK…). `warning` problems are reported but refuse nothing (a row skipped on purpose).
    """

    reason: str
    error_code: str
    index: int | None = None
    line: int | None = None
    column: str = ""
    value: str = ""
    params: Mapping[str, str | int] = field(default_factory=dict)
    warning: bool = False


@dataclass
class ParsedValues:
    """A parsed data-value file: its rows, what is wrong with it, and what was skipped."""

    rows: list[ValueRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0  # rows left out on purpose (blank template rows, "S.I." cells)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


def text_decode(content: bytes) -> tuple[str | None, Problem | None]:
    """UTF-8 text (a leading byte-order mark dropped), or the problem that prevents it."""
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]
    try:
        return content.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        byte = f"0x{content[exc.start]:02x}"
        line = content.count(b"\n", 0, exc.start) + 1
        return None, Problem("not_utf8", "MK1000", line=line, value=byte, params={"byte": byte})



def values_text(content: bytes) -> tuple[ParsedValues, str | None]:
    """The start of every value parser: an empty result and the file's text, or the result
    holding the decoding problem and None (the parser then returns it as it is)."""
    parsed = ParsedValues()
    text, problem = text_decode(content)
    if problem:
        parsed.problems.append(problem)
    return parsed, text

TRUE_SPELLINGS = frozenset({"true", "t", "1", "yes", "y", "si", "sí", "s"})
FALSE_SPELLINGS = frozenset({"false", "f", "0", "no", "n"})


def boolean_parse(text: str) -> bool | None:
    """DHIS2's spellings of a boolean (true/True/t/T/1, false/False/f/F/0), plus yes/no and
    sí/no for people's spreadsheets; None for anything else ("test", "not true")."""
    folded = text.strip().lower()
    if folded in TRUE_SPELLINGS:
        return True
    if folded in FALSE_SPELLINGS:
        return False
    return None


# Reason code -> English message template. Besides its params a template may use
# %(value)s, %(column)s and %(line)s.
MESSAGES: dict[str, str] = {
    # Reading the file
    "not_utf8": gettext_noop(
        "The file is not UTF-8 (byte %(byte)s at line %(line)s): save it as UTF-8 "
        "(\"CSV UTF-8\" in Excel)."
    ),
    "file_empty": gettext_noop("The file is empty."),
    "invalid_json": gettext_noop("The file is not valid JSON: %(detail)s."),
    "not_a_data_value_set": gettext_noop(
        "The file is not a DHIS2 data value set: expected an object with a list "
        "\"dataValues\"."
    ),
    "not_a_data_value": gettext_noop("Data value %(line)s is not a JSON object."),
    "not_metadata": gettext_noop(
        "The file is not DHIS2 metadata: expected an object with lists such as "
        "\"dataElements\" or \"indicators\"."
    ),
    "csv_syntax": gettext_noop("The CSV cannot be read: %(detail)s."),
    "missing_column": gettext_noop(
        "The header has no column %(column)s (it has: %(found)s)."
    ),
    "too_many_fields": gettext_noop(
        "The row has %(found)s fields, the header only %(expected)s (a comma inside an "
        "unquoted value?)."
    ),
    "required": gettext_noop("Column %(column)s is empty."),
    "not_text": gettext_noop("%(column)s must be text, not %(value)s."),
    "xlsx_unreadable": gettext_noop("The file is not an Excel workbook (.xlsx): %(detail)s."),
    "xlsx_no_data_sheet": gettext_noop(
        "The workbook has no sheet with the template's header (a column %(column)s)."
    ),
    "xlsx_formula": gettext_noop(
        "Cell %(cell)s holds a formula (%(value)s): type the value itself."
    ),
    "xlsx_merged": gettext_noop(
        "Cells %(value)s are merged: unmerge them so that each row has its own values."
    ),
    "xlsx_date": gettext_noop(
        "Cell %(cell)s holds a date (%(value)s) where %(column)s expects text or a number."
    ),
    "leading_zero": gettext_noop(
        "Code %(value)s has lost its leading zero (expected %(expected)s): save the column "
        "as text, not as a number."
    ),
    "invalid_code": gettext_noop("%(value)s is not a six-digit INEI code."),
    "no_inei_code": gettext_noop(
        "The row has no INEI code (RENIEC %(reniec)s): it is not a district of the INEI "
        "list and was skipped."
    ),
    # Resolving and checking rows (done by the services, translated with the same table)
    "unknown_element": gettext_noop("%(value)s is not a known data element."),
    "invalid_period": gettext_noop("%(value)s is not a period (%(detail)s)."),
    "period_type": gettext_noop(
        "%(value)s is a %(found)s period; data element %(element)s is %(expected)s."
    ),
    "unknown_org_unit": gettext_noop("%(value)s is not a known territory."),
    "unknown_country": gettext_noop("%(value)s is not a country code (PE, CL or PY)."),
    "unknown_combination": gettext_noop("%(value)s is not a known disaggregation."),
    "combination_not_of_element": gettext_noop(
        "Disaggregation %(value)s does not belong to data element %(element)s (it takes: "
        "%(expected)s)."
    ),
    "attribute_combo": gettext_noop(
        "Attribute option combination %(value)s is not supported: Minka records no "
        "attribute dimension, leave it empty or default."
    ),
    "outside_scope": gettext_noop(
        "You may not change data of %(territory)s: the row is outside your territory."
    ),
    "territory_closed": gettext_noop(
        "%(territory)s did not exist in period %(period)s (valid %(valid)s)."
    ),
    "value_missing": gettext_noop("The value is empty."),
    "not_a_number": gettext_noop("%(value)s is not a number (write 1234.5, no thousands "
                                 "separator)."),
    "not_an_integer": gettext_noop("%(value)s is not a whole number; %(element)s takes "
                                   "whole numbers."),
    "not_a_percentage": gettext_noop("%(value)s is not a percentage between 0 and 100."),
    "not_a_boolean": gettext_noop(
        "%(value)s is not yes/no: write true or false (also t, f, 1, 0)."
    ),
    "too_large": gettext_noop("%(value)s is too large to store (at most 18 digits before "
                              "the decimal point)."),
    "duplicate_cell": gettext_noop(
        "The same cell (%(cell)s) is already at %(first)s in this file."
    ),
    "rule_error": gettext_noop(
        "Validation rule %(rule)s fails for %(territory)s, %(period)s: %(detail)s."
    ),
}
