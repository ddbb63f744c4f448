"""The demo's territories and census figures in Minka's own small JSON format.

`minka seed_demo` must work with nothing beside the project, so scripts/build_demo_data.py
extracts the Cusco region from the INEI files once and commits it as
minka/demo/demo_data/cusco.json. The format (version "minka.territories.demo/1"):

    {
      "format": "minka.territories.demo/1",
      "country": "PE",
      "year": 2025,                                   # year of the population figures
      "territory_source": "...", "population_source": "...",   # attribution, stored
      "territories": [                                # parents before children
        {"code": "08", "level": "region", "parent": "PE", "name": "CUSCO",
         "capital": "Cusco", "aliases": {"inei6": "080000", "reniec": "080000"},
         "population": {"total": 1379167, "male": 681322, "female": 697845}},
        ...
      ]
    }

The country's root ("PE") is not listed: the load service creates it. `population` may be
omitted for a territory without figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minka.territories.importers.issues import Origin
from minka.territories.importers.rows import PopulationRow, TerritoryRow

FORMAT = "minka.territories.demo/1"
SEXES = ("total", "male", "female")


class DemoDataError(ValueError):
    """The demo file is not in the format above (a bug in the build script, not user input)."""


@dataclass(frozen=True)
class DemoData:
    country: str
    year: int
    territory_source: str
    population_source: str
    territories: list[TerritoryRow]
    population: list[PopulationRow]


def demo_rows(path: Path) -> tuple[list[TerritoryRow], list[PopulationRow]]:
    """The territory and population rows of a demo file, ready for the load services."""
    data = demo_data_read(path)
    return data.territories, data.population


def demo_data_read(path: Path) -> DemoData:
    """The whole demo file, with its year and the sources to store with the figures."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DemoDataError(f"{path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DemoDataError(f"{path}: not a {FORMAT} document")
    try:
        country, year = str(document["country"]), int(document["year"])
        entries = document["territories"]
        territories = [_territory(country, entry, path, n) for n, entry in enumerate(entries, 1)]
        population = [
            PopulationRow(country=country, code=str(entry["code"]), year=year, sex=sex,
                          value=_count(entry["population"][sex]),
                          origin=Origin(file=path.name, feature=n, column=f"population.{sex}"))
            for n, entry in enumerate(entries, 1) if "population" in entry
            for sex in SEXES
        ]
        return DemoData(
            country=country, year=year,
            territory_source=str(document.get("territory_source", path.name)),
            population_source=str(document.get("population_source", path.name)),
            territories=territories, population=population,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DemoDataError(f"{path}: {exc!r}") from exc


def _territory(country: str, entry: dict[str, Any], path: Path, position: int) -> TerritoryRow:
    return TerritoryRow(
        country=country, code=str(entry["code"]), name=str(entry["name"]),
        level=str(entry["level"]), parent_code=str(entry["parent"]),
        capital=str(entry.get("capital", "")),
        aliases={str(k): str(v) for k, v in entry.get("aliases", {}).items()},
        origin=Origin(file=path.name, feature=position, column="code"),
    )


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count of people")
    return value


def demo_document(
    *,
    country: str,
    year: int,
    territory_source: str,
    population_source: str,
    territories: Sequence[TerritoryRow],
    population: Sequence[PopulationRow],
) -> str:
    """The JSON text of a demo file: one territory per line, so a diff shows what changed."""
    figures: dict[str, dict[str, int]] = {}
    for cell in population:
        if cell.year == year and cell.age_group == "" and cell.area == "total":
            figures.setdefault(cell.code, {})[cell.sex] = cell.value
    lines = []
    for row in territories:
        entry: dict[str, Any] = {
            "code": row.code, "level": row.level, "parent": row.parent_code, "name": row.name,
            "capital": row.capital, "aliases": dict(sorted(row.aliases.items())),
        }
        if row.code in figures:
            entry["population"] = {sex: figures[row.code][sex] for sex in SEXES}
        lines.append("    " + json.dumps(entry, ensure_ascii=False))
    head = {"format": FORMAT, "country": country, "year": year,
            "territory_source": territory_source, "population_source": population_source}
    head_text = json.dumps(head, ensure_ascii=False, indent=2)[:-2]
    return head_text + ',\n  "territories": [\n' + ",\n".join(lines) + "\n  ]\n}\n"
