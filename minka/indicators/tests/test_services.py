"""The core services of the indicators app: the one write path of data values, indicator
sheets' formula check, and aligned targets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from minka.analytics.engine.periods import PeriodError
from minka.analytics.tests.factories import anaemia_data
from minka.indicators.models import DataValue, DataValueChange, IndicatorSheet, Target
from minka.indicators.services import (
    CellWrite,
    FormulaRejected,
    cell_period_check,
    data_element_save,
    data_values_write,
    indicator_sheet_save,
    target_set,
    targets_derive,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def anaemia(tree):
    return data_element_save(code="ANEMIA", name_es="Anemia")


def test_data_values_write_keeps_history_and_ignores_unchanged(anaemia, tree):
    cell = CellWrite(element=anaemia, territory=tree.san_jeronimo, period="202401",
                     value=Decimal(10))
    first = data_values_write(cells=[cell], batch=None, source="test")
    assert first.as_dict() == {"imported": 1, "updated": 0, "ignored": 0, "deleted": 0}
    same = data_values_write(cells=[cell], batch=None, source="test")
    assert same.as_dict() == {"imported": 0, "updated": 0, "ignored": 1, "deleted": 0}
    changed = CellWrite(element=anaemia, territory=tree.san_jeronimo, period="202401",
                        value=Decimal(12))
    assert data_values_write(cells=[changed], batch=None).updated == 1
    gone = CellWrite(element=anaemia, territory=tree.san_jeronimo, period="202401", value=None)
    assert data_values_write(cells=[gone], batch=None).deleted == 1
    assert data_values_write(cells=[gone], batch=None).ignored == 1  # nothing left to delete
    assert DataValue.objects.count() == 0
    history = list(DataValueChange.objects.values_list("kind", "value_before", "value_after"))
    assert history == [
        ("created", None, Decimal(10)),
        ("updated", Decimal(10), Decimal(12)),
        ("deleted", Decimal(12), None),
    ]


def test_a_comment_alone_is_a_change(anaemia, tree):
    cell = CellWrite(element=anaemia, territory=tree.san_jeronimo, period="202401",
                     value=Decimal(10))
    data_values_write(cells=[cell], batch=None)
    commented = CellWrite(element=anaemia, territory=tree.san_jeronimo, period="202401",
                          value=Decimal(10), comment="revisado")
    assert data_values_write(cells=[commented], batch=None).updated == 1


def test_the_same_cell_twice_is_a_caller_error(anaemia, tree):
    cell = CellWrite(element=anaemia, territory=tree.san_jeronimo, period="202401",
                     value=Decimal(1))
    with pytest.raises(ValueError):
        data_values_write(cells=[cell, cell], batch=None)


def test_cell_period_check(anaemia):
    assert cell_period_check(anaemia, "202401") == "202401"
    with pytest.raises(PeriodError):
        cell_period_check(anaemia, "2024")


def test_indicator_formula_rejected_with_position(anaemia):
    with pytest.raises(FormulaRejected) as rejected:
        indicator_sheet_save(code="TASA", name_es="Tasa", formula="100 * #{ANEMIA} / #{NOPE}")
    [(position, message)] = rejected.value.problems
    # "100 * #{ANEMIA} / " is 18 characters: #{NOPE} starts at 0-based position 18.
    assert position == 18
    assert "NOPE" in message
    sheet = indicator_sheet_save(code="TASA", name_es="Tasa", formula="100 * #{ANEMIA} / 5")
    assert sheet.formula == "100 * #{ANEMIA} / 5"


@pytest.fixture
def targets(tree, anaemia):
    sheet = indicator_sheet_save(code="ANEMIA_PCT", name_es="Anemia %", formula="#{ANEMIA}",
                                 polarity="lower")
    region = target_set(indicator=sheet, territory=tree.cusco, period="2026", value=Decimal(30))
    target_set(indicator=sheet, territory=tree.cusco, period="2022", value=Decimal(40),
               kind=Target.Kind.BASELINE)
    target_set(indicator=sheet, territory=tree.san_jeronimo, period="2022", value=Decimal(60),
               kind=Target.Kind.BASELINE)
    return sheet, region


def test_targets_derive_same_value(tree, targets):
    _sheet, region = targets
    [derived] = targets_derive(source=region, territories=[tree.san_jeronimo],
                               method=Target.Method.SAME_VALUE)
    assert (derived.value, derived.method, derived.derived_from) == (
        Decimal(30), "same_value", region)


def test_targets_derive_same_relative_change(tree, targets):
    _sheet, region = targets
    # The region goes 40 % -> 30 %: -25 %. San Jerónimo from 60 % goes to 60 * 0.75 = 45 %.
    [derived] = targets_derive(source=region, territories=[tree.san_jeronimo],
                               method=Target.Method.SAME_CHANGE)
    assert derived.value == Decimal(45)


def test_targets_derive_needs_baselines_and_the_subtree(tree, targets):
    _sheet, region = targets
    with pytest.raises(ValidationError):
        targets_derive(source=region, territories=[tree.cusco_district],
                       method=Target.Method.SAME_CHANGE)
    with pytest.raises(ValidationError):
        targets_derive(source=region, territories=[tree.abancay],
                       method=Target.Method.SAME_VALUE)
    assert Target.objects.filter(kind=Target.Kind.TARGET).count() == 1


def test_a_sheet_published_through_a_period_keeps_its_canonical_id(tree):
    anaemia_data(tree, with_values=False)
    saved = indicator_sheet_save(code="PUB", name_es="P", formula="#{ANEMIA}",
                                 public_through=" 2024 ")
    assert saved.public_through == "2024"
    with pytest.raises(ValidationError):
        indicator_sheet_save(code="PUB2", name_es="P", formula="#{ANEMIA}",
                             public_through="2024-13")
    assert not IndicatorSheet.objects.filter(code="PUB2").exists()
