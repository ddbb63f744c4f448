"""Parsers for territory, population and boundary files: pure Python, no Django.

Each parser reads a file and returns `Parsed(rows, issues)`; nothing here touches the
database, so a broken file is refused before a transaction is opened, and the parsers are
tested without one. The load services in minka.territories.services write the rows.
"""

from __future__ import annotations

from pathlib import Path

from minka.territories.importers.census import census_population_parse
from minka.territories.importers.chile import chile_bdcut_parse
from minka.territories.importers.demo import DemoData, demo_data_read, demo_rows
from minka.territories.importers.geojson import boundaries_parse
from minka.territories.importers.issues import MESSAGES, Issue, Origin, Severity
from minka.territories.importers.paraguay import paraguay_dgeec_parse
from minka.territories.importers.peru import peru_ubigeo_parse
from minka.territories.importers.rows import (
    COUNTRY_NAMES,
    BoundaryFeature,
    Counts,
    ImportRejected,
    LoadReport,
    Parsed,
    PopulationRow,
    TerritoryRow,
)

# --country -> the parser of that country's official list (a folder for Peru, a file otherwise)
TERRITORY_PARSERS = {
    "PE": peru_ubigeo_parse,
    "CL": chile_bdcut_parse,
    "PY": paraguay_dgeec_parse,
}


def territory_files_parse(country: str, path: Path) -> Parsed[TerritoryRow]:
    """The official territory list of `country` ("PE", "CL" or "PY") read from `path`."""
    return TERRITORY_PARSERS[country.upper()](path)


__all__ = [
    "COUNTRY_NAMES",
    "MESSAGES",
    "TERRITORY_PARSERS",
    "BoundaryFeature",
    "Counts",
    "DemoData",
    "ImportRejected",
    "Issue",
    "LoadReport",
    "Origin",
    "Parsed",
    "PopulationRow",
    "Severity",
    "TerritoryRow",
    "boundaries_parse",
    "census_population_parse",
    "chile_bdcut_parse",
    "demo_data_read",
    "demo_rows",
    "paraguay_dgeec_parse",
    "peru_ubigeo_parse",
    "territory_files_parse",
]
