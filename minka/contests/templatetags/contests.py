"""`{{ amount|soles }}` (S/ 1 500 000,00) and `{{ delta|time_left }}` (3 d 4 h 12 min)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from minka.contests.engine.messages import money_format

register = template.Library()


@register.filter
def soles(amount: Decimal | None) -> str:
    return "—" if amount is None else money_format(Decimal(amount))


@register.filter
def time_left(delta: timedelta) -> str:
    """A countdown in days, hours and minutes ("closed" at zero)."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return _("closed")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d"] if days else []
    if days or hours:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return " ".join(parts)
