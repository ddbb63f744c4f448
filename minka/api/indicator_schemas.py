"""What the indicator endpoints answer: the catalogue, results and the data behind them.

Field names are stable (see minka.api.schemas). Figures are JSON numbers or null: null
means "no value", never zero (missing is not zero), and `reason` then says why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from minka.api.schemas import TerritoryRefOut
from minka.indicators.models import (
    AggregationChoice,
    Classification,
    PeriodTypeChoice,
    PolarityChoice,
    ResultsChainLevel,
    Target,
    Unit,
    ValueType,
)


class InstitutionRefOut(Schema):
    id: int
    name: str


class IndicatorOut(Schema):
    code: str
    name: str
    definition: str
    formula: str = Field(description="DHIS2-style: #{ELEMENT}, #{ELEMENT.OPTION}, C{CONSTANT}.")
    unit: Unit
    decimals: int
    polarity: PolarityChoice
    frequency: PeriodTypeChoice
    source: str
    results_chain_level: ResultsChainLevel
    classification: Classification
    responsible: InstitutionRefOut | None
    base_year: int | None
    published: bool
    public_through: str = Field(
        description="The last period the public sees (empty: every period); later figures "
        "are internal until validated."
    )


class TargetOut(Schema):
    territory: TerritoryRefOut
    period: str
    kind: Target.Kind
    value: float
    method: Target.Method

    @staticmethod
    def resolve_value(obj: Any) -> float:
        return float(obj.value)


class IndicatorDetailOut(IndicatorOut):
    """The *ficha técnica*."""

    tolerance: float = Field(description="Within this fraction of the target: at risk.")
    breakdowns: list[str] = Field(description="Option codes results can be broken down by.")
    targets: list[TargetOut]


class ResultTerritoryOut(Schema):
    code: str
    name: str
    level: str


class TrendOut(Schema):
    slope: float | None = Field(description="Least-squares change per period (last 5).")
    forecast: float | None = Field(description="The trend extended to the target period.")
    meets_target: bool | None


class CompletenessOut(Schema):
    reported: int | None = Field(description="Direct children with data.")
    expected: int | None = Field(description="Direct children that existed in the period.")


class IndicatorValueOut(Schema):
    territory: ResultTerritoryOut
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    reason: str | None = Field(description="Why there is no value: missing_data, zero_denominator.")
    target: float | None
    target_period: str | None
    status: str | None = Field(description="on_track, at_risk or off_track; null without target.")
    trend: TrendOut
    change_previous: float | None
    change_base: float | None
    rank: int | None = Field(description="1 = best among siblings by polarity.")
    rank_of: int | None
    completeness: CompletenessOut
    from_successors: bool | None


class IndicatorValuesOut(Schema):
    indicator: str
    name: str
    unit: Unit
    decimals: int
    polarity: PolarityChoice
    territory: TerritoryRefOut
    level: str | None
    breakdown: str
    periods: list[str]
    refreshed_at: dt.datetime | None = Field(
        description="When the results were last brought up to date; null if never."
    )
    results: list[IndicatorValueOut]


class OptionOut(Schema):
    code: str
    name: str


class CategoryOut(Schema):
    code: str
    name: str
    options: list[OptionOut]

    @staticmethod
    def resolve_options(obj: Any) -> list[Any]:
        return list(obj.options.all())


class DataElementOut(Schema):
    code: str
    name: str
    description: str
    value_type: ValueType
    aggregation: AggregationChoice
    period_type: PeriodTypeChoice
    categories: list[CategoryOut]
    source: str

    @staticmethod
    def resolve_categories(obj: Any) -> list[Any]:
        return list(obj.categories.all())


class BatchRefOut(Schema):
    id: int
    format: str
    file_name: str
    created_at: dt.datetime


class DataValueOut(Schema):
    id: int
    element: str
    territory: TerritoryRefOut
    period: str
    combination: str
    value: float
    source: str
    comment: str
    batch: BatchRefOut | None
    stored_by: str | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_element(obj: Any) -> str:
        return str(obj.element.code)

    @staticmethod
    def resolve_value(obj: Any) -> float:
        return float(obj.value)

    @staticmethod
    def resolve_stored_by(obj: Any) -> str | None:
        return obj.stored_by.get_username() if obj.stored_by is not None else None


class DataValuePageOut(Schema):
    items: list[DataValueOut]
    count: int


class ImportSummaryOut(Schema):
    """DHIS2's import summary, plus the batch that records it."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description="SUCCESS, WARNING or ERROR, as DHIS2 says.")
    importCount: dict[str, int]  # DHIS2's name
    conflicts: list[dict[str, Any]]
    batch: int
    dryRun: bool


class ImportErrorOut(ImportSummaryOut):
    """A file that cannot be read at all: why, and the summary that records it."""

    detail: str
