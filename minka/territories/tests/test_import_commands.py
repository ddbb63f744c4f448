"""The import commands end to end: real files, idempotence, and bad input that changes nothing.

Messages are checked in English (the default language is Spanish once translated).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import translation

from minka.territories.importers import ImportRejected, TerritoryRow, demo_rows
from minka.territories.models import (
    Boundary,
    Institution,
    Population,
    Territory,
    TerritoryAlias,
)
from minka.territories.services import population_load, territories_load
from minka.territories.tests.test_importers_peru import (
    CUSCO_DISTRICTS,
    CUSCO_PROVINCES,
    write_peru,
)

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "peru_ubigeo_distrito.csv").is_file(),
    reason=f"the real data files are not in {SHARED_DATA}",
)
CENSUS_HEADER = "ubigeo,nivel,nombre,clave_censo,total,hombre,mujer"
MODELS = (Territory, TerritoryAlias, Institution, Population, Boundary)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> tuple[str, str]:
    """Run a command that must fail: (its report, the CommandError's message)."""
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(*args, stdout=out)
    assert failure.value.returncode == 1
    return out.getvalue(), str(failure.value)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def by_level(country: str) -> Counter[str]:
    return Counter(Territory.objects.filter(country=country).values_list("level", flat=True))


@needs_shared_data
@pytest.mark.django_db
def test_peru_import_builds_the_tree_with_aliases_and_institutions_and_reruns_to_nothing():
    first = run("import_territories", "--country", "PE", str(SHARED_DATA))

    assert by_level("PE") == {"country": 1, "region": 25, "province": 196, "district": 1892}
    root = Territory.objects.get(country="PE", code="PE")
    assert (root.name, root.level, root.path, root.parent) == ("Perú", "country", "PE/", None)
    district = Territory.objects.get(country="PE", code="080101")
    assert district.path == "PE/08/0801/080101/"
    assert Territory.objects.filter(path__startswith="PE/08/", level="province").count() == 13
    assert Territory.objects.filter(path__startswith="PE/08/", level="district").count() == 116
    assert dict(district.aliases.values_list("scheme", "code")) == {
        "inei6": "080101", "reniec": "070101"}
    assert not TerritoryAlias.objects.filter(code="170107").exists()
    kinds = Counter(Institution.objects.values_list("kind", "government_level"))
    assert kinds == {("municipality", "district"): 1892, ("municipality", "provincial"): 196,
                     ("regional_government", "regional"): 25}
    assert Institution.objects.get(territory__code="08", kind="regional_government").name == (
        "Gobierno Regional de CUSCO")
    assert Institution.objects.get(territory=district).name == "Municipalidad Distrital de CUSCO"
    assert "District: 1892 created, 0 updated, 0 unchanged" in first
    assert "peru_ubigeo_distrito.csv, line 1896, column inei" in first

    before = row_counts()
    again = run("import_territories", "--country", "PE", str(SHARED_DATA))

    assert row_counts() == before
    assert "District: 0 created, 0 updated, 1892 unchanged" in again
    assert "Institutions: 0 created, 0 updated, 2113 unchanged" in again


@needs_shared_data
@pytest.mark.django_db
def test_chile_and_paraguay_imports():
    run("import_territories", "--country", "CL", str(SHARED_DATA / "chile_comunas_bdcut.csv"))
    run("import_territories", "--country", "PY", str(SHARED_DATA / "paraguay_distritos_dgeec.csv"))

    assert by_level("CL") == {"country": 1, "region": 16, "province": 56, "district": 346}
    assert by_level("PY") == {"country": 1, "region": 18, "district": 250}
    assert Territory.objects.get(country="CL", code="CL").name == "Chile"
    assert Territory.objects.get(country="CL", code="01101").path == "CL/01/011/01101/"
    assert Territory.objects.get(country="PY", code="0000").path == "PY/00/0000/"
    assert Counter(Institution.objects.values_list("territory__country", "kind",
                                                   "government_level")) == {
        ("CL", "municipality", "district"): 346, ("PY", "municipality", "district"): 250}
    assert Institution.objects.get(territory__country="CL", territory__code="01101").name == (
        "Municipalidad de Iquique")

    again = run("import_territories", "--country", "CL",
                str(SHARED_DATA / "chile_comunas_bdcut.csv"))
    assert "District: 0 created, 0 updated, 346 unchanged" in again


@needs_shared_data
@pytest.mark.django_db
def test_population_adds_up_in_the_database_and_reruns_to_nothing():
    run("import_territories", "--country", "PE", str(SHARED_DATA))
    census = str(SHARED_DATA / "cusco_censo2025_poblacion.csv")

    report = run("import_population", census, "--year", "2025")

    assert "Population cells: 390 created, 0 updated, 0 unchanged" in report
    cells = Population.objects.filter(year=2025)
    assert cells.get(territory__code="08", sex="total").value == 1_379_167
    for sex in ("total", "male", "female"):
        for province in Territory.objects.filter(parent__code="08"):
            districts = cells.filter(territory__parent=province, sex=sex)
            assert districts.count() == province.children.count()
            assert districts.aggregate(s=Sum("value"))["s"] == cells.get(
                territory=province, sex=sex).value
        provinces = cells.filter(territory__parent__code="08", sex=sex).aggregate(s=Sum("value"))
        assert provinces["s"] == cells.get(territory__code="08", sex=sex).value
    assert set(cells.values_list("source", flat=True)) == {"cusco_censo2025_poblacion.csv"}

    again = run("import_population", census, "--year", "2025")
    assert "Population cells: 0 created, 0 updated, 390 unchanged" in again


@needs_shared_data
@pytest.mark.django_db
def test_boundaries_of_cusco_districts_list_the_eight_newer_districts():
    run("import_territories", "--country", "PE", str(SHARED_DATA))
    geojson = str(SHARED_DATA / "cusco_distritos_inei2007_subset.geojson")

    report = run("import_boundaries", geojson, "--code-field", "IDDIST")

    assert Boundary.objects.count() == 108
    missing = [line for line in report.splitlines() if "has no feature in the file" in line]
    assert [line.split(": ")[1].split()[0] for line in missing] == [
        f"0809{n}" for n in range(11, 19)]
    boundary = Boundary.objects.get(territory__code="080101")
    assert boundary.geometry["type"] == "Polygon"
    assert boundary.source == "cusco_distritos_inei2007_subset.geojson"
    again = run("import_boundaries", geojson, "--code-field", "IDDIST")
    assert "Boundaries: 0 created, 0 updated, 108 unchanged" in again

    regions = run("import_boundaries", str(SHARED_DATA / "peru_departamental_simple.geojson"),
                  "--code-field", "FIRST_IDDP", "--country", "pe")
    assert "Boundaries: 25 created, 0 updated, 0 unchanged" in regions


# --- bad input: the message names file, line and column; the database is untouched ------------

@pytest.fixture
def cusco_dir(tmp_path, db) -> Path:
    """A small valid Peru folder, already imported, so a failing run has rows to keep."""
    folder = tmp_path / "peru"
    folder.mkdir()
    write_peru(folder)
    run("import_territories", "--country", "PE", str(folder))
    return folder


def assert_refused_naming(args, *, file: str, line: int, column: str, reason_text: str):
    before = row_counts()
    report, message = refused(*args)
    assert row_counts() == before
    place = f"{file}, line {line}, column {column}"
    assert place in message, message
    assert place in report
    assert reason_text in message
    assert "the database was not changed" in message


def test_latin1_encoded_file(cusco_dir):
    path = cusco_dir / "peru_ubigeo_distrito.csv"
    path.write_bytes(path.read_bytes() + "080102,070102,CUSCO,CUSCO,CCORCA,Ca\u00f1a\n".encode(
        "latin-1"))

    assert_refused_naming(("import_territories", "--country", "PE", str(cusco_dir)),
                          file="peru_ubigeo_distrito.csv", line=6, column="capital",
                          reason_text="is not UTF-8 (byte 0xf1 at line 6); save it as UTF-8")


def test_latin1_in_a_name_names_the_name_column(cusco_dir):
    path = cusco_dir / "peru_ubigeo_provincia.csv"
    path.write_bytes(path.read_bytes().replace(b"ACOMAYO", "ACOMAYÑ".encode("latin-1")))

    _, message = refused("import_territories", "--country", "PE", str(cusco_dir))

    assert "File peru_ubigeo_provincia.csv is not UTF-8 (byte 0xd1 at line 3)" in message
    assert "peru_ubigeo_provincia.csv, line 3, column provincia:" in message


def test_missing_parent(cusco_dir):
    write_peru(cusco_dir, districts=[*CUSCO_DISTRICTS, "089901,079901,CUSCO,X,NUEVO,Nuevo"])

    assert_refused_naming(("import_territories", "--country", "PE", str(cusco_dir)),
                          file="peru_ubigeo_distrito.csv", line=6, column="inei",
                          reason_text="The parent 0899 of 089901 is neither in the file")


def test_duplicate_code(cusco_dir):
    write_peru(cusco_dir, provinces=[*CUSCO_PROVINCES, "080100,070100,CUSCO,CUSCO DOS,Cusco"])

    assert_refused_naming(("import_territories", "--country", "PE", str(cusco_dir)),
                          file="peru_ubigeo_provincia.csv", line=4, column="inei",
                          reason_text="Code 0801 appears more than once")


def test_code_without_leading_zero(cusco_dir):
    write_peru(cusco_dir, districts=[*CUSCO_DISTRICTS, "80102,070102,CUSCO,CUSCO,CCORCA,Ccorca"])

    assert_refused_naming(("import_territories", "--country", "PE", str(cusco_dir)),
                          file="peru_ubigeo_distrito.csv", line=6, column="inei",
                          reason_text="has lost its leading zero (expected 080102)")


def test_truncated_last_line(cusco_dir):
    path = cusco_dir / "peru_ubigeo_distrito.csv"
    path.write_text(path.read_text(encoding="utf-8") + "080102,070102,CUSCO,CUS",
                    encoding="utf-8")

    assert_refused_naming(("import_territories", "--country", "PE", str(cusco_dir)),
                          file="peru_ubigeo_distrito.csv", line=6, column="distrito",
                          reason_text="is the file truncated?")


def test_empty_required_value(cusco_dir):
    write_peru(cusco_dir, districts=[*CUSCO_DISTRICTS, "080102,070102,CUSCO,CUSCO,,Ccorca"])

    assert_refused_naming(("import_territories", "--country", "PE", str(cusco_dir)),
                          file="peru_ubigeo_distrito.csv", line=6, column="distrito",
                          reason_text="Column distrito is empty")


def test_missing_header_column(cusco_dir):
    path = cusco_dir / "peru_ubigeo_departamento.csv"
    path.write_text("inei,reniec,departamento\n080000,070000,CUSCO\n", encoding="utf-8")

    assert_refused_naming(("import_territories", "--country", "PE", str(cusco_dir)),
                          file="peru_ubigeo_departamento.csv", line=1, column="capital",
                          reason_text="The header has no column capital")


def test_a_renamed_territory_is_updated_and_its_municipality_follows(cusco_dir):
    write_peru(cusco_dir, districts=[*CUSCO_DISTRICTS[:2],
                                     "080201,070201,CUSCO,ACOMAYO,ACOMAYO NUEVO,Acomayo"])
    Institution.objects.filter(territory__code="080101").update(name="Muni del Cusco")
    write_peru(cusco_dir, districts=[CUSCO_DISTRICTS[0].replace(",CUSCO,Cusco", ",QOSQO,Cusco"),
                                     *CUSCO_DISTRICTS[1:2],
                                     "080201,070201,CUSCO,ACOMAYO,ACOMAYO NUEVO,Acomayo"])

    report = run("import_territories", "--country", "PE", str(cusco_dir))

    assert "District: 0 created, 2 updated, 1 unchanged" in report
    assert "Institutions: 0 created, 1 updated, 5 unchanged" in report
    assert Institution.objects.get(territory__code="080201").name == (
        "Municipalidad Distrital de ACOMAYO NUEVO")
    assert Institution.objects.get(territory__code="080101").name == "Muni del Cusco"
    assert Territory.objects.get(code="080101").search_name == "qosqo"


@pytest.mark.django_db
def test_population_errors_leave_the_database_untouched(cusco_dir, tmp_path):
    path = tmp_path / "censo.csv"
    lines = ["08,departamento,CUSCO,C,10,5,5", "0801,provincia,CUSCO,C,10,5,5",
             "0802,provincia,ACOMAYO,C,0,0,0", "080101,distrito,CUSCO,C,4,2,2",
             "080104,distrito,SAN JERONIMO,C,6,3,3", "080201,distrito,ACOMAYO,C,0,0,0"]
    path.write_text("\n".join([CENSUS_HEADER, *lines]) + "\n", encoding="utf-8")
    run("import_population", str(path), "--year", "2025")

    path.write_text("\n".join([CENSUS_HEADER, *lines, "080199,distrito,X,C,0,0,0"]) + "\n",
                    encoding="utf-8")
    assert_refused_naming(("import_population", str(path), "--year", "2025"),
                          file="censo.csv", line=8, column="total",
                          reason_text="080199 is not a known territory of PE")

    lines[4] = "080104,distrito,SAN JERONIMO,C,12.5,6.5,6"
    path.write_text("\n".join([CENSUS_HEADER, *lines]) + "\n", encoding="utf-8")
    assert_refused_naming(("import_population", str(path), "--year", "2025"),
                          file="censo.csv", line=6, column="total",
                          reason_text="12.5 is not a whole number of people")

    lines[4] = "080104,distrito,SAN JERONIMO,C,7,4,3"
    path.write_text("\n".join([CENSUS_HEADER, *lines]) + "\n", encoding="utf-8")
    assert_refused_naming(("import_population", str(path), "--year", "2025"),
                          file="censo.csv", line=3, column="total",
                          reason_text="its 2 parts in the file add up to 11")
    assert Population.objects.get(territory__code="080104", sex="total").value == 6


@pytest.mark.django_db
def test_boundary_errors_leave_the_database_untouched(cusco_dir, tmp_path):
    path = tmp_path / "limites.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [,]}', encoding="utf-8")
    assert_refused_naming(("import_boundaries", str(path), "--code-field", "IDDIST"),
                          file="limites.geojson", line=2, column="15",
                          reason_text="The file is not valid JSON")

    path.write_text(json.dumps({"type": "Feature"}), encoding="utf-8")
    _, message = refused("import_boundaries", str(path), "--code-field", "IDDIST")
    assert "limites.geojson: The file is not a GeoJSON FeatureCollection (found Feature)" in (
        message)

    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    features = [{"type": "Feature", "properties": {"IDDIST": "080101"}, "geometry": square},
                {"type": "Feature", "properties": {"ID": "080104"}, "geometry": square}]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    _, message = refused("import_boundaries", str(path), "--code-field", "IDDIST")
    assert "limites.geojson, feature 2, property IDDIST: The feature has no property IDDIST" in (
        message)
    assert Boundary.objects.count() == 0


@pytest.mark.django_db
def test_unknown_boundary_codes_are_skipped_with_a_warning(cusco_dir, tmp_path):
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    features = [{"type": "Feature", "properties": {"IDDIST": code}, "geometry": square}
                for code in ("080101", "089999")]
    path = tmp_path / "limites.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")

    report = run("import_boundaries", str(path), "--code-field", "IDDIST")

    assert "feature 2, property IDDIST: 089999 is not a known territory of PE" in report
    assert "080104 SAN JERONIMO has no feature in the file" in report
    assert list(Boundary.objects.values_list("territory__code", flat=True)) == ["080101"]


def test_exit_status_is_1_from_the_console(tmp_path):
    """The real `minka` script: status 1 and the message on stderr (parsing fails first)."""
    folder = write_peru(tmp_path)
    path = folder / "peru_ubigeo_distrito.csv"
    path.write_bytes(path.read_bytes() + "080102,070102,CUSCO,CUSCO,CCORCA,Ca\u00f1a\n".encode(
        "latin-1"))
    env = {**os.environ, "DEBUG": "true", "LANGUAGE": "en",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}"}
    minka = Path(sys.executable).with_name("minka")

    done = subprocess.run([str(minka), "import_territories", "--country", "PE", str(folder)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)

    assert done.returncode == 1
    assert "peru_ubigeo_distrito.csv" in done.stderr
    assert "0xf1" in done.stderr


# --- the services as the demo calls them -------------------------------------------------------

@pytest.mark.django_db
def test_demo_rows_load_and_reload_to_nothing():
    path = Path(__file__).resolve().parents[2] / "demo" / "demo_data" / "cusco.json"
    territories, population = demo_rows(path)

    report = territories_load(country="PE", rows=territories, source="demo")
    cells = population_load(year=2025, rows=population, source="demo")

    assert report.counts["country"].created == 1
    assert report.counts["district"].created == 116
    assert cells.counts["population"].created == 390
    assert Population.objects.get(territory__code="08", sex="total").value == 1_379_167
    again = territories_load(country="PE", rows=territories, source="demo")
    assert not again.changed
    assert not population_load(year=2025, rows=population, source="demo").changed


@pytest.mark.django_db
def test_a_load_with_an_error_raises_and_writes_nothing():
    rows = [TerritoryRow(country="PE", code="08", name="CUSCO", level="region", parent_code="PE"),
            TerritoryRow(country="PE", code="0801", name="CUSCO", level="province",
                         parent_code="09")]

    with pytest.raises(ImportRejected) as rejected:
        territories_load(country="PE", rows=rows, source="test")

    assert [i.reason for i in rejected.value.report.errors] == ["missing_parent"]
    assert Territory.objects.count() == 0
