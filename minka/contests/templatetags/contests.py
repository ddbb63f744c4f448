"""`{{ amount|soles }}` (S/ 1 500 000,00), `{{ text|money_nowrap }}` (every amount in a
text kept on one line) and `{{ delta|time_left }}` (3 d 4 h 12 min)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from minka.contests.engine.messages import money_format

register = template.Library()


@register.filter
def soles(amount: Decimal | None) -> str:
    return "—" if amount is None else money_format(Decimal(amount))


# What `money_format` writes: "S/ 1 500 000,00", "-S/ 0,50".
MONEY = re.compile(r"-?S/ \d{1,3}(?: \d{3})*,\d{2}")


@register.filter
def money_nowrap(text: str) -> SafeString:
    """The text, escaped, with every amount in soles in a `<span class="money">` that
    contests.css keeps on one line (an award as "Primer puesto · S/ 200 000,00")."""
    return mark_safe(
        MONEY.sub(lambda m: f'<span class="money">{m.group(0)}</span>', conditional_escape(text))
    )


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
