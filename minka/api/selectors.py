"""The API's reads: resolve what the client named, then ask territories.selectors.

Everything that turns a query parameter into a territory lives here, so an unknown code is
a 422 with the parameter's name (or a 404 for the resource in the path), never a 500 or a
silently empty list that looks like "no data".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission
from minka.territories.models import Institution, Population, Sex, Territory, TerritoryAlias
from minka.territories.selectors import (
    institution_list,
    institution_or_404,
    territory_ancestors,
    territory_get,
    territory_list,
    territory_or_404,
    territory_population,
)


def territory_search(
    *,
    country: str | None,
    level: str | None,
    parent: str | None,
    query: str | None,
    include_retired: bool,
) -> QuerySet[Territory]:
    """territory_list with `parent` given as a code of `country` (6-digit Peru form too)."""
    parent_territory = None
    if parent:
        if not country:
            raise ValidationError(
                {"parent": _("Give the country too (e.g. country=PE&parent=08).")}
            )
        parent_territory = territory_get(country=country, code=parent)
        if parent_territory is None:
            raise ValidationError(
                {"parent": _("There is no territory %(code)s in %(country)s.")
                 % {"code": parent, "country": country.upper()}}
            )
    return territory_list(
        country=country, level=level, parent=parent_territory, query=query,
        include_retired=include_retired,
    )


@dataclass(frozen=True)
class TerritoryDetail:
    """A territory with everything its detail page shows; its own fields read through."""

    territory: Territory
    ancestors: list[Territory]
    children_count: int
    population_cells: list[Population]
    aliases: list[TerritoryAlias]
    successors: list[str]
    population_total: int | None
    population_year: int | None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "territory":
            raise AttributeError(name)
        return getattr(self.territory, name)


def territory_detail(*, country: str, code: str) -> TerritoryDetail:
    """The territory named in the path, or 404. A handful of small queries, no recursion."""
    territory = territory_or_404(country=country, code=code)
    cells = territory_population(territory=territory)
    # Cells come newest year first, so the first all-ages total is the latest census.
    latest = next(
        (c for c in cells if c.sex == Sex.TOTAL and c.age_group == "" and c.area == "total"),
        None,
    )
    return TerritoryDetail(
        territory=territory,
        ancestors=territory_ancestors(territory=territory),
        children_count=territory.children.count(),
        population_cells=cells,
        aliases=list(territory.aliases.order_by("scheme")),
        successors=list(territory.successors.order_by("path").values_list("code", flat=True)),
        population_total=latest.value if latest else None,
        population_year=latest.year if latest else None,
    )


def _territory_reference(reference: str) -> Territory:
    """"PE:080101" → the territory, or a 422 on `territory` saying what is wrong."""
    country, sep, code = reference.partition(":")
    if not sep or not country.strip() or not code.strip():
        raise ValidationError(
            {"territory": _("Write the territory as COUNTRY:CODE, e.g. PE:080101.")}
        )
    territory = territory_get(country=country.strip(), code=code)
    if territory is None:
        raise ValidationError(
            {"territory": _("There is no territory %(code)s in %(country)s.")
             % {"code": code.strip(), "country": country.strip().upper()}}
        )
    return territory


def institution_search(*, territory: str | None, kind: str | None) -> QuerySet[Institution]:
    """Institutions (public fields only are shown) of one territory and/or one kind."""
    qs = institution_list(
        territory=_territory_reference(territory) if territory else None, kind=kind
    )
    return qs.order_by("name", "pk")


@dataclass(frozen=True)
class InstitutionRead:
    """An institution as one reader may see it: `private` is None unless they may."""

    institution: Institution
    private: Institution | None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "institution":
            raise AttributeError(name)
        return getattr(self.institution, name)


def institution_read(*, pk: int, reader: Any) -> InstitutionRead:
    """The permission check decides here, once, whether the private fields are shown."""
    institution = institution_or_404(pk=pk)
    return institution_view(institution=institution, reader=reader)


def institution_view(*, institution: Institution, reader: Any) -> InstitutionRead:
    visible = has_permission(reader, Action.VIEW_PRIVATE, institution)
    return InstitutionRead(institution=institution, private=institution if visible else None)
