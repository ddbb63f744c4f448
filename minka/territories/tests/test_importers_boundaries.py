"""The GeoJSON boundary parser: real INEI 2007 files and broken documents (no database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minka.territories.importers import Severity, boundaries_parse

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "cusco_distritos_inei2007_subset.geojson").is_file(),
    reason=f"the real GeoJSON files are not in {SHARED_DATA}",
)
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}


def feature(code: object, geometry: object = SQUARE, field: str = "IDDIST") -> dict:
    return {"type": "Feature", "properties": {field: code, "NOMBDIST": f"D{code}"},
            "geometry": geometry}


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "limites.geojson"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def collection(*features: object) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


@needs_shared_data
@pytest.mark.parametrize(("name", "field", "count"), [
    ("cusco_distritos_inei2007_subset.geojson", "IDDIST", 108),
    ("cusco_provincias_inei2007_subset.geojson", "FIRST_IDPR", 13),
    ("peru_departamental_simple.geojson", "FIRST_IDDP", 25),
])
def test_the_real_files(name, field, count):
    parsed = boundaries_parse(SHARED_DATA / name, code_field=field)

    assert parsed.issues == []
    assert len(parsed.rows) == count
    assert all(row.geometry["type"] in {"Polygon", "MultiPolygon"} for row in parsed.rows)


@needs_shared_data
def test_the_national_district_file_has_eight_features_without_geometry():
    parsed = boundaries_parse(SHARED_DATA / "peru_distrital_simple.geojson", code_field="IDDIST")

    assert parsed.errors == []
    assert [i.reason for i in parsed.issues] == ["no_geometry"] * 8
    assert len(parsed.rows) == 1834 - 8


def test_features_without_geometry_are_warnings_and_skipped(tmp_path):
    path = write(tmp_path, collection(
        feature("080101"), feature("080102", None),
        feature("080103", {"type": "Polygon", "coordinates": []})))

    parsed = boundaries_parse(path, code_field="IDDIST")

    assert [(i.severity, i.feature, i.value) for i in parsed.issues] == [
        (Severity.WARNING, 2, "080102"), (Severity.WARNING, 3, "080103")]
    assert [(r.code, r.name) for r in parsed.rows] == [("080101", "D080101")]


def test_a_territory_in_two_features_is_joined_into_a_multipolygon(tmp_path):
    path = write(tmp_path, collection(feature("2001"), feature(2001), feature("2002")))

    parsed = boundaries_parse(path, code_field="IDDIST")

    assert [(i.reason, i.value, i.params["parts"]) for i in parsed.issues] == [
        ("merged_parts", "2001", 2)]
    joined = parsed.rows[0].geometry
    assert joined == {"type": "MultiPolygon",
                      "coordinates": [SQUARE["coordinates"], SQUARE["coordinates"]]}


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "limites.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [,]}', encoding="utf-8")

    [error] = boundaries_parse(path, code_field="IDDIST").errors

    assert (error.reason, error.file, error.line, error.column) == (
        "invalid_json", "limites.geojson", 2, "15")


def test_a_document_that_is_not_a_feature_collection_is_an_error(tmp_path):
    for document in (feature("08"), [feature("08")], {"type": "FeatureCollection"}):
        [error] = boundaries_parse(write(tmp_path, document), code_field="IDDIST").errors
        assert error.reason == "not_feature_collection"


def test_a_code_field_no_feature_has_is_one_error_listing_what_there_is(tmp_path):
    path = write(tmp_path, collection(feature("08"), feature("09")))

    [error] = boundaries_parse(path, code_field="IDDPTO").errors

    assert (error.reason, error.column, error.params["found"]) == (
        "code_field_absent", "IDDPTO", "IDDIST, NOMBDIST")


def test_a_feature_without_the_code_field_or_with_bad_geometry_is_an_error(tmp_path):
    path = write(tmp_path, collection(
        feature("080101"), feature("080102", field="OTHER"), feature("080103", {"type": "Blob"}),
        feature(""), "not a feature"))

    parsed = boundaries_parse(path, code_field="IDDIST")

    assert [(i.feature, i.reason) for i in parsed.errors] == [
        (2, "missing_code_field"), (3, "invalid_geometry"), (4, "required"),
        (5, "invalid_feature")]


def test_latin1_geojson_is_refused(tmp_path):
    path = tmp_path / "limites.geojson"
    path.write_bytes('{"type": "FeatureCollection",\n"name": "Espa\u00f1a"}'.encode("latin-1"))

    [error] = boundaries_parse(path, code_field="IDDIST").errors

    assert (error.reason, error.line, error.value) == ("not_utf8", 2, "0xf1")
