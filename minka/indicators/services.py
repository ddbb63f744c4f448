"""Every write to the catalogue (disaggregations, data elements, constants, indicator sheets),
to data values and to targets goes through here: keyword-only, typed, atomic.

Data values have exactly one write path, `data_values_write`, which is what keeps their
history complete and makes a re-import a no-op: a cell whose value, comment and follow-up
flag are unchanged is counted as ignored and writes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from minka.analytics.engine.formula import FormulaError, formula_check, formula_parse
from minka.analytics.engine.periods import PeriodError, PeriodType, period_parse
from minka.indicators.formula_messages import formula_error_text
from minka.indicators.models import (
    COMBINATION_SEPARATOR,
    AverageWeight,
    Category,
    CategoryOption,
    Combination,
    Constant,
    DataElement,
    DataValue,
    DataValueChange,
    ImportBatch,
    IndicatorSheet,
    Target,
)
from minka.territories.models import Institution, Territory

# --- disaggregations -------------------------------------------------------------------


@dataclass(frozen=True)
class OptionSpec:
    code: str
    name_es: str
    name_en: str = ""
    uid: str = ""


@transaction.atomic
def category_save(
    *,
    code: str,
    name_es: str,
    name_en: str = "",
    options: Sequence[OptionSpec],
    uid: str = "",
) -> Category:
    """Create or update a disaggregation and its options (matched by code), in order."""
    category, _created = Category.objects.update_or_create(
        code=code, defaults={"name_es": name_es, "name_en": name_en, "uid": uid}
    )
    for order, option in enumerate(options):
        CategoryOption.objects.update_or_create(
            code=option.code,
            defaults={
                "category": category,
                "name_es": option.name_es,
                "name_en": option.name_en,
                "uid": option.uid,
                "sort_order": order,
            },
        )
    return category


def combination_key(option_codes: Iterable[str]) -> str:
    """The canonical key of a combination: its option codes sorted, joined by "|"."""
    return COMBINATION_SEPARATOR.join(sorted(option_codes))


def element_combination_keys(element: DataElement) -> list[str]:
    """Every combination an element's values may carry: one option of each of its
    categories ("" when it has none)."""
    per_category = [
        [option.code for option in category.options.all()]
        for category in element.categories.order_by("code").prefetch_related("options")
    ]
    return [combination_key(choice) for choice in itertools.product(*per_category)]


def _combinations_ensure(element: DataElement) -> None:
    categories = list(element.categories.order_by("code").prefetch_related("options"))
    per_category = [list(category.options.all()) for category in categories]
    for choice in itertools.product(*per_category):
        key = combination_key(option.code for option in choice)
        if not Combination.objects.filter(key=key).exists():
            Combination.objects.create(
                key=key,
                name_es=", ".join(option.name_es for option in choice) or "Total",
                name_en=", ".join(option.name_en or option.name_es for option in choice)
                or "Total",
            )


# --- data elements and constants ------------------------------------------------------


@transaction.atomic
def data_element_save(
    *,
    code: str,
    name_es: str,
    name_en: str = "",
    value_type: str = "integer",
    aggregation: str = "sum",
    period_type: str = PeriodType.MONTHLY.value,
    categories: Sequence[Category] = (),
    average_weight: str = AverageWeight.POPULATION,
    weight_element: DataElement | None = None,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    description: str = "",
    source: str = "",
    uid: str = "",
) -> DataElement:
    """Create or update a data element by code, and generate its combinations."""
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ValidationError(_("The lowest plausible value is above the highest."))
    element, _created = DataElement.objects.update_or_create(
        code=code,
        defaults={
            "name_es": name_es,
            "name_en": name_en,
            "value_type": value_type,
            "aggregation": aggregation,
            "period_type": period_type,
            "average_weight": average_weight,
            "weight_element": weight_element,
            "minimum": minimum,
            "maximum": maximum,
            "description": description,
            "source": source,
            "uid": uid,
        },
    )
    element.categories.set(categories)
    _combinations_ensure(element)
    return element


@transaction.atomic
def constant_save(
    *, code: str, name_es: str, value: Decimal, name_en: str = "", uid: str = ""
) -> Constant:
    constant, _created = Constant.objects.update_or_create(
        code=code, defaults={"name_es": name_es, "name_en": name_en, "value": value, "uid": uid}
    )
    return constant


# --- indicator sheets -----------------------------------------------------------------


class FormulaRejected(ValidationError):
    """A formula that does not parse or refers to what the catalogue lacks. `problems` are
    (position, translated message) pairs, in the order of the text."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__([message for _position, message in problems])


def formula_problems(text: str) -> list[tuple[int, str]]:
    """What is wrong with a formula, each with its 0-based position; [] when it is sound."""
    try:
        formula = formula_parse(text)
    except FormulaError as error:
        return [(error.position, formula_error_text(error))]
    options_by_element: dict[str, set[str]] = {}
    for code, option in CategoryOption.objects.filter(
        category__elements__isnull=False
    ).values_list("category__elements__code", "code"):
        options_by_element.setdefault(code, set()).add(option)
    errors = formula_check(
        formula,
        known_codes=set(DataElement.objects.values_list("code", flat=True)),
        known_constants=set(Constant.objects.values_list("code", flat=True)),
        known_disaggregations=options_by_element,
    )
    return [(error.position, formula_error_text(error)) for error in errors]


@transaction.atomic
def indicator_sheet_save(
    *,
    code: str,
    name_es: str,
    formula: str,
    name_en: str = "",
    definition_es: str = "",
    definition_en: str = "",
    unit: str = "percent",
    decimals: int = 1,
    polarity: str = "higher",
    source: str = "",
    frequency: str = PeriodType.YEARLY.value,
    results_chain_level: str = "intermediate_result",
    classification: str = "efficacy",
    responsible: Institution | None = None,
    base_year: int | None = None,
    tolerance: Decimal = Decimal("0.1"),
    published: bool = False,
    public_through: str = "",
    uid: str = "",
) -> IndicatorSheet:
    """Create or update an indicator sheet by code. The formula is checked against the
    catalogue first; a bad one raises FormulaRejected and saves nothing."""
    problems = formula_problems(formula)
    if problems:
        raise FormulaRejected(problems)
    if public_through:
        try:
            public_through = period_parse(public_through.strip()).id
        except PeriodError as error:
            raise ValidationError(
                _("“%(text)s” is not a period.") % {"text": public_through}
            ) from error
    sheet, _created = IndicatorSheet.objects.update_or_create(
        code=code,
        defaults={
            "name_es": name_es,
            "name_en": name_en,
            "definition_es": definition_es,
            "definition_en": definition_en,
            "formula": formula,
            "unit": unit,
            "decimals": decimals,
            "polarity": polarity,
            "source": source,
            "frequency": frequency,
            "results_chain_level": results_chain_level,
            "classification": classification,
            "responsible": responsible,
            "base_year": base_year,
            "tolerance": tolerance,
            "published": published,
            "public_through": public_through,
            "uid": uid,
        },
    )
    return sheet


# --- data values ----------------------------------------------------------------------


@dataclass(frozen=True)
class CellWrite:
    """One data value to write; `value` None deletes the cell (DHIS2's delete semantics)."""

    element: DataElement
    territory: Territory
    period: str
    value: Decimal | None
    combination: str = ""
    comment: str = ""
    followup: bool = False


@dataclass
class WriteCounts:
    """DHIS2's importCount: what a write did, cell by cell."""

    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    changed_value_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "ignored": self.ignored,
            "deleted": self.deleted,
        }


def cell_period_check(element: DataElement, period: str) -> str:
    """The canonical id of `period` for this element, or PeriodError if it is not one or is
    of another period type than the element's."""
    parsed = period_parse(period)
    if parsed.type.value != element.period_type:
        raise PeriodError(
            f"{period} is a {parsed.type.value} period; {element.code} is {element.period_type}",
            text=period,
        )
    return parsed.id


_BULK = 2000


@transaction.atomic
def data_values_write(
    *,
    cells: Sequence[CellWrite],
    batch: ImportBatch | None,
    user: Any = None,
    source: str = "",
) -> WriteCounts:
    """Write cells that callers have already checked (imports report row by row first).

    Creates, updates or deletes each cell and records every change in DataValueChange; an
    unchanged cell (same value, comment and follow-up) is ignored and writes nothing, which
    is what makes re-importing the same file a no-op. Deleting a cell that does not exist
    is ignored too.
    """
    counts = WriteCounts()
    keys = [(c.element.pk, c.territory.pk, c.period, c.combination) for c in cells]
    if len(set(keys)) != len(keys):
        raise ValueError("data_values_write got the same cell twice; callers report duplicates")
    stored_by = user if getattr(user, "is_authenticated", False) else None
    existing = _existing_cells(cells)
    to_create: list[DataValue] = []
    to_update: list[DataValue] = []
    changes: list[DataValueChange] = []
    to_delete: list[int] = []
    for cell in cells:
        key = (cell.element.pk, cell.territory.pk, cell.period, cell.combination)
        current = existing.get(key)
        if cell.value is None:
            if current is None:
                counts.ignored += 1
                continue
            to_delete.append(current.pk)
            changes.append(_change(current, DataValueChange.Kind.DELETED, None, batch, stored_by))
            counts.deleted += 1
            continue
        if current is None:
            value = DataValue(
                element=cell.element,
                territory=cell.territory,
                period=cell.period,
                combination=cell.combination,
                value=cell.value,
                comment=cell.comment,
                followup=cell.followup,
                source=source,
                batch=batch,
                stored_by=stored_by,
            )
            to_create.append(value)
            counts.imported += 1
            continue
        if (current.value, current.comment, current.followup) == (
            cell.value,
            cell.comment,
            cell.followup,
        ):
            counts.ignored += 1
            continue
        before = current.value
        current.value, current.comment, current.followup = cell.value, cell.comment, cell.followup
        current.source, current.batch, current.stored_by = source, batch, stored_by
        to_update.append(current)
        changes.append(_change(current, DataValueChange.Kind.UPDATED, before, batch, stored_by))
        counts.updated += 1
    # bulk_create sets the ids on PostgreSQL and on SQLite >= 3.35 (RETURNING).
    DataValue.objects.bulk_create(to_create, batch_size=_BULK)
    changes.extend(
        _change(value, DataValueChange.Kind.CREATED, None, batch, stored_by) for value in to_create
    )
    DataValue.objects.bulk_update(
        to_update,
        ["value", "comment", "followup", "source", "batch", "stored_by", "updated_at"],
        batch_size=_BULK,
    )
    DataValue.objects.filter(pk__in=to_delete).delete()
    DataValueChange.objects.bulk_create(changes, batch_size=_BULK)
    counts.changed_value_ids = [change.data_value_id for change in changes]
    return counts


def _existing_cells(cells: Sequence[CellWrite]) -> dict[tuple[int, int, str, str], DataValue]:
    """The stored values of these cells, read in a few queries (by element and period)."""
    wanted: dict[tuple[int, str], set[int]] = {}
    for cell in cells:
        wanted.setdefault((cell.element.pk, cell.period), set()).add(cell.territory.pk)
    found: dict[tuple[int, int, str, str], DataValue] = {}
    for (element_id, period), territory_ids in wanted.items():
        for value in DataValue.objects.filter(
            element_id=element_id, period=period, territory_id__in=territory_ids
        ):
            found[(element_id, value.territory_id, period, value.combination)] = value
    return found


def _change(
    value: DataValue,
    kind: str,
    before: Decimal | None,
    batch: ImportBatch | None,
    user: Any,
) -> DataValueChange:
    return DataValueChange(
        data_value_id=value.pk,
        element_id=value.element_id,
        territory_id=value.territory_id,
        period=value.period,
        combination=value.combination,
        kind=kind,
        value_before=value.value if kind == DataValueChange.Kind.DELETED else before,
        value_after=None if kind == DataValueChange.Kind.DELETED else value.value,
        source=value.source,
        comment=value.comment,
        batch=batch,
        changed_by=user,
    )


# --- targets --------------------------------------------------------------------------


@transaction.atomic
def target_set(
    *,
    indicator: IndicatorSheet,
    territory: Territory,
    period: str,
    value: Decimal,
    kind: str = Target.Kind.TARGET,
    note: str = "",
    user: Any = None,
) -> Target:
    """Set a target or baseline directly (it stops being derived from a higher level)."""
    canonical = period_parse(period).id
    target, _created = Target.objects.update_or_create(
        indicator=indicator,
        territory=territory,
        period=canonical,
        kind=kind,
        defaults={
            "value": value,
            "method": Target.Method.SET,
            "derived_from": None,
            "note": note,
            "set_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    return target


@transaction.atomic
def targets_derive(
    *,
    source: Target,
    territories: Sequence[Territory],
    method: str,
    user: Any = None,
) -> list[Target]:
    """Aligned goals: derive the targets of lower territories from a higher one's.

    - SAME_VALUE: every territory gets the higher level's target value;
    - SAME_CHANGE: every territory keeps its own baseline and moves by the same relative
      change as the higher level (region 40 % → 30 % is -25 %: a district at 60 % gets 45 %).
      A territory without a baseline (or the higher level without one) cannot be derived
      this way: ValidationError naming them, and nothing is saved.
    """
    if method not in (Target.Method.SAME_VALUE, Target.Method.SAME_CHANGE):
        raise ValidationError(_("Unknown derivation method."))
    outside = [t.name for t in territories if not t.path.startswith(source.territory.path)]
    if outside:
        raise ValidationError(
            _("These territories are not inside %(name)s: %(list)s")
            % {"name": source.territory.name, "list": ", ".join(outside)}
        )
    factor: Decimal | None = None
    baselines: dict[int, Decimal] = {}
    if method == Target.Method.SAME_CHANGE:
        baselines = dict(
            Target.objects.filter(
                indicator=source.indicator,
                kind=Target.Kind.BASELINE,
                territory__in=[*territories, source.territory],
            ).values_list("territory_id", "value")
        )
        source_baseline = baselines.get(source.territory_id)
        missing = [t.name for t in territories if t.pk not in baselines]
        if not source_baseline or missing:
            names = ([source.territory.name] if not source_baseline else []) + missing
            raise ValidationError(
                _("A baseline is needed to derive by relative change; missing for: %(list)s")
                % {"list": ", ".join(names)}
            )
        factor = source.value / source_baseline
    derived = []
    for territory in territories:
        value = source.value if factor is None else baselines[territory.pk] * factor
        target, _created = Target.objects.update_or_create(
            indicator=source.indicator,
            territory=territory,
            period=source.period,
            kind=Target.Kind.TARGET,
            defaults={
                "value": value.quantize(Decimal("0.000001")),
                "method": method,
                "derived_from": source,
                "set_by": user if getattr(user, "is_authenticated", False) else None,
            },
        )
        derived.append(target)
    return derived
