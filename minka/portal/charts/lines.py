"""Line charts: the sparkline of a scorecard row and the "turn the curve" chart.

Why "turn the curve": results-based accountability reads an indicator as its history, the
forecast if nothing changes (the current pace), and the target; the work is to bend the
forecast towards the target. So the chart draws exactly these three, plus the baseline the
agreement started from, and never draws a missing value as 0: a gap breaks the line.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from minka.portal.charts.scale import LinearScale, nice_ticks, thinned_indices, value_extent
from minka.portal.charts.svg import (
    XY,
    AttributeValue,
    NumberFormat,
    default_number,
    empty_document,
    line_runs,
    path_data,
    svg_document,
    tag,
    text_tag,
)

__all__ = ["ChartLabels", "Point", "curve_svg", "sparkline_svg"]


@dataclass(frozen=True)
class Point:
    """One period of a series: its axis label (`2023`) and its value, None when missing."""

    label: str
    value: float | None


@dataclass(frozen=True)
class ChartLabels:
    """The few words a curve chart draws; the caller passes translated ones."""

    target: str = "Target"
    baseline: str = "Baseline"
    forecast: str = "Forecast"


def _positions(
    values: Sequence[float | None], x: Callable[[int], float], y: LinearScale, *, start: int = 0
) -> list[XY | None]:
    """Each value's position (None for a missing one); `start` offsets the period index."""
    return [None if value is None else (x(start + i), y(value)) for i, value in enumerate(values)]


def _last_known(positions: Sequence[XY | None]) -> XY | None:
    return next((point for point in reversed(positions) if point is not None), None)


def _forecast_runs(history: Sequence[XY | None], forecast: Sequence[XY | None]) -> list[list[XY]]:
    """The forecast's runs, the first one starting from the last known history point.

    The forecast is the pace from the last known value on, so it is drawn from there even
    when the latest periods are missing.
    """
    return line_runs([_last_known(history), *forecast]) if forecast else []


def _isolated_dots(runs: Sequence[Sequence[XY]], css_class: str) -> list[str]:
    """A dot for each run of one point: a lone value between gaps draws no line otherwise."""
    return [
        tag("circle", {"class": css_class, "cx": run[0][0], "cy": run[0][1], "r": 1.5})
        for run in runs
        if len(run) == 1
    ]


def sparkline_svg(
    values: Sequence[float | None],
    *,
    forecast: Sequence[float | None] = (),
    title: str,
    width: int = 120,
    height: int = 32,
    id_prefix: str | None = None,
) -> str:
    """A tiny line of `values` (no axes), the forecast dashed after it, a dot on the last value.

    The y range is the values' own (not from 0): a sparkline shows the shape of a trend.
    """
    known = [value for value in values if value is not None]
    if not known:
        return empty_document(
            kind="sparkline", width=width, height=height, title=title, id_prefix=id_prefix
        )
    everything = known + [value for value in forecast if value is not None]
    pad = 3.0  # room for the last value's dot
    periods = len(values) + len(forecast)
    x = LinearScale(0, periods - 1, pad, width - pad)
    y = LinearScale(min(everything), max(everything), height - pad, pad)
    history = _positions(values, x, y)
    ahead = _positions(forecast, x, y, start=len(values))
    history_runs = line_runs(history)
    forecast_runs = _forecast_runs(history, ahead)
    last = _last_known(history)
    assert last is not None  # there is a known value
    body = [
        tag("path", {"class": "line", "d": path_data(history_runs)}),
        *_isolated_dots(history_runs, "point"),
    ]
    if forecast_runs:
        body.append(tag("path", {"class": "forecast", "d": path_data(forecast_runs)}))
        body.extend(_isolated_dots(forecast_runs, "forecast-point"))
    body.append(tag("circle", {"class": "last", "cx": last[0], "cy": last[1], "r": 2}))
    return svg_document(
        kind="sparkline", width=width, height=height, title=title, body=body, id_prefix=id_prefix
    )


# Margins of the curve chart: room for the forecast label above, period labels below.
_TOP, _RIGHT, _BOTTOM = 20, 16, 28
_CHAR_WIDTH = 7  # an estimate of a 12 px character's width, to fit labels and captions


def curve_svg(
    *,
    history: Sequence[Point],
    forecast: Sequence[Point] = (),
    target: Point | None = None,
    baseline: float | None = None,
    title: str,
    description: str,
    number: NumberFormat = default_number,
    width: int = 640,
    height: int = 280,
    labels: ChartLabels = ChartLabels(),
    id_prefix: str | None = None,
) -> str:
    """The "turn the curve" chart: history, forecast at the current pace, target, baseline.

    `forecast` holds the periods after the last history point. The y axis has 4–6 nice
    ticks covering every value, the target and the baseline, from 0 when none is negative.
    At most about 12 period labels are shown.
    """
    periods = [point.label for point in (*history, *forecast)]
    values = [point.value for point in (*history, *forecast) if point.value is not None]
    target_value = target.value if target is not None else None
    references = [value for value in (target_value, baseline) if value is not None]
    if not values:
        return empty_document(
            kind="curve",
            width=width,
            height=height,
            title=title,
            description=description,
            id_prefix=id_prefix,
        )
    ticks = nice_ticks(*value_extent(values + references))
    tick_texts = [number(tick) for tick in ticks]
    frame = _Frame(
        left=max(32, 12 + _CHAR_WIDTH * max(len(text) for text in tick_texts)),
        top=_TOP,
        right=width - _RIGHT,
        bottom=height - _BOTTOM,
    )
    y = LinearScale(ticks[0], ticks[-1], frame.bottom, frame.top)
    band = (frame.right - frame.left) / len(periods)

    def x(index: int) -> float:
        return frame.left + band * (index + 0.5)

    history_xy = _positions([point.value for point in history], x, y)
    forecast_xy = _positions([point.value for point in forecast], x, y, start=len(history))
    history_runs = line_runs(history_xy)
    forecast_runs = _forecast_runs(history_xy, forecast_xy)
    body = [_y_axis(ticks, tick_texts, y, frame), _x_axis(periods, x, frame)]
    taken: list[_Box] = []
    if forecast:
        zone_left = x(len(history)) - band / 2
        body.append(_forecast_zone(zone_left, labels.forecast, frame))
        taken.append(_text_box(zone_left + 4, frame.top - 6, labels.forecast, "start"))
    obstacles = _line_samples([*history_runs, *forecast_runs])
    if target is not None and target_value is not None:
        caption = " ".join(part for part in (labels.target, target.label) if part)
        caption = f"{caption}: {number(target_value)}"
        where = y(target_value)
        if target.label in periods:
            marker = (x(periods.index(target.label)), where)
            obstacles.append(marker)
            body.append(
                tag(
                    "circle",
                    {"class": "target-point", "cx": marker[0], "cy": marker[1], "r": 4},
                    text_tag("title", None, caption),
                )
            )
        body.append(
            _reference_line(
                "target", caption, where, frame=frame, obstacles=obstacles, taken=taken, side="end"
            )
        )
    if baseline is not None:
        caption = f"{labels.baseline}: {number(baseline)}"
        body.append(
            _reference_line(
                "baseline",
                caption,
                y(baseline),
                frame=frame,
                obstacles=obstacles,
                taken=taken,
                side="start",
            )
        )
    body.append(tag("path", {"class": "line", "d": path_data(history_runs)}))
    if forecast_runs:
        body.append(tag("path", {"class": "forecast", "d": path_data(forecast_runs)}))
    body.extend(_dots(history, history_xy, "point", number))
    forecast_word = f" ({labels.forecast})"
    body.extend(_dots(forecast, forecast_xy, "forecast-point", number, suffix=forecast_word))
    return svg_document(
        kind="curve",
        width=width,
        height=height,
        title=title,
        description=description,
        id_prefix=id_prefix,
        body=body,
    )


@dataclass(frozen=True)
class _Frame:
    """The plot area inside the margins."""

    left: float
    top: float
    right: float
    bottom: float


_Box = tuple[float, float, float, float]  # x1, y1, x2, y2 of a caption


def _y_axis(ticks: Sequence[float], texts: Sequence[str], y: LinearScale, frame: _Frame) -> str:
    """Horizontal grid lines at the ticks, their values on the left."""
    parts = []
    for tick, text in zip(ticks, texts, strict=True):
        at = y(tick)
        parts.append(
            tag("line", {"class": "grid", "x1": frame.left, "x2": frame.right, "y1": at, "y2": at})
        )
        parts.append(
            text_tag(
                "text",
                {"class": "tick", "x": frame.left - 6, "y": at + 4, "text-anchor": "end"},
                text,
            )
        )
    return tag("g", {"class": "axis y-axis"}, "".join(parts))


def _x_axis(periods: Sequence[str], x: Callable[[int], float], frame: _Frame) -> str:
    """Period labels under the plot: at most 12, fewer when long labels would overlap."""
    label_width = _CHAR_WIDTH * max(len(period) for period in periods) + 12
    fits = max(1, int((frame.right - frame.left) // label_width))
    parts = [
        text_tag(
            "text",
            {"class": "tick", "x": x(i), "y": frame.bottom + 18, "text-anchor": "middle"},
            periods[i],
        )
        for i in thinned_indices(len(periods), max_shown=min(12, fits))
    ]
    return tag("g", {"class": "axis x-axis"}, "".join(parts))


def _forecast_zone(zone_left: float, caption: str, frame: _Frame) -> str:
    """A shaded band over the forecast periods, named above the plot."""
    zone: dict[str, AttributeValue] = {
        "class": "forecast-zone",
        "x": zone_left,
        "y": frame.top,
        "width": frame.right - zone_left,
        "height": frame.bottom - frame.top,
    }
    place: dict[str, AttributeValue] = {
        "class": "forecast-label",
        "x": zone_left + 4,
        "y": frame.top - 6,
    }
    return tag("rect", zone) + text_tag("text", place, caption)


def _line_samples(runs: Sequence[Sequence[XY]]) -> list[XY]:
    """Points along the lines (vertices and quarter points) that a caption should not cover."""
    samples: list[XY] = []
    for run in runs:
        samples.append(run[0])
        for (ax, ay), (bx, by) in itertools.pairwise(run):
            samples.extend((ax + (bx - ax) * t, ay + (by - ay) * t) for t in (0.25, 0.5, 0.75, 1))
    return samples


def _text_box(x: float, baseline: float, text: str, anchor: str) -> _Box:
    """The estimated box of a 12 px caption drawn at (x, baseline)."""
    text_width = _CHAR_WIDTH * len(text)
    left = x if anchor == "start" else x - text_width
    return (left, baseline - 12, left + text_width, baseline + 3)


def _overlaps(a: _Box, b: _Box, *, margin: float = 0) -> bool:
    return (
        a[0] - margin < b[2]
        and b[0] - margin < a[2]
        and a[1] - margin < b[3]
        and b[1] - margin < a[3]
    )


def _reference_line(
    css_class: str,
    caption: str,
    at: float,
    *,
    frame: _Frame,
    obstacles: Sequence[XY],
    taken: list[_Box],
    side: str,
) -> str:
    """A horizontal dashed line across the plot with its caption just above or below it.

    The caption goes where it covers the fewest line points and no other caption, trying
    its preferred `side` ("start" or "end") first, above then below the line: the target
    usually sits where the forecast ends, the baseline where the history starts.
    """
    other = "start" if side == "end" else "end"
    best: tuple[float, float, float, str, _Box] | None = None
    for anchor in (side, other):
        for baseline in (at - 4, at + 14):
            x = frame.left + 4 if anchor == "start" else frame.right - 4
            box = _text_box(x, baseline, caption, anchor)
            covered = sum(1 for point in obstacles if _overlaps(box, (*point, *point), margin=3))
            blocked = any(_overlaps(box, earlier) for earlier in taken)
            outside = box[1] < frame.top - 20 or box[3] > frame.bottom
            score = covered + 1000 * (blocked + outside)
            if best is None or score < best[0]:
                best = (score, x, baseline, anchor, box)
    assert best is not None
    _, x, baseline, anchor, box = best
    taken.append(box)
    return tag(
        "g",
        {"class": css_class},
        tag("line", {"x1": frame.left, "x2": frame.right, "y1": at, "y2": at})
        + text_tag("text", {"x": x, "y": baseline, "text-anchor": anchor}, caption),
    )


def _dots(
    points: Sequence[Point],
    positions: Sequence[XY | None],
    css_class: str,
    number: NumberFormat,
    *,
    suffix: str = "",
) -> list[str]:
    """A dot on each known value, its period and value in a `<title>` (shown on hover)."""
    return [
        tag(
            "circle",
            {"class": css_class, "cx": where[0], "cy": where[1], "r": 3},
            text_tag("title", None, f"{point.label}{suffix}: {number(point.value)}"),
        )
        for point, where in zip(points, positions, strict=True)
        if where is not None and point.value is not None
    ]
