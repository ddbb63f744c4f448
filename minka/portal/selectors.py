"""Reads for the public portal."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from minka.territories.models import Level, Territory
from minka.territories.selectors import with_population


@dataclass(frozen=True)
class CountrySummary:
    country: Territory
    counts: dict[str, int]
    population: int | None
    population_year: int | None


def country_summaries() -> list[CountrySummary]:
    """Each country root with how many current territories it has at each level (2 queries)."""
    roots = list(with_population(Territory.objects.filter(level=Level.COUNTRY)).order_by("name"))
    rows = (
        Territory.objects.filter(valid_to__isnull=True)
        .exclude(level=Level.COUNTRY)
        .values("country", "level")
        .annotate(n=Count("id"))
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["country"], {})[row["level"]] = row["n"]
    return [
        CountrySummary(
            country=root,
            counts=counts.get(root.country, {}),
            population=getattr(root, "population_total", None),
            population_year=getattr(root, "population_year", None),
        )
        for root in roots
    ]
