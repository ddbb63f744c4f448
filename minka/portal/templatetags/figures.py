"""`{{ row.value|figure:sheet }}`, `{{ row.value|figure_number:sheet }}`,
`{{ row.status|status_label }}`: see `minka.portal.figures`."""

from __future__ import annotations

from django import template

from minka.indicators.models import IndicatorSheet
from minka.portal import figures

register = template.Library()


@register.filter
def figure(value: float | None, sheet: IndicatorSheet) -> str:
    return figures.figure_text(value, sheet)


@register.filter
def figure_number(value: float | None, sheet: IndicatorSheet) -> str:
    return figures.figure_number(value, sheet)


@register.filter
def figure_round(value: float | None, sheet: IndicatorSheet) -> str:
    """The machine-readable value as downloaded (for `data-value` attributes)."""
    rounded = figures.figure_round(value, sheet)
    return "" if rounded is None else repr(rounded)


@register.filter
def status_label(status: str | None) -> str:
    return figures.status_label(status)
