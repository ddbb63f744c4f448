"""RULES.json and SCORES.csv: the examples parse; bad files give every problem, no trace."""

from __future__ import annotations

import json
from pathlib import Path

from minka.contests.engine.files import rules_parse, scores_parse
from minka.contests.engine.model import (
    CriterionKind,
    Polarity,
    RemainderPolicy,
    TieBreakerKind,
    TierScope,
)
from minka.contests.tests.cases import D

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_rules() -> dict:
    return json.loads((EXAMPLES / "rules.json").read_text(encoding="utf-8"))


def parse(raw: dict):
    return rules_parse(json.dumps(raw))


def texts(parsed, language="en"):
    return [p.text(language) for p in parsed.problems]


def test_the_example_rules_parse_into_the_model() -> None:
    parsed = rules_parse((EXAMPLES / "rules.json").read_bytes())
    assert parsed.problems == ()
    rules = parsed.value
    assert rules.fund == D("1500000.00")
    assert [c.code for c in rules.components] == ["PLAN", "DIT", "AGUA", "INCL", "COM"]
    assert sum(c.weight for c in rules.components) == 100
    assert {c.kind for c in rules.criteria} == set(CriterionKind)
    improvement = next(c for c in rules.criteria if c.code == "DIT-02")
    assert (improvement.polarity, improvement.target, improvement.cap) == (
        Polarity.LOWER_IS_BETTER,
        D("20.0"),
        D(1),
    )
    assert next(c for c in rules.criteria if c.code == "PLAN-01").cuts == ("2025S1", "2025S2")
    assert [c.code for c in rules.categories] == ["A", "B", "C"]
    assert rules.promised() == rules.fund
    assert rules.tiers[3].scope == TierScope.GLOBAL and rules.tiers[4].amount is None
    assert [b.kind for b in rules.tie_breakers] == [
        TieBreakerKind.COMPONENT,
        TieBreakerKind.COMPONENT,
        TieBreakerKind.POPULATION_ASC,
    ]
    assert rules.remainder == RemainderPolicy.REDISTRIBUTE
    assert rules.component_maximum("DIT") == 55  # 10×2 + 10×2 + 5×2 + 5×1


def test_the_example_scores_parse() -> None:
    rules = rules_parse((EXAMPLES / "rules.json").read_bytes()).value
    parsed = scores_parse(rules, (EXAMPLES / "scores.csv").read_bytes())
    assert parsed.problems == ()
    first = parsed.value[0]
    assert (
        first.municipality.code,
        first.municipality.name,
        first.municipality.category,
        first.municipality.population,
    ) == ("080101", "Cusco", "A", 102110)
    assert first.earned == {"PLAN": 30, "DIT": 48, "AGUA": 25, "INCL": 15, "COM": 10}
    sicuani = next(e for e in parsed.value if e.municipality.name == "Sicuani")
    assert sicuani.mandatory_unmet == (("AGUA-01", None),)


def test_json_syntax_error_names_the_line() -> None:
    parsed = rules_parse('{\n  "name": "x",\n  "fund": 10,,\n}')
    assert parsed.value is None
    assert texts(parsed) == [
        "line 3: Invalid JSON (column 14): Expecting property name enclosed in double quotes."
    ]
    assert texts(parsed, "es")[0].startswith("línea 3: JSON inválido (columna 14)")


def test_every_problem_of_the_rules_at_once_by_field() -> None:
    raw = example_rules()
    raw["fund"] = "1 500 000"
    raw["criteria"][0]["points"] = "diez"
    raw["criteria"][1]["kind"] = "lottery"
    raw["criteria"][2]["pionts"] = 3
    raw["tiers"][0]["amount"] = "200000.005"
    raw["tie_breakers"] = ["coin"]
    raw["remainder"] = "keep"
    parsed = parse(raw)
    assert parsed.value is None
    assert texts(parsed) == [
        "fund: 1 500 000 is not a number (write 1234.5, no thousands separator).",
        "criteria[0].points: diez is not a number (write 1234.5, no thousands separator).",
        "criteria[1].kind: lottery is not valid; expected one of: evidence, threshold, "
        "improvement, peer.",
        "criteria[2].pionts: Unknown field: pionts.",
        "tiers[0].amount: 200000.005 has more than 2 decimals.",
        "tie_breakers[0]: coin is not valid; expected one of: component:CODE, "
        "population:asc, population:desc.",
        "remainder: keep is not valid; expected one of: redistribute, carry_over, return.",
    ]
    assert texts(parsed, "es")[0] == (
        "fund: 1 500 000 no es un número (escriba 1234.5, sin separador de miles)."
    )


def test_rules_that_break_the_engine_invariants_are_problems() -> None:
    raw = example_rules()
    raw["criteria"][0]["component"] = "NOPE"
    raw["criteria"][1]["cuts"] = ["2031S1"]
    raw["criteria"][2].pop("polarity")
    raw["tiers"][0]["amount"] = "900000.00"  # 3 × 900 000 alone exceeds the fund
    raw["eligibility"]["minimum_component_percent"] = {"AGUA": 140}
    parsed = parse(raw)
    assert texts(parsed) == [
        "criteria[0].component: NOPE is not in the rules.",
        "criteria[1].cuts: 2031S1 is not in the rules.",
        "criteria[2].polarity: This is required.",
        "eligibility.minimum_component_percent.AGUA: 140 is not a percentage between 0 and 100.",
    ]
    raw = example_rules()
    raw["tiers"][0]["amount"] = "900000.00"
    assert texts(parse(raw)) == [
        "tiers: The award tiers add up to S/ 3 600 000,00, more than the fund of S/ 1 500 000,00."
    ]


def test_not_json_object_or_not_utf8() -> None:
    assert texts(rules_parse("[]")) == ["Expected {…}."]
    assert texts(rules_parse(b"\xff\xfe")) == ["The file is not UTF-8."]
    assert texts(rules_parse("")) == ["The file is empty."]


def scores(text: str):
    rules = rules_parse((EXAMPLES / "rules.json").read_bytes()).value
    return scores_parse(rules, text)


HEADER = "code,name,category,population,PLAN,DIT,AGUA,INCL,COM,mandatory_unmet\n"


def test_every_problem_of_the_scores_by_line_and_column() -> None:
    parsed = scores(
        HEADER
        + "080101,Cusco,A,102110,30,48,25,15,10,\n"
        + "080101,Cusco,Z,-5,31,4.555,x,15,10,DIT-01\n"
        + "080102,Ccorca,C,2344,25\n"
    )
    assert parsed.value is None
    assert texts(parsed) == [
        "line 3, code: 080101 appears twice.",
        "line 3, category: Z is not in the rules.",
        "line 3, population: -5 is not a whole number.",
        "line 3, PLAN: 31 is outside 0–30, the component's maximum points.",
        "line 3, DIT: 4.555 has more than 2 decimals.",
        "line 3, AGUA: x is not a number (write 1234.5, no thousands separator).",
        "line 3, mandatory_unmet: DIT-01 is not a mandatory criterion of the rules.",
        "line 4: The row has 5 cells; 10 expected.",
    ]
    assert texts(parsed, "es")[0] == "línea 3, code: 080101 está repetido."


def test_scores_columns_must_match_the_rules() -> None:
    parsed = scores("code,name,category,population,PLAN,DIT,AGUA,INCL,COMM\n")
    assert texts(parsed) == [
        "line 1, COM: Column COM is missing.",
        "line 1, COMM: Unknown column: COMM.",
    ]
    assert texts(scores("")) == ["The file is empty."]
    assert texts(scores(HEADER)) == ["line 1: The file has no municipalities."]


def test_scores_separated_by_semicolons_may_use_a_decimal_comma() -> None:
    parsed = scores(
        "code;name;category;population;PLAN;DIT;AGUA;INCL;COM\n"
        "080101;Cusco;A;102110;30;47,5;25;15;10\n"
    )
    assert parsed.problems == ()
    assert parsed.value[0].earned["DIT"] == D("47.5")
