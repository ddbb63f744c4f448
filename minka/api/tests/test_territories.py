"""GET /api/v1/territories and /territories/{country}/{code} on the Cusco slice of the tree.

The tree (see territories.tests.factories.CuscoTree), in the API's order (depth, then path):
PE · 03 APURÍMAC · 08 CUSCO · 0301 ABANCAY · 0801 CUSCO · 030101 ABANCAY · 080101 CUSCO ·
080104 SAN JERÓNIMO.
"""

from __future__ import annotations

import datetime as dt

import pytest

from minka.territories.models import Level, TerritoryAlias
from minka.territories.services import territory_build, territory_retire
from minka.territories.tests.factories import make_population, make_territory

pytestmark = pytest.mark.django_db

ALL_CODES = ["PE", "03", "08", "0301", "0801", "030101", "080101", "080104"]


def codes(response) -> list[str]:
    return [item["code"] for item in response.json()["items"]]


def test_lists_the_whole_tree_in_depth_then_path_order(api, tree):
    response = api.get("/territories")

    assert response.status_code == 200
    assert response.json()["count"] == 8
    assert codes(response) == ALL_CODES


def test_an_item_carries_its_parent_code_population_and_validity(api, tree):
    make_population(territory=tree.cusco_district, year=2017, total=111_000, male=54_000,
                    female=57_000)
    make_population(territory=tree.cusco_district, year=2020, total=120_000, male=58_000,
                    female=62_000)

    items = {i["code"]: i for i in api.get("/territories", country="PE").json()["items"]}

    assert items["080101"] == {
        "country": "PE",
        "code": "080101",
        "name": "CUSCO",
        "level": "district",
        "parent_code": "0801",
        "population": 120_000,  # the 2020 total, not 2017 and not male + female twice
        "population_year": 2020,
        "valid_from": None,
        "valid_to": None,
    }
    assert items["PE"]["parent_code"] is None
    assert items["080104"]["population"] is None
    assert items["080104"]["population_year"] is None


def test_filters_by_country_and_level(api, tree):
    provinces = api.get("/territories", country="PE", level="province")
    districts = api.get("/territories", country="pe", level="district")

    assert provinces.json()["count"] == 2
    assert codes(provinces) == ["0301", "0801"]
    assert [i["parent_code"] for i in provinces.json()["items"]] == ["03", "08"]
    assert codes(districts) == ["030101", "080101", "080104"]
    assert api.get("/territories", country="BO").json() == {"items": [], "count": 0}


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        ("08", ["0801"]),
        ("0801", ["080101", "080104"]),
        ("080000", ["0801"]),  # Peru's 6-digit padded form of the region 08
        ("080100", ["080101", "080104"]),
        ("PE", ["03", "08"]),
        ("080104", []),
    ],
)
def test_filters_by_parent(api, tree, parent, expected):
    response = api.get("/territories", country="PE", parent=parent)

    assert response.status_code == 200
    assert codes(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("jeronimo", ["080104"]),  # no accent in the query, "JERÓNIMO" in the name
        ("San Jerónimo", ["080104"]),
        ("cusco", ["08", "0801", "080101"]),
        ("apur", ["03"]),
        ("0801", ["0801", "080101", "080104"]),  # digits: code prefix
        ("08", ["08", "0801", "080101", "080104"]),
        ("lima", []),
    ],
)
def test_q_searches_names_without_accents_or_codes_by_prefix(api, tree, q, expected):
    response = api.get("/territories", country="PE", q=q)

    assert codes(response) == expected
    assert response.json()["count"] == len(expected)


def test_q_combines_with_level_and_parent(api, tree):
    response = api.get("/territories", country="PE", parent="0801", q="san")

    assert codes(response) == ["080104"]


def test_pages_slice_the_ordered_list_and_keep_the_total_count(api, tree):
    pages = [api.get("/territories", page=n, page_size=3).json() for n in (1, 2, 3, 4)]

    assert [p["count"] for p in pages] == [8, 8, 8, 8]
    assert [[i["code"] for i in p["items"]] for p in pages] == [
        ["PE", "03", "08"],
        ["0301", "0801", "030101"],
        ["080101", "080104"],
        [],
    ]


def test_page_size_defaults_to_50_and_is_capped_at_500(api, tree):
    # 501 localities under Cusco district: 509 territories in all.
    localities = [
        territory_build(country="PE", code=f"080101{n:04d}", name=f"Localidad {n}",
                        level=Level.LOCALITY, parent=tree.cusco_district)
        for n in range(501)
    ]
    type(tree.peru).objects.bulk_create(localities)

    default = api.get("/territories").json()
    huge = api.get("/territories", page_size=100_000).json()
    second = api.get("/territories", page=2, page_size=500).json()

    assert (default["count"], len(default["items"])) == (509, 50)
    assert (huge["count"], len(huge["items"])) == (509, 500)
    assert (second["count"], len(second["items"])) == (509, 9)


def test_retired_territories_are_left_out_unless_asked_for(api, tree):
    successor = make_territory(code="030102", name="CHACOCHE", level=Level.DISTRICT,
                               parent=tree.abancay_province)
    territory_retire(territory=tree.abancay, valid_to=dt.date(2024, 1, 1),
                     successors=[successor])

    current = api.get("/territories", country="PE", level="district")
    everything = api.get("/territories", country="PE", level="district", include_retired="true")

    assert codes(current) == ["030102", "080101", "080104"]
    assert codes(everything) == ["030101", "030102", "080101", "080104"]
    retired = everything.json()["items"][0]
    assert retired["valid_to"] == "2024-01-01"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "municipality"}, "level"),
        ({"country": "PE", "parent": "99"}, "parent"),
        ({"country": "PE", "parent": "089999"}, "parent"),
        ({"country": "BO", "parent": "08"}, "parent"),  # 08 is a code of Peru, not Bolivia
        ({"parent": "08"}, "parent"),  # a parent code means nothing without its country
        ({"country": "PER"}, "country"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": str(10**20)}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"include_retired": "perhaps"}, "include_retired"),
        ({"q": "cus\x00co"}, "q"),  # PostgreSQL refuses NUL bytes: must not reach it
        ({"country": "PE", "parent": "08\x00"}, "parent"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_filters_are_422_naming_the_field(api, tree, params, field):
    response = api.get("/territories", **params)

    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["detail"].startswith(f"Invalid input: {field}: ")


def test_a_bad_level_says_which_levels_exist(api, tree):
    body = api.get("/territories", level="municipality").json()

    assert body["errors"][0]["reason"] == (
        "Expected one of: 'country', 'region', 'province', 'district' or 'locality'."
    )


def test_an_unknown_parent_says_which(api, tree):
    body = api.get("/territories", country="PE", parent="99").json()

    assert body["detail"] == "Invalid input: parent: There is no territory 99 in PE."


def test_detail_has_ancestors_children_population_and_aliases(api, tree):
    make_population(territory=tree.cusco_district, year=2017, total=111_000, male=54_000,
                    female=57_000)
    TerritoryAlias.objects.create(territory=tree.cusco_district, scheme="reniec", code="070101")
    TerritoryAlias.objects.create(territory=tree.cusco_district, scheme="iso3166-2",
                                  code="PE-CUS")

    response = api.get("/territories/PE/080101")

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "080101"
    assert body["parent_code"] == "0801"
    assert body["ancestors"] == [
        {"country": "PE", "code": "PE", "name": "Perú", "level": "country"},
        {"country": "PE", "code": "08", "name": "CUSCO", "level": "region"},
        {"country": "PE", "code": "0801", "name": "CUSCO", "level": "province"},
    ]
    assert body["children_count"] == 0
    assert (body["population"], body["population_year"]) == (111_000, 2017)
    assert sorted((c["sex"], c["value"]) for c in body["population_cells"]) == [
        ("female", 57_000), ("male", 54_000), ("total", 111_000),
    ]
    assert all(
        (c["year"], c["age_group"], c["area"]) == (2017, "", "total")
        for c in body["population_cells"]
    )
    assert body["aliases"] == [
        {"scheme": "iso3166-2", "code": "PE-CUS"},
        {"scheme": "reniec", "code": "070101"},
    ]
    assert body["successors"] == []
    assert body["valid_to"] is None


def test_detail_accepts_lower_case_country_and_the_padded_code(api, tree):
    body = api.get("/territories/pe/080100").json()

    assert (body["code"], body["level"], body["children_count"]) == ("0801", "province", 2)
    assert [a["code"] for a in body["ancestors"]] == ["PE", "08"]
    assert body["population"] is None
    assert body["population_cells"] == []


def test_detail_of_the_country_has_no_ancestors(api, tree):
    body = api.get("/territories/PE/PE").json()

    assert (body["ancestors"], body["parent_code"], body["children_count"]) == ([], None, 2)


def test_detail_of_a_retired_territory_names_its_successors(api, tree):
    chacoche = make_territory(code="030102", name="CHACOCHE", level=Level.DISTRICT,
                              parent=tree.abancay_province)
    circa = make_territory(code="030103", name="CIRCA", level=Level.DISTRICT,
                           parent=tree.abancay_province)
    territory_retire(territory=tree.abancay, valid_to=dt.date(2024, 1, 1),
                     successors=[circa, chacoche])

    body = api.get("/territories/PE/030101").json()

    assert body["successors"] == ["030102", "030103"]
    assert body["valid_to"] == "2024-01-01"


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/territories/PE/999999", "There is no territory 999999 in PE."),
        ("/territories/BO/08", "There is no territory 08 in BO."),
    ],
)
def test_unknown_territory_is_a_json_404(api, tree, path, detail):
    response = api.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": detail}


CODE_FORM = "Use an official code (letters and digits), e.g. 080101."


@pytest.mark.parametrize(
    ("path", "field", "reason"),
    [
        ("/territories/PERU/08", "country", "Use a two-letter country code, e.g. PE."),
        ("/territories/PE/08%00", "code", CODE_FORM),
    ],
)
def test_bad_country_or_code_in_the_path_is_422(api, tree, path, field, reason):
    response = api.get(path)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": field, "reason": reason}]


def test_a_page_costs_two_queries_whatever_its_size(api, tree, django_assert_num_queries):
    for n in range(20):
        make_population(territory=tree.cusco_district, year=2000 + n, total=n, male=0, female=n)

    with django_assert_num_queries(2):  # the count and the page
        response = api.get("/territories", page_size=500)

    assert response.json()["count"] == 8
