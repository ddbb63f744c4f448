"""Scales: nice axis ticks, linear mappings, thinned axis labels and quantile classes.

Why here: the line, bar and map charts agree on how a value becomes a position or a colour
class, and these rules are what a reader checks by hand ("is 37 under the 40 line?", "why is
my district in the second class?"), so they live in one small module with exact tests.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "PALETTE_SIZE",
    "LegendClass",
    "LinearScale",
    "ValueClasses",
    "nice_ticks",
    "thinned_indices",
    "value_extent",
]

# Candidate tick steps are these mantissas times a power of ten.
_NICE_MANTISSAS = (1.0, 2.0, 2.5, 5.0)

# The map's sequential palette has this many colours, `q1` (best, darkest) … `q5`.
PALETTE_SIZE = 5


def value_extent(values: Iterable[float]) -> tuple[float, float]:
    """The smallest and largest value, stretched to 0 when every value is ≥ 0.

    Why zero: a count or a rate drawn from an axis that does not start at 0 exaggerates
    change. Values that go below zero keep their own range. Raises ValueError when empty.
    """
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        raise ValueError("no values to scale")
    low, high = min(finite), max(finite)
    return (0.0, high) if low >= 0 else (low, high)


def _tick(index: int, step: float) -> float:
    # 3 * 0.1 is 0.30000000000000004; ticks are shown to people, so round the float noise
    # to two decimals finer than the step (2.5 → 1 decimal, 0.25 → 2), and never give -0.0.
    return round(index * step, max(0, 1 - math.floor(math.log10(step)))) + 0.0


def nice_ticks(low: float, high: float, *, max_count: int = 6) -> list[float]:
    """Evenly spaced ticks at 1, 2, 2.5 or 5 × 10^k that cover `low`…`high`.

    The step is the smallest nice one giving at most `max_count` ticks; with the default 6
    that always gives at least 4, because neighbouring nice steps are at most twice apart.
    Example: 0…37 → 0, 10, 20, 30, 40. A zero-width range is widened so there is an axis.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("ticks need finite bounds")
    low, high = min(low, high), max(low, high)
    if low == high:
        low, high = (min(low, 0.0), max(high, 0.0)) if low else (0.0, 1.0)
    exponent = math.floor(math.log10(high - low)) - 2
    while True:
        for mantissa in _NICE_MANTISSAS:
            step = mantissa * 10.0**exponent
            first = math.floor(low / step + 1e-9)
            last = math.ceil(high / step - 1e-9)
            if last - first + 1 <= max_count:
                return [_tick(index, step) for index in range(first, last + 1)]
        exponent += 1


@dataclass(frozen=True)
class LinearScale:
    """Maps a value from `domain` to `range` linearly (a range may run backwards, as y does)."""

    domain_low: float
    domain_high: float
    range_low: float
    range_high: float

    def __call__(self, value: float) -> float:
        span = self.domain_high - self.domain_low
        if span == 0:
            return (self.range_low + self.range_high) / 2
        ratio = (value - self.domain_low) / span
        return self.range_low + ratio * (self.range_high - self.range_low)


def thinned_indices(count: int, *, max_shown: int = 12) -> list[int]:
    """Which of `count` axis labels to show so at most `max_shown` appear, evenly spaced.

    The last (most recent) period is always labelled: it is the one a reader looks for.
    """
    if count <= 0:
        return []
    step = math.ceil(count / max_shown)
    return [index for index in range(count) if (count - 1 - index) % step == 0]


@dataclass(frozen=True)
class LegendClass:
    """One class of a map's legend: its CSS class and the values it holds (bounds included).

    `q1` is the best class; `no-data` has no bounds.
    """

    css_class: str
    low: float | None
    high: float | None


NO_DATA = "no-data"


@dataclass(frozen=True)
class ValueClasses:
    """Quantile classes of a set of values, named best first (`q1` is always the best).

    `thresholds` are the lowest values of every class but the first, ascending; a value
    belongs to the class whose threshold it reaches (bisect right), so equal values always
    share a class. There are fewer classes than asked when there are fewer distinct values.
    """

    thresholds: tuple[float, ...]
    higher_is_better: bool

    @classmethod
    def quantiles(
        cls, values: Sequence[float], *, classes: int, higher_is_better: bool
    ) -> ValueClasses:
        """Quantile breaks: about as many values in each class, ties kept together.

        The break of class i is the value at rank ⌈i·n/k⌉ of the sorted values; when ties
        make it no higher than the previous break, the next distinct value is taken instead,
        so no class is empty.
        """
        if not 1 <= classes <= PALETTE_SIZE:
            raise ValueError(f"classes must be between 1 and {PALETTE_SIZE}")
        ordered = sorted(values)
        distinct = sorted(set(ordered))
        count = min(classes, len(distinct))
        thresholds: list[float] = []
        for index in range(1, count):
            candidate = ordered[-(-index * len(ordered) // count)]
            previous = thresholds[-1] if thresholds else ordered[0]
            if candidate <= previous:
                position = bisect.bisect_right(distinct, previous)
                if position == len(distinct):
                    break
                candidate = distinct[position]
            thresholds.append(candidate)
        return cls(thresholds=tuple(thresholds), higher_is_better=higher_is_better)

    @property
    def count(self) -> int:
        return len(self.thresholds) + 1

    def _rank(self, value: float) -> int:
        """0 for the best class, `count - 1` for the worst."""
        ascending = bisect.bisect_right(self.thresholds, value)
        return self.count - 1 - ascending if self.higher_is_better else ascending

    def css_class(self, value: float | None) -> str:
        """`q1` … `q5`, or `no-data` for a missing value.

        With fewer than five classes the colours are spread over the palette (two classes
        are `q1` and `q5`), so the best and the worst stay as far apart as the palette allows.
        """
        if value is None:
            return NO_DATA
        if self.count == 1:
            return "q1"
        position = round(self._rank(value) * (PALETTE_SIZE - 1) / (self.count - 1))
        return f"q{position + 1}"

    def legend(self, values: Iterable[float]) -> list[LegendClass]:
        """The classes holding at least one of `values`, best first, with their bounds."""
        bounds: dict[int, tuple[float, float]] = {}
        for value in values:
            rank = self._rank(value)
            low, high = bounds.get(rank, (value, value))
            bounds[rank] = (min(low, value), max(high, value))
        return [
            LegendClass(self.css_class(bounds[rank][0]), bounds[rank][0], bounds[rank][1])
            for rank in sorted(bounds)
        ]
