"""Small hand-made catalogues and facts for the engine's tests.

Every expected figure in the tests is worked out by hand in a comment next to it; these
helpers only save typing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pyarrow as pa

from minka.analytics.engine.model import (
    Aggregation,
    Catalogue,
    ElementSpec,
    IndicatorSpec,
    TerritoryNode,
)
from minka.analytics.engine.periods import PeriodType
from minka.analytics.engine.pipeline import FACTS_SCHEMA, results_table

MONTHLY = PeriodType.MONTHLY
SUM, AVERAGE, LAST, NONE = Aggregation.SUM, Aggregation.AVERAGE, Aggregation.LAST, Aggregation.NONE

Key = tuple[str, int, str, str]  # indicator, territory, period, breakdown


def tree(parents: dict[int, int | None]) -> tuple[TerritoryNode, ...]:
    """Territories from {id: parent}; levels are not used by the engine."""
    return tuple(TerritoryNode(id=i, parent_id=p, level="level") for i, p in parents.items())


# Country 1; region 10 with districts 11, 12, 13; region 20 with district 21.
COUNTRY = tree({1: None, 10: 1, 11: 10, 12: 10, 13: 10, 20: 1, 21: 20})


def element(code: str, aggregation: Aggregation = SUM, period_type: PeriodType = MONTHLY,
            options: Iterable[str] = (), weight: str | None = None) -> ElementSpec:
    return ElementSpec(code, aggregation, period_type, frozenset(options), weight)


def identity(*elements: ElementSpec) -> tuple[IndicatorSpec, ...]:
    """One indicator `#{X}` per element, named like it: its results are X's aggregates."""
    return tuple(IndicatorSpec(e.code, "#{" + e.code + "}", e.period_type) for e in elements)


def catalogue(elements: Iterable[ElementSpec], indicators: Iterable[IndicatorSpec] = (),
              territories: tuple[TerritoryNode, ...] = COUNTRY, **kwargs: Any) -> Catalogue:
    elements = tuple(elements)
    return Catalogue(elements=elements, indicators=tuple(indicators) or identity(*elements),
                     territories=territories, **kwargs)


def facts(*rows: tuple[Any, ...], first_id: int = 1) -> pa.Table:
    """Facts from (element, territory, period, value[, combination]) rows; ids from 1."""
    return facts_with_ids([(first_id + n, *row) for n, row in enumerate(rows)])


def facts_with_ids(rows: Iterable[tuple[Any, ...]]) -> pa.Table:
    """Facts from (id, element, territory, period, value[, combination]) rows."""
    columns: dict[str, list[Any]] = {name: [] for name in FACTS_SCHEMA.names}
    for row in rows:
        fact_id, code, territory, period, value = row[:5]
        columns["id"].append(fact_id)
        columns["element"].append(code)
        columns["territory_id"].append(territory)
        columns["period"].append(period)
        columns["combination"].append(row[5] if len(row) > 5 else "")
        columns["value"].append(float(value))
    return pa.table(columns, schema=FACTS_SCHEMA)


def results(catalogue: Catalogue, table: pa.Table) -> dict[Key, dict[str, Any]]:
    """Every result row, by (indicator, territory, period, breakdown)."""
    return {
        (r["indicator"], r["territory_id"], r["period"], r["breakdown"]): r
        for r in results_table(catalogue, table).to_pylist()
    }


def values(found: dict[Key, dict[str, Any]], indicator: str, period: str,
           breakdown: str = "") -> dict[int, float | None]:
    """{territory: value} of the rows that exist for one indicator, period and breakdown."""
    return {
        key[1]: row["value"] for key, row in found.items()
        if key[0] == indicator and key[2] == period and key[3] == breakdown
    }


def day(text: str) -> date:
    return date.fromisoformat(text)
