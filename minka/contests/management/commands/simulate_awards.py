"""`minka simulate_awards --rules RULES.json --scores SCORES.csv [--format text|json]`.

Lets a regional coordinator try a seal's rules on hypothetical scores before publishing
them: prints, per category, the ranking (rank, municipality, total, component scores,
eligible or why not) and the awards, then the total awarded, the remainder and what
happens to it. It touches no database: it runs the pure engine
(`minka.contests.engine`) on the two files. Both formats are documented in README.md
("Simulating awards"); `minka/contests/examples/` holds an example of each.

A bad file prints its problems (line, field, reason) on standard error and nothing else,
and exits with status 2. Explanations come from the engine in Spanish or English
(`--language`, default the active language); the command's own words go through gettext.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from minka.contests.engine.awards import Allocation, Award, awards_allocate
from minka.contests.engine.files import Problem, rules_parse, scores_parse
from minka.contests.engine.messages import money_format, msg, number_format
from minka.contests.engine.model import Rules
from minka.contests.engine.scoring import MunicipalityResult, Ranking, ranking_build

BAD_INPUT = 2


class Command(BaseCommand):
    help = "Rank hypothetical scores and allocate a seal's awards under the given rules."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rules", required=True, help="RULES.json")
        parser.add_argument("--scores", required=True, help="SCORES.csv")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--language",
            choices=["es", "en"],
            help="language of the output (default: the active language)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language = options["language"] or translation.get_language() or "es"
        with translation.override(language):
            self._run(options, "en" if language.startswith("en") else "es")

    def _run(self, options: dict[str, Any], language: str) -> None:
        rules_path, scores_path = Path(options["rules"]), Path(options["scores"])
        rules_data = _read(rules_path)
        if isinstance(rules_data, Problem):
            self._refuse(rules_path, [rules_data], language)
        parsed_rules = rules_parse(rules_data)
        if parsed_rules.value is None:
            self._refuse(rules_path, parsed_rules.problems, language)
        rules = parsed_rules.value
        scores_data = _read(scores_path)
        if isinstance(scores_data, Problem):
            self._refuse(scores_path, [scores_data], language)
        parsed_scores = scores_parse(rules, scores_data)
        if parsed_scores.value is None:
            self._refuse(scores_path, parsed_scores.problems, language)
        ranking = ranking_build(rules, parsed_scores.value)
        allocation = awards_allocate(rules, ranking)
        if options["format"] == "json":
            report = _json_report(rules, ranking, allocation, language)
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write("\n".join(_text_report(rules, ranking, allocation, language)))

    def _refuse(self, path: Path, problems: Iterable[Problem], language: str) -> NoReturn:
        for problem in problems:
            self.stderr.write(f"{path.name}: {problem.text(language)}")
        raise SystemExit(BAD_INPUT)


def _read(path: Path) -> bytes | Problem:
    try:
        return path.read_bytes()
    except OSError as error:
        return Problem(None, "", msg("cannot_read", error=error.strerror or str(error)))


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _eligibility(result: MunicipalityResult, language: str) -> str:
    if result.eligible:
        return _("yes")
    return _("no: %(reasons)s") % {
        "reasons": " ".join(reason.text(language) for reason in result.reasons)
    }


def _amount(award: Award) -> str:
    return _("medal") if award.amount is None else money_format(award.amount)


def _awards_table(awards: list[Award], show_category: bool) -> list[str]:
    header = [_("Award"), _("Place"), _("Rank"), _("Code"), _("Municipality"), _("Amount")]
    if show_category:
        header.insert(1, _("Category"))
    rows = [header]
    for award in awards:
        row = [
            award.tier,
            str(award.place),
            str(award.rank),
            award.municipality.code,
            award.municipality.name,
            _amount(award),
        ]
        if show_category:
            row.insert(1, award.municipality.category)
        rows.append(row)
    return _table(rows, right={len(header) - 1})


def _text_report(
    rules: Rules, ranking: Ranking, allocation: Allocation, language: str
) -> list[str]:
    lines = [
        rules.name,
        _("Fund: %(fund)s. Remainder policy: %(policy)s.")
        % {"fund": money_format(rules.fund), "policy": rules.remainder},
    ]
    components = [c.code for c in rules.components]
    for category in rules.categories:
        lines += [
            "",
            _("Category %(code)s: %(name)s") % {"code": category.code, "name": category.name},
        ]
        if category.description:
            lines.append(category.description)
        header = [_("Rank"), _("Code"), _("Municipality"), _("Total"), *components, _("Eligible")]
        rows = [header]
        for result in ranking.category(category.code):
            scores = [number_format(result.component(c).score, language) for c in components]
            eligible = _eligibility(result, language)
            if result.decided_by:
                eligible += " " + _("(tie on total, decided by %(rule)s)") % {
                    "rule": result.decided_by
                }
            rows.append(
                [
                    str(result.rank),
                    result.municipality.code,
                    result.municipality.name,
                    number_format(result.total, language),
                    *scores,
                    eligible,
                ]
            )
        lines += _table(rows, right={0, 3, *range(4, 4 + len(components))})
        awards = [a for a in allocation.awards if a.category == category.code]
        lines += ["", _("Awards in category %(code)s:") % {"code": category.code}]
        lines += _awards_table(awards, show_category=False) if awards else [_("none")]
    global_awards = [a for a in allocation.awards if a.category is None]
    if global_awards:
        lines += ["", _("Awards across categories:")]
        lines += _awards_table(global_awards, show_category=True)
    lines += [
        "",
        _("Total awarded: %(amount)s") % {"amount": money_format(allocation.awarded)},
        _("Remainder: %(amount)s") % {"amount": money_format(allocation.remainder)},
    ]
    lines += [f"- {note.text(language)}" for note in allocation.explanation]
    return lines


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _json_report(
    rules: Rules, ranking: Ranking, allocation: Allocation, language: str
) -> dict[str, Any]:
    """Decimals as strings (exact); money also formatted for people."""

    def award(a: Award) -> dict[str, Any]:
        return {
            "tier": a.tier,
            "category": a.category,
            "place": a.place,
            "rank": a.rank,
            "municipality": a.municipality.code,
            "name": a.municipality.name,
            "base": _dec(a.base),
            "extra": _dec(a.extra if a.base is not None else None),
            "amount": _dec(a.amount),
            "amount_text": None if a.amount is None else money_format(a.amount),
        }

    categories = []
    for category in rules.categories:
        categories.append(
            {
                "code": category.code,
                "name": category.name,
                "ranking": [
                    {
                        "rank": r.rank,
                        "global_rank": r.global_rank,
                        "municipality": r.municipality.code,
                        "name": r.municipality.name,
                        "population": r.municipality.population,
                        "total": str(r.total),
                        "components": {
                            c.component: {
                                "earned": str(c.earned),
                                "maximum": str(c.maximum),
                                "percent": str(c.percent),
                                "score": str(c.score),
                            }
                            for c in r.components
                        },
                        "eligible": r.eligible,
                        "reasons": [m.text(language) for m in r.reasons],
                        "decided_by": r.decided_by,
                    }
                    for r in ranking.category(category.code)
                ],
                "awards": [award(a) for a in allocation.awards if a.category == category.code],
            }
        )
    return {
        "rules": rules.name,
        "fund": str(rules.fund),
        "remainder_policy": str(rules.remainder),
        "categories": categories,
        "global_awards": [award(a) for a in allocation.awards if a.category is None],
        "awarded": str(allocation.awarded),
        "remainder": str(allocation.remainder),
        "balanced": allocation.balanced,
        "explanation": [m.text(language) for m in allocation.explanation],
    }
