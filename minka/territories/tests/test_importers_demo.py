"""The committed demo file and its reader; the issue catalogue (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from minka.territories.importers import MESSAGES, PopulationRow, TerritoryRow, demo_rows
from minka.territories.importers.checks import population_values_check
from minka.territories.importers.demo import DemoDataError, demo_data_read, demo_document
from minka.territories.importers.rows import AREAS, LEVELS, SEXES
from minka.territories.models import Area, Level, Sex

CUSCO_JSON = Path(__file__).resolve().parents[2] / "demo" / "demo_data" / "cusco.json"


def test_the_committed_demo_file_holds_cusco_with_its_2025_census():
    territories, population = demo_rows(CUSCO_JSON)

    levels = [row.level for row in territories]
    assert (levels.count("region"), levels.count("province"), levels.count("district")) == (
        1, 13, 116)
    assert all(row.code.startswith("08") and row.country == "PE" for row in territories)
    cusco = territories[0]
    assert (cusco.code, cusco.parent_code, cusco.aliases["inei6"]) == ("08", "PE", "080000")
    assert "reniec" in cusco.aliases
    assert len(population) == 3 * 130
    value = {(r.code, r.sex): r.value for r in population}
    assert value[("08", "total")] == 1_379_167
    assert {r.year for r in population} == {2025}
    for province in (r.code for r in territories if r.level == "province"):
        districts = [r.code for r in territories if r.parent_code == province]
        assert sum(value[(d, "total")] for d in districts) == value[(province, "total")]


def test_the_demo_format_round_trips(tmp_path):
    rows = [TerritoryRow(country="PE", code="08", name="CUSCO", level="region", parent_code="PE",
                         capital="Cusco", aliases={"reniec": "070000"})]
    cells = [PopulationRow(country="PE", code="08", year=2025, sex=sex, value=v)
             for sex, v in (("total", 3), ("male", 1), ("female", 2))]
    path = tmp_path / "demo.json"
    path.write_text(demo_document(country="PE", year=2025, territory_source="t",
                                  population_source="p", territories=rows, population=cells),
                    encoding="utf-8")

    data = demo_data_read(path)

    assert (data.year, data.territory_source, data.population_source) == (2025, "t", "p")
    assert [(r.code, r.name, r.capital, dict(r.aliases)) for r in data.territories] == [
        ("08", "CUSCO", "Cusco", {"reniec": "070000"})]
    assert [(r.sex, r.value) for r in data.population] == [("total", 3), ("male", 1),
                                                           ("female", 2)]


@pytest.mark.parametrize("text", ["{", '{"format": "other"}',
                                  '{"format": "minka.territories.demo/1", "country": "PE"}'])
def test_a_broken_demo_file_raises(tmp_path, text):
    path = tmp_path / "demo.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(DemoDataError):
        demo_rows(path)


def test_the_pure_categories_mirror_the_model():
    assert tuple(Level.values) == LEVELS
    assert tuple(Sex.values) == SEXES
    assert tuple(Area.values) == AREAS


def test_every_message_template_formats():
    class Anything(dict):
        def __missing__(self, key):
            return "x"

    for reason, template in MESSAGES.items():
        assert template % Anything(), reason


def test_population_values_are_checked_against_the_declared_year_and_categories():
    rows = [PopulationRow(country="PE", code="08", year=2024, sex="total", value=1),
            PopulationRow(country="PE", code="08", year=2025, sex="men", value=1),
            PopulationRow(country="PE", code="08", year=2025, sex="male", value=-1, area="x")]

    issues = population_values_check(rows, year=2025)

    assert [i.reason for i in issues] == ["year_mismatch", "unknown_sex", "unknown_area",
                                          "negative"]
