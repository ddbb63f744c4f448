"""Targets, forecasts and status in numpy, for the rows of a batch (`derive.py`).

A row of the total breakdown is judged against the territory's target for exactly its
period, else its target with the nearest later end (ties: the finest, i.e. the latest
start); a target that ends before the period never applies. With a target:

- `forecast` = value + trend_slope × steps, in double and in that order, where steps are
  the periods of the row's type from its period to the one in which the target ends
  (`period_last_of_type`); NULL without a slope;
- the judged figure is the forecast when the target ends after the period, else the value;
  the gap is `target − judged` when higher is better, `judged − target` otherwise;
  `status` is on_track when gap ≤ 0, at_risk when gap ≤ tolerance × |target|, off_track
  otherwise, NULL when the judged figure is;
- `forecast_meets_target`: forecast ≥ target (higher is better) or ≤ target.

Comparisons follow DuckDB's order for doubles, which this replaces: NaN equals NaN and is
greater than every other number (a slope that overflowed can make a forecast NaN).

The last target given for an (indicator, territory, period) wins; periods are compared
parsed, so `2023W5` and `2023W05` are one period.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from minka.analytics.engine.derive_series import PERIOD_SPAN, Bools, Floats, Ints
from minka.analytics.engine.dimensions import (
    KEY_STRIDE,
    RANK_TYPE,
    Dimensions,
    period_key,
    period_last_of_type,
    period_ordinal,
)
from minka.analytics.engine.periods import Period, PeriodError, period_parse

DAY_SPAN = 1 << 22
"""Day numbers (`date.toordinal`, below 3.7 million up to year 9999) stay below this."""


@dataclass(frozen=True)
class Targets:
    """The catalogue's targets as arrays, one entry per (indicator, territory, period).

    A target's *group* is indicator id × `territories` + the territory's position in the
    territory tree (targets of territories outside the tree apply to no row). `exact` is
    sorted group × PERIOD_SPAN + period key, `exact_at` the target of each; `later` is sorted
    group × DAY_SPAN + end day with, among equal ends, the latest start first, `later_at`
    the target of each. Per target: `value`, `end` (day number), `period_code` (its
    position in the store's period type, −1 if the type cannot hold it) and `end_ordinal`,
    the ordinal of the period in which it ends, for each type rank (columns 0…4).
    """

    territories: int
    exact: Ints
    exact_at: Ints
    later: Ints
    later_at: Ints
    value: Floats
    end: Ints
    period_code: Ints
    period_id: tuple[str, ...]
    end_ordinal: Ints

    @classmethod
    def build(cls, dims: Dimensions, tree_ids: Ints, period_codes: Mapping[str, int]
              ) -> Targets:
        parsed: dict[str, Period | None] = {}
        chosen: dict[tuple[int, int, int], tuple[Period, float]] = {}
        for target in dims.catalogue.targets:
            if target.indicator not in dims.indicator_id:
                continue
            if target.period not in parsed:
                try:
                    parsed[target.period] = period_parse(target.period)
                except PeriodError:
                    parsed[target.period] = None
            period = parsed[target.period]
            position = int(np.searchsorted(tree_ids, target.territory_id))
            if period is None or position >= len(tree_ids) or (
                    tree_ids[position] != target.territory_id):
                continue
            owner = dims.indicator_id[target.indicator] * len(tree_ids) + position
            chosen[(owner, period_key(period), period.start.toordinal())] = (
                period, float(target.value))
        keys = sorted(chosen)
        periods = [chosen[k][0] for k in keys]
        group = np.array([k[0] for k in keys], dtype=np.int64)
        end = np.array([p.end.toordinal() for p in periods], dtype=np.int64)
        start = np.array([k[2] for k in keys], dtype=np.int64)
        exact = group * PERIOD_SPAN + np.array([k[1] for k in keys], dtype=np.int64)
        later_order = np.lexsort((-start, end, group))
        return cls(
            territories=len(tree_ids),
            exact=exact,  # sorted: the keys were
            exact_at=np.arange(len(keys), dtype=np.int64),
            later=(group * DAY_SPAN + end)[later_order],
            later_at=later_order.astype(np.int64),
            value=np.array([chosen[k][1] for k in keys], dtype=np.float64),
            end=end,
            period_code=np.array([period_codes.get(p.id, -1) for p in periods],
                                 dtype=np.int64),
            period_id=tuple(p.id for p in periods),
            end_ordinal=np.array(
                [[period_ordinal(period_last_of_type(p, RANK_TYPE[rank]))
                  for rank in sorted(RANK_TYPE)] for p in periods],
                dtype=np.int64).reshape(len(periods), len(RANK_TYPE)),
        )

    def choose(self, group: Ints, period_key: Ints, period_end: Ints) -> Ints:
        """The target of each (group, period), −1 where none applies: exactly the period,
        else the nearest later end (among equal ends the latest start)."""
        chosen = np.full(len(group), -1, dtype=np.int64)
        if not len(self.exact) or not len(group):
            return chosen
        wanted = group * PERIOD_SPAN + period_key
        at = np.minimum(np.searchsorted(self.exact, wanted), len(self.exact) - 1)
        found = self.exact[at] == wanted
        chosen[found] = self.exact_at[at[found]]
        wanted = group * DAY_SPAN + period_end
        at = np.searchsorted(self.later, wanted)
        inside = at < len(self.later)
        at = np.minimum(at, len(self.later) - 1)
        later = ~found & inside & (self.later[at] // DAY_SPAN == group)
        chosen[later] = self.later_at[at[later]]
        return chosen


@dataclass
class Judged:
    """The target figures of some rows (pairs: values, valid)."""

    target: Floats
    forecast: Floats
    forecast_valid: Bools
    status: Ints  # 0 on_track, 1 at_risk, 2 off_track, −1 NULL
    meets: Bools
    period_code: Ints


def judge(targets: Targets, chosen: Ints, *, period_key: Ints, period_end: Ints,
          value: Floats, has_value: Bools, slope: Floats, has_slope: Bools,
          higher: Bools, tolerance: Floats) -> Judged:
    """Target, forecast, status and whether the forecast meets the target, for rows that
    have a target (`chosen` ≥ 0, from `Targets.choose`); arguments are per row."""
    target = targets.value[chosen]
    later = targets.end[chosen] > period_end
    steps = (targets.end_ordinal[chosen, period_key // KEY_STRIDE]
             - period_key % KEY_STRIDE)
    with np.errstate(all="ignore"):  # IEEE results (inf, NaN) as DuckDB's
        forecast = value + slope * steps.astype(np.float64)
        judged = np.where(later, forecast, value)
        judged_valid = np.where(later, has_slope, has_value)
        gap = np.where(higher, target - judged, judged - target)
        at_risk = _at_most(gap, tolerance * np.abs(target))
    status = np.where(_at_most(gap, 0.0), 0, np.where(at_risk, 1, 2))
    meets = np.where(higher, _at_most(target, forecast), _at_most(forecast, target))
    return Judged(
        target=target, forecast=forecast, forecast_valid=has_slope,
        status=np.where(judged_valid, status, -1), meets=meets,
        period_code=targets.period_code[chosen],
    )


def _at_most(left: Floats, right: Floats | float) -> Bools:
    """`left <= right` in DuckDB's order of doubles (NaN is the greatest, equal to NaN)."""
    return np.asarray((left <= right) | np.isnan(right), dtype=bool)
