"""A published version's results as data: what the results page renders and what the Excel
file and the PDF annex (`annex.py`) write, so a download holds exactly the ranking on screen.

Everything is read from the version's stored rows (`RankingEntry`, `CriterionScore`,
`AwardLine`) and the rules it was scored with; nothing is recomputed, so a version reads
the same forever. Messages are rendered in the reader's language.
"""

from __future__ import annotations

import io
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook

from minka.contests.engine.files import rules_parse
from minka.contests.engine.messages import money_format
from minka.contests.engine.model import Rules
from minka.contests.message_json import message_text
from minka.contests.models import (
    AwardLine,
    CriterionScore,
    RankingEntry,
    Registration,
    ScoreVersion,
)


def _language() -> str:
    return get_language() or "es"


def _published(version: ScoreVersion) -> str:
    """When the version was published, in the edition's time zone."""
    zone = zoneinfo.ZoneInfo(version.edition.time_zone)
    return timezone.localtime(version.published_at, zone).strftime("%d/%m/%Y %H:%M")


def version_rules(version: ScoreVersion) -> Rules:
    rules = rules_parse(version.rules_version.document).value
    assert rules is not None, "published with rules that parsed"
    return rules


def award_label(award: AwardLine | None) -> str:
    """ "Primer puesto · S/ 200 000,00", a medal's tier alone, or "—"."""
    if award is None:
        return "—"
    if award.amount is None:
        return award.tier
    return f"{award.tier} · {money_format(award.amount)}"


@dataclass(frozen=True)
class ResultRow:
    entry: RankingEntry
    scores: list[Decimal]  # each component's weighted score, in the rules' order
    reasons: list[str]  # why it is not eligible ([] when eligible)
    award: AwardLine | None

    @property
    def award_text(self) -> str:
        return award_label(self.award)


@dataclass(frozen=True)
class CategoryResults:
    code: str
    name: str
    rows: list[ResultRow]


@dataclass(frozen=True)
class Results:
    version: ScoreVersion
    rules: Rules
    components: list[tuple[str, str, Decimal]]  # code, name, weight
    categories: list[CategoryResults]
    awards: list[tuple[AwardLine, str]]  # every award, in allocation order, with its winner
    notes: list[str]  # where the fund went, in words
    cuts_missing: list[str] = field(default_factory=list)  # cuts of the rules not scored yet

    @property
    def balanced(self) -> bool:
        return self.version.awarded == self.version.fund


def results_build(version: ScoreVersion) -> Results:
    """The ranking by category (the rules' order, then rank), the awards and the fund."""
    language = _language()
    rules = version_rules(version)
    entries = list(version.entries.all())
    awards = list(version.awards.all())
    won = {a.registration_id: a for a in awards}
    names = {e.registration_id: e.name for e in entries}
    categories = []
    for category in rules.categories:
        rows = [
            ResultRow(
                entry=e,
                scores=[Decimal(c["score"]) for c in e.components],
                reasons=[message_text(m, language) for m in e.reasons],
                award=won.get(e.registration_id),
            )
            for e in sorted(entries, key=lambda e: e.rank)
            if e.category == category.code
        ]
        categories.append(CategoryResults(category.code, category.name, rows))
    return Results(
        version=version,
        rules=rules,
        components=[(c.code, c.name, c.weight) for c in rules.components],
        categories=categories,
        awards=[(a, names.get(a.registration_id, "")) for a in awards],
        notes=[message_text(m, language) for m in version.allocation_notes],
        cuts_missing=[c for c in rules.cuts if c not in version.cuts],
    )


# --- what changed against the previous version -------------------------------------------


@dataclass(frozen=True)
class Change:
    name: str
    category: str
    total_before: Decimal | None
    total_after: Decimal | None
    rank_before: int | None
    rank_after: int | None
    award_before: str
    award_after: str


def version_changes(version: ScoreVersion) -> list[Change] | None:
    """Per municipality whose total, rank or award differs from version N−1's: before →
    after, in the new ranking's order; None for the first version."""
    previous = (
        ScoreVersion.objects.filter(edition_id=version.edition_id, number=version.number - 1)
        .prefetch_related("entries", "awards")
        .first()
    )
    if previous is None:
        return None
    before = {e.registration_id: e for e in previous.entries.all()}
    after = {e.registration_id: e for e in version.entries.all()}
    awards_before = {a.registration_id: a for a in previous.awards.all()}
    awards_after = {a.registration_id: a for a in version.awards.all()}
    changes = []
    order = sorted(after.values(), key=lambda e: e.global_rank) + [
        e for pk, e in before.items() if pk not in after
    ]
    for entry in order:
        pk = entry.registration_id
        old, new = before.get(pk), after.get(pk)
        change = Change(
            name=entry.name,
            category=entry.category,
            total_before=old.total if old else None,
            total_after=new.total if new else None,
            rank_before=old.rank if old else None,
            rank_after=new.rank if new else None,
            award_before=award_label(awards_before.get(pk)),
            award_after=award_label(awards_after.get(pk)),
        )
        if (
            change.total_before != change.total_after
            or change.rank_before != change.rank_after
            or change.award_before != change.award_after
        ):
            changes.append(change)
    return changes


# --- one municipality ------------------------------------------------------------------


def reading_reason_text(code: str) -> str:
    """Why a frozen reading has no value, in words ("" when it has one)."""
    texts = {
        "no_sheet": _("the rules' indicator has no indicator sheet"),
        "no_result": _("the analytics results have no figure for the period"),
        "missing_data": _("a value the formula needs is missing"),
        "zero_denominator": _("the denominator is zero"),
    }
    return texts.get(code, code)


@dataclass(frozen=True)
class CriterionLine:
    score: CriterionScore
    name: str
    component: str
    rule: str
    outcome: str
    files: list[dict[str, Any]]
    no_value_because: str = ""

    @property
    def explanation(self) -> dict[str, Any]:
        return self.score.explanation


@dataclass(frozen=True)
class MunicipalityResults:
    entry: RankingEntry
    award: AwardLine | None
    lines: list[CriterionLine]
    reasons: list[str]
    components: list[dict[str, Any]]  # code, name, earned, maximum, percent, score


def municipality_results(
    version: ScoreVersion, registration: Registration
) -> MunicipalityResults | None:
    """Every criterion's points at every cut with its explanation and the files behind it,
    in cut then rules order; None when the municipality is not in the version."""
    entry = version.entries.filter(registration=registration).first()
    if entry is None:
        return None
    language = _language()
    rules = version_rules(version)
    criteria = {c.code: (i, c) for i, c in enumerate(rules.criteria)}
    components = {c.code: c.name for c in rules.components}
    scores = sorted(
        CriterionScore.objects.filter(version=version, registration=registration).select_related(
            "cut"
        ),
        key=lambda s: (
            version.cuts.index(s.cut.code) if s.cut.code in version.cuts else 0,
            criteria.get(s.criterion, (0, None))[0],
        ),
    )
    lines = []
    for score in scores:
        criterion = criteria[score.criterion][1] if score.criterion in criteria else None
        lines.append(
            CriterionLine(
                score=score,
                name=criterion.name if criterion else "",
                component=components.get(criterion.component, "") if criterion else "",
                rule=message_text(score.explanation["rule"], language),
                outcome=message_text(score.explanation["outcome"], language),
                files=score.explanation.get("evidence_files", []),
                no_value_because=reading_reason_text(score.explanation.get("reading_reason", "")),
            )
        )
    return MunicipalityResults(
        entry=entry,
        award=version.awards.filter(registration=registration).first(),
        lines=lines,
        reasons=[message_text(m, language) for m in entry.reasons],
        components=[
            {
                "component": c["component"],
                "name": components.get(c["component"], c["component"]),
                **{k: Decimal(c[k]) for k in ("earned", "maximum", "percent", "score")},
            }
            for c in entry.components
        ],
    )


# --- downloads -----------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def ranking_headers(results: Results) -> list[str]:
    return [
        _("Category"),
        _("Rank"),
        _("Code"),
        _("Municipality"),
        *[name for _code, name, _weight in results.components],
        _("Total"),
        _("Eligible"),
        _("Why not eligible"),
        _("Award"),
        _("Amount (PEN)"),
    ]


def ranking_rows(results: Results) -> list[list[Any]]:
    """The ranking as plain values: one row per municipality, as on the page."""
    rows = []
    for category in results.categories:
        for row in category.rows:
            rows.append(
                [
                    category.name,
                    row.entry.rank,
                    row.entry.code,
                    row.entry.name,
                    *row.scores,
                    row.entry.total,
                    _yes_no(row.entry.eligible),
                    " ".join(row.reasons),
                    row.award.tier if row.award else None,
                    row.award.amount if row.award else None,
                ]
            )
    return rows


def results_xlsx(results: Results) -> bytes:
    """Two sheets: the ranking (then the fund, the total awarded and the remainder with its
    explanation) and every criterion's points with their explanation. Numbers and money
    are numbers (Decimal), never text."""
    version = results.version
    language = _language()
    book = Workbook()
    ranking = book.active
    ranking.title = _("Ranking")[:31]
    ranking.append(ranking_headers(results))
    for row in ranking_rows(results):
        ranking.append(row)
    width = len(ranking_headers(results))
    money_column = ranking.cell(row=1, column=width).column_letter
    for cell in ranking[money_column][1:]:
        cell.number_format = "#,##0.00"
    ranking.append([])
    for label, amount in (
        (_("Fund"), version.fund),
        (_("Awarded"), version.awarded),
        (_("Remainder"), version.remainder),
    ):
        ranking.append([label, amount])
        ranking.cell(row=ranking.max_row, column=2).number_format = "#,##0.00"
    for note in results.notes:
        ranking.append([note])
    ranking.append([])
    ranking.append(
        [
            _("Version %(number)s, published %(date)s. Cuts: %(cuts)s.")
            % {
                "number": version.number,
                "date": _published(version),
                "cuts": ", ".join(version.cuts),
            }
        ]
    )

    criteria = book.create_sheet(_("Criteria")[:31])
    criteria.append(
        [
            _("Code"),
            _("Municipality"),
            _("Cut"),
            _("Criterion"),
            _("Points"),
            _("Maximum"),
            _("Met"),
            _("Rule"),
            _("Outcome"),
            _("Evidence files"),
        ]
    )
    names = {e.registration_id: (e.code, e.name) for e in version.entries.all()}
    for score in version.criterion_scores.select_related("cut").order_by(
        "registration_id", "cut__evidence_deadline", "pk"
    ):
        code, name = names.get(score.registration_id, ("", ""))
        criteria.append(
            [
                code,
                name,
                score.cut.code,
                score.criterion,
                score.points,
                score.maximum,
                _yes_no(score.met),
                message_text(score.explanation["rule"], language),
                message_text(score.explanation["outcome"], language),
                ", ".join(
                    f"#{f['id']} {f['name']}" for f in score.explanation.get("evidence_files", [])
                ),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
