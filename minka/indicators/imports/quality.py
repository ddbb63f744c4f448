"""Data quality on stored and incoming values: validation rules, outliers, plausible bounds.

The computations are the engine's (`minka.analytics.engine.quality`); this module reads the
values they need, and records what they find as `QualityFlag`s to review. Nothing here
changes or drops a value: a flag is a question to a person, who confirms the value or
corrects it by a new import.

Invariants:
- at most one open flag per cell and kind (for rules: per rule, territory and period);
  looking again refreshes it instead of adding another;
- a flag a reviewer confirmed is not raised again while the value stays what they saw;
- an open flag whose finding has gone (the value was corrected, the rule holds now) is
  closed as corrected, saying by what.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission
from minka.analytics.engine.formula import Formula, FormulaError, formula_parse
from minka.analytics.engine.periods import PeriodError, period_offset, period_parse
from minka.analytics.engine.quality import (
    RULE_OPERATORS,
    Bound,
    RuleOutcome,
    bounds_check,
    outlier_scores,
    rule_check,
)
from minka.indicators.models import (
    COMBINATION_SEPARATOR,
    Constant,
    DataElement,
    DataValue,
    ImportBatch,
    QualityFlag,
    ValidationRule,
    ValueType,
)
from minka.indicators.services import FormulaRejected, formula_problems
from minka.territories.models import Territory

_CHUNK = 500
FlagKey = tuple[str, int | None, int | None, int, str, str]  # kind, element, rule, territory…


@dataclass(frozen=True)
class Cell:
    """A cell as an import leaves it: `value` None when the import deletes it."""

    element: DataElement
    territory: Territory
    period: str
    combination: str
    value: Decimal | None
    index: int = -1
    line: int = 0


@dataclass
class Finding:
    """Something to flag (or, for a rule of severity error at import, to refuse)."""

    kind: str
    territory: Territory
    period: str
    element: DataElement | None = None
    rule: ValidationRule | None = None
    combination: str = ""
    value: Decimal | None = None
    score: float | None = None
    detail: str = ""
    indexes: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def key(self) -> FlagKey:
        return (
            self.kind,
            self.element.pk if self.element else None,
            self.rule.pk if self.rule else None,
            self.territory.pk,
            self.period,
            self.combination,
        )

    def as_warning(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "element": self.element.code if self.element else "",
            "rule": self.rule.code if self.rule else "",
            "territory": self.territory.code,
            "territoryName": self.territory.name,
            "period": self.period,
            "combination": self.combination,
            "value": None if self.value is None else str(self.value),
            "score": self.score,
            "detail": self.detail,
            "indexes": self.indexes,
        }


# --- validation rules -----------------------------------------------------------------


@transaction.atomic
def validation_rule_save(
    *,
    code: str,
    name_es: str,
    left: str,
    operator: str,
    right: str,
    name_en: str = "",
    severity: str = ValidationRule.Severity.WARNING,
    period_type: str = "Monthly",
    active: bool = True,
    uid: str = "",
) -> ValidationRule:
    """Create or update a rule by code; both sides are checked like an indicator's formula
    (FormulaRejected names the side's problems; nothing is saved)."""
    if operator not in RULE_OPERATORS:
        raise ValidationError(_("Unknown comparison %(operator)s.") % {"operator": operator})
    problems = [(p, f"{_('left side')}: {m}") for p, m in formula_problems(left)]
    problems += [(p, f"{_('right side')}: {m}") for p, m in formula_problems(right)]
    if problems:
        raise FormulaRejected(problems)
    rule, _created = ValidationRule.objects.update_or_create(
        code=code,
        defaults={
            "name_es": name_es, "name_en": name_en, "left": left, "operator": operator,
            "right": right, "severity": severity, "period_type": period_type,
            "active": active, "uid": uid,
        },
    )
    return rule


@dataclass(frozen=True)
class _ParsedRule:
    rule: ValidationRule
    left: Formula
    right: Formula
    codes: frozenset[str]
    offsets: frozenset[int]


def _rules(element_codes: Iterable[str] | None) -> list[_ParsedRule]:
    wanted = None if element_codes is None else set(element_codes)
    parsed = []
    for rule in ValidationRule.objects.filter(active=True):
        try:
            left, right = formula_parse(rule.left), formula_parse(rule.right)
        except FormulaError:
            continue  # saved through validation_rule_save, so only a hand-edited row
        inputs = left.inputs | right.inputs
        codes = frozenset(code for code, _d, _o in inputs)
        if wanted is None or codes & wanted:
            parsed.append(_ParsedRule(rule, left, right, codes,
                                      frozenset(offset for _c, _d, offset in inputs)))
    return parsed


def _constants() -> dict[str, Decimal]:
    return dict(Constant.objects.values_list("code", "value"))


def _rule_inputs(
    rule: _ParsedRule, period: str, cells: Mapping[tuple[str, str], Mapping[str, Decimal]]
) -> dict[tuple[str, str | None, int], Decimal | None]:
    """What the rule's formulas read at one territory and period, from `cells`
    ((code, period) -> combination -> value): totals and single-option sums."""
    values: dict[tuple[str, str | None, int], Decimal | None] = {}
    for code, disaggregation, offset in rule.left.inputs | rule.right.inputs:
        at = _offset(period, offset)
        combinations = cells.get((code, at), {}) if at else {}
        chosen = [
            value for key, value in combinations.items()
            if disaggregation is None or disaggregation in key.split(COMBINATION_SEPARATOR)
        ]
        values[(code, disaggregation, offset)] = sum(chosen, Decimal(0)) if chosen else None
    return values


def _offset(period: str, offset: int) -> str | None:
    if offset == 0:
        return period
    try:
        return period_offset(period_parse(period), offset).id
    except PeriodError:
        return None


def _rule_detail(rule: ValidationRule, left: Decimal | None, right: Decimal | None) -> str:
    return _("%(rule)s: %(left)s %(operator)s %(right)s is not true") % {
        "rule": rule.name, "left": _number(left), "operator": rule.get_operator_display(),
        "right": _number(right),
    }


def _number(value: Decimal | float | None) -> str:
    if value is None:
        return "?"
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def rules_evaluate(
    *,
    rules: Sequence[_ParsedRule],
    places: Iterable[tuple[Territory, str]],
    cells: Mapping[int, Mapping[tuple[str, str], Mapping[str, Decimal]]],
    constants: Mapping[str, Decimal],
) -> list[Finding]:
    """Every rule broken at the (territory, period) places whose period type it checks;
    `cells` holds, per territory id, (code, period) -> combination -> value."""
    findings = []
    for territory, period in places:
        try:
            period_type = period_parse(period).type.value
        except PeriodError:
            continue
        for rule in rules:
            if rule.rule.period_type != period_type:
                continue
            result = rule_check(
                left=rule.left, operator=rule.rule.operator, right=rule.right,
                values=_rule_inputs(rule, period, cells.get(territory.pk, {})),
                constants=constants,
            )
            if result.outcome is RuleOutcome.VIOLATED:
                findings.append(Finding(
                    kind=QualityFlag.Kind.RULE, territory=territory, period=period,
                    rule=rule.rule, value=result.left, detail=_rule_detail(
                        rule.rule, result.left, result.right),
                ))
    return findings


# --- reading stored values -------------------------------------------------------------


def _stored(
    *, element_ids: Iterable[int], territory_ids: Iterable[int] | None,
    periods: Iterable[str] | None = None,
) -> Iterator[tuple[int, int, str, str, Decimal]]:
    base = DataValue.objects.filter(element_id__in=list(element_ids))
    if periods is not None:
        base = base.filter(period__in=sorted(set(periods)))
    columns = ("element_id", "territory_id", "period", "combination", "value")
    if territory_ids is None:
        yield from base.values_list(*columns).iterator(chunk_size=5000)
        return
    ids = sorted(set(territory_ids))
    for start in range(0, len(ids), _CHUNK):
        yield from base.filter(territory_id__in=ids[start:start + _CHUNK]).values_list(*columns)


# --- at import --------------------------------------------------------------------------


def import_findings(cells: Sequence[Cell]) -> list[Finding]:
    """What the cells of an import would raise once written: broken rules (of either
    severity: the caller refuses the import for errors), outliers and values out of bounds.
    Deleted cells raise nothing but still count in the rules (as missing)."""
    findings = _bounds_findings(cells)
    findings += _outlier_findings(cells)
    findings += _import_rule_findings(cells)
    return findings


def _bounds_findings(cells: Iterable[Cell]) -> list[Finding]:
    findings = []
    for cell in cells:
        element = cell.element
        if cell.value is None or (element.minimum is None and element.maximum is None):
            continue
        bound = bounds_check(cell.value, minimum=element.minimum, maximum=element.maximum)
        if bound is None:
            continue
        if bound is Bound.BELOW:
            detail = _("%(value)s is below the lowest plausible value, %(limit)s") % {
                "value": _number(cell.value), "limit": _number(element.minimum)}
        else:
            detail = _("%(value)s is above the highest plausible value, %(limit)s") % {
                "value": _number(cell.value), "limit": _number(element.maximum)}
        findings.append(Finding(
            kind=QualityFlag.Kind.OUT_OF_BOUNDS, territory=cell.territory, period=cell.period,
            element=element, combination=cell.combination, value=cell.value, detail=detail,
            indexes=[cell.index], lines=[cell.line],
        ))
    return findings


def _outlier_detail(value: Decimal | float, median: float | None, score: float) -> str:
    return _(
        "%(value)s is far from this territory's usual values (median %(median)s, modified "
        "z-score %(score)s; above 3.5 is an outlier)"
    ) % {"value": _number(value), "median": _number(median), "score": f"{score:.1f}"}


def _outlier_findings(cells: Sequence[Cell]) -> list[Finding]:
    numeric = [c for c in cells if c.value is not None and c.element.pk is not None
               and c.element.value_type != ValueType.BOOLEAN]
    if not numeric:
        return []
    incoming: dict[tuple[int, int, str], dict[str, Cell]] = defaultdict(dict)
    for cell in numeric:
        incoming[(cell.element.pk, cell.territory.pk, cell.combination)][cell.period] = cell
    history: dict[tuple[int, int, str], list[Decimal]] = defaultdict(list)
    for element_id, territory_id, period, combination, value in _stored(
        element_ids={c.element.pk for c in numeric}, territory_ids={c.territory.pk for c in numeric}
    ):
        key = (element_id, territory_id, combination)
        if key in incoming and period not in incoming[key]:
            history[key].append(value)
    findings = []
    for key, by_period in incoming.items():
        new = list(by_period.values())
        scores = outlier_scores([*history[key], *(c.value for c in new if c.value is not None)])
        for cell, result in zip(new, scores[len(history[key]):], strict=True):
            if result.is_outlier and result.score is not None:
                findings.append(Finding(
                    kind=QualityFlag.Kind.OUTLIER, territory=cell.territory, period=cell.period,
                    element=cell.element, combination=cell.combination, value=cell.value,
                    score=round(result.score, 4),
                    detail=_outlier_detail(result.value, result.median, result.score),
                    indexes=[cell.index], lines=[cell.line],
                ))
    return findings


def _import_rule_findings(cells: Sequence[Cell]) -> list[Finding]:
    rules = _rules({cell.element.code for cell in cells})
    if not rules:
        return []
    codes = set().union(*(rule.codes for rule in rules))
    rule_types = {rule.rule.period_type for rule in rules}
    places: dict[tuple[int, str], Territory] = {}
    touching: dict[tuple[int, str], list[Cell]] = defaultdict(list)
    for cell in cells:
        if cell.element.code in codes and cell.element.period_type in rule_types:
            places[(cell.territory.pk, cell.period)] = cell.territory
            touching[(cell.territory.pk, cell.period)].append(cell)
    if not places:
        return []
    periods = {period for _t, period in places}
    for rule in rules:
        for offset in rule.offsets:
            periods |= {p for p in (_offset(period, offset) for _t, period in places) if p}
    element_ids = dict(DataElement.objects.filter(code__in=codes).values_list("pk", "code"))
    values: dict[int, dict[tuple[str, str], dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(dict))
    for element_id, territory_id, period, combination, value in _stored(
        element_ids=element_ids, territory_ids={t for t, _p in places}, periods=periods
    ):
        values[territory_id][(element_ids[element_id], period)][combination] = value
    for cell in cells:  # the import's own cells overlay what is stored
        slot = values[cell.territory.pk][(cell.element.code, cell.period)]
        if cell.value is None:
            slot.pop(cell.combination, None)
        else:
            slot[cell.combination] = cell.value
    findings = rules_evaluate(
        rules=rules, places=[(t, p) for (_pk, p), t in places.items()], cells=values,
        constants=_constants(),
    )
    for finding in findings:
        involved = [c for c in touching[(finding.territory.pk, finding.period)]
                    if finding.rule and c.element.code in _codes_of(rules, finding.rule)]
        finding.indexes = [c.index for c in involved]
        finding.lines = [c.line for c in involved]
    return findings


def _codes_of(rules: Sequence[_ParsedRule], rule: ValidationRule) -> frozenset[str]:
    return next((r.codes for r in rules if r.rule.pk == rule.pk), frozenset())


# --- recording flags --------------------------------------------------------------------


def flags_record(
    *,
    findings: Sequence[Finding],
    batch: ImportBatch | None,
    user: Any,
    scope: Iterable[FlagKey] = (),
    closed_note: str = "",
) -> list[QualityFlag]:
    """Create or refresh the flags of `findings`; close as corrected the open flags in
    `scope` (the keys looked at again) that nothing found this time."""
    found = {finding.key(): finding for finding in findings}
    keys = set(found) | set(scope)
    existing: dict[FlagKey, list[QualityFlag]] = defaultdict(list)
    territory_ids = {key[3] for key in keys}
    for start_ids in _chunks(sorted(territory_ids)):
        for flag in QualityFlag.objects.filter(territory_id__in=start_ids).exclude(
            state=QualityFlag.State.CORRECTED
        ):
            key = (flag.kind, flag.element_id, flag.rule_id, flag.territory_id, flag.period,
                   flag.combination)
            if key in keys:
                existing[key].append(flag)
    now = timezone.now()
    reviewer = user if getattr(user, "is_authenticated", False) else None
    recorded: list[QualityFlag] = []
    for key, finding in found.items():
        flags = existing.get(key, [])
        if any(f.state == QualityFlag.State.CONFIRMED and f.value == finding.value
               for f in flags):
            continue
        open_flag = next((f for f in flags if f.state == QualityFlag.State.OPEN), None)
        if open_flag is None:
            open_flag = QualityFlag(
                kind=finding.kind, element=finding.element, rule=finding.rule,
                territory=finding.territory, period=finding.period,
                combination=finding.combination,
            )
        open_flag.value, open_flag.score = finding.value, finding.score
        open_flag.detail, open_flag.batch = finding.detail[:500], batch or open_flag.batch
        open_flag.save()
        recorded.append(open_flag)
    for key in set(scope) - set(found):
        for flag in existing.get(key, []):
            if flag.state == QualityFlag.State.OPEN:
                flag.state = QualityFlag.State.CORRECTED
                flag.reviewed_by, flag.reviewed_at = reviewer, now
                flag.review_note = closed_note
                flag.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
    return recorded


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def import_flag_scope(cells: Sequence[Cell], findings: Sequence[Finding]) -> set[FlagKey]:
    """The flag keys an import looked at again: its cells' outlier and bounds keys, and the
    rule keys of every rule it evaluated at its places."""
    scope: set[FlagKey] = set()
    for cell in cells:
        for kind in (QualityFlag.Kind.OUTLIER, QualityFlag.Kind.OUT_OF_BOUNDS):
            scope.add((kind, cell.element.pk, None, cell.territory.pk, cell.period,
                       cell.combination))
    rules = _rules({cell.element.code for cell in cells})
    for cell in cells:
        for rule in rules:
            same_type = rule.rule.period_type == cell.element.period_type
            if cell.element.code in rule.codes and same_type:
                scope.add((QualityFlag.Kind.RULE, None, rule.rule.pk, cell.territory.pk,
                           cell.period, ""))
    return scope


# --- on demand --------------------------------------------------------------------------


def quality_check(
    *,
    elements: Sequence[DataElement] | None = None,
    territories: Sequence[Territory] | None = None,
    periods: Sequence[str] | None = None,
    user: Any = None,
) -> list[QualityFlag]:
    """Run rules, outlier detection and bounds over stored values (all of them by default)
    and create or refresh the open flags; returns the flags of what was found.

    With a `user`, only territories they may change are looked at.
    """
    element_list = list(elements) if elements is not None else list(DataElement.objects.all())
    territory_ids = None if territories is None else {t.pk for t in territories}
    period_set = None if periods is None else set(periods)
    by_id = {e.pk: e for e in element_list}
    series: dict[tuple[int, int, str], list[tuple[str, Decimal]]] = defaultdict(list)
    for element_id, territory_id, period, combination, value in _stored(
        element_ids=by_id, territory_ids=territory_ids
    ):
        series[(element_id, territory_id, combination)].append((period, value))
    territory_objects = _territories({key[1] for key in series})
    if user is not None:
        allowed = {pk for pk, t in territory_objects.items()
                   if has_permission(user, Action.CHANGE, t)}
        series = defaultdict(list, {k: v for k, v in series.items() if k[1] in allowed})
    findings: list[Finding] = []
    scope: set[FlagKey] = set()
    cells_by_territory: dict[int, dict[tuple[str, str], dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(dict))
    places: dict[tuple[int, str], Territory] = {}
    for (element_id, territory_id, combination), points in series.items():
        element, territory = by_id[element_id], territory_objects[territory_id]
        for period, value in points:
            cells_by_territory[territory_id][(element.code, period)][combination] = value
            if period_set is None or period in period_set:
                places[(territory_id, period)] = territory
        findings += _series_findings(element, territory, combination, points, period_set)
        for period, _value in points:
            if period_set is None or period in period_set:
                for kind in (QualityFlag.Kind.OUTLIER, QualityFlag.Kind.OUT_OF_BOUNDS):
                    scope.add((kind, element_id, None, territory_id, period, combination))
    rules = _rules({e.code for e in element_list})
    if rules:
        _rule_cells_complete(rules, cells_by_territory, places)
        findings += rules_evaluate(rules=rules, places=[(t, p) for (_i, p), t in places.items()],
                                   cells=cells_by_territory, constants=_constants())
        for (territory_id, period) in places:
            for rule in rules:
                scope.add((QualityFlag.Kind.RULE, None, rule.rule.pk, territory_id, period, ""))
    with transaction.atomic():
        return flags_record(findings=findings, batch=None, user=user, scope=scope,
                            closed_note=_("No longer found by a quality check."))


def _territories(ids: Iterable[int]) -> dict[int, Territory]:
    found: dict[int, Territory] = {}
    for chunk in _chunks(sorted(set(ids))):
        found.update(Territory.objects.in_bulk(chunk))
    return found


def _series_findings(
    element: DataElement, territory: Territory, combination: str,
    points: list[tuple[str, Decimal]], period_set: set[str] | None,
) -> list[Finding]:
    findings = []
    cells = [Cell(element, territory, period, combination, value) for period, value in points]
    wanted = [c for c in cells if period_set is None or c.period in period_set]
    findings += _bounds_findings(wanted)
    if element.value_type == ValueType.BOOLEAN:
        return findings
    for cell, result in zip(cells, outlier_scores([v for _p, v in points]), strict=True):
        if result.is_outlier and result.score is not None and cell in wanted:
            findings.append(Finding(
                kind=QualityFlag.Kind.OUTLIER, territory=territory, period=cell.period,
                element=element, combination=combination, value=cell.value,
                score=round(result.score, 4),
                detail=_outlier_detail(result.value, result.median, result.score),
            ))
    return findings


def _rule_cells_complete(
    rules: Sequence[_ParsedRule],
    cells: dict[int, dict[tuple[str, str], dict[str, Decimal]]],
    places: Mapping[tuple[int, str], Territory],
) -> None:
    """Rules may read elements outside the checked ones: read those values too."""
    have = {code for territory in cells.values() for code, _p in territory}
    missing = set().union(*(rule.codes for rule in rules)) - have
    if not missing or not places:
        return
    element_ids = dict(DataElement.objects.filter(code__in=missing).values_list("pk", "code"))
    periods = {p for _t, p in places}
    for rule in rules:
        for offset in rule.offsets:
            periods |= {q for q in (_offset(p, offset) for _t, p in places) if q}
    for element_id, territory_id, period, combination, value in _stored(
        element_ids=element_ids, territory_ids={t for t, _p in places}, periods=periods
    ):
        cells[territory_id][(element_ids[element_id], period)][combination] = value


@transaction.atomic
def quality_flag_review(*, flag: QualityFlag, state: str, note: str, user: Any) -> QualityFlag:
    """A reviewer's decision on a flag: the value is right (confirmed), was corrected, or
    the flag goes back to review (open). Only someone who may change the territory's data
    decides."""
    if state not in QualityFlag.State.values:
        raise ValidationError(_("Unknown review state %(state)s.") % {"state": state})
    if user is None or not has_permission(user, Action.CHANGE, flag.territory):
        raise PermissionDenied(_("You may not review the data of %(territory)s.")
                               % {"territory": flag.territory.name})
    flag.state = state
    flag.review_note = note
    flag.reviewed_by = user if state != QualityFlag.State.OPEN else None
    flag.reviewed_at = timezone.now() if state != QualityFlag.State.OPEN else None
    flag.save(update_fields=["state", "review_note", "reviewed_by", "reviewed_at"])
    return flag
