"""DHIS2 metadata parser and expression translation, without a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minka.analytics.engine.formula import formula_parse
from minka.indicators.importers.dhis2_metadata import (
    KnownElement,
    dhis2_expression_translate,
    metadata_parse,
    minka_code,
)

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
METADATA = SHARED_DATA / "dhis2" / "metadata.json"
needs_shared_data = pytest.mark.skipif(not METADATA.is_file(), reason="../shared is absent")


@pytest.fixture(scope="module")
def document():
    return json.loads(METADATA.read_text())


@pytest.fixture(scope="module")
def specs():
    return metadata_parse(METADATA.read_bytes())


@needs_shared_data
def test_counts_are_those_of_the_file(document, specs):
    assert len(specs.elements) == len(document["dataElements"]) == 75
    assert len(specs.categories) == len(document["categories"]) == 3
    assert sum(len(c.options) for c in specs.categories) == len(document["categoryOptions"]) == 8
    assert len(specs.combinations) == len(document["categoryOptionCombos"]) == 12
    assert len(specs.indicators) == len(document["indicators"]) == 19
    # One rule's right side is malformed in the file ("#jtyuEfbNbkb}", no "{"): left out.
    assert len(document["validationRules"]) == 12
    assert len(specs.rules) == 11
    [conflict] = [p for p in specs.problems if not p.warning]
    assert (conflict.object_type, conflict.uid, conflict.reason) == (
        "validationRules", "Kejj3gJ2GD0", "unsupported_expression")
    assert conflict.params["value"].startswith("#jtyuEfbNbkb")
    assert not specs.fatal


@needs_shared_data
def test_period_type_comes_from_the_data_sets(document, specs):
    yearly_set = next(d for d in document["dataSets"] if d["periodType"] == "Yearly")
    yearly = {e["dataElement"]["id"] for e in yearly_set["dataSetElements"]}
    by_uid = {e.uid: e for e in specs.elements}
    assert {uid for uid, e in by_uid.items() if e.period_type == "Yearly"} == yearly
    # The two thresholds are in no data set: Monthly, with a warning each.
    defaulted = {p.uid for p in specs.problems if p.reason == "period_type_default"}
    assert defaulted == {"nwzSeTAxCGV", "LhcXjWs6lm7"}
    assert {by_uid[uid].period_type for uid in defaulted} == {"Monthly"}


@needs_shared_data
def test_elements_map_types_and_disaggregations(specs):
    by_uid = {e.uid: e for e in specs.elements}
    funding = by_uid["tpz77FcntKx"]  # INTEGER_ZERO_OR_POSITIVE, SUM, default combo
    assert (funding.code, funding.value_type, funding.aggregation, funding.minimum) == (
        "TA_GEN_EXT_FUND", "integer", "sum", 0)
    assert funding.category_codes == ()
    population = by_uid["cOVhTyW8zN6"]  # AVERAGE_SUM_ORG_UNIT
    assert population.aggregation == "last"
    threshold = by_uid["LhcXjWs6lm7"]
    assert threshold.code == "TA_MAL_CONF_MEDIAN_PLUS_2"  # "+" cannot be named in a formula
    assert {e.value_type for e in specs.elements} == {"integer", "boolean"}
    age_sex = {e.category_codes for e in specs.elements if len(e.category_codes) == 2}
    assert age_sex == {("TA_AGE_MALARIA", "TA_SEX")}


@needs_shared_data
def test_combination_uids_stand_for_option_codes(specs):
    by_uid = {c.uid: c.option_codes for c in specs.combinations}
    assert by_uid["t5FrQ0GTvGf"] == {"TA_P0Y--P5Y", "TA_F"}  # 0-4 years, Female
    assert by_uid["oPcWGgS2Liz"] == {"TA_P0Y--P5Y"}


@needs_shared_data
def test_indicator_formulas_are_translated_and_parse(specs):
    by_code = {i.code: i for i in specs.indicators}
    rdt = by_code["TA_MAL_PER_CASES_WITH_RDT"]  # 100 * #{pmRn0…} / (#{DPNs…}+#{pmRn0…})
    assert rdt.formula == (
        "100 * #{TA_MAL_CASES_TEST_RDT} / (#{TA_MAL_CASES_TEST_MICR} + #{TA_MAL_CASES_TEST_RDT})"
    )
    assert rdt.unit == "percent"
    # #{uid.HllvX50cXC0} is the default combination: the total.
    assert by_code["TA_MAL_CONF_THRES2"].formula == "#{TA_MAL_CONF_MEDIAN_PLUS_2}"
    assert by_code["TA_MAL_TOT_MAL_CONF_CASES"].unit == "number"
    # A yearly denominator makes the indicator yearly.
    assert by_code["TA_MAL_ABER"].frequency == "Yearly"
    for indicator in specs.indicators:
        formula_parse(indicator.formula)  # raises if not Minka syntax


def test_expression_translation_rules():
    elements = {"aaaaaaaaaaa": KnownElement("A", "Monthly", frozenset({"F", "M"})),
                "bbbbbbbbbbb": KnownElement("B", "Monthly")}
    combos = {"cocFemale01": frozenset({"F"}), "cocFemAge01": frozenset({"F", "Y0_4"})}

    def translate(text):
        return dhis2_expression_translate(text, elements=elements, combinations=combos,
                                          constants={"constant001": "POP_SHARE"})

    assert translate("#{aaaaaaaaaaa.cocFemale01}+#{bbbbbbbbbbb}").text == "#{A.F} + #{B}"
    assert translate("-#{bbbbbbbbbbb} * C{constant001}").text == "-#{B} * C{POP_SHARE}"
    assert translate("(#{bbbbbbbbbbb})").atom is False
    assert translate(" #{bbbbbbbbbbb} ").atom is True
    assert translate("#{aaaaaaaaaaa.cocFemAge01}").reason == "combo_not_single_option"
    assert translate("#{zzzzzzzzzzz}").reason == "unknown_reference"
    reporting = translate("R{dataset0001.REPORTING_RATE}")
    assert (reporting.reason, reporting.params["position"]) == ("unsupported_expression", 1)
    # 14 characters of reference, " + ", then "isNull" is the 18th character (1-based).
    assert translate("#{bbbbbbbbbbb} + isNull(#{bbbbbbbbbbb})").params["position"] == 18
    assert translate("#{bbbbbbbbbbb.HllvX50cXC0.nondefault1}").reason == "attribute_reference"
    assert translate("   ").reason == "empty_expression"


def test_minka_code_is_a_code_formulas_can_name():
    assert minka_code("TA_MAL_CONF_MEDIAN+2") == "TA_MAL_CONF_MEDIAN_PLUS_2"
    assert minka_code("TA_MAL_DTH_REP_COMP_(%)") == "TA_MAL_DTH_REP_COMP_PCT"
    assert minka_code("TA Age (malaria)", upper=True) == "TA_AGE_MALARIA"
    assert minka_code("Población área", upper=True) == "POBLACION_AREA"
    assert minka_code("TA_P0Y--P5Y") == "TA_P0Y--P5Y"


def test_not_metadata_is_fatal():
    assert metadata_parse(b"[1, 2]").fatal[0].reason == "not_metadata"
    assert metadata_parse(b"{").fatal[0].reason == "invalid_json"


def test_unsupported_value_type_and_duplicate_code():
    document = {
        "dataElements": [
            {"id": "aaaaaaaaaaa", "code": "X", "name": "Text", "valueType": "TEXT"},
            {"id": "bbbbbbbbbbb", "code": "Y", "name": "One", "valueType": "NUMBER"},
            {"id": "ccccccccccc", "code": "Y", "name": "Two", "valueType": "NUMBER"},
        ]
    }
    specs = metadata_parse(json.dumps(document).encode())
    reasons = {(p.uid, p.reason) for p in specs.problems}
    assert ("aaaaaaaaaaa", "unsupported_value_type") in reasons
    assert ("ccccccccccc", "duplicate_code") in reasons
    assert specs.fatal
