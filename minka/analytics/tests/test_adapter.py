"""The adapter's input to the engine: the catalogue and the facts, read from the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from minka.analytics.engine.model import (
    FACT_COLUMNS,
    POPULATION_WEIGHT,
    Aggregation,
    ElementSpec,
    IndicatorSpec,
    Polarity,
    Target,
    TerritoryNode,
)
from minka.analytics.engine.periods import PeriodType
from minka.analytics.services import analytics_catalogue, analytics_facts
from minka.analytics.tests.factories import VALUES, anaemia_data
from minka.indicators.models import DataValue
from minka.indicators.services import constant_save, data_element_save
from minka.territories.models import Area, Population, Sex
from minka.territories.services import territory_retire
from minka.territories.tests.factories import make_population, make_territory

pytestmark = pytest.mark.django_db


def test_catalogue_elements_carry_aggregation_period_type_options_and_weight(tree):
    anaemia_data(tree, with_values=False)
    data_element_save(code="POP_W", name_es="Peso", period_type="Yearly")
    data_element_save(code="PREV", name_es="Prevalencia", aggregation="average",
                      period_type="Yearly", average_weight="population")
    data_element_save(code="PREV_W", name_es="Prevalencia ponderada", aggregation="average",
                      period_type="Yearly", average_weight="element",
                      weight_element=data_element_save(code="BIRTHS", name_es="Nacimientos"))
    data_element_save(code="PREV_U", name_es="Prevalencia simple", aggregation="average",
                      period_type="Quarterly", average_weight="none")
    data_element_save(code="STAFF", name_es="Personal", aggregation="last")

    elements = {e.code: e for e in analytics_catalogue().elements}

    assert elements["ANEMIA"] == ElementSpec(
        code="ANEMIA", aggregation=Aggregation.SUM, period_type=PeriodType.MONTHLY,
        options=frozenset({"FEMALE", "MALE"}), weight=None,
    )
    assert elements["PREV"].weight == POPULATION_WEIGHT
    assert elements["PREV"].period_type is PeriodType.YEARLY
    assert elements["PREV_W"].weight == "BIRTHS"
    assert elements["PREV_U"].weight is None
    assert elements["PREV_U"].aggregation is Aggregation.AVERAGE
    assert elements["STAFF"].aggregation is Aggregation.LAST
    assert elements["STAFF"].weight is None  # a weight matters only for averages
    assert elements["POP_W"].options == frozenset()


def test_catalogue_indicators_constants_and_targets(tree):
    data = anaemia_data(tree, with_values=False)
    constant_save(code="SHARE", name_es="Proporción", value=Decimal("0.25"))

    catalogue = analytics_catalogue()

    assert {i.code: i for i in catalogue.indicators}["ANEMIA_PCT"] == IndicatorSpec(
        code="ANEMIA_PCT", formula="100 * #{ANEMIA} / #{SCREENED}",
        period_type=PeriodType.MONTHLY, polarity=Polarity.LOWER_IS_BETTER, base_year=2022,
        tolerance=0.1,
    )
    # Unpublished sheets are computed too: internal readers see them.
    assert "ANEMIA_DRAFT" in {i.code for i in catalogue.indicators}
    assert catalogue.constants == {"SHARE": 0.25}
    # Targets only: the 2022 baseline of the province is not something to be on track to.
    assert sorted(catalogue.targets, key=lambda t: t.territory_id) == sorted(
        [
            Target("ANEMIA_PCT", tree.cusco_province.pk, "2023", 30.0),
            Target("ANEMIA_PCT", tree.cusco_district.pk, "2023", 28.0),
            Target("ANEMIA_PCT", tree.san_jeronimo.pk, "2023", 15.0),
        ],
        key=lambda t: t.territory_id,
    )
    assert data.sheet.targets.count() == 4


def test_catalogue_territories_with_history_and_population_totals(tree):
    new_district = make_territory(code="080199", name="NUEVO", level="district",
                                  parent=tree.cusco_province)
    territory_retire(territory=tree.san_jeronimo, valid_to=dt.date(2024, 12, 31),
                     successors=[new_district, tree.cusco_district])
    make_population(territory=tree.cusco_district, year=2020, total=120_000, male=58_000,
                    female=62_000)
    # Not a total: an age group and an area are left out.
    Population.objects.create(territory=tree.cusco_district, year=2020, sex=Sex.TOTAL,
                              age_group="0-4", value=9_000)
    Population.objects.create(territory=tree.cusco_district, year=2020, sex=Sex.TOTAL,
                              area=Area.URBAN, value=110_000)

    catalogue = analytics_catalogue()
    nodes = {n.id: n for n in catalogue.territories}

    assert len(nodes) == 9  # every territory, the retired one included
    assert nodes[tree.peru.pk] == TerritoryNode(id=tree.peru.pk, parent_id=None,
                                                level="country")
    assert nodes[tree.san_jeronimo.pk] == TerritoryNode(
        id=tree.san_jeronimo.pk, parent_id=tree.cusco_province.pk, level="district",
        valid_to=dt.date(2024, 12, 31),
        successor_ids=tuple(sorted([new_district.pk, tree.cusco_district.pk])),
    )
    # Parents come before their children.
    order = [n.id for n in catalogue.territories]
    assert order.index(tree.cusco_province.pk) < order.index(tree.cusco_district.pk)
    assert catalogue.population == ((tree.cusco_district.pk, 2020, 120_000.0),)


def test_facts_table_has_the_fact_columns_and_every_value(tree):
    data = anaemia_data(tree)

    facts = analytics_facts()

    assert facts.schema.names == list(FACT_COLUMNS)
    assert facts.schema.field("value").type == pa.float64()
    assert facts.num_rows == len(VALUES) == DataValue.objects.count()
    rows = {
        (r["element"], r["territory_id"], r["period"], r["combination"]): r
        for r in facts.to_pylist()
    }
    stored = DataValue.objects.get(element=data.anemia, territory=tree.cusco_district,
                                   period="202302", combination="FEMALE")
    assert rows[("ANEMIA", tree.cusco_district.pk, "202302", "FEMALE")] == {
        "id": stored.pk, "element": "ANEMIA", "territory_id": tree.cusco_district.pk,
        "period": "202302", "combination": "FEMALE", "value": 12.0,
    }


def test_facts_of_a_queryset_and_of_nothing(tree, monkeypatch):
    anaemia_data(tree)
    monkeypatch.setattr("minka.analytics.services.FACT_CHUNK", 3)  # several record batches

    some = analytics_facts(DataValue.objects.filter(territory=tree.san_jeronimo))
    none = analytics_facts(DataValue.objects.none())

    assert some.num_rows == 8
    assert set(some.column("territory_id").to_pylist()) == {tree.san_jeronimo.pk}
    assert sum(some.column("value").to_pylist()) == 2 + 2 + 3 + 3 + 10 + 10 + 15 + 15
    assert none.num_rows == 0
    assert none.schema.names == list(FACT_COLUMNS)


def test_decimal_fractions_become_doubles(tree):
    data = anaemia_data(tree, with_values=False)
    from minka.analytics.tests.factories import cell
    from minka.indicators.services import data_values_write

    write = cell(data, "ANEMIA", "cusco_district", "202301", "FEMALE", 0)
    write = type(write)(**{**write.__dict__, "value": Decimal("12.345678")})
    data_values_write(cells=[write], batch=None)

    assert analytics_facts().column("value").to_pylist() == [12.345678]
