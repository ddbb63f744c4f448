"""What the engine is given and what it gives back: plain data, no Django.

The adapter in `minka.analytics.services` builds these from the database; the benchmark in
`bench/analytics.py` builds them synthetically. Nothing here knows where they came from.

Facts (data values) travel as an Arrow table or a DuckDB relation with the columns of
`FACT_COLUMNS`; results are the DuckDB tables described by `RESULT_COLUMNS` in the
analytics store (see `minka.analytics.engine.store`).

Vocabulary:
- an *option* is one category option (FEMALE, RURAL, 6_11M); a *combination* is the set of
  options a data value is disaggregated by, written as its option codes sorted and joined by
  "|" ("FEMALE|RURAL"), "" for a value with no disaggregation;
- a *breakdown* is what results are reported by: "" for the total, or one option code
  ("FEMALE"): the sum over every combination that contains it. Results are never reported per
  full combination: a gender view of every figure is required, a 40-cell cross table is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from minka.analytics.engine.periods import PeriodType


class Aggregation(StrEnum):
    """How a data element's values combine up the tree and over periods.

    - SUM: counts; summed over territories (the territory's own values and its subtree's)
      and over sub-periods.
    - AVERAGE: estimates that cannot be summed (a survey's prevalence, an index); in space a
      weighted mean over the territories with a value (weight: population, or a named weight
      element), in time the plain mean of the sub-periods that have a value.
    - LAST: stocks (staff in post, children enrolled): the value of the latest sub-period
      that has one, summed over territories.
    - NONE: not aggregated: a value exists only where and when it was recorded.
    """

    SUM = "sum"
    AVERAGE = "average"
    LAST = "last"
    NONE = "none"


class Polarity(StrEnum):
    LOWER_IS_BETTER = "lower"  # anaemia, chronic malnutrition, poverty
    HIGHER_IS_BETTER = "higher"  # coverage, CRED controls, birth registration


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class Reason(StrEnum):
    """Why a result has no value (the `reason` column; NULL when there is a value)."""

    MISSING_DATA = "missing_data"  # a referenced value is missing (missing is not zero)
    ZERO_DENOMINATOR = "zero_denominator"  # a division by zero in the formula


POPULATION_WEIGHT = "population"


@dataclass(frozen=True)
class ElementSpec:
    """A data element as the engine needs it.

    `options` are every category option its combinations can hold, so the engine knows which
    breakdowns exist. `weight` matters only for AVERAGE: POPULATION_WEIGHT, the code of
    another data element whose value (same territory and period, total) weighs each
    territory, or None for an unweighted mean.
    """

    code: str
    aggregation: Aggregation
    period_type: PeriodType
    options: frozenset[str] = frozenset()
    weight: str | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator sheet as the engine needs it.

    `formula` is the text of the sheet's formula (see `minka.analytics.engine.formula`).
    `period_type` is its frequency: results exist for that type and every coarser one.
    `tolerance` is the fraction of the target within which a figure that misses it is
    "at risk" rather than "off track" (0.1: within 10 % of the target).
    """

    code: str
    formula: str
    period_type: PeriodType
    polarity: Polarity = Polarity.HIGHER_IS_BETTER
    base_year: int | None = None
    tolerance: float = 0.1


@dataclass(frozen=True)
class TerritoryNode:
    """One territory of the tree, current or retired.

    A fact recorded against a territory rolls up to the territory's ancestors (read from
    `parent_id`), so a retired district's data still reaches the province it belonged to for
    the periods it existed. `valid_from`/`valid_to` (inclusive, None = open) bound the
    periods in which it is expected to report and is ranked; `successor_ids` are the
    territories that replaced it (a split, a move to another province under a new code), so
    its series can be continued as the sum of its successors.
    """

    id: int
    parent_id: int | None
    level: str
    valid_from: date | None = None
    valid_to: date | None = None
    successor_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Target:
    """A target of an indicator for one territory and period (usually a year), total only."""

    indicator: str
    territory_id: int
    period: str
    value: float


@dataclass(frozen=True)
class Catalogue:
    """Everything but the facts: the engine's complete, self-contained input."""

    elements: tuple[ElementSpec, ...]
    indicators: tuple[IndicatorSpec, ...]
    territories: tuple[TerritoryNode, ...]
    constants: dict[str, float] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    # (territory_id, year, population): the weights of population-weighted averages. A
    # year without a figure uses the territory's nearest earlier year, else its nearest later.
    population: tuple[tuple[int, int, float], ...] = ()


# Facts: one row per data value. `period` is a DHIS2 period id of the element's own
# period type; `combination` as described above; `value` a finite number (booleans as 0/1).
# `id` is the data value's id in the database, kept so every figure can be traced back.
FACT_COLUMNS: dict[str, str] = {
    "id": "BIGINT",
    "element": "VARCHAR",
    "territory_id": "BIGINT",
    "period": "VARCHAR",
    "combination": "VARCHAR",
    "value": "DOUBLE",
}

# Results: one row per indicator × territory × period (its own type and every coarser one)
# × breakdown, in the store's `indicator_result` table.
RESULT_COLUMNS: dict[str, str] = {
    "indicator": "VARCHAR",
    "territory_id": "BIGINT",
    "period": "VARCHAR",
    "period_type": "VARCHAR",  # PeriodType value
    "breakdown": "VARCHAR",  # "" total, or an option code
    "value": "DOUBLE",  # NULL when there is none: see `reason`
    "numerator": "DOUBLE",  # for formulas shaped [k *] N / D [* k]; else NULL
    "denominator": "DOUBLE",
    "reason": "VARCHAR",  # Reason value when `value` is NULL
    "target": "DOUBLE",  # the target for this territory and period, if any
    "target_period": "VARCHAR",  # the period of the target used for status and forecast
    "status": "VARCHAR",  # Status value, NULL without a target or a value
    "change_previous": "DOUBLE",  # value minus the previous period's (same type)
    "change_base": "DOUBLE",  # value minus the base year's (same sub-period of that year)
    "trend_slope": "DOUBLE",  # least-squares slope per period over the last 5 periods (>= 3)
    "forecast": "DOUBLE",  # the trend extended to the target period
    "forecast_meets_target": "BOOLEAN",
    "rank": "INTEGER",  # 1 = best among siblings by polarity; ties share a rank
    "rank_of": "INTEGER",  # how many siblings have a value
    "reported_children": "INTEGER",  # direct children with data for the indicator
    "expected_children": "INTEGER",  # direct children that existed in the period
    "from_successors": "BOOLEAN",  # a retired territory's figure continued by its successors
}
