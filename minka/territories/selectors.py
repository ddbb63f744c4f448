"""Every read of territories and institutions goes through here.

Ancestors and descendants use the materialised path: one query each, at any depth.
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from minka.territories.models import (
    Institution,
    Population,
    Sex,
    Territory,
)
from minka.territories.naming import search_key

# Peru's INEI codes are often written as six digits padded with zeros ("080000" is the
# region "08", "080100" the province "0801"); lookups accept both forms.
_PERU_PADDED_LEN = 6


def normalise_code(*, country: str, code: str) -> str:
    code = code.strip()
    if country == "PE" and len(code) == _PERU_PADDED_LEN and code.isdigit():
        while len(code) > 2 and code.endswith("00"):
            code = code[:-2]
    return code


def territory_get(*, country: str, code: str) -> Territory | None:
    country = country.upper()
    return (
        Territory.objects.select_related("parent")
        .filter(country=country, code=normalise_code(country=country, code=code))
        .first()
    )


def territory_or_404(*, country: str, code: str) -> Territory:
    """The territory, or Http404 saying which code was not found (pages and API alike)."""
    territory = territory_get(country=country, code=code)
    if territory is None:
        raise Http404(
            _("There is no territory %(code)s in %(country)s.")
            % {"code": code, "country": country.upper()}
        )
    return territory


def territory_ancestors(*, territory: Territory) -> list[Territory]:
    """From the country down to the parent, in one query."""
    codes = territory.ancestor_codes
    found = {t.code: t for t in Territory.objects.filter(country=territory.country, code__in=codes)}
    return [found[c] for c in codes if c in found]


def territory_descendants(*, territory: Territory, level: str | None = None) -> QuerySet[Territory]:
    """Everything below the territory (not the territory itself), in path order."""
    qs = Territory.objects.filter(path__startswith=territory.path).exclude(pk=territory.pk)
    if level:
        qs = qs.filter(level=level)
    return qs


def territory_children(*, territory: Territory) -> QuerySet[Territory]:
    return with_population(Territory.objects.filter(parent=territory)).order_by("name")


def with_population(qs: QuerySet[Territory], *, year: int | None = None) -> QuerySet[Territory]:
    """Annotate `population_total` and `population_year`: the latest (or given) census total."""
    cells = Population.objects.filter(
        territory=OuterRef("pk"), sex=Sex.TOTAL, age_group="", area="total"
    )
    if year is not None:
        cells = cells.filter(year=year)
    latest = cells.order_by("-year")
    return qs.annotate(
        population_total=Subquery(latest.values("value")[:1]),
        population_year=Subquery(latest.values("year")[:1]),
    )


def territory_list(
    *,
    country: str | None = None,
    level: str | None = None,
    parent: Territory | None = None,
    query: str | None = None,
    include_retired: bool = False,
) -> QuerySet[Territory]:
    """Search by name (accent-insensitive, any part) or by code (prefix)."""
    qs = Territory.objects.select_related("parent")
    if country:
        qs = qs.filter(country=country.upper())
    if level:
        qs = qs.filter(level=level)
    if parent is not None:
        qs = qs.filter(parent=parent)
    if not include_retired:
        qs = qs.filter(valid_to__isnull=True)
    if query and query.strip():
        term = query.strip()
        if term.isdigit():
            qs = qs.filter(code__startswith=term)
        else:
            qs = qs.filter(search_name__contains=search_key(term))
    return with_population(qs).order_by("depth", "path")


def territory_population(*, territory: Territory) -> list[Population]:
    """All population cells of the territory, newest year first."""
    return list(
        Population.objects.filter(territory=territory).order_by("-year", "age_group", "area", "sex")
    )


def institution_list(
    *, territory: Territory | None = None, kind: str | None = None
) -> QuerySet[Institution]:
    qs = Institution.objects.select_related("territory")
    if territory is not None:
        qs = qs.filter(territory=territory)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def institution_get(*, pk: int) -> Institution | None:
    return Institution.objects.select_related("territory").filter(pk=pk).first()


def institution_or_404(*, pk: int) -> Institution:
    institution = institution_get(pk=pk)
    if institution is None:
        raise Http404(_("There is no institution %(id)s.") % {"id": pk})
    return institution


def municipality_of(*, territory: Territory) -> Institution | None:
    return Institution.objects.filter(
        territory=territory, kind=Institution.Kind.MUNICIPALITY
    ).first()


def population_by_sex(*, territory: Territory) -> list[dict[str, int | None]]:
    """One row per year, newest first: {"year", "total", "male", "female"} (all ages, all areas).

    Missing is not zero: a sex with no figure stays None.
    """
    years: dict[int, dict[str, int | None]] = {}
    cells = Population.objects.filter(territory=territory, age_group="", area="total")
    for cell in cells.order_by("-year"):
        row = years.setdefault(
            cell.year, {"year": cell.year, "total": None, "male": None, "female": None}
        )
        row[cell.sex] = cell.value
    return list(years.values())
