"""The demo's indicators: catalogue, real figures, synthetic records, targets, and a re-seed
that writes nothing.

The whole demo is seeded once for the module (twice, to prove the second run is a no-op)
inside a transaction rolled back at the end; each test reads that state. The command and
the analytics are exercised on a small hand-made file in test_seed_demo.py.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction

from minka.demo import catalogue
from minka.demo.indicators import INDICATOR_DATA
from minka.demo.services import DemoResult, demo_seed
from minka.indicators.models import (
    DataElement,
    DataValue,
    DataValueChange,
    ImportBatch,
    IndicatorSheet,
    Target,
    ValidationRule,
)
from minka.indicators.services import formula_problems

SHARED_DATA = settings.PROJECT_DIR.parent / "shared" / "data"
DISTRICT_CSV = SHARED_DATA / "peru_ubigeo_distrito.csv"


def _counts() -> tuple[int, ...]:
    return (DataValue.objects.count(), DataValueChange.objects.count(),
            ImportBatch.objects.count(), Target.objects.count(),
            IndicatorSheet.objects.count(), DataElement.objects.count())


@dataclass
class Seeded:
    first: DemoResult
    second: DemoResult
    after_first: tuple[int, ...]
    after_second: tuple[int, ...]
    file: dict


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    absent = tmp_path_factory.mktemp("no-shared") / "absent"
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            first = demo_seed(shared_data=absent, analytics=False)
            after_first = _counts()
            second = demo_seed(shared_data=absent, analytics=False)
            yield Seeded(first, second, after_first, _counts(),
                         json.loads(INDICATOR_DATA.read_text(encoding="utf-8")))
        finally:
            transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def _value(element: str, code: str, period: str, combination: str = "") -> Decimal:
    return DataValue.objects.get(element__code=element, territory__code=code, period=period,
                                 combination=combination).value


def test_every_indicator_sheet_exists_complete_with_a_sound_formula(seeded):
    for spec in catalogue.SHEETS:
        sheet = IndicatorSheet.objects.get(code=spec.code)
        assert formula_problems(sheet.formula) == [], sheet.code
        assert sheet.name_es and sheet.name_en and sheet.definition_es and sheet.definition_en
        assert sheet.responsible is not None
        assert sheet.responsible.name == "Gobierno Regional de CUSCO"
    anaemia = IndicatorSheet.objects.get(code="ANEMIA_6_35")
    assert anaemia.formula == "100 * #{NINOS_6_35_ANEMIA} / #{NINOS_6_35_TAMIZADOS}"
    assert (anaemia.unit, anaemia.polarity, anaemia.frequency, anaemia.base_year) == (
        "percent", "lower", "Monthly", 2019)
    assert anaemia.source == "Demo: HIS/SIEN sintético"
    assert IndicatorSheet.objects.get(code="CRED_COBERTURA").polarity == "higher"
    idh = IndicatorSheet.objects.get(code="IDH")
    assert (idh.unit, idh.polarity, idh.decimals, idh.frequency) == ("index", "higher", 3,
                                                                     "Yearly")
    assert "[-1]" in IndicatorSheet.objects.get(code="ANEMIA_VARIACION").formula


def test_exactly_one_indicator_is_left_unpublished(seeded):
    assert list(IndicatorSheet.objects.filter(published=False).values_list("code", flat=True)
                ) == ["ANEMIA_BRECHA_RURAL"]
    assert IndicatorSheet.objects.filter(published=True).count() == len(catalogue.SHEETS) - 1


def test_elements_say_how_they_aggregate_and_where_they_come_from(seeded):
    poverty = DataElement.objects.get(code="POBREZA_TOTAL_PCT")
    assert (poverty.aggregation, poverty.average_weight, poverty.period_type,
            poverty.value_type) == ("average", "population", "Yearly", "percentage")
    assert poverty.source.startswith("INEI")
    anaemia = DataElement.objects.get(code="NINOS_6_35_ANEMIA")
    assert (anaemia.aggregation, anaemia.period_type) == ("sum", "Monthly")
    assert set(anaemia.categories.values_list("code", flat=True)) == {"SEXO", "AREA"}
    assert anaemia.source.startswith("Datos sintéticos de demostración")
    cred = DataElement.objects.get(code="CRED_COMPLETO_12M")
    assert set(cred.categories.values_list("code", flat=True)) == {"SEXO"}


def _csv_rows() -> list[dict[str, str]]:
    with DISTRICT_CSV.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["inei"].startswith("08")]


def test_one_poverty_value_per_cusco_district_with_a_figure(seeded):
    stored = DataValue.objects.filter(element__code="POBREZA_TOTAL_PCT", period="2018")
    # 116 districts, four of them created after the poverty map (080915-080918: "NA").
    assert stored.count() == 112
    assert not stored.filter(territory__code__in=["080915", "080916", "080917",
                                                  "080918"]).exists()
    if not DISTRICT_CSV.exists():
        pytest.skip(f"{DISTRICT_CSV} is absent: the count against the file is not checked")
    with_figure = [row for row in _csv_rows()
                   if row["pct_pobreza_total"].strip() not in ("S.I.", "NA", "")]
    assert stored.count() == len(with_figure)


def test_the_real_figure_of_cusco_district_is_the_file_s(seeded):
    assert _value("POBREZA_TOTAL_PCT", "080101", "2018") == Decimal("8.214426")
    assert _value("POBREZA_EXTREMA_PCT", "080101", "2018") == Decimal("0.190626")
    # IDH has 17 digits in the file; data values keep 6 decimals.
    assert _value("IDH", "080101", "2019") == Decimal("0.659084")
    assert _value("IVIA", "080101", "2018") == Decimal("0.203260")
    if DISTRICT_CSV.exists():
        row = next(row for row in _csv_rows() if row["inei"] == "080101")
        assert _value("POBREZA_TOTAL_PCT", "080101", "2018") == Decimal(row["pct_pobreza_total"])


def test_all_values_travel_in_one_demo_batch_with_their_sources(seeded):
    batch = ImportBatch.objects.get()
    assert (batch.format, batch.status) == ("demo", "applied")
    synthetic = sum(1 for item in seeded.file["synthetic"]["series"]
                    for column in item["values"].values() for v in column if v is not None)
    real = sum(len(figure["values"]) for figure in seeded.file["figures"])
    assert real == 4 * 112
    assert batch.imported == DataValue.objects.count() == synthetic + real
    assert not DataValue.objects.exclude(batch=batch).exists()
    assert DataValue.objects.filter(
        source__startswith="Datos sintéticos de demostración").count() == synthetic
    # One history row per value: each was created once.
    assert DataValueChange.objects.filter(kind="created", batch=batch).count() == batch.imported


def test_a_month_a_district_did_not_report_has_no_value_at_all(seeded):
    series = seeded.file["synthetic"]["series"]
    periods = seeded.file["synthetic"]["periods"]
    cred = next(s for s in series if s["element"] == "NINOS_12M")
    code, index = next((code, column.index(None)) for code, column in cred["values"].items()
                       if None in column)
    assert not DataValue.objects.filter(territory__code=code, period=periods[index]).exists()
    # A zero is a value, not a gap: the file's zeros are stored.
    zeros = sum(1 for s in series for column in s["values"].values() for v in column if v == 0)
    assert DataValue.objects.filter(value=0).count() == zeros


def test_the_second_seed_writes_no_value_and_no_history(seeded):
    assert seeded.after_second == seeded.after_first
    assert any("ignored" in line or "ignorad" in line for line in seeded.second.report)


def test_anaemia_cases_never_exceed_children_screened(seeded):
    rules = {rule.code: rule for rule in ValidationRule.objects.all()}
    assert rules["ANEMIA_LE_TAMIZADOS"].severity == "error"
    assert (rules["ANEMIA_LE_TAMIZADOS"].left, rules["ANEMIA_LE_TAMIZADOS"].operator,
            rules["ANEMIA_LE_TAMIZADOS"].right) == ("#{NINOS_6_35_ANEMIA}", "<=",
                                                    "#{NINOS_6_35_TAMIZADOS}")
    assert rules["ANEMIA_PLAUSIBLE"].severity == "warning"
    screened = {(v.territory_id, v.period, v.combination): v.value
                for v in DataValue.objects.filter(element__code="NINOS_6_35_TAMIZADOS")}
    cases = DataValue.objects.filter(element__code="NINOS_6_35_ANEMIA")
    assert cases.count() == len(screened)
    assert all(v.value <= screened[(v.territory_id, v.period, v.combination)] for v in cases)


def _ratio_2019(file: dict, numerator: str, denominator: str, prefix: str) -> Decimal:
    """Σ cases / Σ screened over 2019 for the districts under `prefix`, computed here
    from the file itself."""
    periods = file["synthetic"]["periods"]
    months = [i for i, p in enumerate(periods) if p.startswith("2019")]
    sums = {numerator: 0, denominator: 0}
    for item in file["synthetic"]["series"]:
        if item["element"] in sums:
            for code, column in item["values"].items():
                if code.startswith(prefix):
                    sums[item["element"]] += sum(column[i] or 0 for i in months)
    return (Decimal(100) * sums[numerator] / sums[denominator]).quantize(Decimal("0.01"))


def test_targets_baselines_and_aligned_district_targets(seeded):
    anaemia = IndicatorSheet.objects.get(code="ANEMIA_6_35")
    targets = Target.objects.filter(indicator=anaemia)
    regional = dict(targets.filter(territory__code="08", kind="target")
                    .values_list("period", "value"))
    assert regional == {"2023": 45, "2024": 40, "2025": 35, "2026": 30}
    baseline = targets.get(territory__code="08", kind="baseline", period="2019").value
    assert baseline == _ratio_2019(seeded.file, "NINOS_6_35_ANEMIA", "NINOS_6_35_TAMIZADOS",
                                   "08")
    wanchaq = targets.get(territory__code="080108", kind="baseline").value
    assert wanchaq == _ratio_2019(seeded.file, "NINOS_6_35_ANEMIA", "NINOS_6_35_TAMIZADOS",
                                  "080108")
    derived = targets.get(territory__code="080108", kind="target", period="2026")
    # Same relative change as the region: 30 / regional baseline.
    assert derived.value == (wanchaq * Decimal(30) / baseline).quantize(Decimal("0.000001"))
    assert derived.method == "same_change"
    # Every province and district of Cusco.
    assert targets.filter(kind="target", period="2026", method="same_change").count() == 129
    dci = Target.objects.get(indicator__code="DCI_MENORES_5", territory__code="08",
                             kind="target")
    assert (dci.period, dci.value) == ("2026", 12)
