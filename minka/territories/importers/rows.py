"""The plain data the parsers return and the load services take (no Django here).

A parser turns a file into rows plus issues; a service (minka.territories.services) turns rows
into database rows and returns a `LoadReport`. The same rows can be built by hand (the demo
loader does), so everything a service needs is on the row, and `origin` is only for messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from minka.territories.importers.issues import Issue, Origin, Severity

# Mirrors minka.territories.models.Level, top to bottom (a test keeps them in step).
LEVELS: tuple[str, ...] = ("country", "region", "province", "district", "locality")
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
# Mirror minka.territories.models.Sex and Area.
SEXES: tuple[str, ...] = ("total", "male", "female")
AREAS: tuple[str, ...] = ("total", "urban", "rural")

# The root of each country's tree: code and display name.
COUNTRY_NAMES: dict[str, str] = {"PE": "Perú", "CL": "Chile", "PY": "Paraguay"}


@dataclass(frozen=True)
class TerritoryRow:
    """One territory as a file states it. `parent_code` is None only for a country's root.

    `aliases` maps a scheme (TerritoryAlias.Scheme value, e.g. "reniec", "inei6") to a code.
    """

    country: str
    code: str
    name: str
    level: str
    parent_code: str | None
    capital: str = ""
    aliases: Mapping[str, str] = field(default_factory=dict)
    origin: Origin | None = None


@dataclass(frozen=True)
class PopulationRow:
    """One population cell: a territory's count for a year, sex, age group and area.

    `sex` is "total", "male" or "female"; `age_group` "" means all ages; `area` "total",
    "urban" or "rural" (the values of minka.territories.models.Sex and Area).
    """

    country: str
    code: str
    year: int
    sex: str
    value: int
    age_group: str = ""
    area: str = "total"
    name: str = ""
    origin: Origin | None = None


@dataclass(frozen=True)
class BoundaryFeature:
    """A territory's outline: `geometry` is the GeoJSON geometry object, kept as it came."""

    code: str
    geometry: dict[str, Any]
    name: str = ""
    origin: Origin | None = None


RowT = TypeVar("RowT")


@dataclass
class Parsed(Generic[RowT]):
    """A parser's answer: the rows it could read and everything it found wrong."""

    rows: list[RowT] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, status: str) -> None:
        """Count one row by its status: "created", "updated" or "unchanged"."""
        setattr(self, status, getattr(self, status) + 1)


@dataclass
class LoadReport:
    """What an import did (or would have done) and what it found.

    `counts` is keyed by what was counted: a territory level ("region", "district", …),
    "institution", "population" or "boundary", in the order they were loaded.
    """

    source: str
    counts: dict[str, Counts] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def count(self, key: str) -> Counts:
        return self.counts.setdefault(key, Counts())

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())


class ImportRejected(Exception):
    """Raised by a load service when its rows have errors: nothing was written."""

    def __init__(self, report: LoadReport) -> None:
        super().__init__(f"{len(report.errors)} error(s) in {report.source}")
        self.report = report


def root_row(country: str) -> TerritoryRow:
    """The country's root territory ("PE", "Perú", level country)."""
    return TerritoryRow(
        country=country, code=country, name=COUNTRY_NAMES.get(country, country),
        level="country", parent_code=None,
    )
