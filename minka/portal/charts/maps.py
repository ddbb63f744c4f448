"""Choropleth maps of territories from their GeoJSON boundaries, as inline SVG.

Why this projection: a region or a country is small enough that an equirectangular
projection with x scaled by the cosine of the middle latitude keeps shapes recognisable,
and it needs no projection library. Why the simplification: boundaries come at survey
precision (thousands of points per district) but a 640 px map cannot show detail under a
pixel, and a 116-district map must stay well under 150 KB to be sent inline on every page
view. So points closer than 0.75 px to the last kept one are dropped, then points that
bend the outline by less than half a pixel (Douglas–Peucker); every ring keeps at least
four points, so even the smallest district stays visible.

Invariants:
- an area whose geometry is None, empty, malformed or not a Polygon/MultiPolygon is not
  drawn and its key is listed in `missing_geometry`, so the page can say so;
- classes are quantiles of every area that has a value, and `q1` is the best class
  (highest values when higher is better, lowest otherwise); a drawn area without a value
  is `no-data`, never the lowest class.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from minka.portal.charts.scale import NO_DATA, LegendClass, ValueClasses
from minka.portal.charts.svg import (
    NumberFormat,
    default_number,
    empty_document,
    link,
    svg_document,
    tag,
    text_tag,
    value_text,
)

__all__ = [
    "MAX_DEVIATION_PX",
    "MIN_SEGMENT_PX",
    "Area",
    "Choropleth",
    "LegendClass",
    "Projection",
    "choropleth_svg",
    "geometry_polygons",
    "ring_path",
]

MIN_SEGMENT_PX = 0.75
MAX_DEVIATION_PX = 0.5
_MIN_RING_POINTS = 4
_PAD = 2.0  # keeps the outermost outlines' strokes inside the picture

LonLat = tuple[float, float]
Ring = list[LonLat]  # open: the closing point of a GeoJSON ring is left out
Polygon = list[Ring]  # exterior ring first, then holes


@dataclass(frozen=True)
class Area:
    """One territory on the map: its code, name, boundary, value and optional link."""

    key: str  # territory code
    label: str
    geometry: dict[str, Any] | None  # GeoJSON Polygon or MultiPolygon in (lon, lat), or None
    value: float | None
    href: str | None = None


@dataclass(frozen=True)
class Choropleth:
    """The map's SVG, its legend (best class first, then `no-data`) and the undrawable areas."""

    svg: str
    legend: list[LegendClass]
    missing_geometry: list[str]


def _position(raw: Any) -> LonLat:
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise ValueError("a position is [lon, lat]")
    lon, lat = raw[0], raw[1]
    if isinstance(lon, bool) or isinstance(lat, bool) or not isinstance(lon, int | float):
        raise ValueError("a coordinate is a number")
    if not isinstance(lat, int | float) or not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("a coordinate is a finite number")
    return float(lon), float(lat)


def _ring(raw: Any) -> Ring:
    if not isinstance(raw, list | tuple):
        raise ValueError("a ring is a list of positions")
    ring = [_position(position) for position in raw]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


def geometry_polygons(geometry: object) -> list[Polygon] | None:
    """The polygons of a GeoJSON Polygon or MultiPolygon, or None when nothing can be drawn.

    Rings with fewer than three distinct points are left out, and so is a polygon whose
    exterior ring is; a geometry left with no polygon is unusable.
    """
    if not isinstance(geometry, dict):
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        raw_polygons = [coordinates]
    elif kind == "MultiPolygon" and isinstance(coordinates, list | tuple):
        raw_polygons = list(coordinates)
    else:
        return None
    polygons: list[Polygon] = []
    try:
        for raw_polygon in raw_polygons:
            if not isinstance(raw_polygon, list | tuple) or not raw_polygon:
                continue
            rings = [_ring(raw_ring) for raw_ring in raw_polygon]
            if len(set(rings[0])) < 3:
                continue
            polygons.append([rings[0], *(ring for ring in rings[1:] if len(set(ring)) >= 3)])
    except ValueError:
        return None
    return polygons or None


@dataclass(frozen=True)
class Projection:
    """Equirectangular, x scaled by cos(middle latitude), fitted to a width, y pointing down.

    The middle latitude is the centre of the bounding box's latitudes, so the projection
    does not depend on how densely one part of a boundary was surveyed.
    """

    west: float
    north: float
    x_factor: float  # cos(middle latitude) × pixels per degree
    y_factor: float  # pixels per degree
    width: float
    height: float

    @classmethod
    def fit(cls, polygons: Sequence[Polygon], *, width: float) -> Projection:
        points = [point for polygon in polygons for ring in polygon for point in ring]
        west, east = min(p[0] for p in points), max(p[0] for p in points)
        south, north = min(p[1] for p in points), max(p[1] for p in points)
        cosine = math.cos(math.radians((south + north) / 2))
        span_x, span_y = (east - west) * cosine, north - south
        inner = width - 2 * _PAD
        pixels_per_unit = inner / span_x if span_x > 0 else (inner / span_y if span_y > 0 else 1.0)
        height = round(span_y * pixels_per_unit + 2 * _PAD, 1)
        return cls(
            west=west,
            north=north,
            x_factor=cosine * pixels_per_unit,
            y_factor=pixels_per_unit,
            width=width,
            height=height,
        )

    def __call__(self, point: LonLat) -> tuple[float, float]:
        lon, lat = point
        return _PAD + (lon - self.west) * self.x_factor, _PAD + (self.north - lat) * self.y_factor


def _distance_from_segment(
    point: tuple[float, float], start: tuple[float, float], end: tuple[float, float]
) -> float:
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    length_squared = dx * dx + dy * dy
    if length_squared == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length_squared))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _douglas_peucker(points: Sequence[tuple[float, float]], tolerance: float) -> list[int]:
    """Indices kept by Douglas–Peucker on an open polyline (both ends always kept)."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = first, -1.0
        for index in range(first + 1, last):
            here = _distance_from_segment(points[index], points[first], points[last])
            if here > distance:
                farthest, distance = index, here
        if distance > tolerance:
            keep.add(farthest)
            stack.extend(((first, farthest), (farthest, last)))
    return sorted(keep)


def _simplify(ring: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """A projected ring without sub-pixel detail, keeping at least four points (see module)."""
    kept = [ring[0]]
    for point in ring[1:]:
        last = kept[-1]
        if math.hypot(point[0] - last[0], point[1] - last[1]) >= MIN_SEGMENT_PX:
            kept.append(point)
    if len(kept) > _MIN_RING_POINTS:
        # A closed ring: split it at the point farthest from the first, simplify both halves.
        far = max(range(len(kept)), key=lambda i: math.dist(kept[0], kept[i]))
        loop = [*kept, kept[0]]
        first_half = _douglas_peucker(loop[: far + 1], MAX_DEVIATION_PX)
        second_half = _douglas_peucker(loop[far:], MAX_DEVIATION_PX)
        indices = first_half + [far + i for i in second_half[1:-1]]
        kept = [kept[i] for i in indices]
    minimum = min(_MIN_RING_POINTS, len(ring))
    if len(kept) < minimum:
        kept = [ring[i * len(ring) // minimum] for i in range(minimum)]
    return kept


def _tenths(value: int) -> str:
    """An integer number of tenths as a short decimal: 1234 → "123.4", -7 → "-.7", 20 → "2"."""
    sign = "-" if value < 0 else ""
    whole, tenth = divmod(abs(value), 10)
    if not tenth:
        return f"{sign}{whole}"
    return f"{sign}{whole or ''}.{tenth}"


def _number_list(values: Sequence[int]) -> str:
    """Tenths written as SVG path numbers; a minus sign is the separator where there is one."""
    texts = [_tenths(value) for value in values]
    return "".join(
        text if index == 0 or text.startswith("-") else " " + text
        for index, text in enumerate(texts)
    )


def ring_path(ring: Sequence[tuple[float, float]]) -> str:
    """Path data of one projected ring: absolute start, relative steps, closed with `z`.

    Points are rounded to tenths of a pixel first and the steps are differences of the
    rounded points, so rounding errors never accumulate along the outline. A ring that
    rounds to fewer than three points is drawn as a 1 px diamond. Numbers are
    written the way SVG minifiers write them (`l.5-1.2 3 0`): on a map of a hundred
    districts the path data is almost all of the markup.
    """
    points: list[tuple[int, int]] = []
    for x, y in _simplify(ring):
        point = (round(x * 10), round(y * 10))
        if not points or point != points[-1]:
            points.append(point)
    if len(points) > 1 and points[-1] == points[0]:
        points.pop()
    if len(points) < 3:
        # Smaller than the rounding: a 1 px diamond, so the territory is still seen.
        x, y = points[0]
        points = [(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)]
    steps = [
        delta for (ax, ay), (bx, by) in itertools.pairwise(points) for delta in (bx - ax, by - ay)
    ]
    moves = f"l{_number_list(steps)}" if steps else ""
    return f"M{_number_list(points[0])}{moves}z"


def choropleth_svg(
    areas: Sequence[Area],
    *,
    higher_is_better: bool,
    title: str,
    number: NumberFormat = default_number,
    width: int = 640,
    classes: int = 5,
    id_prefix: str | None = None,
) -> Choropleth:
    """The areas coloured by quantile class (`q1` best … `q5`), each with its name and value.

    Areas without a usable geometry are listed in `missing_geometry` and left out of the
    picture; they still count for the class breaks, so a territory's class does not depend
    on whether its neighbours' boundaries were loaded.
    """
    valued = [area.value for area in areas if area.value is not None]
    value_classes = ValueClasses.quantiles(
        valued, classes=classes, higher_is_better=higher_is_better
    )
    drawable: list[tuple[Area, list[Polygon]]] = []
    missing: list[str] = []
    for area in areas:
        polygons = geometry_polygons(area.geometry)
        if polygons is None:
            missing.append(area.key)
        else:
            drawable.append((area, polygons))
    legend = value_classes.legend(valued) if valued else []
    if any(area.value is None for area, _ in drawable):
        legend.append(LegendClass(NO_DATA, None, None))
    if not drawable:
        svg = empty_document(
            kind="map", width=width, height=width / 4, title=title, id_prefix=id_prefix
        )
        return Choropleth(svg=svg, legend=legend, missing_geometry=missing)
    projection = Projection.fit([p for _, polygons in drawable for p in polygons], width=width)
    shapes = []
    for area, polygons in drawable:
        path = "".join(
            ring_path([projection(point) for point in ring])
            for polygon in polygons
            for ring in polygon
        )
        shape = tag(
            "path",
            {
                "class": f"area {value_classes.css_class(area.value)}",
                "data-key": area.key,
                "d": path,
            },
            text_tag("title", None, f"{area.label}: {value_text(area.value, number)}"),
        )
        shapes.append(link(area.href, shape))
    svg = svg_document(
        kind="map",
        width=width,
        height=projection.height,
        title=title,
        id_prefix=id_prefix,
        # even-odd so a hole drawn in either direction stays a hole, with or without the CSS
        body=[tag("g", {"class": "areas", "fill-rule": "evenodd"}, "".join(shapes))],
        interactive=any(area.href for area, _ in drawable),
    )
    return Choropleth(svg=svg, legend=legend, missing_geometry=missing)
