"""The pure analytics engine: plain data in, plain data out, no Django imports.

It is tested without a database; the adapter in `minka.analytics` feeds it and stores results.
"""

from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    PeriodType,
    period_children,
    period_contains,
    period_offset,
    period_parent,
    period_parse,
    period_range,
)

__all__ = [
    "Period",
    "PeriodError",
    "PeriodType",
    "period_children",
    "period_contains",
    "period_offset",
    "period_parent",
    "period_parse",
    "period_range",
]
