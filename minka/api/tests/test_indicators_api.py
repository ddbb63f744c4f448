"""/api/v1/indicators, /data-elements and the values behind figures, on the anaemia dataset.

The figures are the ones computed by hand in minka/analytics/tests/factories.py:
2023, district 080101 30 % (30/100), district 080104 20 % (10/50), province 0801 and
region 08 26.67 % (40/150: the ratio of the sums, never the mean of 30 and 20).
"""

from __future__ import annotations

import pytest

from minka.analytics import selectors as analytics_selectors
from minka.analytics.services import analytics_refresh
from minka.analytics.tests.factories import anaemia_data, cell
from minka.indicators.models import ImportBatch
from minka.indicators.services import data_values_write

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tree):
    dataset = anaemia_data(tree)
    analytics_refresh()
    return dataset


def values(api, code="ANEMIA_PCT", token=None, **params):
    return api.get(f"/indicators/{code}/values", token=token, **params)


# --- catalogue ---------------------------------------------------------------------------


def test_the_public_lists_published_indicators_only(api, data):
    response = api.get("/indicators")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item == {
        "code": "ANEMIA_PCT",
        "name": "Anaemia in children 6-35 months",
        "definition": "Porcentaje de niños tamizados con anemia.",  # no English text: Spanish
        "formula": "100 * #{ANEMIA} / #{SCREENED}",
        "unit": "percent",
        "decimals": 1,
        "polarity": "lower",
        "frequency": "Monthly",
        "source": "HIS",
        "results_chain_level": "intermediate_result",
        "classification": "efficacy",
        "responsible": {"id": data.tree.muni_cusco_province.pk,
                        "name": "Municipalidad Provincial de CUSCO"},
        "base_year": 2022,
        "published": True,
        "public_through": "",
    }


@pytest.mark.parametrize("persona", ["national_admin", "cusco_official", "evaluator", "viewer"])
def test_signed_in_roles_list_every_indicator(api, data, personas, token_of, persona):
    response = api.get("/indicators", token=token_of(getattr(personas, persona)))

    assert [i["code"] for i in response.json()["items"]] == ["ANEMIA_DRAFT", "ANEMIA_PCT"]
    assert response.json()["items"][0]["published"] is False


def test_a_user_without_a_role_is_the_public(api, data, personas, token_of):
    response = api.get("/indicators", token=token_of(personas.no_role))

    assert [i["code"] for i in response.json()["items"]] == ["ANEMIA_PCT"]


def test_the_sheet_with_targets_and_breakdowns(api, data):
    response = api.get("/indicators/ANEMIA_PCT")

    assert response.status_code == 200
    body = response.json()
    assert body["tolerance"] == pytest.approx(0.1)
    assert body["breakdowns"] == ["FEMALE", "MALE"]
    assert [(t["territory"]["code"], t["period"], t["kind"], t["value"]) for t in body["targets"]
            ] == [
        ("0801", "2022", "baseline", 45.0),
        ("0801", "2023", "target", 30.0),
        ("080101", "2023", "target", 28.0),
        ("080104", "2023", "target", 15.0),
    ]


def test_an_unpublished_sheet_is_not_found_for_the_public_like_an_unknown_one(
    api, data, personas, token_of
):
    hidden = api.get("/indicators/ANEMIA_DRAFT")
    unknown = api.get("/indicators/NOPE")
    internal = api.get("/indicators/ANEMIA_DRAFT", token=token_of(personas.viewer))

    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"] == "There is no indicator ANEMIA_DRAFT."
    assert unknown.json()["detail"] == "There is no indicator NOPE."
    assert internal.status_code == 200
    assert internal.json()["published"] is False


def test_data_elements(api, data):
    response = api.get("/data-elements")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["code"] for i in items] == ["ANEMIA", "SCREENED"]
    assert items[0]["categories"] == [
        {"code": "SEX", "name": "Sex",
         "options": [{"code": "FEMALE", "name": "Female"}, {"code": "MALE", "name": "Male"}]}
    ]
    assert (items[0]["aggregation"], items[0]["period_type"]) == ("sum", "Monthly")


# --- values ------------------------------------------------------------------------------


def test_the_example_query(api, data):
    response = values(api, territory="08", level="district", period="2023")

    assert response.status_code == 200
    body = response.json()
    assert (body["indicator"], body["unit"], body["level"], body["periods"]) == (
        "ANEMIA_PCT", "percent", "district", ["2023"],
    )
    assert body["territory"] == {"country": "PE", "code": "08", "name": "CUSCO",
                                 "level": "region"}
    assert body["refreshed_at"] is not None
    first, second = body["results"]
    assert first["territory"] == {"code": "080104", "name": "SAN JERÓNIMO", "level": "district"}
    assert first["value"] == pytest.approx(20.0)
    assert (first["numerator"], first["denominator"]) == (pytest.approx(10), pytest.approx(50))
    assert (first["rank"], first["rank_of"]) == (1, 2)  # lower is better
    assert (first["target"], first["status"]) == (pytest.approx(15), "off_track")
    assert second["territory"]["code"] == "080101"
    assert second["value"] == pytest.approx(30.0)
    assert (second["rank"], second["rank_of"]) == (2, 2)
    assert (second["target"], second["status"]) == (pytest.approx(28), "at_risk")
    assert set(second["trend"]) == {"slope", "forecast", "meets_target"}
    assert set(second["completeness"]) == {"reported", "expected"}
    assert "change_previous" in second and "change_base" in second


def test_a_province_is_the_ratio_of_its_districts_sums(api, data):
    body = values(api, territory="08", level="province", period="2023").json()
    itself = values(api, territory="0801", period="2023").json()

    (province,) = body["results"]
    assert province["value"] == pytest.approx(100 * 40 / 150)  # not (30 + 20) / 2 = 25
    assert (province["numerator"], province["denominator"]) == (
        pytest.approx(40), pytest.approx(150),
    )
    assert province["completeness"] == {"reported": 2, "expected": 2}
    assert itself["results"][0]["value"] == pytest.approx(100 * 40 / 150)


def test_periods_repeated_or_as_a_range_and_a_breakdown(api, data):
    repeated = values(api, territory="0801", level="district", period=["202301", "2023Q1"])
    ranged = values(api, territory="PE:080100", level="district", period="202301:202303")
    female = values(api, territory="0801", level="district", period="2023",
                    breakdown="FEMALE")

    assert repeated.json()["periods"] == ["2023Q1", "202301"]
    assert ranged.json()["periods"] == ["202301", "202302", "202303"]
    cusco_january = [r for r in ranged.json()["results"]
                     if (r["territory"]["code"], r["period"]) == ("080101", "202301")]
    assert cusco_january[0]["value"] == pytest.approx(25.0)
    assert female.json()["breakdown"] == "FEMALE"
    assert {r["territory"]["code"]: r["value"] for r in female.json()["results"]} == {
        "080101": pytest.approx(36.0), "080104": pytest.approx(20.0),
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"level": "barrio", "period": "2023"}, "Unknown level barrio"),
        ({"level": "region", "period": "2023"}, "The level must be below"),
        ({"level": "district", "period": "2023-01"}, "2023-01 is not a period"),
        ({"level": "district", "period": "2023W5"}, "is a finer period"),
        ({"level": "district", "period": "2024:2023"}, "ends before it starts"),
        ({"level": "district", "period": "2023:202301"}, "same type"),
        ({"level": "district", "period": "200001:209912"}, "at most 400 periods"),
        ({"level": "district"}, "at least one period"),
        ({"level": "district", "period": "2023", "breakdown": "URBAN"},
         "has no breakdown URBAN; use one of: FEMALE, MALE"),
    ],
)
def test_bad_input_is_a_400_with_a_reason(api, data, params, message):
    response = values(api, territory="08", **params)

    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_unknown_territory_or_indicator_is_a_404(api, data, personas, token_of):
    assert values(api, territory="99", period="2023").status_code == 404
    assert values(api, territory="BO:08", period="2023").status_code == 404
    assert values(api, code="NOPE", territory="08", period="2023").status_code == 404
    hidden = values(api, code="ANEMIA_DRAFT", territory="08", period="2023")
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == "There is no indicator ANEMIA_DRAFT."
    internal = values(api, code="ANEMIA_DRAFT", territory="08", period="2023",
                      token=token_of(personas.evaluator))
    assert internal.status_code == 200


def test_before_any_refresh_there_are_no_results_yet(api, tree):
    anaemia_data(tree)

    body = values(api, territory="08", level="district", period="2023").json()

    assert body["results"] == []
    assert body["refreshed_at"] is None


def test_the_values_query_is_bounded_in_sql_and_reads_the_store_once(
    api, data, django_assert_max_num_queries, monkeypatch
):
    """One indicator, a province's children, ten years: a handful of queries, one store read
    (its speed is measured in bench/, not asserted here)."""
    reads = []
    real = analytics_selectors.store_results

    def counted(*args, **kwargs):
        reads.append(kwargs["periods"])
        return real(*args, **kwargs)

    monkeypatch.setattr(analytics_selectors, "store_results", counted)

    with django_assert_max_num_queries(6):
        response = values(api, territory="0801", level="district", period="2014:2023")

    assert response.status_code == 200
    assert len(reads) == 1
    assert len(reads[0]) == 10


# --- the data values behind a figure -------------------------------------------------------


def sources(api, path="/indicators/ANEMIA_PCT/values/0801/2023/sources", token=None, **params):
    return api.get(path, token=token, **params)


def test_sources_are_internal(api, data, personas, token_of):
    anonymous = sources(api)
    hidden = sources(api, path="/indicators/ANEMIA_DRAFT/values/0801/2023/sources")
    no_role = sources(api, token=token_of(personas.no_role))

    assert anonymous.status_code == hidden.status_code == 401
    assert anonymous.json() == hidden.json()  # the same answer whatever the code
    assert no_role.status_code == 403


def test_sources_list_the_values_their_batch_and_source(api, data, personas, token_of):
    batch = ImportBatch.objects.create(format="csv", file_name="abril.csv", status="applied")
    data_values_write(
        cells=[cell(data, "ANEMIA", "san_jeronimo", "202304", "FEMALE", 1),
               cell(data, "SCREENED", "san_jeronimo", "202304", "FEMALE", 10)],
        batch=batch, source="HIS abril", user=personas.san_jeronimo_official,
    )
    analytics_refresh()
    token = token_of(personas.viewer)

    response = sources(api, path="/indicators/ANEMIA_PCT/values/080104/2023Q2/sources",
                       token=token)
    province = sources(api, token=token, breakdown="FEMALE", page_size=3, page=2)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = body["items"][0]
    assert (first["element"], first["period"], first["combination"], first["value"]) == (
        "ANEMIA", "202304", "FEMALE", 1.0,
    )
    assert first["territory"]["code"] == "080104"
    assert first["source"] == "HIS abril"
    assert first["batch"]["file_name"] == "abril.csv"
    assert first["stored_by"] == "funcionario_san_jeronimo"
    # 2023, province, women: 4 values of each district in the first quarter, and April's 2.
    assert province.json()["count"] == 10
    assert len(province.json()["items"]) == 3


def test_sources_of_an_unpublished_indicator_for_an_internal_reader(
    api, data, personas, token_of
):
    response = sources(api, path="/indicators/ANEMIA_DRAFT/values/080101/2023/sources",
                       token=token_of(personas.evaluator))

    assert response.status_code == 200
    assert response.json()["count"] == 4  # the four anaemia values of Cusco district


# --- importing data values ---------------------------------------------------------------


def dhis2_json(*values) -> bytes:
    import json

    return json.dumps({"dataValues": [
        {"dataElement": element, "period": period, "orgUnit": org_unit,
         "categoryOptionCombo": combination, "value": value}
        for element, period, org_unit, combination, value in values
    ]}).encode()


APRIL = dhis2_json(("ANEMIA", "202304", "080104", "FEMALE", "3"),
                   ("SCREENED", "202304", "080104", "FEMALE", "12"))


def post_import(api, content=APRIL, *, token=None, name="april.json", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {"format": "dhis2-json", **fields}
    if content is not None:
        form["file"] = SimpleUploadedFile(name, content, content_type="application/json")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return api.client.post("/api/v1/data-values/import", form, headers=headers)


def test_importing_needs_a_token_and_a_role_that_may_change_data(api, data, personas,
                                                                 token_of):
    anonymous = post_import(api)
    no_role = post_import(api, token=token_of(personas.no_role))
    viewer = post_import(api, token=token_of(personas.viewer))

    assert anonymous.status_code == 401
    assert no_role.status_code == viewer.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_an_import_writes_and_the_new_figure_shows(
    api, data, personas, token_of, django_capture_on_commit_callbacks
):
    token = token_of(personas.san_jeronimo_official)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(api, token=token)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "SUCCESS"
    assert body["importCount"] == {"imported": 2, "updated": 0, "ignored": 0, "deleted": 0}
    assert body["conflicts"] == []
    assert body["dryRun"] is False
    batch = ImportBatch.objects.get(pk=body["batch"])
    assert batch.created_by == personas.san_jeronimo_official
    # Refreshed on commit: San Jerónimo's second quarter is 3 / 12.
    figure = values(api, territory="080104", period="2023Q2").json()["results"]
    assert figure[0]["value"] == pytest.approx(25.0)


def test_a_dry_run_writes_nothing(api, data, personas, token_of):
    response = post_import(api, token=token_of(personas.san_jeronimo_official), dryRun="true")

    assert response.status_code == 200
    assert response.json()["dryRun"] is True
    assert response.json()["importCount"]["imported"] == 2
    assert not data.anemia.values.filter(period="202304").exists()


def test_a_refused_import_is_a_409_with_its_conflicts(api, data, personas, token_of):
    # Abancay is not San Jerónimo's official's territory: the whole file is refused.
    content = dhis2_json(("ANEMIA", "202304", "080104", "FEMALE", "3"),
                         ("ANEMIA", "202304", "030101", "FEMALE", "5"))

    response = post_import(api, content, token=token_of(personas.san_jeronimo_official))

    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "ERROR"
    assert len(body["conflicts"]) >= 1
    assert not data.anemia.values.filter(period="202304").exists()


@pytest.mark.parametrize(
    ("content", "fields", "message"),
    [
        (b"{not json", {}, "could not be read as dhis2-json"),
        (b"", {}, "The file is empty."),
        (APRIL, {"format": "pdf"}, "Unknown format pdf"),
        (APRIL, {"idScheme": "name"}, "Unknown idScheme name"),
        (APRIL, {"importStrategy": "MERGE"}, "Unknown importStrategy MERGE"),
    ],
)
def test_a_file_or_option_that_cannot_be_used_is_a_400(
    api, data, personas, token_of, content, fields, message
):
    response = post_import(api, content, token=token_of(personas.national_admin), **fields)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not data.anemia.values.filter(period="202304").exists()


def test_a_mapping_file_that_is_not_json_is_a_400(api, data, personas, token_of):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = post_import(api, token=token_of(personas.national_admin),
                           mapping=SimpleUploadedFile("map.json", b"[1, 2"))

    assert response.status_code == 400
    assert response.json()["detail"] == "The mapping file is not valid JSON."


def test_a_missing_file_is_a_422_naming_it(api, data, personas, token_of):
    response = post_import(api, None, token=token_of(personas.national_admin))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


# --- no input reaches a 500 ----------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TEXTS = st.text(max_size=30) | st.sampled_from(
    ["2023", "2015:2024", "2023Q5", "202313", ":", "2023:", "08", "PE:08", "PE:", ":08",
     "district", "FEMALE", "0" * 30]
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(territory=TEXTS, level=TEXTS, period=st.lists(TEXTS, max_size=3), breakdown=TEXTS,
       country=st.none() | TEXTS)
def test_no_values_query_is_a_500(api, data, territory, level, period, breakdown, country):
    params = {"territory": territory, "level": level, "period": period, "breakdown": breakdown}
    if country is not None:
        params["country"] = country

    response = values(api, **params)

    assert response.status_code in (200, 400, 404, 422), response.content
    assert "detail" in response.json() or "results" in response.json()


def test_the_public_gets_no_figure_after_the_published_period(api, data, personas, token_of):
    data.sheet.public_through = "2022"
    data.sheet.save()

    public = values(api, territory="0801", period="2023")
    internal = values(api, territory="0801", period="2023", token=token_of(personas.viewer))

    assert public.status_code == 200
    assert public.json()["results"] == []
    assert [round(r["value"], 2) for r in internal.json()["results"]] == [26.67]
