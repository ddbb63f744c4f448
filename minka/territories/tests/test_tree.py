"""The territory tree: ancestors and descendants by path, retiring a district that split."""

from __future__ import annotations

import datetime as dt

import pytest

from minka.territories.importers import TerritoryRow
from minka.territories.models import Level, Population, Sex
from minka.territories.selectors import (
    territory_ancestors,
    territory_descendants,
    territory_list,
)
from minka.territories.services import territories_load, territory_retire
from minka.territories.tests.factories import make_population, make_territory


def test_ancestors_of_a_district_at_depth_3_take_one_query(tree, django_assert_num_queries):
    assert tree.cusco_district.depth == 3

    with django_assert_num_queries(1):
        ancestors = territory_ancestors(territory=tree.cusco_district)

    assert ancestors == [tree.peru, tree.cusco, tree.cusco_province]


def test_ancestors_take_one_query_at_any_depth(tree, django_assert_num_queries):
    for territory in (tree.cusco, tree.cusco_province, tree.san_jeronimo):
        with django_assert_num_queries(1):
            territory_ancestors(territory=territory)


def test_descendants_take_one_query_from_the_root_down(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        below_peru = list(territory_descendants(territory=tree.peru))
    with django_assert_num_queries(1):
        districts = list(territory_descendants(territory=tree.cusco, level=Level.DISTRICT))

    assert len(below_peru) == 7
    assert districts == [tree.cusco_district, tree.san_jeronimo]
    assert list(territory_descendants(territory=tree.san_jeronimo)) == []


@pytest.fixture
def split(tree):
    """San Jerónimo split in two new districts at the start of 2026, with 2025 figures."""
    make_population(territory=tree.san_jeronimo, year=2025, total=60, male=28, female=32)
    north = make_territory(code="080109", name="SAN JERÓNIMO NORTE", level=Level.DISTRICT,
                           parent=tree.cusco_province)
    south = make_territory(code="080110", name="SAN JERÓNIMO SUR", level=Level.DISTRICT,
                           parent=tree.cusco_province)
    territory_retire(territory=tree.san_jeronimo, valid_to=dt.date(2025, 12, 31),
                     successors=[north, south])
    return tree.san_jeronimo, north, south


def test_a_split_district_keeps_its_history_and_points_to_both_successors(split):
    old, north, south = split
    old.refresh_from_db()

    assert old.valid_to == dt.date(2025, 12, 31)
    assert not old.is_current
    assert set(old.successors.all()) == {north, south}
    assert list(north.predecessors.all()) == [old]
    assert Population.objects.get(territory=old, sex=Sex.TOTAL).value == 60
    assert old not in territory_list(country="PE", level=Level.DISTRICT)
    assert old in territory_list(country="PE", level=Level.DISTRICT, include_retired=True)


def test_a_retired_district_cannot_be_retired_again_nor_succeed_itself(split, tree):
    old, north, _ = split
    with pytest.raises(ValueError, match="already retired"):
        territory_retire(territory=old, valid_to=dt.date(2026, 1, 1), successors=[north])
    with pytest.raises(ValueError, match="cannot succeed itself"):
        territory_retire(territory=tree.abancay, valid_to=dt.date(2026, 1, 1),
                         successors=[tree.abancay])


def test_reimporting_a_list_that_still_has_the_retired_district_keeps_it_retired(split):
    old, _, _ = split
    row = TerritoryRow(country="PE", code=old.code, name=old.name, level=Level.DISTRICT,
                       parent_code="0801")

    report = territories_load(country="PE", rows=[row], source="test")

    old.refresh_from_db()
    assert old.valid_to == dt.date(2025, 12, 31)
    assert report.counts["district"].unchanged == 1
