"""Horizontal ranked bars: territories or indicators side by side, in the caller's order.

Why horizontal: territory names are long and a ranking is read top to bottom; a row per
item keeps every name readable and the chart grows with the list instead of squeezing it.
The caller sorts (by value, by status, by name) because only it knows what the ranking means.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from minka.portal.charts.scale import LinearScale
from minka.portal.charts.svg import (
    NO_VALUE,
    AttributeValue,
    NumberFormat,
    default_number,
    empty_document,
    link,
    svg_document,
    tag,
    text_tag,
    value_text,
)

__all__ = ["ROW_HEIGHT", "Bar", "bars_svg", "truncate_label"]

ROW_HEIGHT = 22
_BAR_HEIGHT = 14
_LABEL_CHARS = 28
_LABEL_WIDTH = 200  # about 28 characters of 12 px text
_VALUE_WIDTH = 64  # room for the value written past the end of a bar


@dataclass(frozen=True)
class Bar:
    """One row: its label, its value (None when missing), a status class and a link."""

    label: str
    value: float | None
    css_class: str = ""  # e.g. "on_track", "at_risk", "off_track"
    href: str | None = None


def truncate_label(label: str, *, limit: int = _LABEL_CHARS) -> str:
    """The label cut to `limit` characters with "…" when longer (the full one goes in a title)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def bars_svg(
    bars: Sequence[Bar],
    *,
    title: str,
    number: NumberFormat = default_number,
    width: int = 640,
    id_prefix: str | None = None,
) -> str:
    """One row of 22 px per bar: label on the left, bar from the zero line, value at its end.

    A missing value shows "—" and no bar; a negative value draws to the left of the zero line.
    """
    if not bars:
        return empty_document(
            kind="bars", width=width, height=ROW_HEIGHT, title=title, id_prefix=id_prefix
        )
    known = [bar.value for bar in bars if bar.value is not None]
    low, high = min([0.0, *known]), max([0.0, *known])
    if low == high:
        high = 1.0
    label_width = min(_LABEL_WIDTH, width * 0.4)
    plot_left = label_width + (_VALUE_WIDTH if low < 0 else 0)
    plot_right = width - _VALUE_WIDTH
    x = LinearScale(low, high, plot_left, plot_right)
    zero = x(0.0)
    height = ROW_HEIGHT * len(bars)
    rows = [
        _row(bar, index, x, zero=zero, label_x=label_width - 6, number=number)
        for index, bar in enumerate(bars)
    ]
    zero_line = tag("line", {"class": "zero", "x1": zero, "x2": zero, "y1": 0, "y2": height})
    return svg_document(
        kind="bars",
        width=width,
        height=height,
        title=title,
        id_prefix=id_prefix,
        body=[*rows, zero_line],
        interactive=any(bar.href for bar in bars),
    )


def _row(
    bar: Bar, index: int, x: LinearScale, *, zero: float, label_x: float, number: NumberFormat
) -> str:
    """One bar's group: full label and value in its `<title>`, linked when it has an href."""
    top = index * ROW_HEIGHT
    baseline = top + ROW_HEIGHT / 2 + 4  # text baseline that centres 12 px text in the row
    shown = value_text(bar.value, number)
    parts = [
        text_tag("title", None, f"{bar.label}: {shown}"),
        text_tag(
            "text",
            {"class": "label", "x": label_x, "y": baseline, "text-anchor": "end"},
            truncate_label(bar.label),
        ),
    ]
    if bar.value is None:
        parts.append(text_tag("text", {"class": "value", "x": zero + 4, "y": baseline}, NO_VALUE))
    else:
        end = x(bar.value)
        parts.append(
            tag(
                "rect",
                {
                    "class": " ".join(part for part in ("bar", bar.css_class) if part),
                    "x": min(zero, end),
                    "y": top + (ROW_HEIGHT - _BAR_HEIGHT) / 2,
                    "width": abs(end - zero),
                    "height": _BAR_HEIGHT,
                },
            )
        )
        negative = bar.value < 0
        value_place: dict[str, AttributeValue] = {
            "class": "value",
            "x": end - 4 if negative else end + 4,
            "y": baseline,
            "text-anchor": "end" if negative else "start",
        }
        parts.append(text_tag("text", value_place, shown))
    row_class = " ".join(part for part in ("row", bar.css_class) if part)
    return tag("g", {"class": row_class}, link(bar.href, "".join(parts)))
