"""Quality at import and on demand: rules (error refuses, warning flags), outliers, bounds,
review."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from minka.indicators.imports import (
    quality_check,
    quality_flag_review,
    validation_rule_save,
    values_import,
)
from minka.indicators.models import DataValue, ImportBatch, QualityFlag
from minka.indicators.services import FormulaRejected, data_element_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def elements(tree):
    return (
        data_element_save(code="ANEMIA", name_es="Niños con anemia"),
        data_element_save(code="TAMIZADOS", name_es="Niños tamizados"),
    )


def _values(*cells, user=None, dry_run=False):
    """cells: (element, org unit code, period, value)"""
    content = json.dumps({"dataValues": [
        {"dataElement": e, "orgUnit": ou, "period": p, "value": v} for e, ou, p, v in cells
    ]}).encode()
    return values_import(content=content, file_name="v.json", format="dhis2-json",
                         dry_run=dry_run, user=user)


def _rule(severity):
    return validation_rule_save(
        code="ANEMIA_LE_TAMIZADOS", name_es="Anemia ≤ tamizados", left="#{ANEMIA}",
        operator="<=", right="#{TAMIZADOS}", severity=severity, period_type="Monthly")


def test_error_rule_refuses_the_import(elements):
    _rule("error")
    batch = _values(("ANEMIA", "080104", "202401", "30"), ("TAMIZADOS", "080104", "202401", "20"))
    assert batch.status == ImportBatch.Status.REFUSED
    [conflict] = batch.summary["conflicts"]
    assert conflict["errorCode"] == "MK1002"
    assert "30" in conflict["reason"] and "20" in conflict["reason"]
    assert DataValue.objects.count() == 0


def test_error_rule_checks_against_stored_values(elements):
    _rule("error")
    assert _values(("TAMIZADOS", "080104", "202401", "20")).imported == 1
    refused = _values(("ANEMIA", "080104", "202401", "25"))
    assert refused.status == ImportBatch.Status.REFUSED
    assert _values(("ANEMIA", "080104", "202401", "15")).imported == 1


def test_rule_with_a_missing_side_is_not_evaluated(elements):
    _rule("error")
    assert _values(("ANEMIA", "080104", "202401", "30")).imported == 1  # no TAMIZADOS yet


def test_warning_rule_imports_with_a_flag(elements):
    _rule("warning")
    batch = _values(("ANEMIA", "080104", "202401", "30"), ("TAMIZADOS", "080104", "202401", "20"))
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.summary["status"] == "WARNING"
    [warning] = batch.summary["warnings"]
    assert (warning["kind"], warning["rule"], warning["period"]) == (
        "rule", "ANEMIA_LE_TAMIZADOS", "202401")
    flag = QualityFlag.objects.get()
    assert (flag.kind, flag.state, flag.batch, flag.value) == ("rule", "open", batch, 30)
    # Correcting the value closes the flag, saying by which import.
    fix = _values(("ANEMIA", "080104", "202401", "15"))
    flag.refresh_from_db()
    assert flag.state == QualityFlag.State.CORRECTED
    assert str(fix.pk) in flag.review_note


def test_dry_run_lists_warnings_without_flags(elements):
    _rule("warning")
    batch = _values(("ANEMIA", "080104", "202401", "30"), ("TAMIZADOS", "080104", "202401", "20"),
                    dry_run=True)
    assert batch.summary["warningsTotal"] == 1
    assert QualityFlag.objects.count() == 0


def test_outlier_is_flagged_at_import_with_its_score(elements):
    history = [10, 11, 9, 10, 12, 10]
    _values(*[("ANEMIA", "080104", f"2023{m:02d}", str(v)) for m, v in enumerate(history, 1)])
    assert QualityFlag.objects.count() == 0
    batch = _values(("ANEMIA", "080104", "202307", "95"))
    assert batch.status == ImportBatch.Status.APPLIED  # flagged, not refused or dropped
    flag = QualityFlag.objects.get()
    # 10 11 9 10 12 10 95: median 10, MAD 1, M = 0.6745 * 85 = 57.3325
    assert flag.kind == QualityFlag.Kind.OUTLIER
    assert flag.score == pytest.approx(57.3325)
    assert (flag.period, flag.value) == ("202307", 95)
    assert DataValue.objects.get(period="202307").value == 95


def test_out_of_bounds_is_flagged(tree):
    data_element_save(code="COBERTURA", name_es="Cobertura", value_type="number",
                      minimum=Decimal(0), maximum=Decimal(100))
    batch = _values(("COBERTURA", "080104", "202401", "130"))
    assert batch.imported == 1
    flag = QualityFlag.objects.get()
    assert (flag.kind, flag.value) == ("bounds", 130)
    assert "100" in flag.detail


def test_quality_check_on_demand_has_no_duplicates_and_respects_reviews(elements, personas):
    anaemia, _screened = elements
    for month, value in enumerate([10, 11, 9, 10, 12, 10, 95], start=1):
        DataValue.objects.create(element=anaemia, territory=_territory("080104"),
                                 period=f"2023{month:02d}", value=Decimal(value))
    found = quality_check()
    [flag] = found
    assert (flag.kind, flag.period, flag.score) == ("outlier", "202307", pytest.approx(57.3325))
    assert len(quality_check()) == 1
    assert QualityFlag.objects.count() == 1
    reviewed = quality_flag_review(flag=flag, state="confirmed", note="campaña de tamizaje",
                                   user=personas.san_jeronimo_official)
    assert (reviewed.state, reviewed.reviewed_by) == ("confirmed", personas.san_jeronimo_official)
    assert quality_check() == []  # confirmed for this very value: not raised again
    assert QualityFlag.objects.count() == 1


def _territory(code):
    from minka.territories.models import Territory

    return Territory.objects.get(country="PE", code=code)


def test_quality_check_closes_what_is_no_longer_found(elements):
    anaemia, _screened = elements
    territory = _territory("080104")
    for month, value in enumerate([10, 11, 9, 10, 12, 10, 95], start=1):
        DataValue.objects.create(element=anaemia, territory=territory, period=f"2023{month:02d}",
                                 value=Decimal(value))
    [flag] = quality_check()
    DataValue.objects.filter(period="202307").update(value=Decimal(11))
    assert quality_check() == []
    flag.refresh_from_db()
    assert flag.state == QualityFlag.State.CORRECTED


def test_only_who_may_change_the_territory_reviews(elements, personas):
    flag = QualityFlag.objects.create(kind="outlier", territory=_territory("080104"),
                                      period="202401", element=elements[0], value=1)
    with pytest.raises(PermissionDenied):
        quality_flag_review(flag=flag, state="confirmed", note="", user=personas.cusco_official)
    with pytest.raises(PermissionDenied):
        quality_flag_review(flag=flag, state="confirmed", note="", user=None)


def test_rule_with_unknown_reference_is_rejected(elements):
    with pytest.raises(FormulaRejected) as rejected:
        validation_rule_save(code="X", name_es="X", left="#{NOPE}", operator="<=",
                             right="#{ANEMIA}")
    assert "NOPE" in rejected.value.problems[0][1]
