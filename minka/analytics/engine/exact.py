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
        """The double nearest each exact number (one rounding, by true division)."""
        units = self.units
        if units.dtype == np.object_:
            return np.array([int(u) / self.scale for u in units.ravel()],
                            dtype=np.float64).reshape(units.shape)
        out = units.astype(np.float64) / self.scale
        big = np.abs(units) >= _DOUBLE_EXACT  # the int64 → double step itself rounded
        if big.any():
            out[big] = [int(u) / self.scale for u in units[big]]
        return out


def fixed(values: Floats, scale: int = VALUE_SCALE) -> Fixed:
    """`values` (finite) as exact integers over `scale`, rounded to the nearest unit.

    int64 when Σ|units| < 2⁶², so every sum of any subset of them fits; else Python ints.
    """
    units = np.rint(values * scale)
    if float(np.abs(units).sum()) < _INT64_SAFE:
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
