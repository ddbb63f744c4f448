"""What goes in and out of the API: the contract integrators code against.

Field names are stable; adding a field is fine, renaming or removing one is a new version.
Private institution data has its own nested object (`private`), null for whoever may not
see it, so one schema serves everyone and nothing private can leak by a flat field that a
serializer forgot to drop.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from minka.territories.models import Area, Institution, Level, Sex

COUNTRY = r"^[A-Za-z]{2}$"
# Official codes are letters, digits and a few separators. Free text may hold no control
# characters: a NUL byte, which PostgreSQL refuses outright, is a 422 here rather than an
# error in the database.
CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
TEXT = r"^[^\x00-\x1f\x7f]*$"
MULTILINE_TEXT = r"^[^\x00]*$"


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str | None = Field(description="The input field at fault; null for the whole input.")
    reason: str


class InvalidOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


class TerritoryRefOut(Schema):
    """A territory named in passing (an ancestor, an institution's territory)."""

    country: str
    code: str
    name: str
    level: Level


class TerritoryOut(Schema):
    country: str
    code: str = Field(description="The official code (INEI ubigeo in Peru), unique per country.")
    name: str
    level: Level
    parent_code: str | None
    population: int | None = Field(
        description="The latest census or projection total (all sexes, ages and areas)."
    )
    population_year: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None = Field(description="Set when the territory has been retired.")

    @staticmethod
    def resolve_parent_code(obj: Any) -> str | None:
        parent = obj.parent
        return parent.code if parent is not None else None

    @staticmethod
    def resolve_population(obj: Any) -> int | None:
        # `population` on the model is the related manager of cells; the total is annotated.
        return getattr(obj, "population_total", None)

    @staticmethod
    def resolve_population_year(obj: Any) -> int | None:
        return getattr(obj, "population_year", None)


class PopulationCellOut(Schema):
    year: int
    sex: Sex
    age_group: str = Field(description='"" for all ages, otherwise e.g. "0-4" or "65+".')
    area: Area
    value: int


class AliasOut(Schema):
    scheme: str
    code: str


class TerritoryDetailOut(TerritoryOut):
    capital: str
    ancestors: list[TerritoryRefOut] = Field(description="From the country down to the parent.")
    children_count: int
    population_cells: list[PopulationCellOut]
    aliases: list[AliasOut]
    successors: list[str] = Field(
        description="Codes of the territories that replaced this one, if it was retired."
    )


class InstitutionOut(Schema):
    id: int
    name: str
    kind: Institution.Kind
    government_level: Institution.GovernmentLevel
    sector: str
    territory: TerritoryRefOut


class InstitutionPrivateOut(Schema):
    contact_email: str
    contact_phone: str
    technical_team_notes: str


class InstitutionDetailOut(InstitutionOut):
    private: InstitutionPrivateOut | None = Field(
        description="Only for those who may see the institution's private data; else null."
    )


class InstitutionContactIn(Schema):
    """A PATCH: a field left out (or null) stays as it is; an empty string clears it."""

    model_config = ConfigDict(extra="forbid")

    contact_email: str | None = Field(None, max_length=254, pattern=TEXT)
    contact_phone: str | None = Field(None, max_length=40, pattern=TEXT)
    technical_team_notes: str | None = Field(None, max_length=10_000, pattern=MULTILINE_TEXT)
