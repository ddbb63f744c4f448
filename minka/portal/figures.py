"""How a figure reads on a page, in a chart and in a download: the indicator's decimals,
its unit, the locale's separators (Peru: 1 379 167 and 26,7) and the words for a status.

One place, so the table on screen, the chart's labels and the CSV agree digit for digit.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from minka.indicators.models import IndicatorSheet, Unit

STATUS_LABELS = {
    "on_track": _("On track"),
    "at_risk": _("At risk"),
    "off_track": _("Off track"),
}

_UNIT_SUFFIX: dict[str, str | Promise] = {
    Unit.PERCENT: "\xa0%",
    Unit.PER_THOUSAND: "\xa0‰",
    Unit.PER_HUNDRED_THOUSAND: _(" per 100,000"),
    Unit.DAYS: _(" days"),
}


def figure_round(value: float | None, sheet: IndicatorSheet) -> float | None:
    """The value as shown: rounded to the sheet's decimals (what downloads write)."""
    return None if value is None else round(value, sheet.decimals)


def figure_number(value: float | None, sheet: IndicatorSheet) -> str:
    """The number alone, localised, with the sheet's decimals; "—" when there is none."""
    if value is None:
        return "—"
    return number_format(
        round(value, sheet.decimals), decimal_pos=sheet.decimals, use_l10n=True, force_grouping=True
    )


def figure_text(value: float | None, sheet: IndicatorSheet) -> str:
    """The number with its unit ("26,7 %", "S/ 1 500,00"); "—" when there is none."""
    if value is None:
        return "—"
    number = figure_number(value, sheet)
    if sheet.unit == Unit.SOLES:
        return f"S/\xa0{number}"
    return f"{number}{_UNIT_SUFFIX.get(str(sheet.unit), '')}"


def status_label(status: str | None) -> str:
    return str(STATUS_LABELS.get(status or "", ""))
