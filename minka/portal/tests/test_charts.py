"""Tests of the pure SVG charts (no database, no Django): values worked out by hand."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minka.portal.charts import (
    NO_VALUE,
    Area,
    Bar,
    ChartLabels,
    LegendClass,
    Point,
    bars_svg,
    choropleth_svg,
    curve_svg,
    nice_ticks,
    sparkline_svg,
)
from minka.portal.charts.scale import ValueClasses, thinned_indices, value_extent

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The SVG as XML: every chart must parse, or a browser's HTML parser may mangle it."""
    return ET.fromstring(markup)


def find_all(root: ET.Element, name: str) -> list[ET.Element]:
    return list(root.iter(f"{SVG}{name}"))


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in find_all(root, "text")]


def square(west: float, south: float, side: float = 1.0) -> dict[str, object]:
    """A GeoJSON square, counter-clockwise, closed as GeoJSON closes rings."""
    east, north = west + side, south + side
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def spanish(value: float) -> str:
    return f"{value:g}".replace(".", ",")


# --- scales ---------------------------------------------------------------------------------


def test_nice_ticks_for_a_maximum_of_37_are_tens_from_zero() -> None:
    assert nice_ticks(0, 37) == [0, 10, 20, 30, 40]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0, 101, [0, 25, 50, 75, 100, 125]),
        (0, 0.3, [0, 0.1, 0.2, 0.3]),  # no 0.30000000000000004
        (-3, 7, [-5, -2.5, 0, 2.5, 5, 7.5]),
        (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]),  # all zero still gets an axis
    ],
)
def test_nice_ticks_use_1_2_2_5_5_steps(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == expected


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.floats(min_value=1e-6, max_value=1e9, allow_nan=False),
)
def test_nice_ticks_are_four_to_six_and_cover_the_range(low: float, spread: float) -> None:
    assume(spread > abs(low) * 1e-9)  # data, not float noise
    high = low + spread
    ticks = nice_ticks(low, high)
    assert 4 <= len(ticks) <= 6
    step = ticks[1] - ticks[0]
    assert ticks[0] <= low + step * 1e-6 and ticks[-1] >= high - step * 1e-6
    assert all(math.isclose(b - a, step, rel_tol=1e-6) for a, b in itertools.pairwise(ticks))


def test_value_extent_starts_at_zero_unless_a_value_is_negative() -> None:
    assert value_extent([12, 30]) == (0, 30)
    assert value_extent([-4, 30]) == (-4, 30)


def test_thinned_labels_are_at_most_twelve_and_keep_the_latest() -> None:
    shown = thinned_indices(60)
    assert len(shown) <= 12 and shown[-1] == 59
    assert thinned_indices(5) == [0, 1, 2, 3, 4]


def test_quantile_classes_keep_ties_together_and_use_fewer_classes() -> None:
    classes = ValueClasses.quantiles([1, 1, 1, 1, 2], classes=5, higher_is_better=True)
    assert classes.count == 2
    # two classes take the two ends of the palette: best darkest, worst lightest
    assert (classes.css_class(2), classes.css_class(1)) == ("q1", "q5")
    assert ValueClasses.quantiles([7, 7], classes=5, higher_is_better=True).css_class(7) == "q1"


def test_quantile_classes_of_116_values_are_about_equal() -> None:
    classes = ValueClasses.quantiles(list(range(116)), classes=5, higher_is_better=False)
    sizes = [sum(classes.css_class(v) == f"q{i}" for v in range(116)) for i in range(1, 6)]
    assert sizes == [24, 23, 23, 23, 23]


# --- sparkline ------------------------------------------------------------------------------


def test_sparkline_gap_starts_a_new_subpath_and_forecast_is_dashed() -> None:
    root = parse(sparkline_svg([1, 2, None, 4, 5], forecast=[6, 7], title="Anaemia"))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Anaemia"  # type: ignore[union-attr]
    paths = {path.get("class"): path.get("d") or "" for path in find_all(root, "path")}
    # 7 periods over x = 3…117 (19 px apart); values 1…7 over y = 29…3
    assert paths["line"] == "M3 29L22 24.7M60 16L79 11.7"
    assert paths["forecast"] == "M79 11.7L98 7.3 117 3"  # from the last value on
    (last,) = [c for c in find_all(root, "circle") if c.get("class") == "last"]
    assert (last.get("cx"), last.get("cy")) == ("79", "11.7")


def test_sparkline_of_a_lone_value_between_gaps_shows_a_dot() -> None:
    root = parse(sparkline_svg([None, 3, None, 5, 6], title="t"))
    classes = [circle.get("class") for circle in find_all(root, "circle")]
    assert classes == ["point", "last"]


@pytest.mark.parametrize("values", [[], [None, None]])
def test_sparkline_without_values_shows_only_title_and_dash(values: list[float | None]) -> None:
    root = parse(sparkline_svg(values, forecast=[3.0], title="No data yet"))
    assert texts(root) == [NO_VALUE]
    assert not find_all(root, "path") and not find_all(root, "circle")
    assert root.find(f"{SVG}title").text == "No data yet"  # type: ignore[union-attr]


# --- turn the curve -------------------------------------------------------------------------


def anaemia_curve(**overrides: object) -> ET.Element:
    arguments: dict[str, object] = {
        "history": [
            Point("2020", 30.0),
            Point("2021", None),
            Point("2022", 26.7),
            Point("2023", 25.0),
        ],
        "forecast": [Point("2024", 23.5), Point("2025", 22.0), Point("2026", 20.5)],
        "target": Point("2026", 20.0),
        "baseline": 31.0,
        "title": "Anaemia in children 6-35 months",
        "description": "Percentage, Cusco, 2020-2026",
        "number": spanish,
        "labels": ChartLabels(target="Meta", baseline="Línea de base", forecast="Proyección"),
    }
    arguments.update(overrides)
    return parse(curve_svg(**arguments))  # type: ignore[arg-type]


def test_curve_is_an_image_labelled_by_its_title_and_description() -> None:
    root = anaemia_curve()
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    assert root.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
    description = root.find(f"{SVG}desc")
    assert description is not None and description.get("id") == desc_id
    assert description.text == "Percentage, Cusco, 2020-2026"
    other = anaemia_curve(title="Stunting")
    assert other.get("aria-labelledby") != root.get("aria-labelledby")
    chosen = anaemia_curve(id_prefix="cusco-anaemia")
    assert chosen.get("aria-labelledby") == "cusco-anaemia-title cusco-anaemia-desc"


def test_curve_draws_history_forecast_target_and_baseline() -> None:
    root = anaemia_curve()
    shown = texts(root)
    assert "Meta 2026: 20" in shown
    assert "Línea de base: 31" in shown
    assert "Proyección" in shown
    # y ticks cover the baseline (31) from 0 in steps of 10; numbers come from the caller
    assert shown[:4] == ["0", "10", "20", "30"] and "40" in shown
    paths = {path.get("class"): path.get("d") or "" for path in find_all(root, "path")}
    assert paths["line"].count("M") == 2  # 2021 is missing: the line breaks, not a 0
    last_history = paths["line"].split("M")[-1].split("L")[-1]
    assert paths["forecast"].startswith(f"M{last_history}L")  # dashed from the last point
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "2022: 26,7" in titles and "2025 (Proyección): 22" in titles
    assert "2021: 0" not in " ".join(t or "" for t in titles)
    classes = {element.get("class") for element in root.iter()}
    assert {"target", "baseline", "forecast-zone", "target-point"} <= classes


def test_curve_words_default_to_english() -> None:
    shown = texts(anaemia_curve(labels=ChartLabels(), number=str))
    assert {"Target 2026: 20.0", "Baseline: 31.0", "Forecast"} <= set(shown)


def test_curve_x_labels_are_thinned_to_twelve_at_most() -> None:
    history = [Point(f"{2015 + i // 12}{i % 12 + 1:02d}", 50 + i % 7) for i in range(96)]
    root = anaemia_curve(history=history, forecast=[], target=None, baseline=None)
    (x_axis,) = [g for g in find_all(root, "g") if g.get("class") == "axis x-axis"]
    labels = [t.text for t in x_axis]
    assert 1 <= len(labels) <= 12 and labels[-1] == "202212"


def test_curve_with_negative_values_does_not_start_at_zero() -> None:
    history = [Point("2022", -12.0), Point("2023", 8.0)]
    root = anaemia_curve(history=history, forecast=[], target=None, baseline=None)
    assert texts(root)[:6] == ["-15", "-10", "-5", "0", "5", "10"]


def test_curve_without_values_shows_a_dash() -> None:
    root = anaemia_curve(history=[Point("2023", None)], forecast=[])
    assert texts(root) == [NO_VALUE]


# --- bars -----------------------------------------------------------------------------------


def test_bars_rows_labels_links_missing_and_negative_values() -> None:
    long_name = "Santiago de Chuco, La Libertad, Peru"
    bars = [
        Bar(long_name, 40.0, "on_track", "/territories/130901/"),
        Bar("Wanchaq", None, "at_risk"),
        Bar("Ccatca", -10.0, "off_track"),
    ]
    root = parse(bars_svg(bars, title="Coverage", number=spanish, width=640))
    assert root.get("height") == "66"  # one row of 22 px per bar
    assert root.get("role") == "group"  # it holds links: not a flat image
    (link,) = find_all(root, "a")
    assert link.get("href") == "/territories/130901/"
    assert link.find(f"{SVG}title").text == f"{long_name}: 40"  # type: ignore[union-attr]
    shown = texts(root)
    assert "Santiago de Chuco, La Liber…" in shown  # 28 characters with the ellipsis
    assert NO_VALUE in shown and "-10" in shown
    rects = {rect.get("class"): rect for rect in find_all(root, "rect")}
    assert set(rects) == {"bar on_track", "bar off_track"}  # no bar for the missing value
    (zero,) = [line for line in find_all(root, "line") if line.get("class") == "zero"]
    zero_x = float(zero.get("x1") or "nan")
    positive, negative = rects["bar on_track"], rects["bar off_track"]
    assert float(positive.get("x") or "nan") == zero_x
    right_end = float(negative.get("x") or "nan") + float(negative.get("width") or "nan")
    assert math.isclose(right_end, zero_x, abs_tol=0.1)  # negative bars end at the zero line
    # -10…40 over 264…576 px (labels, then room for the negative value): 6.24 px per unit
    assert zero_x == 326.4
    assert (positive.get("width"), negative.get("width")) == ("249.6", "62.4")


def test_bars_without_links_are_an_image() -> None:
    root = parse(bars_svg([Bar("Cusco", 3.0)], title="t"))
    assert root.get("role") == "img" and not find_all(root, "a")


# --- maps -----------------------------------------------------------------------------------


def test_unit_square_at_the_equator_projects_to_a_known_viewbox_and_path() -> None:
    area = Area("080101", "Cusco", square(0, -0.5), 12.0)
    map_ = choropleth_svg([area], higher_is_better=True, title="t", width=104)
    root = parse(map_.svg)
    # 2 px padding, 100 px per degree, y flipped: (0,-0.5) is the bottom left
    assert root.get("viewBox") == "0 0 104 104"
    (path,) = find_all(root, "path")
    assert path.get("d") == "M2 102l100 0 0-100-100 0z"


def test_projection_scales_longitude_by_the_cosine_of_the_middle_latitude() -> None:
    # at 60°S a degree of longitude is half a degree of latitude: 1° × 1° is 50 × 100 px
    area = Area("k", "k", square(10, -60.5), 1.0)
    root = parse(choropleth_svg([area], higher_is_better=True, title="t", width=54).svg)
    assert root.get("viewBox") == "0 0 54 104"


@pytest.mark.parametrize(
    ("higher_is_better", "best", "worst"), [(False, "10", "50"), (True, "50", "10")]
)
def test_quantile_classes_name_the_best_q1(higher_is_better: bool, best: str, worst: str) -> None:
    areas = [
        Area(str(v), f"D{v}", square(i, 0), float(v)) for i, v in enumerate([30, 10, 50, 20, 40])
    ]
    map_ = choropleth_svg(areas, higher_is_better=higher_is_better, title="t")
    classes = {p.get("data-key"): p.get("class") for p in find_all(parse(map_.svg), "path")}
    assert classes[best] == "area q1" and classes[worst] == "area q5"
    assert classes["30"] == "area q3"
    expected_order = (
        [50.0, 40.0, 30.0, 20.0, 10.0] if higher_is_better else [10.0, 20.0, 30.0, 40.0, 50.0]
    )
    assert map_.legend == [LegendClass(f"q{i + 1}", v, v) for i, v in enumerate(expected_order)]


def test_area_without_value_is_no_data_and_without_geometry_is_missing() -> None:
    areas = [
        Area("a", "Anta", square(0, 0), 10.0, href="/t/a/"),
        Area("b", "Calca", square(1, 0), None),
        Area("c", "Paruro", None, 20.0),
        Area("d", "Quispicanchi", {"type": "Polygon", "coordinates": []}, 30.0),
        Area("e", "Urubamba", {"type": "Point", "coordinates": [0, 0]}, 40.0),
        Area("f", "Acomayo", {"type": "Polygon", "coordinates": [[["x", 1], [2, 3]]]}, 50.0),
    ]
    map_ = choropleth_svg(areas, higher_is_better=True, title="t", number=spanish)
    assert map_.missing_geometry == ["c", "d", "e", "f"]
    root = parse(map_.svg)
    paths = {p.get("data-key"): p for p in find_all(root, "path")}
    assert set(paths) == {"a", "b"}
    assert paths["b"].get("class") == "area no-data"
    assert paths["b"].find(f"{SVG}title").text == f"Calca: {NO_VALUE}"  # type: ignore[union-attr]
    assert paths["a"].find(f"{SVG}title").text == "Anta: 10"  # type: ignore[union-attr]
    assert [link.get("href") for link in find_all(root, "a")] == ["/t/a/"]
    assert map_.legend[-1] == LegendClass("no-data", None, None)
    # classes count every value, drawn or not: 10 is the lowest of five, so the worst
    assert paths["a"].get("class") == "area q5"


def test_map_with_no_drawable_area_shows_a_dash() -> None:
    map_ = choropleth_svg([Area("a", "Anta", None, 1.0)], higher_is_better=True, title="t")
    assert map_.missing_geometry == ["a"]
    assert texts(parse(map_.svg)) == [NO_VALUE]


def test_holes_and_multipolygons_are_subpaths() -> None:
    outer = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [1, 3], [3, 3], [3, 1], [1, 1]]
    island = [[6, 0], [7, 0], [7, 1], [6, 1], [6, 0]]
    geometry = {"type": "MultiPolygon", "coordinates": [[outer, hole], [island]]}
    root = parse(
        choropleth_svg([Area("k", "k", geometry, 1.0)], higher_is_better=True, title="t").svg
    )
    (path,) = find_all(root, "path")
    assert (path.get("d") or "").count("M") == 3 and (path.get("d") or "").count("z") == 3


def wiggly_polygon(lon: float, lat: float, radius: float, points: int) -> dict[str, object]:
    """A closed outline with bumps at several scales, like a surveyed district boundary."""
    ring = []
    for i in range(points):
        angle = 2 * math.pi * i / points
        r = radius * (
            1
            + 0.08 * math.sin(7 * angle)
            + 0.03 * math.sin(53 * angle)
            + 0.01 * math.sin(311 * angle)
        )
        ring.append([lon + r * math.cos(angle), lat + r * math.sin(angle)])
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_a_116_district_map_of_thousands_of_points_each_stays_under_150_kb() -> None:
    areas = [
        Area(
            f"08{k:04d}",
            f"District {k}",
            wiggly_polygon(-72 + 0.2 * (k % 12), -13 - 0.2 * (k // 12), 0.1, 3000),
            float(k),
            f"/t/{k}/",
        )
        for k in range(116)
    ]
    map_ = choropleth_svg(areas, higher_is_better=True, title="Cusco")
    size = len(map_.svg.encode())
    assert size < 150_000, size
    assert len(find_all(parse(map_.svg), "path")) == 116


def path_points(d: str) -> int:
    """How many points a path's data holds (two numbers a point)."""
    return len(re.findall(r"-?[0-9]*\.?[0-9]+", d)) // 2


def test_simplification_drops_sub_pixel_detail() -> None:
    ring = [
        [math.cos(2 * math.pi * i / 5000), math.sin(2 * math.pi * i / 5000)] for i in range(5000)
    ]
    circle = {"type": "Polygon", "coordinates": [ring]}
    root = parse(
        choropleth_svg([Area("k", "k", circle, 1.0)], higher_is_better=True, title="t").svg
    )
    (path,) = find_all(root, "path")
    # a 318 px radius circle needs ~80 points to bend less than half a pixel between them
    assert 40 <= path_points(path.get("d") or "") <= 120


def test_small_rings_keep_four_points_and_tinier_ones_a_speck() -> None:
    # the big square makes 10 px a degree; 0.05° is half a pixel, under the 0.75 px step
    areas = [
        Area("big", "b", square(0, -5, side=10), 1.0),
        Area("small", "s", square(0, 0, side=0.05), 2.0),
        Area("tiny", "t", square(5, 0, side=1e-6), 3.0),
    ]
    root = parse(choropleth_svg(areas, higher_is_better=True, title="t", width=104).svg)
    paths = {p.get("data-key"): p.get("d") for p in find_all(root, "path")}
    assert paths["small"] == "M2 52l.5 0 0-.5-.5 0z"
    assert paths["tiny"] == "M52 51.5l.5 .5-.5 .5-.5-.5z"  # a 1 px diamond, still seen


# --- escaping and XML -----------------------------------------------------------------------


def test_text_is_escaped_everywhere() -> None:
    evil = '<script>alert("x")</script> & Co'
    markups = [
        sparkline_svg([1.0, 2.0], title=evil),
        curve_svg(
            history=[Point(evil, 1.0)],
            target=Point(evil, 2.0),
            title=evil,
            description=evil,
            labels=ChartLabels(target=evil, baseline=evil, forecast=evil),
            baseline=0.5,
        ),
        bars_svg([Bar(evil, 1.0, css_class='x" onclick="y', href='/a?b="c"&d')], title=evil),
        choropleth_svg(
            [Area(evil, evil, square(0, 0), 1.0, href=evil)], higher_is_better=True, title=evil
        ).svg,
    ]
    for markup in markups:
        assert "<script" not in markup and 'onclick="' not in markup
        root = parse(markup)
        assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]


@pytest.mark.parametrize("href", ["javascript:alert(1)", " JaVa\tScript:alert(1)", "data:x"])
def test_links_other_than_web_addresses_are_dropped(href: str) -> None:
    root = parse(bars_svg([Bar("Cusco", 1.0, href=href)], title="t"))
    assert not find_all(root, "a")
    kept = parse(bars_svg([Bar("Cusco", 1.0, href="https://example.org/x")], title="t"))
    assert [a.get("href") for a in find_all(kept, "a")] == ["https://example.org/x"]


def test_control_characters_are_dropped_so_the_svg_still_parses() -> None:
    root = parse(sparkline_svg([1.0], title="Cusco\x00\x1b"))
    assert root.find(f"{SVG}title").text == "Cusco"  # type: ignore[union-attr]
