"""Every write to territories and institutions goes through here (keyword-only, atomic)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext, ngettext

from minka.territories.importers.checks import (
    population_rows_check,
    population_sum_issues,
    population_values_check,
    territory_rows_check,
    where,
)
from minka.territories.importers.issues import MESSAGES, Issue, Origin, origin_of
from minka.territories.importers.rows import (
    LEVEL_RANK,
    BoundaryFeature,
    Counts,
    ImportRejected,
    LoadReport,
    Parsed,
    PopulationRow,
    TerritoryRow,
    root_row,
)
from minka.territories.models import (
    LEVEL_DEPTH,
    PATH_SEPARATOR,
    Boundary,
    Institution,
    Level,
    Population,
    Sex,
    Territory,
    TerritoryAlias,
)
from minka.territories.naming import search_key
from minka.territories.selectors import normalise_code


def territory_path(*, parent: Territory | None, country: str, code: str) -> str:
    """The materialised path: the country's root is "PE/", its children "PE/08/", …"""
    if parent is None:
        return f"{country}{PATH_SEPARATOR}"
    return f"{parent.path}{code}{PATH_SEPARATOR}"


def territory_build(
    *,
    country: str,
    code: str,
    name: str,
    level: str,
    parent: Territory | None,
    capital: str = "",
    valid_from: dt.date | None = None,
) -> Territory:
    """An unsaved Territory with its derived fields set (for create and for bulk imports)."""
    return Territory(
        country=country,
        code=code,
        name=name,
        search_name=search_key(name),
        level=level,
        depth=LEVEL_DEPTH[Level(level)],
        parent=parent,
        path=territory_path(parent=parent, country=country, code=code),
        capital=capital,
        valid_from=valid_from,
    )


@transaction.atomic
def territory_create(
    *,
    country: str,
    code: str,
    name: str,
    level: str,
    parent: Territory | None = None,
    capital: str = "",
    valid_from: dt.date | None = None,
) -> Territory:
    territory = territory_build(
        country=country, code=code, name=name, level=level, parent=parent,
        capital=capital, valid_from=valid_from,
    )
    territory.full_clean()
    territory.save()
    return territory


@transaction.atomic
def territory_retire(
    *, territory: Territory, valid_to: dt.date, successors: list[Territory]
) -> Territory:
    """Retire a territory (e.g. a district split in two) and link it to what replaces it.

    Nothing recorded against the old territory moves: history stays where it was measured.
    """
    if territory.valid_to is not None:
        raise ValueError(f"{territory} was already retired on {territory.valid_to}.")
    if any(s.pk == territory.pk for s in successors):
        raise ValueError("A territory cannot succeed itself.")
    territory.valid_to = valid_to
    territory.save(update_fields=["valid_to"])
    territory.successors.set(successors)
    return territory


MUNICIPALITY_NAME = {
    ("PE", Level.PROVINCE): "Municipalidad Provincial de {name}",
    ("PE", Level.DISTRICT): "Municipalidad Distrital de {name}",
}
REGIONAL_GOVERNMENT_NAME = {"PE": "Gobierno Regional de {name}"}


def municipality_name(*, territory: Territory) -> str:
    template = MUNICIPALITY_NAME.get((territory.country, Level(territory.level)),
                                     "Municipalidad de {name}")
    return template.format(name=territory.name)


@transaction.atomic
def institution_create(
    *,
    name: str,
    kind: str,
    government_level: str,
    territory: Territory,
    sector: str = "",
) -> Institution:
    institution = Institution(
        name=name, kind=kind, government_level=government_level, territory=territory,
        sector=sector,
    )
    institution.full_clean()
    institution.save()
    return institution


@transaction.atomic
def institution_update_contact(
    *,
    institution: Institution,
    actor: object,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    technical_team_notes: str | None = None,
) -> Institution:
    """Change an institution's private contact data; None leaves a field, "" clears it.

    The permission check is here, not only in the views, so no caller (API, form, script)
    can write without it. On invalid input nothing is saved and `institution` is left as it
    was. The audit log names the changed fields, never their values (they are private).
    """
    import logging

    from django.core.exceptions import ValidationError

    from minka.accounts.permissions import Action, require_permission

    require_permission(actor, Action.CHANGE, institution)
    given = {"contact_email": contact_email, "contact_phone": contact_phone,
             "technical_team_notes": technical_team_notes}
    changes = {
        field: value if field == "technical_team_notes" else value.strip()
        for field, value in given.items() if value is not None
    }
    before = {field: getattr(institution, field) for field in changes}
    for field, value in changes.items():
        setattr(institution, field, value)
    try:
        institution.clean_fields(
            exclude=[f.name for f in Institution._meta.fields if f.name not in changes]
        )
    except ValidationError:
        for field, value in before.items():
            setattr(institution, field, value)
        raise
    changed = sorted(field for field in changes if before[field] != changes[field])
    if changed:
        institution.save(update_fields=changed)
        logging.getLogger("minka.audit").info(
            "institution %s contact changed by user %s: %s",
            institution.pk, getattr(actor, "pk", None), ", ".join(changed),
        )
    return institution


# --- Imports -------------------------------------------------------------------------------
# The parsers in minka.territories.importers turn files into rows; these services write rows.
# Each is one transaction that checks every row first and raises ImportRejected (having
# written nothing) on any error, so a caller can never keep half an import. Running one again
# with the same rows writes nothing and counts everything as unchanged.

_BATCH = 500
_Key = TypeVar("_Key", bound=Hashable)
_Row = TypeVar("_Row", bound=Model)


def _bulk_upsert(
    model: type[_Row],
    *,
    known: Mapping[_Key, _Row],
    wanted: Iterable[tuple[_Key, _Row]],
    fields: Sequence[str],
) -> dict[_Key, str]:
    """Insert what is new, copy `fields` onto what differs, leave the rest alone.

    The one way every loader writes, so that re-running an import writes nothing: a row is
    "updated" only when one of `fields` differs from what is stored. `wanted` pairs a key of
    `known` with an unsaved instance holding the wanted values. Known instances are changed in
    place and new ones get their primary keys. Returns each key's status.
    """
    status: dict[_Key, str] = {}
    new: list[_Row] = []
    changed: list[_Row] = []
    for key, row in wanted:
        current = known.get(key)
        if current is None:
            new.append(row)
            status[key] = "created"
        elif any(getattr(current, f) != getattr(row, f) for f in fields):
            for f in fields:
                setattr(current, f, getattr(row, f))
            changed.append(current)
            status[key] = "updated"
        else:
            status[key] = "unchanged"
    model._default_manager.bulk_create(new, batch_size=_BATCH)
    model._default_manager.bulk_update(changed, list(fields), batch_size=_BATCH)
    return status


@transaction.atomic
def territories_load(*, country: str, rows: Sequence[TerritoryRow], source: str) -> LoadReport:
    """Create or update the territories in `rows` and the institutions they call for.

    Matched on (country, code): a new code is created; a known one takes the row's name,
    capital and aliases and counts as updated only if one of them differed. Nothing is
    deleted or retired (that is `territory_retire`'s decision, not a file's). The country's
    root is created if the rows lack it. A parent must be in the rows or in the database.
    Afterwards every district (and, where MUNICIPALITY_NAME has a template, every province)
    has its municipality and every region in REGIONAL_GOVERNMENT_NAME its regional government.
    Raises ImportRejected if any row has an error; warnings are in the returned report.
    """
    country = country.upper()
    if not any(row.level == Level.COUNTRY for row in rows):
        rows = [root_row(country), *rows]
    report = LoadReport(source=source)
    report.issues.extend(territory_rows_check(rows, country=country))
    existing = {t.code: t for t in Territory.objects.filter(country=country)}
    report.issues.extend(_territory_row_issues(rows, existing))
    if report.errors:
        raise ImportRejected(report)
    status, renamed = _territories_upsert(rows, existing)
    for code, changed in _aliases_upsert(rows, existing).items():
        if changed and status[code] == "unchanged":
            status[code] = "updated"
    for row in sorted(rows, key=lambda r: LEVEL_RANK[r.level]):
        report.count(row.level).add(status[row.code])
    loaded = [existing[row.code] for row in rows if row.level != Level.COUNTRY]
    report.counts["institution"] = _institutions_ensure(territories=loaded, renamed=renamed)
    return report


def _territory_row_issues(
    rows: Sequence[TerritoryRow], existing: Mapping[str, Territory]
) -> list[Issue]:
    """What only the database can tell: unknown parents, moved codes, values too long."""
    issues: list[Issue] = []
    in_rows = {row.code for row in rows}
    code_of = {t.pk: t.code for t in existing.values()}
    limits = {f: _max_length(Territory, f) for f in ("code", "name", "capital")}
    alias_limit = _max_length(TerritoryAlias, "code")
    for row in rows:
        origin = origin_of(row)
        parent = existing.get(row.parent_code or "")
        if row.parent_code and row.parent_code not in in_rows and parent is None:
            issues.append(origin.error("missing_parent", value=row.parent_code, code=row.code))
        elif row.parent_code not in in_rows and parent and LEVEL_RANK.get(row.level, 0) <= (
                LEVEL_RANK.get(parent.level, 0)):
            issues.append(origin.error("parent_level", value=parent.code, code=row.code,
                                       level=row.level, parent_level=parent.level))
        known = existing.get(row.code)
        if known and (known.level != row.level or code_of.get(known.parent_id or 0) != (
                row.parent_code)):
            issues.append(origin.error(
                "moved_territory", value=row.code, code=row.code,
                existing=f"{known.level} under {code_of.get(known.parent_id or 0, '-')}"))
        for column, value in (("code", row.code), ("name", row.name), ("capital", row.capital)):
            if len(value) > limits[column]:
                issues.append(origin.error("too_long", column=column, value=value[:40],
                                           found=len(value), limit=limits[column]))
        for scheme, code in row.aliases.items():
            if scheme not in TerritoryAlias.Scheme.values:
                issues.append(origin.error("unknown_alias_scheme", value=scheme))
            elif len(code) > alias_limit:
                issues.append(origin.error("too_long", column=scheme, value=code[:40],
                                           found=len(code), limit=alias_limit))
    return issues


def _max_length(model: type[Territory] | type[TerritoryAlias], field: str) -> int:
    return getattr(model._meta.get_field(field), "max_length", None) or 0


def _territories_upsert(
    rows: Sequence[TerritoryRow], existing: dict[str, Territory]
) -> tuple[dict[str, str], dict[int, str]]:
    """Level by level, parents first, so each bulk insert can point at saved parents.

    Adds the new territories to `existing`; returns each code's status and, for renamed
    territories, their former names (pk -> name).
    """
    renamed = {
        existing[row.code].pk: existing[row.code].name
        for row in rows
        if row.code in existing and existing[row.code].name != row.name
    }
    status: dict[str, str] = {}
    for rank in sorted({LEVEL_RANK[row.level] for row in rows}):
        level_rows = [row for row in rows if LEVEL_RANK[row.level] == rank]
        wanted = [
            (row.code, territory_build(
                country=row.country, code=row.code, name=row.name, level=row.level,
                parent=existing[row.parent_code] if row.parent_code else None,
                capital=row.capital))
            for row in level_rows
        ]
        status.update(_bulk_upsert(
            Territory, known=existing, wanted=wanted, fields=["name", "search_name", "capital"]
        ))
        existing.update({code: t for code, t in wanted if code not in existing})
    return status, renamed


def _aliases_upsert(
    rows: Sequence[TerritoryRow], territories: Mapping[str, Territory]
) -> dict[str, bool]:
    """Set each row's aliases (other schemes are left alone); code -> whether any changed."""
    country = rows[0].country
    known = {(a.territory_id, a.scheme): a
             for a in TerritoryAlias.objects.filter(territory__country=country)}
    wanted = [
        ((territories[row.code].pk, scheme),
         TerritoryAlias(territory=territories[row.code], scheme=scheme, code=code))
        for row in rows
        for scheme, code in row.aliases.items()
    ]
    status = _bulk_upsert(TerritoryAlias, known=known, wanted=wanted, fields=["code"])
    changed_pks = {pk for (pk, _scheme), s in status.items() if s != "unchanged"}
    return {row.code: territories[row.code].pk in changed_pks for row in rows}


def _institution_wanted(territory: Territory, name: str) -> tuple[str, str, str] | None:
    """(kind, government level, name) of the institution a territory calls for, if any."""
    level = Level(territory.level)
    named = Territory(country=territory.country, level=territory.level, name=name)
    if level == Level.DISTRICT:
        return (Institution.Kind.MUNICIPALITY, Institution.GovernmentLevel.DISTRICT,
                municipality_name(territory=named))
    if level == Level.PROVINCE and (territory.country, level) in MUNICIPALITY_NAME:
        return (Institution.Kind.MUNICIPALITY, Institution.GovernmentLevel.PROVINCIAL,
                municipality_name(territory=named))
    template = REGIONAL_GOVERNMENT_NAME.get(territory.country)
    if level == Level.REGION and template:
        return (Institution.Kind.REGIONAL_GOVERNMENT, Institution.GovernmentLevel.REGIONAL,
                template.format(name=name))
    return None


def _institutions_ensure(*, territories: Sequence[Territory], renamed: Mapping[int, str]) -> Counts:
    """Create missing municipalities and regional governments; follow a territory's rename.

    An existing institution keeps any name given to it by hand: it is renamed only when its
    name is still the one generated from the territory's former name.
    """
    counts = Counts()
    if not territories:
        return counts
    kinds = [Institution.Kind.MUNICIPALITY, Institution.Kind.REGIONAL_GOVERNMENT]
    known = {(i.territory_id, i.kind): i for i in Institution.objects.filter(
        territory__country=territories[0].country, kind__in=kinds).order_by("-pk")}
    wanted: list[tuple[tuple[int, str], Institution]] = []
    for territory in territories:
        generated = _institution_wanted(territory, territory.name)
        if generated is None:
            continue
        kind, level, name = generated
        current = known.get((territory.pk, kind))
        former = renamed.get(territory.pk)
        former_generated = _institution_wanted(territory, former) if former else None
        if current is not None and not (former_generated and current.name == former_generated[2]):
            name = current.name  # named by hand, or its territory was not renamed: keep it
        wanted.append(((territory.pk, kind), Institution(
            name=name, kind=kind, government_level=level, territory=territory)))
    for status in _bulk_upsert(Institution, known=known, wanted=wanted, fields=["name"]).values():
        counts.add(status)
    return counts


@transaction.atomic
def population_load(*, year: int, rows: Sequence[PopulationRow], source: str) -> LoadReport:
    """Create or update population cells of `year`; every territory must already exist.

    A cell is (territory, year, sex, age group, area); its value and `source` are set, and it
    counts as updated only if one of them differed. Cells not in the rows are left alone.
    Raises ImportRejected if a row is for another year, names an unknown territory, holds an
    impossible value, or if the parts in the rows do not add up to their whole in the tree.
    """
    report = LoadReport(source=source)
    report.issues.extend(population_values_check(rows, year=year))
    report.issues.extend(population_rows_check(rows))
    territories: dict[tuple[str, str], Territory] = {}
    countries = sorted({row.country for row in rows})
    for country in countries:
        in_country = {t.code: t for t in Territory.objects.filter(country=country)}
        territories.update({(country, code): t for code, t in in_country.items()})
        country_rows = [row for row in rows if row.country == country]
        report.issues.extend(_population_tree_issues(country, country_rows, in_country))
    if report.errors:
        raise ImportRejected(report)
    known = {(p.territory_id, p.sex, p.age_group, p.area): p for p in Population.objects.filter(
        year=year, territory__country__in=countries)}
    wanted = []
    for row in rows:
        territory = territories[(row.country, row.code)]
        wanted.append(((territory.pk, row.sex, row.age_group, row.area), Population(
            territory=territory, year=year, sex=row.sex, value=row.value,
            age_group=row.age_group, area=row.area, source=source)))
    counts = report.count("population")
    for status in _bulk_upsert(
        Population, known=known, wanted=wanted, fields=["value", "source"]
    ).values():
        counts.add(status)
    return report


def _population_tree_issues(
    country: str, rows: Sequence[PopulationRow], territories: Mapping[str, Territory]
) -> list[Issue]:
    """Unknown codes; then whether parts add up to their whole in the stored tree."""
    unknown = [row for row in rows if row.code not in territories]
    if unknown:
        return [origin_of(row).error("unknown_territory", value=row.code, country=country)
                for row in unknown]
    code_of = {t.pk: t.code for t in territories.values()}
    parent_of = {row.code: code_of.get(territories[row.code].parent_id or 0) for row in rows}
    issues = population_sum_issues(rows, parent_of=parent_of)
    for row in rows:
        name = territories[row.code].name
        if row.name and row.sex == Sex.TOTAL and search_key(row.name) != search_key(name):
            issues.append(origin_of(row).warning(
                "name_differs", column="", value=row.name, code=row.code, name=name))
    return issues


@transaction.atomic
def boundaries_load(
    *, country: str, features: Sequence[BoundaryFeature], source: str
) -> LoadReport:
    """Set the outline of each territory that has a feature; report those left without one.

    A feature whose code is not a territory of `country` is a warning and is skipped (codes
    are normalised like lookups: "080000" is "08"). Territories of the features' levels under
    the same parents that got no feature are listed as warnings: a 2007 map lacks the
    districts created since. Raises ImportRejected if two features name the same territory.
    """
    country = country.upper()
    report = LoadReport(source=source)
    territories = {t.code: t for t in Territory.objects.filter(country=country)}
    matched: dict[int, tuple[Territory, BoundaryFeature]] = {}
    for feature in features:
        origin = origin_of(feature)
        territory = territories.get(normalise_code(country=country, code=feature.code))
        if territory is None:
            report.issues.append(origin.warning(
                "unknown_boundary_code", value=feature.code, country=country))
        elif territory.pk in matched:
            first = where(origin_of(matched[territory.pk][1]))
            report.issues.append(origin.error("duplicate_code", value=feature.code, first=first))
        else:
            matched[territory.pk] = (territory, feature)
    if report.errors:
        raise ImportRejected(report)
    file = Origin(file=origin_of(features[0]).file if features else "")
    levels = {t.level for t, _ in matched.values()}
    parents = {t.parent_id for t, _ in matched.values()}
    for territory in territories.values():
        if (territory.level in levels and territory.parent_id in parents
                and territory.pk not in matched and territory.is_current):
            report.issues.append(file.warning(
                "no_feature", value=territory.code, name=territory.name))
    known = {b.territory_id: b for b in Boundary.objects.filter(territory__country=country)}
    wanted = [
        (territory.pk, Boundary(territory=territory, geometry=feature.geometry, source=source))
        for territory, feature in matched.values()
    ]
    counts = report.count("boundary")
    for status in _bulk_upsert(
        Boundary, known=known, wanted=wanted, fields=["geometry", "source"]
    ).values():
        counts.add(status)
    return report


def import_apply(
    *, parsed: Parsed[Any], load: Callable[[list[Any]], LoadReport], source: str
) -> LoadReport:
    """The file's issues plus what `load(rows)` did; `load` runs only if the file had no error.

    Never raises for bad input: the returned report's `errors` say whether it was refused.
    """
    if parsed.errors:
        return LoadReport(source=source, issues=list(parsed.issues))
    try:
        loaded = load(parsed.rows)
    except ImportRejected as rejected:
        loaded = rejected.report
    loaded.issues[:0] = parsed.issues
    return loaded


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def import_issue_text(issue: Issue) -> str:
    """The issue as a translated sentence after its place: "file, line 12, column inei: …"."""
    place = [issue.file] if issue.file else []
    if issue.line is not None:
        place.append(gettext("line %(line)s") % {"line": issue.line})
    if issue.feature is not None:
        place.append(gettext("feature %(feature)s") % {"feature": issue.feature})
    if issue.column and issue.feature is not None:
        place.append(gettext("property %(column)s") % {"column": issue.column})
    elif issue.column:
        place.append(gettext("column %(column)s") % {"column": issue.column})
    params = _Blank(issue.params)
    params.update(file=issue.file, line=issue.line or "?", column=issue.column,
                  value=issue.value)
    template = MESSAGES.get(issue.reason)
    message = gettext(template) % params if template else f"{issue.reason} {issue.value}"
    return f"{', '.join(place)}: {message}" if place else message


def _count_label(key: str) -> str:
    if key in Level.values:
        return str(Level(key).label)
    labels = {"institution": gettext("Institutions"), "population": gettext("Population cells"),
              "boundary": gettext("Boundaries")}
    return labels.get(key, key)


def import_report_lines(report: LoadReport) -> list[str]:
    """The report as printed by the import commands: counts, warnings, errors."""
    lines = [gettext("Import of %(source)s") % {"source": report.source}]
    if report.errors:
        lines.append(gettext("Refused: nothing was written to the database."))
    for key, counts in report.counts.items():
        lines.append("  " + gettext(
            "%(label)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged"
        ) % {"label": _count_label(key), "created": counts.created, "updated": counts.updated,
             "unchanged": counts.unchanged})
    for title, issues in ((gettext("Warnings"), report.warnings),
                          (gettext("Errors"), report.errors)):
        lines.append(f"{title}: {len(issues)}")
        lines.extend("  " + import_issue_text(issue) for issue in issues)
    return lines


def import_refusal_text(report: LoadReport) -> str:
    """One paragraph for CommandError: how many errors, and the first in full."""
    count = len(report.errors)
    return ngettext(
        "The import was refused (%(count)s error) and the database was not changed. "
        "The error: %(first)s",
        "The import was refused (%(count)s errors) and the database was not changed. "
        "First error: %(first)s",
        count,
    ) % {"count": count, "first": import_issue_text(report.errors[0])}
