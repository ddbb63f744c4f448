"""The indicator page's ranking table as data: what the page renders and what the CSV and
Excel downloads write, so a download is exactly the table on screen (same rows, same
columns, same rounding; the page shows text in the locale, a download the plain value)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from minka.indicators.models import IndicatorSheet
from minka.portal.figures import figure_number, figure_round, status_label
from minka.portal.selectors import RankingRow

Plain = str | int | float | None


@dataclass(frozen=True)
class Cell:
    text: str
    value: Plain
    numeric: bool = False
    href: str | None = None
    css: str = ""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def _number(value: float | None, sheet: IndicatorSheet, css: str = "") -> Cell:
    return Cell(figure_number(value, sheet), figure_round(value, sheet), numeric=True, css=css)


def _amount(value: float | None) -> Cell:
    """A numerator or denominator: a count shows as one, anything else with 2 decimals."""
    if value is None:
        return Cell("—", None, numeric=True)
    decimals = 0 if float(value).is_integer() else 2
    rounded = round(value, decimals)
    return Cell(
        number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True),
        int(rounded) if decimals == 0 else rounded,
        numeric=True,
    )


SEX_HEADERS = {"FEMALE": gettext_lazy("Female"), "MALE": gettext_lazy("Male")}


def ranking_table(
    *, sheet: IndicatorSheet, rows: Sequence[RankingRow], gender: Sequence[str]
) -> Table:
    """Rank, code, territory, value, the gender view (female, male) when the indicator has
    it and the table shows totals, numerator, denominator, target, status, change against
    the previous year and how many of its children reported."""
    headers = [_("Rank"), _("Code"), _("Territory"), _("Value")]
    headers += [str(SEX_HEADERS[option]) for option in gender]
    headers += [
        _("Numerator"),
        _("Denominator"),
        _("Target"),
        _("Status"),
        _("Change vs previous year"),
        _("Children reporting"),
    ]
    table = Table(headers=[str(h) for h in headers])
    for ranking in rows:
        row = ranking.result
        reporting = (
            f"{row.reported_children} / {row.expected_children}" if row.expected_children else "—"
        )
        cells = [
            Cell(str(row.rank) if row.rank else "—", row.rank, numeric=True),
            Cell(row.territory_code, row.territory_code),
            Cell(
                row.territory_name,
                row.territory_name,
                href=reverse("portal:territory", args=[row.territory_country, row.territory_code]),
            ),
            _number(row.value, sheet, css="value"),
            *(_number(ranking.by_sex.get(option), sheet) for option in gender),
            _amount(row.numerator),
            _amount(row.denominator),
            _number(row.target, sheet),
            Cell(
                status_label(row.status) or "—",
                status_label(row.status) or None,
                css=f"status {row.status}" if row.status else "",
            ),
            _number(row.change_previous, sheet),
            Cell(reporting, reporting if row.expected_children else None),
        ]
        table.rows.append(cells)
    return table


def table_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark (Excel in Spanish opens it with accents intact)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if c.value is None else c.value for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(table: Table, *, title: str, notes: Sequence[str] = ()) -> bytes:
    """One sheet: the table with numbers as numbers, then the notes (source, period…)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31] or "Minka"
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append([c.value for c in row])
    if notes:
        sheet.append([])
        for note in notes:
            sheet.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
