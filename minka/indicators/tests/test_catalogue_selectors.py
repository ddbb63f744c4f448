"""Catalogue selectors: who sees which indicator sheets, import batches and quality flags."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from minka.indicators.models import ImportBatch, QualityFlag
from minka.indicators.selectors import (
    data_element_list,
    import_batch_get,
    import_batch_list,
    indicator_breakdowns,
    indicator_sheet_get,
    indicator_sheet_list,
    quality_flag_list,
    target_list,
)
from minka.indicators.services import (
    OptionSpec,
    category_save,
    data_element_save,
    indicator_sheet_save,
    target_set,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheets(tree):
    sex = category_save(code="SEX", name_es="Sexo", options=[
        OptionSpec("FEMALE", "Mujer"), OptionSpec("MALE", "Hombre")])
    area = category_save(code="AREA", name_es="Área", options=[
        OptionSpec("URBAN", "Urbano"), OptionSpec("RURAL", "Rural")])
    data_element_save(code="BIRTHS", name_es="Nacimientos", categories=[sex, area])
    data_element_save(code="DEATHS", name_es="Defunciones", categories=[sex])
    data_element_save(code="OTHER", name_es="Otro", categories=[area])
    published = indicator_sheet_save(code="MORT", name_es="Mortalidad",
                                     formula="1000 * #{DEATHS} / #{BIRTHS}", published=True)
    draft = indicator_sheet_save(code="DRAFT", name_es="Borrador", formula="#{DEATHS}")
    return published, draft


def test_the_public_sees_published_sheets_only(sheets, personas):
    for user in (AnonymousUser(), personas.no_role):
        assert [s.code for s in indicator_sheet_list(user=user)] == ["MORT"]
        assert indicator_sheet_get(code="DRAFT", user=user) is None
        assert indicator_sheet_get(code="MORT", user=user) is not None


@pytest.mark.parametrize(
    "persona", ["national_admin", "cusco_coordinator", "cusco_official", "evaluator", "viewer"]
)
def test_signed_in_roles_see_every_sheet(sheets, personas, persona):
    user = getattr(personas, persona)

    assert [s.code for s in indicator_sheet_list(user=user)] == ["DRAFT", "MORT"]
    assert indicator_sheet_get(code="DRAFT", user=user).code == "DRAFT"


def test_breakdowns_are_the_options_of_the_elements_a_formula_reads(sheets):
    published, draft = sheets

    # AREA's options first (categories by code), each in its own order; OTHER is not read.
    assert indicator_breakdowns(indicator=published) == ["URBAN", "RURAL", "FEMALE", "MALE"]
    assert indicator_breakdowns(indicator=draft) == ["FEMALE", "MALE"]


def test_data_elements_by_code_with_their_options(sheets, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        elements = list(data_element_list())
        options = [
            [o.code for c in e.categories.all() for o in c.options.all()] for e in elements
        ]

    assert [e.code for e in elements] == ["BIRTHS", "DEATHS", "OTHER"]
    assert options[1] == ["FEMALE", "MALE"]


def test_targets_of_an_indicator_and_of_one_territory(sheets, tree):
    published, _draft = sheets
    target_set(indicator=published, territory=tree.cusco_district, period="2023",
               value=Decimal(10))
    target_set(indicator=published, territory=tree.cusco, period="2023", value=Decimal(12))
    target_set(indicator=published, territory=tree.cusco, period="2021", value=Decimal(15),
               kind="baseline")

    assert [(t.territory.code, t.period, t.kind) for t in target_list(indicator=published)] == [
        ("08", "2021", "baseline"), ("08", "2023", "target"), ("080101", "2023", "target"),
    ]
    assert [t.value for t in target_list(indicator=published, territory=tree.cusco_district)
            ] == [Decimal(10)]


def test_import_batches_are_internal(tree, personas):
    mine = ImportBatch.objects.create(format="csv", created_by=personas.no_role)
    other = ImportBatch.objects.create(format="csv", created_by=personas.cusco_official)

    assert list(import_batch_list(user=AnonymousUser())) == []
    assert list(import_batch_list(user=personas.no_role)) == [mine]
    assert set(import_batch_list(user=personas.viewer)) == {mine, other}
    assert import_batch_get(pk=other.pk, user=personas.no_role) is None
    assert import_batch_get(pk=other.pk, user=personas.cusco_official) == other


def test_quality_flags_are_seen_where_the_user_may_see_private_data(tree, personas):
    def flag(territory, state="open"):
        return QualityFlag.objects.create(kind="outlier", territory=territory, period="202301",
                                          state=state)

    cusco = flag(tree.cusco_district)
    san_jeronimo = flag(tree.san_jeronimo)
    abancay = flag(tree.abancay)
    confirmed = flag(tree.cusco_district, state="confirmed")

    def seen(user, **kwargs):
        return set(quality_flag_list(user=user, **kwargs))

    assert seen(personas.national_admin) == {cusco, san_jeronimo, abancay, confirmed}
    assert seen(personas.national_admin, state="open") == {cusco, san_jeronimo, abancay}
    assert seen(personas.cusco_coordinator) == {cusco, san_jeronimo, confirmed}
    assert seen(personas.apurimac_coordinator) == {abancay}
    assert seen(personas.cusco_official) == {cusco, confirmed}
    assert seen(personas.san_jeronimo_official) == {san_jeronimo}
    assert seen(personas.cusco_coordinator, territories=[tree.san_jeronimo]) == {san_jeronimo}
    for nobody in (AnonymousUser(), personas.no_role, personas.viewer, personas.evaluator):
        assert seen(nobody) == set()
