"""Charts and maps as inline SVG strings, drawn on the server with no JavaScript or CDN.

Why: the dashboards and the public data center must work offline, print to PDF and read
well with a screen reader, so every chart is plain SVG markup with a title, a description
and escaped text. Numbers are formatted by a `number` callable the caller passes, because
only the caller knows the reader's language (`26,7` in Spanish).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2). Styles are in
`minka/portal/static/portal/charts.css`.
"""

from minka.portal.charts.bars import Bar, bars_svg
from minka.portal.charts.lines import ChartLabels, Point, curve_svg, sparkline_svg
from minka.portal.charts.maps import Area, Choropleth, choropleth_svg
from minka.portal.charts.scale import LegendClass, nice_ticks
from minka.portal.charts.svg import NO_VALUE, NumberFormat, default_number

__all__ = [
    "NO_VALUE",
    "Area",
    "Bar",
    "ChartLabels",
    "Choropleth",
    "LegendClass",
    "NumberFormat",
    "Point",
    "bars_svg",
    "choropleth_svg",
    "curve_svg",
    "default_number",
    "nice_ticks",
    "sparkline_svg",
]
