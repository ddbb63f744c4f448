"""Import summaries shaped like DHIS2's, and their text for people.

A data-value import summary is DHIS2's ImportSummary (`status`, `description`,
`importCount{imported, updated, ignored, deleted}`, `conflicts[{object, value, errorCode,
indexes}]`) plus what Minka's row-level report needs: each conflict also says the `row`
(the line or spreadsheet row a person finds; `rows` lists all of them), the `column` and
the `reason` in the user's language; `warnings` lists the quality flags the values raised.
As in DHIS2, `value` is the conflict's message (in English, DHIS2's language) and `object`
the identifier or value it is about; identical conflicts are grouped, their `indexes`
listing every data value (0-based, DHIS2's) they concern.

Error codes are DHIS2's where DHIS2 has the same finding (E7610 unknown data element,
E7611 invalid period, E7612 unknown org unit, E7613 unknown category option combo, E7615
attribute option combo, E7617 org unit outside the user's hierarchy, E7618 no value, E7619
value not of the element's type, E7632 period of another type, E7634 combo not of the
element, E2019 org unit closed in the period); Minka's own start with MK: MK1000 the file
cannot be read, MK1001 a cell twice in the file, MK1002 a validation rule of severity error
fails, MK1003 the mapping file is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _

from minka.indicators.importers.rows import MESSAGES, Problem

MAX_WARNINGS = 500
"""Warnings listed in a summary; `warningsTotal` counts them all."""


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def problem_text(problem: Problem, *, language: str | None = None) -> str:
    """The problem's message in the active language (or `language`), without its place."""
    params = _Blank(problem.params)
    params.setdefault("value", problem.value)
    params.setdefault("column", problem.column)
    params.setdefault("line", problem.line if problem.line is not None else "?")
    template = MESSAGES.get(problem.reason)
    if template is None:
        return f"{problem.reason} {problem.value}".strip()
    if language is None:
        return gettext(template) % params
    with override(language):
        return gettext(template) % params


@dataclass
class ConflictGroup:
    object: str
    error_code: str
    column: str
    reason: str
    value: str
    indexes: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "value": self.value,
            "errorCode": self.error_code,
            "indexes": self.indexes,
            "property": self.column,
            "row": self.rows[0] if self.rows else None,
            "rows": self.rows,
            "column": self.column,
            "reason": self.reason,
        }


def conflicts_grouped(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    """DHIS2's conflicts: one per (error code, object, column, message), with every index."""
    groups: dict[tuple[str, str, str, str], ConflictGroup] = {}
    for problem in problems:
        reason = problem_text(problem)
        key = (problem.error_code, problem.value, problem.column, reason)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ConflictGroup(
                object=problem.value,
                error_code=problem.error_code,
                column=problem.column,
                reason=reason,
                value=problem_text(problem, language="en"),
            )
        if problem.index is not None:
            group.indexes.append(problem.index)
        if problem.line is not None:
            group.rows.append(problem.line)
    return [group.as_dict() for group in groups.values()]


STATUS_DESCRIPTIONS = {
    "refused": _("Import refused: nothing was written. Correct the rows listed and import "
                 "the file again."),
    "checked": _("Dry run: the file can be imported as shown; nothing was written yet."),
    "applied": _("Import process completed successfully."),
}


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """A data-value summary as printed by `import_values` (counts, conflicts, warnings)."""
    counts = summary.get("importCount") or {}
    lines = [
        f"{summary.get('status', '?')}: {summary.get('description', '')}",
        gettext("Imported %(imported)s, updated %(updated)s, ignored %(ignored)s, "
                "deleted %(deleted)s")
        % {key: counts.get(key, 0) for key in ("imported", "updated", "ignored", "deleted")},
    ]
    conflicts = summary.get("conflicts") or []
    lines.append(gettext("Conflicts: %(count)s") % {"count": len(conflicts)})
    for conflict in conflicts:
        rows = conflict.get("rows") or []
        where = gettext("row %(row)s") % {"row": ", ".join(str(r) for r in rows[:20])}
        if len(rows) > 20:
            where += gettext(" and %(more)s more") % {"more": len(rows) - 20}
        lines.append(
            f"  [{conflict.get('errorCode')}] {where}, "
            + gettext("column %(column)s") % {"column": conflict.get("column") or "-"}
            + f", {conflict.get('object')!r}: {conflict.get('reason')}"
        )
    warnings = summary.get("warnings") or []
    total = summary.get("warningsTotal", len(warnings))
    lines.append(gettext("Quality warnings: %(count)s") % {"count": total})
    for warning in warnings:
        lines.append(
            f"  {warning.get('territory')} {warning.get('period')} "
            f"{warning.get('element') or warning.get('rule')}: {warning.get('detail')}"
        )
    return lines
