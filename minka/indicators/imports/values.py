"""`values_import`: data values from a file, all or nothing, with a row-level report.

The steps, each reporting per row instead of stopping at the first problem:
1. parse the file (pure parsers in `minka.indicators.importers`);
2. resolve every row: data element, territory, combination (`resolve.Resolver`);
3. check every row: period of the element's type, territory existing in that period, value
   of the element's type, the same cell not twice in the file, and the user's right to
   change that territory (has_permission(user, CHANGE, territory); no user = the system);
4. run the validation rules on the cells as they would be: a broken rule of severity error
   refuses the import; outliers, out-of-bounds values and broken warning rules are listed;
5. only if nothing was refused and this is not a dry run: write every cell in ONE
   transaction through `data_values_write` (history rows, unchanged cells ignored, so a
   re-import is a no-op), record the quality flags, and schedule the analytics refresh.

Values are kept to 6 decimals (the column's scale), rounded half-even, before comparing, so
re-importing a file with longer decimals (the ubigeo file's indices) changes nothing.
Zero is a value like any other: DHIS2 drops zeros of elements that are not
"zero-significant"; Minka stores them, because a reported zero is information and missing
is not zero.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission
from minka.analytics.engine.periods import PeriodError, period_parse
from minka.indicators.importers.dhis2_values import dhis2_csv_parse, dhis2_json_parse
from minka.indicators.importers.rows import ParsedValues, Problem, ValueRow, boolean_parse
from minka.indicators.importers.template_csv import template_csv_parse
from minka.indicators.importers.template_xlsx import template_xlsx_parse
from minka.indicators.importers.ubigeo_figures import FIGURES, ubigeo_figures_parse
from minka.indicators.imports.quality import (
    Cell,
    Finding,
    flags_record,
    import_findings,
    import_flag_scope,
)
from minka.indicators.imports.resolve import Resolver, mapping_problems
from minka.indicators.imports.summary import (
    MAX_WARNINGS,
    STATUS_DESCRIPTIONS,
    conflicts_grouped,
)
from minka.indicators.models import (
    AggregationChoice,
    AverageWeight,
    DataElement,
    DataValue,
    ImportBatch,
    PeriodTypeChoice,
    ValidationRule,
    ValueType,
)
from minka.indicators.services import CellWrite, data_element_save, data_values_write
from minka.territories.models import Territory

logger = logging.getLogger(__name__)

PARSERS: dict[str, Callable[[bytes], ParsedValues]] = {
    ImportBatch.Format.CSV: template_csv_parse,
    ImportBatch.Format.XLSX: template_xlsx_parse,
    ImportBatch.Format.DHIS2_JSON: dhis2_json_parse,
    ImportBatch.Format.DHIS2_CSV: dhis2_csv_parse,
    ImportBatch.Format.UBIGEO: ubigeo_figures_parse,
}
STRATEGIES = ("CREATE_AND_UPDATE", "DELETE")
_SCALE = Decimal("0.000001")
_PROGRESS_EVERY = 250


@dataclass
class _Checked:
    """A row that passed every check, ready to become a CellWrite."""

    row: ValueRow
    element: DataElement
    territory: Territory
    period: str
    combination: str
    value: Decimal | None


def value_parse(text: str, value_type: str) -> tuple[Decimal | None, str]:
    """The value as stored (6 decimals), or ("", reason) when it is not of the type."""
    if value_type == ValueType.BOOLEAN:
        flag = boolean_parse(text)
        return (None, "not_a_boolean") if flag is None else (Decimal(int(flag)), "")
    cleaned = text.strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None, "not_a_number"
    if not number.is_finite() or not cleaned or cleaned[-1:].isalpha():
        return None, "not_a_number"
    if number.adjusted() >= 18:
        return None, "too_large"
    if value_type == ValueType.INTEGER and number != number.to_integral_value():
        return None, "not_an_integer"
    if value_type == ValueType.PERCENTAGE and not Decimal(0) <= number <= Decimal(100):
        return None, "not_a_percentage"
    return number.quantize(_SCALE), ""


def values_import(
    *,
    content: bytes,
    file_name: str,
    format: str,
    dry_run: bool,
    user: Any,
    mapping: dict[str, Any] | None = None,
    id_scheme: str = "code",
    batch: ImportBatch | None = None,
    progress: Callable[[int, int], None] | None = None,
    strategy: str = "CREATE_AND_UPDATE",
) -> ImportBatch:
    """Import data values; returns the batch with its DHIS2-shaped summary.

    Never raises for bad input: a refused import is a batch with status REFUSED and its
    conflicts. `strategy` DELETE (DHIS2's importStrategy) deletes every cell the file names.
    `progress(rows_done, rows_total)` is called as rows are checked and at the end.
    """
    batch = _batch_start(batch, content=content, file_name=file_name, format=format,
                         dry_run=dry_run, user=user)
    scheme = (id_scheme or "code").strip().lower()
    problems: list[Problem] = []
    mapping_issues = mapping_problems(mapping)
    if format not in PARSERS:
        problems.append(Problem("csv_syntax", "MK1000", params={"detail": f"format {format}"}))
        parsed = ParsedValues()
    else:
        parsed = PARSERS[format](content)
    problems += parsed.errors
    if mapping_issues or scheme not in ("code", "uid") or strategy.upper() not in STRATEGIES:
        detail = "; ".join(mapping_issues) or f"idScheme {id_scheme}, strategy {strategy}"
        problems.append(Problem("csv_syntax", "MK1003", params={"detail": detail}))
        parsed.rows = []
    total = len(parsed.rows)
    batch.rows_total = total
    batch.save(update_fields=["rows_total"])
    extra = _ubigeo_elements() if format == ImportBatch.Format.UBIGEO else []
    checked = _rows_check(
        parsed.rows, resolver=Resolver(mapping=mapping if not mapping_issues else None,
                                       id_scheme=scheme, extra_elements=extra),
        user=user, problems=problems, batch=batch, progress=progress,
        delete_all=strategy.upper() == "DELETE",
    )
    cells = [
        Cell(c.element, c.territory, c.period, c.combination, c.value, c.row.index, c.row.line)
        for c in checked
    ]
    findings = import_findings(cells) if not problems else []
    errors = [f for f in findings if f.rule and f.rule.severity == ValidationRule.Severity.ERROR]
    for finding in errors:
        problems.append(_rule_problem(finding))
    warnings = [f for f in findings if f not in errors]
    if progress:
        progress(total, total)
    if problems:
        return _batch_finish(batch, status=ImportBatch.Status.REFUSED, problems=problems,
                             counts=None, warnings=[], parsed=parsed)
    if dry_run:
        counts = _preview_counts(checked)
        return _batch_finish(batch, status=ImportBatch.Status.CHECKED, problems=[],
                             counts=counts, warnings=warnings, parsed=parsed)
    with transaction.atomic():
        _elements_save(checked)
        cells = [replace(cell, element=c.element) for cell, c in zip(cells, checked, strict=True)]
        written = data_values_write(
            cells=[
                CellWrite(element=c.element, territory=c.territory, period=c.period,
                          value=c.value, combination=c.combination, comment=c.row.comment,
                          followup=c.row.followup)
                for c in checked
            ],
            batch=batch, user=user, source=_source(format, file_name),
        )
        for finding in warnings:
            if finding.element is not None and finding.element.pk is None:
                finding.element = DataElement.objects.get(code=finding.element.code)
        flags_record(
            findings=warnings, batch=batch, user=user, scope=import_flag_scope(cells, warnings),
            closed_note=_("Corrected by import #%(batch)s.") % {"batch": batch.pk},
        )
        batch = _batch_finish(batch, status=ImportBatch.Status.APPLIED, problems=[],
                              counts=written.as_dict(), warnings=warnings, parsed=parsed)
        if written.imported or written.updated or written.deleted:
            transaction.on_commit(_analytics_refresh)
    return batch


def _batch_start(
    batch: ImportBatch | None, *, content: bytes, file_name: str, format: str, dry_run: bool,
    user: Any,
) -> ImportBatch:
    fields = {
        "format": format[:12],
        "file_name": file_name[:255],
        "sha256": hashlib.sha256(content).hexdigest(),
        "dry_run": dry_run,
        "status": ImportBatch.Status.RUNNING,
        "source": _source(format, file_name),
        "rows_done": 0,
    }
    if batch is None:
        return ImportBatch.objects.create(
            **fields, created_by=user if getattr(user, "is_authenticated", False) else None
        )
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.save(update_fields=list(fields))
    return batch


def _source(format: str, file_name: str) -> str:
    labels = dict(ImportBatch.Format.choices)
    return f"{labels.get(format, format)}: {file_name}"[:250]


def _rows_check(
    rows: list[ValueRow], *, resolver: Resolver, user: Any, problems: list[Problem],
    batch: ImportBatch, progress: Callable[[int, int], None] | None, delete_all: bool,
) -> list[_Checked]:
    resolver.territories_prefetch((row.org_unit, row.country) for row in rows)
    allowed: dict[int, bool] = {}
    seen: dict[tuple[str, int, str, str], ValueRow] = {}
    checked: list[_Checked] = []
    for number, row in enumerate(rows, start=1):
        found = _row_check(row, resolver=resolver, user=user, allowed=allowed,
                           problems=problems, delete_all=delete_all)
        if found is not None:
            key = (found.element.code, found.territory.pk, found.period, found.combination)
            first = seen.get(key)
            if first is not None:
                problems.append(_problem(row, "duplicate_cell", "MK1001", "dataElement",
                                         row.data_element, cell=_cell_text(found),
                                         first=_place(first)))
            else:
                seen[key] = row
                checked.append(found)
        if number % _PROGRESS_EVERY == 0:
            batch.rows_done = number
            batch.save(update_fields=["rows_done"])
            if progress:
                progress(number, len(rows))
    batch.rows_done = len(rows)
    batch.save(update_fields=["rows_done"])
    return checked


def _row_check(
    row: ValueRow, *, resolver: Resolver, user: Any, allowed: dict[int, bool],
    problems: list[Problem], delete_all: bool,
) -> _Checked | None:
    before = len(problems)
    element = resolver.element(row.data_element)
    if element is None:
        problems.append(_problem(row, "unknown_element", "E7610", "dataElement", row.data_element))
    territory = resolver.territory(row.org_unit, row.country)
    if territory is None:
        problems.append(_problem(row, "unknown_org_unit", "E7612", "orgUnit", row.org_unit))
    if row.attribute_option_combo and resolver.combination(
        row.attribute_option_combo, frozenset({""})
    ) != "":
        problems.append(_problem(row, "attribute_combo", "E7615", "attributeOptionCombo",
                                 row.attribute_option_combo))
    period = None
    try:
        period = period_parse(row.period)
    except PeriodError as error:
        problems.append(_problem(row, "invalid_period", "E7611", "period", row.period,
                                 detail=_period_detail(error)))
    if element is None:
        return None
    combination = resolver.combination(row.category_option_combo,
                                       resolver.combination_keys(element))
    if combination is None:
        problems.append(_problem(row, "unknown_combination", "E7613", "categoryOptionCombo",
                                 row.category_option_combo))
    elif combination not in resolver.combination_keys(element):
        problems.append(_problem(
            row, "combination_not_of_element", "E7634", "categoryOptionCombo",
            row.category_option_combo or "default", element=element.code,
            expected=", ".join(sorted(k or "default" for k in resolver.combination_keys(element))),
        ))
    if period is not None and period.type.value != element.period_type:
        problems.append(_problem(
            row, "period_type", "E7632", "period", row.period, element=element.code,
            found=str(PeriodTypeChoice(period.type.value).label),
            expected=str(PeriodTypeChoice(element.period_type).label),
        ))
    if territory is not None and period is not None and not _valid_in(territory, period):
        problems.append(_problem(
            row, "territory_closed", "E2019", "orgUnit", row.org_unit,
            territory=territory.name, period=period.id,
            valid=f"{territory.valid_from or '…'} – {territory.valid_to or '…'}",
        ))
    if territory is not None and user is not None:
        if territory.pk not in allowed:
            allowed[territory.pk] = has_permission(user, Action.CHANGE, territory)
        if not allowed[territory.pk]:
            problems.append(_problem(row, "outside_scope", "E7617", "orgUnit", row.org_unit,
                                     territory=territory.name))
    value: Decimal | None = None
    if not (row.deleted or row.value is None or delete_all):
        value, reason = value_parse(row.value, element.value_type)
        if reason:
            problems.append(_problem(row, reason, "E7619", "value", row.value,
                                     element=element.code))
    if len(problems) > before or territory is None or period is None or combination is None:
        return None
    return _Checked(row, element, territory, period.id, combination, value)


def _valid_in(territory: Territory, period: Any) -> bool:
    starts_ok = territory.valid_from is None or territory.valid_from <= period.end
    ends_ok = territory.valid_to is None or territory.valid_to >= period.start
    return starts_ok and ends_ok


def _period_detail(error: PeriodError) -> str:
    return _("accepted forms: 2023, 2023S1, 2023Q3, 202307, 2023W5")


def _problem(row: ValueRow, reason: str, code: str, field: str, value: str,
             **params: str | int) -> Problem:
    return Problem(reason, code, row.index, row.line, row.column(field), value, params)


def _cell_text(found: _Checked) -> str:
    parts = [found.element.code, found.territory.code, found.period]
    if found.combination:
        parts.append(found.combination)
    return " / ".join(parts)


def _place(row: ValueRow) -> str:
    return _("row %(row)s") % {"row": row.line}


def _rule_problem(finding: Finding) -> Problem:
    assert finding.rule is not None
    rule = finding.rule
    return Problem(
        "rule_error", "MK1002", finding.indexes[0] if finding.indexes else None,
        finding.lines[0] if finding.lines else None, "value", rule.code,
        {"rule": rule.name, "territory": finding.territory.name, "period": finding.period,
         "detail": finding.detail},
    )


def _preview_counts(checked: list[_Checked]) -> dict[str, int]:
    """What data_values_write would count, read without writing (dry run)."""
    counts = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}
    stored: dict[tuple[int, int, str, str], tuple[Decimal, str, bool]] = {}
    by_key: dict[tuple[int, str], set[int]] = {}
    for c in checked:
        if c.element.pk is not None:
            by_key.setdefault((c.element.pk, c.period), set()).add(c.territory.pk)
    for (element_id, period), territory_ids in by_key.items():
        ids = sorted(territory_ids)
        for start in range(0, len(ids), 500):
            for row in DataValue.objects.filter(
                element_id=element_id, period=period, territory_id__in=ids[start:start + 500]
            ).values_list("territory_id", "combination", "value", "comment", "followup"):
                stored[(element_id, row[0], period, row[1])] = (row[2], row[3], row[4])
    for c in checked:
        current = stored.get((c.element.pk or 0, c.territory.pk, c.period, c.combination))
        if c.value is None:
            counts["deleted" if current else "ignored"] += 1
        elif current is None:
            counts["imported"] += 1
        elif current == (c.value, c.row.comment, c.row.followup):
            counts["ignored"] += 1
        else:
            counts["updated"] += 1
    return counts


def _batch_finish(
    batch: ImportBatch, *, status: str, problems: list[Problem], counts: dict[str, int] | None,
    warnings: list[Finding], parsed: ParsedValues,
) -> ImportBatch:
    counts = counts or {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}
    if status == ImportBatch.Status.REFUSED:
        dhis2_status = "ERROR"
    elif warnings or parsed.warnings:
        dhis2_status = "WARNING"
    else:
        dhis2_status = "SUCCESS"
    listed = [finding.as_warning() for finding in warnings[:MAX_WARNINGS]]
    summary = dict(batch.summary or {})
    summary.update({
        "responseType": "ImportSummary",
        "status": dhis2_status,
        "description": str(STATUS_DESCRIPTIONS[status]),
        "importCount": counts,
        "conflicts": conflicts_grouped(problems),
        "dryRun": batch.dry_run,
        "warnings": listed,
        "warningsTotal": len(warnings),
        "fileNotes": conflicts_grouped(parsed.warnings),
        "rowsSkipped": parsed.skipped,
        "importOptions": {**summary.get("importOptions", {}), "dryRun": batch.dry_run},
    })
    batch.summary = summary
    batch.status = status
    batch.imported, batch.updated = counts["imported"], counts["updated"]
    batch.ignored, batch.deleted = counts["ignored"], counts["deleted"]
    batch.finished_at = timezone.now()
    batch.save(update_fields=["summary", "status", "imported", "updated", "ignored", "deleted",
                              "finished_at", "rows_done", "rows_total"])
    return batch


def _ubigeo_elements() -> list[DataElement]:
    """The four data elements of the ubigeo figures: stored ones, or unsaved ones that the
    import creates when it writes (so a dry run writes nothing, not even the catalogue)."""
    existing = {e.code: e for e in DataElement.objects.filter(code__in=[f.code for f in FIGURES])}
    elements = []
    for figure in FIGURES:
        elements.append(existing.get(figure.code) or DataElement(
            code=figure.code, name_es=figure.name_es, name_en=figure.name_en,
            value_type=figure.value_type, aggregation=AggregationChoice.AVERAGE,
            average_weight=AverageWeight.POPULATION, period_type=PeriodTypeChoice.YEARLY,
            minimum=figure.minimum, maximum=figure.maximum, source=figure.source,
        ))
    return elements


def _elements_save(checked: list[_Checked]) -> None:
    """Save the unsaved catalogue entries the rows point to (ubigeo figures)."""
    saved: dict[str, DataElement] = {}
    for c in checked:
        element = c.element
        if element.pk is None:
            if element.code not in saved:
                saved[element.code] = data_element_save(
                    code=element.code, name_es=element.name_es, name_en=element.name_en,
                    value_type=element.value_type, aggregation=element.aggregation,
                    period_type=element.period_type, minimum=element.minimum,
                    maximum=element.maximum, source=element.source,
                )
            c.element = saved[element.code]


def _analytics_refresh() -> None:
    """Bring the analytics store up to date after a committed import. The adapter lives in
    `minka.analytics.services`; until it exists there is nothing to refresh."""
    try:
        services = importlib.import_module("minka.analytics.services")
    except ModuleNotFoundError as error:
        if error.name == "minka.analytics.services":
            return
        raise
    try:
        services.analytics_refresh()
    except Exception:  # the data is committed; a failed refresh is retried by the next one
        logger.exception("analytics refresh after an import failed")

