"""`minka simulate_awards`: runs on the examples; refuses a broken file with status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RULES, SCORES = str(EXAMPLES / "rules.json"), str(EXAMPLES / "scores.csv")


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("simulate_awards", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_examples_print_rankings_awards_and_the_fund_to_the_cent() -> None:
    out, err = run("--rules", RULES, "--scores", SCORES, "--language", "en")
    assert err == ""
    lines = out.splitlines()
    # Cusco tops category A: 200 000 plus its share of the 100 000 left by category C's
    # unfilled third place (100 000 × 200 000 / 1 400 000 = 14 285,71, plus a leftover cent).
    assert any(
        line.split() == ["Primer", "puesto", "1", "1", "080101", "Cusco", "S/", "214", "285,72"]
        for line in lines
    )
    assert "Total awarded: S/ 1 500 000,00" in lines
    assert "Remainder: S/ 0,00" in lines
    assert any("Santiago" in line and "decided by population:asc" in line for line in lines)
    assert any(
        "080207" in line and "Mandatory criterion PLAN-01 not met." in line for line in lines
    )
    assert (
        "- Tercer puesto (Municipios pequeños): 0 of 1 places filled; S/ 100 000,00 not awarded."
    ) in lines


def test_json_output_is_exact_and_balanced() -> None:
    out, _ = run("--rules", RULES, "--scores", SCORES, "--format", "json")
    report = json.loads(out)
    assert report["awarded"] == "1500000.00" and report["remainder"] == "0.00"
    assert report["balanced"] is True
    category_a = report["categories"][0]
    assert category_a["ranking"][0]["municipality"] == "080101"
    assert category_a["ranking"][0]["total"] == "95.55"
    assert category_a["awards"][0]["amount"] == "214285.72"
    assert category_a["awards"][0]["amount_text"] == "S/ 214 285,72"
    assert [a["municipality"] for a in report["global_awards"]] == ["081306", "080108"]


def test_a_broken_file_prints_only_its_problems_and_exits_2(tmp_path) -> None:
    bad = tmp_path / "scores.csv"
    bad.write_text(
        "code,name,category,population,PLAN,DIT,AGUA,INCL,COM\n"
        "080101,Cusco,A,102110,30,48,25,15,10\n"
        "080102,Ccorca,Z,2344,25,40,99,10,10\n",
        encoding="utf-8",
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "simulate_awards",
            "--rules",
            RULES,
            "--scores",
            str(bad),
            "--language",
            "en",
            stdout=out,
            stderr=err,
        )
    assert exit_.value.code == 2
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        "scores.csv: line 3, category: Z is not in the rules.",
        "scores.csv: line 3, AGUA: 99 is outside 0–25, the component's maximum points.",
    ]


def test_a_missing_file_is_a_problem_too(tmp_path) -> None:
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "simulate_awards",
            "--rules",
            str(tmp_path / "nope.json"),
            "--scores",
            SCORES,
            "--language",
            "es",
            stdout=StringIO(),
            stderr=err,
        )
    assert err.getvalue().startswith("nope.json: No se puede leer el archivo: ")


def test_the_console_script_exits_2_without_a_trace(tmp_path) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text('{"name": "x", "fund": "diez"', encoding="utf-8")
    env = {**os.environ, "MINKA_TESTING": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "minka",
            "simulate_awards",
            "--rules",
            str(bad),
            "--scores",
            SCORES,
            "--language",
            "en",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "rules.json: line 1: Invalid JSON (column 29): Expecting ',' delimiter."
    ]
