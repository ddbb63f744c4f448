"""Issue 3's demo content: the catalogue, the data values and the targets, through the services.

Idempotence, and what a re-seed leaves alone:
- the catalogue (disaggregations, data elements, indicator sheets, validation rules) and the
  targets are created only when missing, so what a coordinator edits in the demo survives
  `make demo`; a missing piece is recreated;
- the data values are written every time through `data_values_write`, the one write path:
  unchanged cells are ignored, so a second seed writes no value and no history row. They
  travel in ONE import batch of format "demo"; a batch that ended up writing nothing is
  removed again, so re-seeding leaves no empty batches behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from minka.accounts.models import User
from minka.demo import catalogue
from minka.demo.indicator_data import IndicatorDemoData, indicator_data_read
from minka.demo.synthetic import ratio_by_year
from minka.indicators.imports import validation_rule_save
from minka.indicators.models import (
    Category,
    DataElement,
    ImportBatch,
    IndicatorSheet,
    Target,
    ValidationRule,
)
from minka.indicators.services import (
    CellWrite,
    WriteCounts,
    category_save,
    cell_period_check,
    data_element_save,
    data_values_write,
    element_combination_keys,
    indicator_sheet_save,
    target_set,
    targets_derive,
)
from minka.territories.models import Institution, Territory
from minka.territories.selectors import institution_list, territory_get

INDICATOR_DATA = Path(__file__).resolve().parent / "demo_data" / "indicators.json"


@dataclass
class IndicatorSeedReport:
    lines: list[str]
    values_written: int  # data values created, updated or deleted by this seed


def demo_indicators_seed(*, user: User, path: Path = INDICATOR_DATA) -> IndicatorSeedReport:
    """Load the demo's indicators into a database that already holds Cusco."""
    data = indicator_data_read(path)
    region = territory_get(country=data.country, code=catalogue.REGION)
    if region is None:
        raise LookupError(f"{data.country}:{catalogue.REGION} must be loaded first")
    lines = [_catalogue_ensure(data=data, region=region)]
    line, counts = _values_load(data=data, path=path, user=user)
    lines.append(line)
    lines.append(_targets_ensure(data=data, region=region, user=user))
    return IndicatorSeedReport(
        lines=lines, values_written=counts.imported + counts.updated + counts.deleted
    )


def _catalogue_ensure(*, data: IndicatorDemoData, region: Territory) -> str:
    created = {"categories": 0, "elements": 0, "sheets": 0, "rules": 0}
    categories: dict[str, Category] = {c.code: c for c in Category.objects.all()}
    for code, name_es, name_en, options in catalogue.CATEGORIES:
        if code not in categories:
            categories[code] = category_save(code=code, name_es=name_es, name_en=name_en,
                                             options=options)
            created["categories"] += 1
    sources = {figure.element: figure.source for figure in data.figures}
    existing = set(DataElement.objects.values_list("code", flat=True))
    for spec in catalogue.ELEMENTS:
        if spec.code in existing:
            continue
        data_element_save(
            code=spec.code, name_es=spec.name_es, name_en=spec.name_en,
            description=spec.description, value_type=spec.value_type,
            aggregation=spec.aggregation, period_type=spec.period_type,
            categories=[categories[code] for code in spec.categories],
            minimum=spec.minimum, maximum=spec.maximum,
            source=sources.get(spec.code, data.synthetic_source),
        )
        created["elements"] += 1
    responsible = institution_list(
        territory=region, kind=Institution.Kind.REGIONAL_GOVERNMENT
    ).first()
    existing = set(IndicatorSheet.objects.values_list("code", flat=True))
    for sheet in catalogue.SHEETS:
        if sheet.code in existing:
            continue
        indicator_sheet_save(
            code=sheet.code, name_es=sheet.name_es, name_en=sheet.name_en,
            formula=sheet.formula, definition_es=sheet.definition_es,
            definition_en=sheet.definition_en, unit=sheet.unit, decimals=sheet.decimals,
            polarity=sheet.polarity, source=sheet.source, frequency=sheet.frequency,
            results_chain_level=sheet.results_chain_level,
            classification=sheet.classification, responsible=responsible,
            base_year=sheet.base_year, published=sheet.published,
        )
        created["sheets"] += 1
    existing = set(ValidationRule.objects.values_list("code", flat=True))
    for code, name_es, name_en, left, operator, right, severity in catalogue.RULES:
        if code not in existing:
            validation_rule_save(code=code, name_es=name_es, name_en=name_en, left=left,
                                 operator=operator, right=right, severity=severity)
            created["rules"] += 1
    return _(
        "Indicators catalogue: created %(categories)s disaggregations, %(elements)s data "
        "elements, %(sheets)s indicator sheets and %(rules)s validation rules (existing ones "
        "are left as they are)."
    ) % created


def _values_load(*, data: IndicatorDemoData, path: Path, user: User) -> tuple[str, WriteCounts]:
    """Every value of the file in one batch, real figures and synthetic counts each with
    their own source."""
    elements = {e.code: e for e in DataElement.objects.filter(
        code__in={f.element for f in data.figures} | {s.element for s in data.series})}
    codes = {code for f in data.figures for code in f.values} | {
        code for s in data.series for code in s.values}
    territories = {t.code: t for t in Territory.objects.filter(
        country=data.country, code__in=codes)}
    unknown = sorted(codes - territories.keys())
    if unknown:
        raise LookupError(f"demo values for territories not loaded: {unknown[:5]}")
    for element_code, period in {(f.element, f.period) for f in data.figures} | {
            (s.element, data.periods[0]) for s in data.series}:
        # A demo element edited into another period type would take values it cannot hold.
        cell_period_check(elements[element_code], period)
    for item in data.series:
        if item.combination not in element_combination_keys(elements[item.element]):
            raise LookupError(f"{item.element} has no disaggregation {item.combination!r}")
    content = path.read_bytes()
    batch = ImportBatch.objects.create(
        format=ImportBatch.Format.DEMO, file_name=path.name,
        sha256=hashlib.sha256(content).hexdigest(), status=ImportBatch.Status.RUNNING,
        source="Minka demo", created_by=user, rows_total=data.value_count,
    )
    total = WriteCounts()
    for figure in data.figures:
        element = elements[figure.element]
        cells = [CellWrite(element=element, territory=territories[code], period=figure.period,
                           value=value) for code, value in figure.values.items()]
        _add(total, data_values_write(cells=cells, batch=batch, user=user,
                                      source=figure.source))
    synthetic = [
        CellWrite(element=elements[item.element], territory=territories[code], period=period,
                  combination=item.combination, value=Decimal(value))
        for item in data.series
        for code, column in item.values.items()
        for period, value in zip(data.periods, column, strict=True)
        if value is not None
    ]
    _add(total, data_values_write(cells=synthetic, batch=batch, user=user,
                                  source=data.synthetic_source))
    counts = total.as_dict()
    if total.imported + total.updated + total.deleted == 0:
        batch.delete()
        return _(
            "Indicator values: %(imported)s imported, %(updated)s updated, %(ignored)s "
            "ignored (already loaded: no import batch kept)."
        ) % counts, total
    batch.status = ImportBatch.Status.APPLIED
    batch.rows_done = data.value_count
    batch.imported, batch.updated, batch.ignored = total.imported, total.updated, total.ignored
    batch.summary = {"status": "SUCCESS", "description": "Minka demo", "dryRun": False,
                     "importCount": total.as_dict(), "conflicts": []}
    batch.finished_at = timezone.now()
    batch.save()
    return _(
        "Indicator values: %(imported)s imported, %(updated)s updated, %(ignored)s ignored "
        "(import batch #%(batch)s)."
    ) % {**counts, "batch": batch.pk}, total


def _add(total: WriteCounts, counts: WriteCounts) -> None:
    total.imported += counts.imported
    total.updated += counts.updated
    total.ignored += counts.ignored
    total.deleted += counts.deleted


def _targets_ensure(*, data: IndicatorDemoData, region: Territory, user: User) -> str:
    """Baselines of the base year computed from the demo's own counts, the region's targets,
    and every province's and district's 2026 target derived with the same relative change
    (aligned goals). Only for indicators that have no targets yet."""
    below = list(Territory.objects.filter(path__startswith=region.path,
                                          level__in=["province", "district"]))
    by_code = {t.code: t for t in [region, *below]}
    done = []
    for code, (numerator, denominator, goals) in catalogue.TARGETS.items():
        indicator = IndicatorSheet.objects.get(code=code)
        if Target.objects.filter(indicator=indicator).exists():
            continue
        baselines = ratio_by_year(
            data.series, data.periods, numerator=numerator, denominator=denominator,
            year=catalogue.BASELINE_YEAR, group=_groups,
        )
        for territory_code, value in baselines.items():
            target_set(indicator=indicator, territory=by_code[territory_code],
                       period=str(catalogue.BASELINE_YEAR), kind=Target.Kind.BASELINE,
                       value=Decimal(value).quantize(Decimal("0.01")), user=user,
                       note="Línea de base calculada de los datos sintéticos de demostración")
        regional = {
            period: target_set(indicator=indicator, territory=region, period=period,
                               value=value, user=user, note="Meta regional de demostración")
            for period, value in goals.items()
        }
        with_baseline = [t for t in below if t.code in baselines]
        if region.code in baselines and with_baseline:
            targets_derive(source=regional[catalogue.TARGET_YEAR], territories=with_baseline,
                           method=Target.Method.SAME_CHANGE, user=user)
        done.append(_("%(code)s (%(regional)s regional, %(derived)s derived)") % {
            "code": code, "regional": len(regional), "derived": len(with_baseline)})
    if not done:
        return _("Targets: already set, left as they are.")
    return _("Targets: %(list)s.") % {"list": "; ".join(done)}


def _groups(code: str) -> Sequence[str]:
    """A district and the territories it rolls up to below the country."""
    return (code[:2], code[:4], code)
