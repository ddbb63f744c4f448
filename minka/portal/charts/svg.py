"""Shared SVG building blocks: escaping, coordinates, elements, the document shell.

Why one module: every chart goes through the same few functions, so escaping, number
formatting of coordinates and accessibility (title, description, `aria-labelledby`) are done
once and cannot be forgotten by one chart type.

Invariants:
- every piece of text and every attribute value is escaped with `html.escape` (after
  dropping the control characters XML 1.0 forbids, so the markup always parses as XML);
- coordinates are written with at most one decimal, without a trailing `.0`;
- a document's ids derive from a hash of everything it shows unless the caller passes an
  `id_prefix`, so two different charts on one page do not share ids.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = [
    "NO_VALUE",
    "XY",
    "AttributeValue",
    "NumberFormat",
    "coord",
    "default_number",
    "empty_document",
    "escape",
    "line_runs",
    "link",
    "path_data",
    "svg_document",
    "tag",
    "text_tag",
    "value_text",
]

SVG_NAMESPACE = "http://www.w3.org/2000/svg"

# Shown where there is no value. Missing is not zero: a chart never draws it as 0.
NO_VALUE = "—"

NumberFormat = Callable[[float], str]
"""Formats a value for display; the caller localises it (e.g. `26,7` in Spanish)."""

AttributeValue = str | int | float | None
"""An attribute value: text is escaped, numbers are coordinates, None leaves it out."""

XY = tuple[float, float]

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def default_number(value: float) -> str:
    """The default number format: shortest representation (`26.7`, `20`, `1e+06`)."""
    return f"{value:g}"


def value_text(value: float | None, number: NumberFormat) -> str:
    """A value as the caller formats it, or the no-value mark: missing is never shown as 0."""
    return NO_VALUE if value is None else number(value)


def escape(text: str) -> str:
    """Text escaped for an XML element or a quoted attribute.

    Control characters that XML 1.0 forbids are dropped first: one stray byte in a
    territory's name must not make the whole page's SVG unparsable.
    """
    return html.escape(_XML_FORBIDDEN.sub("", text), quote=True)


def coord(value: float) -> str:
    """A coordinate rounded to one decimal: `12.3`, `40` (not `40.0`), `0` (not `-0`)."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def tag(
    name: str, attributes: Mapping[str, AttributeValue] | None = None, content: str = ""
) -> str:
    """One element; `content` is markup (already escaped), empty content self-closes."""
    parts = [name]
    for key, value in (attributes or {}).items():
        if value is None:
            continue
        shown = coord(value) if isinstance(value, float) else str(value)
        parts.append(f'{key}="{escape(shown)}"')
    opening = " ".join(parts)
    return f"<{opening}>{content}</{name}>" if content else f"<{opening}/>"


def text_tag(name: str, attributes: Mapping[str, AttributeValue] | None, text: str) -> str:
    """One element holding plain text, escaped (`<title>`, `<text>`, `<desc>`)."""
    return tag(name, attributes, escape(text))


def link(href: str | None, content: str) -> str:
    """`content` wrapped in `<a href>` when there is a link (keyboard focusable), else as is.

    Only relative addresses and http(s) links are kept: escaping does not stop a
    `javascript:` address, and a chart's links come from data a user may have typed.
    """
    return tag("a", {"href": href}, content) if href and _safe_href(href) else content


_URL_IGNORED = re.compile("[\x00-\x20\x7f]")  # browsers drop these before reading a scheme
_SCHEME = re.compile("^([a-z][a-z0-9+.-]*):")


def _safe_href(href: str) -> bool:
    scheme = _SCHEME.match(_URL_IGNORED.sub("", href).lower())
    return scheme is None or scheme.group(1) in {"http", "https"}


def line_runs(points: Sequence[XY | None]) -> list[list[XY]]:
    """Consecutive points split at the gaps (None): a missing value breaks the line."""
    runs: list[list[XY]] = []
    current: list[XY] = []
    for point in points:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point)
    if current:
        runs.append(current)
    return runs


def path_data(runs: Iterable[Sequence[XY]]) -> str:
    """Path data with one subpath (`M … L …`) per run, so a gap is a new `M` move."""
    subpaths = []
    for run in runs:
        first, *rest = run
        subpath = f"M{coord(first[0])} {coord(first[1])}"
        if rest:
            subpath += "L" + " ".join(f"{coord(x)} {coord(y)}" for x, y in rest)
        subpaths.append(subpath)
    return "".join(subpaths)


def _id_prefix(kind: str, title: str, description: str | None, body: str) -> str:
    """Ids from everything the chart shows: only identical charts share them."""
    text = f"{kind}\0{title}\0{description or ''}\0{body}"
    return f"chart-{hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:10]}"


def svg_document(
    *,
    kind: str,
    width: float,
    height: float,
    title: str,
    body: Iterable[str],
    description: str | None = None,
    id_prefix: str | None = None,
    interactive: bool = False,
) -> str:
    """The `<svg>` element around a chart's body, with its accessible name and description.

    A chart is `role="img"`: one picture with a name. A chart holding links is a
    `role="group"` instead, because assistive technology does not look inside an image and
    its links would be lost.
    """
    markup = "".join(body)
    prefix = id_prefix or _id_prefix(kind, title, description, markup)
    title_id = f"{prefix}-title"
    desc_id = f"{prefix}-desc"
    labelled_by = f"{title_id} {desc_id}" if description else title_id
    heading = text_tag("title", {"id": title_id}, title)
    if description:
        heading += text_tag("desc", {"id": desc_id}, description)
    attributes: dict[str, AttributeValue] = {
        "xmlns": SVG_NAMESPACE,
        "class": f"chart chart-{kind}",
        "viewBox": f"0 0 {coord(width)} {coord(height)}",
        "width": coord(width),
        "height": coord(height),
        "role": "group" if interactive else "img",
        "aria-labelledby": labelled_by,
    }
    return tag("svg", attributes, heading + markup)


def empty_document(
    *,
    kind: str,
    width: float,
    height: float,
    title: str,
    description: str | None = None,
    id_prefix: str | None = None,
) -> str:
    """A chart with nothing to draw: its title and the no-value mark, never an empty axis."""
    mark = text_tag(
        "text",
        {"class": "no-value", "x": width / 2, "y": height / 2 + 4, "text-anchor": "middle"},
        NO_VALUE,
    )
    return svg_document(
        kind=kind,
        width=width,
        height=height,
        title=title,
        description=description,
        id_prefix=id_prefix,
        body=[mark],
    )
