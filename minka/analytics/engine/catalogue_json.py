"""A catalogue as canonical JSON, so a store remembers what it was computed with.

Why canonical: an incremental refresh compares the stored text with the text of the
catalogue it is given; equal catalogues must give equal texts whatever the order of their
tuples and sets, and any difference that changes a figure must change the text.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from minka.analytics.engine.model import (
    Aggregation,
    Catalogue,
    ElementSpec,
    IndicatorSpec,
    Polarity,
    Target,
    TerritoryNode,
)
from minka.analytics.engine.periods import PeriodType


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def catalogue_document(catalogue: Catalogue) -> dict[str, Any]:
    """The catalogue as plain JSON data, every collection sorted."""
    return {
        "elements": sorted(
            (
                {
                    "code": e.code,
                    "aggregation": e.aggregation.value,
                    "period_type": e.period_type.value,
                    "options": sorted(e.options),
                    "weight": e.weight,
                }
                for e in catalogue.elements
            ),
            key=lambda e: e["code"],
        ),
        "indicators": sorted(
            (indicator_document(i) for i in catalogue.indicators), key=lambda i: i["code"]
        ),
        "territories": sorted(
            (
                {
                    "id": t.id,
                    "parent_id": t.parent_id,
                    "level": t.level,
                    "valid_from": _day(t.valid_from),
                    "valid_to": _day(t.valid_to),
                    "successor_ids": list(t.successor_ids),
                }
                for t in catalogue.territories
            ),
            key=lambda t: t["id"],
        ),
        "constants": {name: float(value) for name, value in sorted(catalogue.constants.items())},
        # Order matters for duplicates (the last target of a period wins): kept as given.
        "targets": [[t.indicator, t.territory_id, t.period, float(t.value)]
                    for t in catalogue.targets],
        "population": sorted([int(t), int(y), float(p)] for t, y, p in catalogue.population),
    }


def indicator_document(indicator: IndicatorSpec) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "formula": indicator.formula,
        "period_type": indicator.period_type.value,
        "polarity": indicator.polarity.value,
        "base_year": indicator.base_year,
        "tolerance": float(indicator.tolerance),
    }


def catalogue_to_json(catalogue: Catalogue) -> str:
    return json.dumps(catalogue_document(catalogue), sort_keys=True, separators=(",", ":"))


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def catalogue_from_json(text: str) -> Catalogue:
    data = json.loads(text)
    return Catalogue(
        elements=tuple(
            ElementSpec(
                code=e["code"],
                aggregation=Aggregation(e["aggregation"]),
                period_type=PeriodType(e["period_type"]),
                options=frozenset(e["options"]),
                weight=e["weight"],
            )
            for e in data["elements"]
        ),
        indicators=tuple(
            IndicatorSpec(
                code=i["code"],
                formula=i["formula"],
                period_type=PeriodType(i["period_type"]),
                polarity=Polarity(i["polarity"]),
                base_year=i["base_year"],
                tolerance=i["tolerance"],
            )
            for i in data["indicators"]
        ),
        territories=tuple(
            TerritoryNode(
                id=t["id"],
                parent_id=t["parent_id"],
                level=t["level"],
                valid_from=_date(t["valid_from"]),
                valid_to=_date(t["valid_to"]),
                successor_ids=tuple(t["successor_ids"]),
            )
            for t in data["territories"]
        ),
        constants=dict(data["constants"]),
        targets=tuple(Target(i, t, p, v) for i, t, p, v in data["targets"]),
        population=tuple((t, y, p) for t, y, p in data["population"]),
    )
