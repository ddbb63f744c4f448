"""Exact sums of data values: fixed point, so a total never depends on the order of its terms.

Why: a float sum depends on the order its terms are added in (0.1 + 0.2 + 0.3 is
0.6000000000000001 left to right and 0.6 right to left), so two refreshes of the same facts
could differ in the last bits, and ranks of near-equal figures flip. Data values are stored
with 6 decimals (`DataValue.value`), so `round(value × 10⁶)` is an exact integer and sums of
those integers are exact whatever the order; a total becomes a double once, at the end, as
the double nearest the exact sum.

Representation: a `Fixed` holds the integers and their scale. They are int64 when the sum
of every term's magnitude stays below 2⁶² (no partial sum can overflow then, whatever is
added to what); beyond that (values summing past about 4.6 × 10¹² at scale 10⁶) they are
Python integers in object arrays: exact, slower, and never reached by realistic data.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

VALUE_SCALE = 10**6
"""Data values have 6 decimals (`DataValue.value`)."""
_INT64_SAFE = float(2**62)
_DOUBLE_EXACT = 2**53

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Fixed:
    """Exact numbers as integers over `scale` (int64 or object array of Python ints)."""

    units: npt.NDArray[Any]  # int64, or object (Python ints)
    scale: int

    def doubles(self) -> Floats:
        """The double nearest each exact number."""
        units = self.units
        if units.dtype != np.object_ and np.abs(units).max(initial=0) < _DOUBLE_EXACT:
            return units / self.scale  # exact double / exact double: one rounding
        return quotient(self, Fixed(np.ones((1,) * units.ndim, dtype=np.int64), 1))


def quotient(numerator: Fixed, denominator: Fixed) -> Floats:
    """The double nearest each numerator / denominator (NaN where the denominator is 0).

    One correctly rounded division: both sides brought to one scale as integers, divided
    as doubles when both are exact doubles (below 2⁵³: numpy converts, then divides once),
    else as Python integers (whose true division rounds correctly too). So a mean that is
    exactly 22.8 is the double 22.8, and equal means are equal doubles (ranks can tie).
    """
    top, bottom = np.broadcast_arrays(_times(numerator.units, denominator.scale),
                                      _times(denominator.units, numerator.scale))
    if (top.dtype != np.object_ and bottom.dtype != np.object_
            and max(np.abs(top).max(initial=0), np.abs(bottom).max(initial=0))
            < _DOUBLE_EXACT):  # the usual case: one division of exact doubles
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(bottom != 0, top / np.where(bottom != 0, bottom, 1), np.nan)
    out = np.full(top.shape, np.nan)
    nonzero = bottom != 0
    exact = nonzero.copy()
    if top.dtype == np.object_ or bottom.dtype == np.object_:
        exact[...] = False
    else:
        exact &= (np.abs(top) < _DOUBLE_EXACT) & (np.abs(bottom) < _DOUBLE_EXACT)
        out[exact] = top[exact] / bottom[exact]
    for at in map(tuple, np.argwhere(nonzero & ~exact)):
        out[at] = int(top[at]) / int(bottom[at])
    return out


def _times(units: npt.NDArray[Any], factor: int) -> npt.NDArray[Any]:
    """units × factor exactly (int64 while it fits, else Python integers)."""
    if factor == 1:
        return units
    if units.dtype != np.object_ and float(np.abs(units).max(initial=0)) * factor < _INT64_SAFE:
        return units * factor
    return units.astype(object) * factor


def fixed(values: Floats, scale: int = VALUE_SCALE, *, most_terms: int | None = None) -> Fixed:
    """`values` (finite) as exact integers over `scale`, rounded to the nearest unit.

    int64 when no sum can overflow: `most_terms` is the most of them any sum adds (all of
    them when None); else Python ints.
    """
    units = np.rint(values * scale)
    magnitude = np.abs(units)
    bound = (float(magnitude.sum()) if most_terms is None
             else float(magnitude.max(initial=0)) * most_terms)
    if bound < _INT64_SAFE:
        return Fixed(units.astype(np.int64), scale)
    return Fixed(_python_ints(values, scale), scale)


def fixed_product(values: Fixed, weights: Fixed) -> Fixed:
    """values × weights exactly, over the product of their scales."""
    scale = values.scale * weights.scale
    if (values.units.dtype != np.object_ and weights.units.dtype != np.object_
            and float(np.abs(values.units.astype(np.float64)
                             * weights.units.astype(np.float64)).sum()) < _INT64_SAFE):
        return Fixed(values.units * weights.units, scale)
    return Fixed(values.units.astype(object) * weights.units.astype(object), scale)


def weight_scale(weights: Floats) -> int:
    """1 when every weight is a whole number (populations, counts), else VALUE_SCALE."""
    return 1 if bool(np.all(weights == np.rint(weights))) else VALUE_SCALE


def _python_ints(values: Floats, scale: int) -> npt.NDArray[np.object_]:
    out = np.empty(values.shape, dtype=object)
    flat = out.reshape(-1)
    for n, value in enumerate(values.reshape(-1).tolist()):
        flat[n] = round(value * scale)
    return out
