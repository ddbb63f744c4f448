"""`metadata_import`: a DHIS2 metadata JSON into Minka's catalogue, idempotent.

Everything is written in one transaction through the catalogue's services (so an
indicator's formula is checked like one typed on a page); a dry run rolls it back. What
the file holds that Minka cannot hold is reported object by object and left out (status
WARNING); a file that cannot be read as metadata at all, or whose objects clash (two with
one code), refuses everything (status ERROR). Running the same file again changes nothing:
every object is compared with what is stored and counted created, updated or ignored.

The summary follows DHIS2's import report: `status`, `stats` (created, updated, ignored,
total) and per type `typeReports`, plus `conflicts` (what was left out, and why) and
`warnings` (what was imported with a note).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission
from minka.indicators.importers.dhis2_metadata import (
    MESSAGES,
    CategorySpecM,
    ElementSpecM,
    IndicatorSpecM,
    KnownElement,
    MetadataSpecs,
    MetaProblem,
    RuleSpecM,
    metadata_parse,
)
from minka.indicators.imports.quality import validation_rule_save
from minka.indicators.models import (
    COMBINATION_SEPARATOR,
    Category,
    CategoryOption,
    Combination,
    Constant,
    DataElement,
    IndicatorSheet,
    ValidationRule,
)
from minka.indicators.services import (
    FormulaRejected,
    OptionSpec,
    category_save,
    combination_key,
    constant_save,
    data_element_save,
    indicator_sheet_save,
)

TYPES = ("categoryOptions", "categories", "categoryOptionCombos", "dataElements", "constants",
         "indicators", "validationRules")


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _object_label(problem: MetaProblem) -> str:
    if not problem.uid:
        return ""
    return f"{problem.object_type} {problem.name!r} ({problem.uid})"


def metadata_problem_text(problem: MetaProblem) -> str:
    params = _Blank(problem.params)
    params["object"] = _object_label(problem)
    template = MESSAGES.get(problem.reason)
    return _(template) % params if template else problem.reason


def metadata_import(
    *, content: bytes, format: str = "dhis2", dry_run: bool, user: Any
) -> dict[str, Any]:
    """Import a DHIS2 metadata document; returns its summary (see the module docstring).

    `user` None is the system; a person needs the right to change region-independent
    material (a national admin or a regional coordinator).
    """
    if user is not None and not has_permission(user, Action.CHANGE, None):
        raise PermissionDenied(_("You may not change the catalogue of indicators."))
    reports = {kind: {"created": 0, "updated": 0, "ignored": 0, "deleted": 0} for kind in TYPES}
    if format != "dhis2":
        specs = MetadataSpecs()
        specs.problems.append(MetaProblem("", "", "", "not_metadata", fatal=True))
        return _summary(specs, reports, dry_run=dry_run, refused=True)
    with transaction.atomic():
        specs = metadata_parse(content, known_elements=_known_elements(),
                               known_combinations=_known_combinations(),
                               known_constants=dict(
                                   Constant.objects.exclude(uid="").values_list("uid", "code")))
        if specs.fatal:
            return _summary(specs, reports, dry_run=dry_run, refused=True)
        keys_before = set(Combination.objects.values_list("key", flat=True))
        for category in specs.categories:
            _category_import(category, reports)
        for element in specs.elements:
            _element_import(element, reports)
        _combinations_import(specs, keys_before, reports["categoryOptionCombos"])
        for constant in specs.constants:
            current = Constant.objects.filter(code=constant.code).first()
            wanted = (constant.name, constant.value, constant.uid)
            if current and (current.name_es, current.value, current.uid) == wanted:
                _count(reports["constants"], "ignored")
                continue
            constant_save(code=constant.code, name_es=constant.name, name_en=constant.name,
                          value=constant.value, uid=constant.uid)
            _count(reports["constants"], "updated" if current else "created")
        for indicator in specs.indicators:
            _indicator_import(indicator, reports["indicators"], specs)
        for rule in specs.rules:
            _rule_import(rule, reports["validationRules"], specs)
        summary = _summary(specs, reports, dry_run=dry_run, refused=False)
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _count(report: dict[str, int], status: str) -> None:
    report[status] += 1


def _known_elements() -> dict[str, KnownElement]:
    known = {}
    for element in DataElement.objects.exclude(uid="").prefetch_related("categories__options"):
        options = frozenset(
            option.code
            for category in element.categories.all()
            for option in category.options.all()
        )
        known[element.uid] = KnownElement(element.code, element.period_type, options)
    return known


def _known_combinations() -> dict[str, frozenset[str]]:
    return {
        uid: frozenset(k for k in key.split(COMBINATION_SEPARATOR) if k)
        for uid, key in Combination.objects.exclude(uid="").values_list("uid", "key")
    }


def _category_import(spec: CategorySpecM, reports: dict[str, dict[str, int]]) -> None:
    current = Category.objects.filter(code=spec.code).first()
    stored = {
        o.code: o
        for o in CategoryOption.objects.filter(code__in=[o.code for o in spec.options])
    }
    for order, option in enumerate(spec.options):
        found = stored.get(option.code)
        if found is None:
            _count(reports["categoryOptions"], "created")
        elif (found.name_es, found.uid, found.sort_order, found.category.code) == (
            option.name, option.uid, order, spec.code
        ):
            _count(reports["categoryOptions"], "ignored")
        else:
            _count(reports["categoryOptions"], "updated")
    same = current is not None and (current.name_es, current.uid) == (spec.name, spec.uid)
    options_same = len(stored) == len(spec.options) and all(
        (stored[o.code].name_es, stored[o.code].uid, stored[o.code].sort_order,
         stored[o.code].category_id) == (o.name, o.uid, i, current.pk if current else None)
        for i, o in enumerate(spec.options)
    )
    if same and options_same:
        _count(reports["categories"], "ignored")
        return
    category_save(
        code=spec.code, name_es=spec.name, name_en=spec.name, uid=spec.uid,
        options=[OptionSpec(code=o.code, name_es=o.name, name_en=o.name, uid=o.uid)
                 for o in spec.options],
    )
    _count(reports["categories"], "updated" if current else "created")


def _element_import(spec: ElementSpecM, reports: dict[str, dict[str, int]]) -> None:
    current = DataElement.objects.filter(code=spec.code).first()
    wanted = (spec.name, spec.name, spec.description, spec.value_type, spec.aggregation,
              spec.period_type, spec.minimum, spec.maximum, spec.uid)
    if current is not None:
        stored = (current.name_es, current.name_en, current.description, current.value_type,
                  current.aggregation, current.period_type, current.minimum, current.maximum,
                  current.uid)
        categories = tuple(current.categories.order_by("code").values_list("code", flat=True))
        if stored == wanted and categories == tuple(sorted(spec.category_codes)):
            _count(reports["dataElements"], "ignored")
            return
    data_element_save(
        code=spec.code, name_es=spec.name, name_en=spec.name, description=spec.description,
        value_type=spec.value_type, aggregation=spec.aggregation, period_type=spec.period_type,
        categories=list(Category.objects.filter(code__in=spec.category_codes)),
        minimum=spec.minimum, maximum=spec.maximum, uid=spec.uid,
        average_weight=current.average_weight if current else "population",
        weight_element=current.weight_element if current else None,
        source=current.source if current else "DHIS2",
    )
    _count(reports["dataElements"], "updated" if current else "created")


def _combinations_import(
    specs: MetadataSpecs, keys_before: set[str], report: dict[str, int]
) -> None:
    """Give each DHIS2 category option combo's combination its uid (data_element_save has
    generated the combinations of the elements; one no element uses is created here)."""
    for spec in specs.combinations:
        key = combination_key(spec.option_codes)
        current = Combination.objects.filter(key=key).first()
        if current is None:
            Combination.objects.create(key=key, uid=spec.uid, name_es=spec.name,
                                       name_en=spec.name)
            _count(report, "created")
        elif current.uid == spec.uid:
            _count(report, "ignored" if key in keys_before else "created")
        else:
            current.uid = spec.uid
            current.save(update_fields=["uid"])
            _count(report, "updated" if key in keys_before else "created")


def _indicator_import(spec: IndicatorSpecM, report: dict[str, int], specs: MetadataSpecs) -> None:
    current = IndicatorSheet.objects.filter(code=spec.code).first()
    wanted = (spec.name, spec.name, spec.description, spec.description, spec.formula, spec.unit,
              spec.decimals, spec.frequency, spec.uid)
    if current is not None and (
        current.name_es, current.name_en, current.definition_es, current.definition_en,
        current.formula, current.unit, current.decimals, current.frequency, current.uid,
    ) == wanted:
        _count(report, "ignored")
        return
    kept: dict[str, Any] = {}
    if current is not None:
        kept = {name: getattr(current, name) for name in (
            "polarity", "source", "results_chain_level", "classification", "responsible",
            "base_year", "tolerance", "published")}
    try:
        indicator_sheet_save(
            code=spec.code, name_es=spec.name, name_en=spec.name, formula=spec.formula,
            definition_es=spec.description, definition_en=spec.description, unit=spec.unit,
            decimals=spec.decimals, frequency=spec.frequency, uid=spec.uid, **kept,
        )
    except FormulaRejected as rejected:
        specs.problems.append(MetaProblem(
            "indicators", spec.uid, spec.name, "formula_rejected",
            {"value": spec.formula, "detail": "; ".join(m for _p, m in rejected.problems)},
        ))
        return
    _count(report, "updated" if current else "created")


def _rule_import(spec: RuleSpecM, report: dict[str, int], specs: MetadataSpecs) -> None:
    current = ValidationRule.objects.filter(code=spec.code).first()
    wanted = (spec.name, spec.name, spec.left, spec.operator, spec.right, spec.period_type,
              spec.uid)
    if current is not None and (
        current.name_es, current.name_en, current.left, current.operator, current.right,
        current.period_type, current.uid,
    ) == wanted:
        _count(report, "ignored")
        return
    try:
        validation_rule_save(
            code=spec.code, name_es=spec.name, name_en=spec.name, left=spec.left,
            operator=spec.operator, right=spec.right, period_type=spec.period_type,
            uid=spec.uid,
            severity=current.severity if current else spec.severity,
            active=current.active if current else True,
        )
    except FormulaRejected as rejected:
        specs.problems.append(MetaProblem(
            "validationRules", spec.uid, spec.name, "formula_rejected",
            {"value": f"{spec.left} {spec.operator} {spec.right}",
             "detail": "; ".join(m for _p, m in rejected.problems)},
        ))
        return
    _count(report, "updated" if current else "created")


def _problem_dict(problem: MetaProblem) -> dict[str, Any]:
    return {
        "objectType": problem.object_type,
        "uid": problem.uid,
        "name": problem.name,
        "reason": metadata_problem_text(problem),
        "errorCode": problem.reason,
    }


def _summary(
    specs: MetadataSpecs, reports: Mapping[str, dict[str, int]], *, dry_run: bool, refused: bool
) -> dict[str, Any]:
    conflicts = [p for p in specs.problems if not p.warning]
    type_reports = {
        kind: {**counts, "total": sum(counts.values()),
               "inFile": specs.in_file.get(kind, 0),
               "conflicts": sum(1 for p in conflicts if p.object_type == kind)}
        for kind, counts in reports.items()
    }
    stats = {key: sum(r[key] for r in reports.values())
             for key in ("created", "updated", "ignored", "deleted")}
    stats["total"] = sum(stats.values())
    if refused:
        status, description = "ERROR", _("Metadata import refused: nothing was written.")
    elif conflicts or any(p.warning for p in specs.problems):
        status = "WARNING"
        description = _("Metadata imported, except the objects listed as conflicts.")
    else:
        status, description = "OK", _("Metadata imported.")
    if dry_run and not refused:
        description = _("Dry run: nothing was written.") + " " + description
    return {
        "status": status,
        "description": description,
        "dryRun": dry_run,
        "stats": stats,
        "typeReports": type_reports,
        "conflicts": [_problem_dict(p) for p in conflicts],
        "warnings": [_problem_dict(p) for p in specs.problems if p.warning],
    }


def metadata_summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as printed by `import_metadata`."""
    lines = [f"{summary['status']}: {summary['description']}"]
    for kind, report in summary["typeReports"].items():
        if report["inFile"] or report["total"]:
            lines.append("  " + _(
                "%(kind)s: %(in_file)s in the file, %(created)s created, %(updated)s updated, "
                "%(ignored)s unchanged, %(conflicts)s left out"
            ) % {"kind": kind, "in_file": report["inFile"], "created": report["created"],
                 "updated": report["updated"], "ignored": report["ignored"],
                 "conflicts": report["conflicts"]})
    for title, key in ((_("Conflicts"), "conflicts"), (_("Warnings"), "warnings")):
        lines.append(f"{title}: {len(summary[key])}")
        lines.extend(f"  {item['reason']}" for item in summary[key])
    return lines
