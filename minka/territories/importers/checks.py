"""Checks that need only the rows, shared by the parsers and the load services.

The parsers run them so a broken file is refused before the database is opened; the services
run them again because rows may also come from code (the demo), not only from a parser.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from minka.territories.importers.issues import Issue, Origin, origin_of
from minka.territories.importers.rows import (
    AREAS,
    LEVEL_RANK,
    LEVELS,
    SEXES,
    PopulationRow,
    TerritoryRow,
)


def where(origin: Origin) -> str:
    """A short place for a message parameter: "line 12" or "feature 3" or the file name."""
    if origin.line is not None:
        return f"{origin.file}:{origin.line}"
    if origin.feature is not None:
        return f"{origin.file}#{origin.feature}"
    return origin.file or "?"


def in_reading_order(issues: list[Issue]) -> list[Issue]:
    """Issues by file (in the order files were read), then line or feature: how users fix."""
    files: dict[str, int] = {}
    for issue in issues:
        files.setdefault(issue.file, len(files))
    return sorted(issues, key=lambda i: (files[i.file], i.line or 0, i.feature or 0))


def territory_rows_check(rows: Sequence[TerritoryRow], *, country: str) -> list[Issue]:
    """Wrong country, unknown level, duplicate code, a parent not above its child."""
    issues: list[Issue] = []
    first: dict[str, TerritoryRow] = {}
    for row in rows:
        origin = origin_of(row)
        if row.country != country:
            issues.append(origin.error("wrong_country", value=row.country, country=country))
        if row.level not in LEVEL_RANK:
            issues.append(origin.error(
                "unknown_level", value=row.level, expected=", ".join(LEVELS)))
        if row.code in first:
            issues.append(origin.error(
                "duplicate_code", value=row.code, first=where(origin_of(first[row.code]))))
        else:
            first[row.code] = row
    for row in rows:
        parent = first.get(row.parent_code or "")
        if parent is None or parent.level not in LEVEL_RANK or row.level not in LEVEL_RANK:
            continue
        if LEVEL_RANK[parent.level] >= LEVEL_RANK[row.level]:
            issues.append(origin_of(row).error(
                "parent_level", value=parent.code, code=row.code, level=row.level,
                parent_level=parent.level))
    return issues


def _cell(row: PopulationRow) -> tuple[str, str, int, str, str, str]:
    return (row.country, row.code, row.year, row.sex, row.age_group, row.area)


def population_values_check(rows: Iterable[PopulationRow], *, year: int) -> list[Issue]:
    """The declared year, known sex and area, and a whole non-negative count in each row."""
    issues: list[Issue] = []
    for row in rows:
        origin = origin_of(row)
        if row.year != year:
            issues.append(origin.error("year_mismatch", value=row.year, year=year))
        if row.sex not in SEXES:
            issues.append(origin.error("unknown_sex", value=row.sex))
        if row.area not in AREAS:
            issues.append(origin.error("unknown_area", value=row.area))
        if isinstance(row.value, bool) or not isinstance(row.value, int):
            issues.append(origin.error("not_whole", value=row.value))
        elif row.value < 0:
            issues.append(origin.error("negative", value=row.value))
    return issues


def population_rows_check(rows: Iterable[PopulationRow]) -> list[Issue]:
    """Each cell (territory, year, sex, age group, area) at most once."""
    issues: list[Issue] = []
    first: dict[tuple[str, str, int, str, str, str], PopulationRow] = {}
    for row in rows:
        key = _cell(row)
        if key in first:
            issues.append(origin_of(row).error(
                "duplicate_cell", value=row.value, code=row.code, sex=row.sex, year=row.year,
                first=where(origin_of(first[key]))))
        else:
            first[key] = row
    return issues


def population_sum_issues(
    rows: Sequence[PopulationRow], *, parent_of: Mapping[str, str | None]
) -> list[Issue]:
    """Where the parts given in the rows do not add up to their whole, exactly.

    Only parents whose children appear in the rows are checked, and only against those
    children: a file may hold a single province and its districts.
    """
    by_cell = {_cell(row): row for row in rows}
    sums: dict[tuple[str, str, int, str, str, str], int] = defaultdict(int)
    parts: dict[tuple[str, str, int, str, str, str], int] = defaultdict(int)
    for row in rows:
        parent = parent_of.get(row.code)
        if parent is None:
            continue
        key = (row.country, parent, row.year, row.sex, row.age_group, row.area)
        sums[key] += row.value
        parts[key] += 1
    issues: list[Issue] = []
    for key, total in sums.items():
        whole = by_cell.get(key)
        if whole is not None and whole.value != total:
            issues.append(origin_of(whole).error(
                "children_sum_mismatch", value=whole.value, code=whole.code, sex=whole.sex,
                sum=total, children=parts[key]))
    return issues
