"""RULES.json and SCORES.csv into the engine's model, all or nothing.

A coordinator writes these files by hand to test rules before publishing them
(`minka simulate_awards`), so a bad file must say precisely what is wrong and where —
every problem at once, never a trace: each parser returns `Parsed(value, problems)` with
`value` None whenever there is a problem. A problem names the line (CSV, JSON syntax) and
the field (`criteria[2].points`, the CSV column) and says what is wrong as a `Message`, in
Spanish and English. The formats are documented field by field in README.md ("Simulating
awards"); `minka/contests/examples/` holds a complete example of each.

Numbers in RULES.json may be JSON numbers or strings ("1500000.00"); both are read as exact
decimals (never through float). Unknown fields are refused: a misspelt optional field
would otherwise be silently ignored.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, TypeVar

from minka.contests.engine.messages import Message, msg
from minka.contests.engine.model import (
    CENT,
    Category,
    Component,
    Criterion,
    CriterionKind,
    Eligibility,
    Municipality,
    Polarity,
    RemainderPolicy,
    Rules,
    TieBreaker,
    TieBreakerKind,
    Tier,
    TierScope,
    rules_check,
)
from minka.contests.engine.scoring import Earnings

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Problem:
    """What is wrong with a file: where (line, field) and why."""

    line: int | None
    field: str
    message: Message

    def text(self, language: str = "es") -> str:
        english = language.startswith("en")
        where = []
        if self.line is not None:
            where.append(f"{'line' if english else 'línea'} {self.line}")
        if self.field:
            where.append(self.field)
        prefix = ", ".join(where)
        return f"{prefix}: {self.message.text(language)}" if prefix else self.message.text(language)


@dataclass(frozen=True)
class Parsed(Generic[T]):
    value: T | None
    problems: tuple[Problem, ...]


def _decode(data: bytes | str) -> str | None:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class _Reader:
    """Reads fields out of parsed JSON, collecting problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, code: str, /, **params: object) -> None:
        self.problems.append(Problem(None, where, msg(code, **params)))

    def object(self, value: Any, where: str, allowed: set[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(where, "wrong_type", expected="{…}")
            return None
        for key in value:
            if key not in allowed:
                self.add(f"{where}.{key}" if where else key, "unknown_field", name=key)
        return value

    def array(
        self, obj: dict[str, Any], key: str, where: str, required: bool = True
    ) -> list[Any] | None:
        path = f"{where}.{key}" if where else key
        if key not in obj:
            if required:
                self.add(path, "required")
            return None
        value = obj[key]
        if not isinstance(value, list):
            self.add(path, "wrong_type", expected="[…]")
            return None
        return value

    def text(self, obj: dict[str, Any], key: str, where: str, required: bool = True) -> str:
        path = f"{where}.{key}" if where else key
        value = obj.get(key)
        if value is None:
            if required:
                self.add(path, "required")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(path, "wrong_type", expected="texto / text")
            return ""
        return value.strip()

    def decimal(
        self, obj: dict[str, Any], key: str, where: str, required: bool = True
    ) -> Decimal | None:
        path = f"{where}.{key}" if where else key
        value = obj.get(key)
        if value is None:
            if required:
                self.add(path, "required")
            return None
        if isinstance(value, bool):
            self.add(path, "not_a_number", value=str(value).lower())
            return None
        if isinstance(value, int | Decimal):
            return Decimal(value)
        if isinstance(value, str) and (number := _decimal(value.strip())) is not None:
            return number
        self.add(path, "not_a_number", value=str(value))
        return None

    def money(
        self, obj: dict[str, Any], key: str, where: str, required: bool = True
    ) -> Decimal | None:
        value = self.decimal(obj, key, where, required)
        if value is not None and value != value.quantize(CENT):
            self.add(f"{where}.{key}" if where else key, "too_many_decimals", value=value)
            return None
        return value

    def integer(self, obj: dict[str, Any], key: str, where: str) -> int | None:
        value = self.decimal(obj, key, where)
        if value is None:
            return None
        if value != value.to_integral_value():
            self.add(f"{where}.{key}", "not_an_integer", value=value)
            return None
        return int(value)

    def boolean(self, obj: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{where}.{key}" if where else key, "wrong_type", expected="true / false")
            return default
        return value

    def choice(
        self, obj: dict[str, Any], key: str, where: str, enum: type[E], default: E | None = None
    ) -> E | None:
        path = f"{where}.{key}" if where else key
        value = obj.get(key)
        if value is None:
            if default is None:
                self.add(path, "required")
            return default
        try:
            return enum(value)
        except ValueError:
            self.add(path, "invalid_choice", value=str(value), choices=tuple(str(e) for e in enum))
            return None

    def codes(
        self, obj: dict[str, Any], key: str, where: str, required: bool = True
    ) -> tuple[str, ...] | None:
        items = self.array(obj, key, where, required)
        if items is None:
            return None
        if not all(isinstance(i, str) and i.strip() for i in items):
            self.add(f"{where}.{key}" if where else key, "wrong_type", expected='["…", "…"]')
            return None
        return tuple(i.strip() for i in items)

    def each(
        self,
        items: list[Any] | None,
        where: str,
        allowed: set[str],
        build: Callable[[dict[str, Any], str], T],
    ) -> list[T]:
        built = []
        for i, item in enumerate(items or []):
            path = f"{where}[{i}]"
            obj = self.object(item, path, allowed)
            if obj is not None:
                built.append(build(obj, path))
        return built


_RULES_FIELDS = {
    "name",
    "description",
    "currency",
    "fund",
    "cuts",
    "components",
    "criteria",
    "categories",
    "eligibility",
    "tiers",
    "tie_breakers",
    "remainder",
}
_CRITERION_FIELDS = {
    "code",
    "name",
    "component",
    "kind",
    "points",
    "mandatory",
    "cuts",
    "polarity",
    "target",
    "cap",
    "indicator",
}


def rules_parse(data: bytes | str) -> Parsed[Rules]:
    """RULES.json → `Rules`, or every problem found (README: "Simulating awards")."""
    text = _decode(data)
    if text is None:
        return Parsed(None, (Problem(None, "", msg("not_utf8")),))
    if not text.strip():
        return Parsed(None, (Problem(None, "", msg("empty_file")),))
    try:
        raw = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        return Parsed(
            None,
            (Problem(error.lineno, "", msg("json_syntax", column=error.colno, error=error.msg)),),
        )
    r = _Reader()
    top = r.object(raw, "", _RULES_FIELDS)
    if top is None:
        return Parsed(None, tuple(r.problems))
    name = r.text(top, "name", "")
    currency = top.get("currency", "PEN")
    if currency != "PEN":
        r.add("currency", "invalid_choice", value=str(currency), choices=("PEN",))
    fund = r.money(top, "fund", "")
    cuts = r.codes(top, "cuts", "") or ()

    components = r.each(
        r.array(top, "components", ""),
        "components",
        {"code", "name", "weight"},
        lambda o, w: Component(
            r.text(o, "code", w), r.text(o, "name", w), r.decimal(o, "weight", w) or Decimal(0)
        ),
    )

    def criterion(o: dict[str, Any], w: str) -> Criterion:
        kind = r.choice(o, "kind", w, CriterionKind) or CriterionKind.EVIDENCE
        return Criterion(
            code=r.text(o, "code", w),
            component=r.text(o, "component", w),
            kind=kind,
            points=r.decimal(o, "points", w) or Decimal(0),
            cuts=r.codes(o, "cuts", w, required=False) or cuts,
            name=r.text(o, "name", w, required=False),
            mandatory=r.boolean(o, "mandatory", w, False),
            polarity=r.choice(o, "polarity", w, Polarity, default=None)
            if "polarity" in o
            else None,
            target=r.decimal(o, "target", w, required=False),
            cap=_or(r.decimal(o, "cap", w, required=False), Decimal(1)),
            indicator=r.text(o, "indicator", w, required=False),
        )

    criteria = r.each(r.array(top, "criteria", ""), "criteria", _CRITERION_FIELDS, criterion)
    categories = r.each(
        r.array(top, "categories", ""),
        "categories",
        {"code", "name", "description"},
        lambda o, w: Category(
            r.text(o, "code", w), r.text(o, "name", w), r.text(o, "description", w, required=False)
        ),
    )

    eligibility = Eligibility()
    if "eligibility" in top:
        o = r.object(
            top["eligibility"],
            "eligibility",
            {"minimum_total", "mandatory_required", "minimum_component_percent"},
        )
        if o is not None:
            percents: dict[str, Decimal] = {}
            per = o.get("minimum_component_percent", {})
            if isinstance(per, dict):
                for code in per:
                    value = r.decimal(per, code, "eligibility.minimum_component_percent")
                    if value is not None:
                        percents[code] = value
            else:
                r.add("eligibility.minimum_component_percent", "wrong_type", expected="{…}")
            eligibility = Eligibility(
                minimum_total=r.decimal(o, "minimum_total", "eligibility", required=False)
                or Decimal(0),
                mandatory_required=r.boolean(o, "mandatory_required", "eligibility", True),
                minimum_component_percent=percents,
            )

    def tier(o: dict[str, Any], w: str) -> Tier:
        scope = r.choice(o, "scope", w, TierScope, default=TierScope.CATEGORY)
        return Tier(
            name=r.text(o, "name", w),
            winners=r.integer(o, "winners", w) or 0,
            amount=r.money(o, "amount", w, required=False),
            scope=scope or TierScope.CATEGORY,
            categories=r.codes(o, "categories", w, required=False) or (),
        )

    tiers = r.each(
        r.array(top, "tiers", ""),
        "tiers",
        {"name", "winners", "amount", "scope", "categories"},
        tier,
    )
    breakers = []
    for i, label in enumerate(r.array(top, "tie_breakers", "", required=False) or []):
        breaker = _tie_breaker(label)
        if breaker is None:
            r.add(
                f"tie_breakers[{i}]",
                "invalid_choice",
                value=str(label),
                choices=("component:CODE", "population:asc", "population:desc"),
            )
        else:
            breakers.append(breaker)
    remainder = r.choice(
        top, "remainder", "", RemainderPolicy, default=RemainderPolicy.REDISTRIBUTE
    )
    if r.problems or fund is None or remainder is None:
        return Parsed(None, tuple(r.problems))
    rules = Rules(
        name=name,
        fund=fund,
        cuts=cuts,
        components=tuple(components),
        criteria=tuple(criteria),
        categories=tuple(categories),
        eligibility=eligibility,
        tiers=tuple(tiers),
        tie_breakers=tuple(breakers),
        remainder=remainder,
    )
    problems = tuple(Problem(None, where, message) for where, message in rules_check(rules))
    return Parsed(None if problems else rules, problems)


def _or(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else value


def _tie_breaker(label: object) -> TieBreaker | None:
    if not isinstance(label, str):
        return None
    if label.startswith("component:") and label[len("component:") :].strip():
        return TieBreaker(TieBreakerKind.COMPONENT, label[len("component:") :].strip())
    if label in (TieBreakerKind.POPULATION_ASC, TieBreakerKind.POPULATION_DESC):
        return TieBreaker(TieBreakerKind(label))
    return None


SCORES_COLUMNS = ("code", "name", "category", "population")
MANDATORY_UNMET_COLUMN = "mandatory_unmet"


def scores_parse(rules: Rules, data: bytes | str) -> Parsed[tuple[Earnings, ...]]:
    """SCORES.csv → one `Earnings` per municipality, or every problem found.

    Columns: code, name, category, population, one per component code of the rules
    (points earned in that component, all criteria and cuts together), and optionally
    mandatory_unmet (codes of mandatory criteria not met, separated by spaces or `;`).
    Comma-separated with a decimal point; a file separated by semicolons (Excel in
    Spanish) may use a decimal comma.
    """
    text = _decode(data)
    if text is None:
        return Parsed(None, (Problem(None, "", msg("not_utf8")),))
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        return Parsed(None, (Problem(None, "", msg("empty_file")),))
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    problems: list[Problem] = []

    def add(line: int, field: str, code: str, /, **params: object) -> None:
        problems.append(Problem(line, field, msg(code, **params)))

    header: list[str] | None = None
    header_at = 0
    for row in reader:
        if any(cell.strip() for cell in row):
            header = [cell.strip() for cell in row]
            header_at = reader.line_num
            break
    assert header is not None
    components = [c.code for c in rules.components]
    expected = [*SCORES_COLUMNS, *components]
    for column in expected:
        if column not in header:
            add(header_at, column, "missing_column", column=column)
    for column in header:
        if column not in expected and column != MANDATORY_UNMET_COLUMN:
            add(header_at, column, "unknown_column", column=column)
    for column in sorted({c for c in header if header.count(c) > 1}):
        add(header_at, column, "duplicate_code", code=column)
    if problems:
        return Parsed(None, tuple(problems))

    categories = {c.code for c in rules.categories}
    mandatory = {c.code for c in rules.criteria if c.mandatory}
    maxima = {code: rules.component_maximum(code) for code in components}
    seen: set[str] = set()
    earnings: list[Earnings] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            add(line, "", "wrong_cell_count", found=len(row), expected=len(header))
            continue
        cells = {column: cell.strip() for column, cell in zip(header, row, strict=True)}
        before = len(problems)
        code = cells["code"]
        if not code:
            add(line, "code", "required")
        elif code in seen:
            add(line, "code", "duplicate_code", code=code)
        seen.add(code)
        if not cells["name"]:
            add(line, "name", "required")
        if cells["category"] not in categories:
            add(line, "category", "unknown_code", code=cells["category"] or "—")
        population = _decimal(cells["population"])
        if population is None or population < 0 or population != population.to_integral_value():
            add(line, "population", "not_an_integer", value=cells["population"] or "—")
        earned: dict[str, Decimal] = {}
        for component in components:
            raw = cells[component]
            number = _decimal(raw.replace(",", ".") if delimiter == ";" else raw)
            if number is None:
                add(line, component, "not_a_number", value=raw or "—")
            elif number != number.quantize(CENT):
                add(line, component, "too_many_decimals", value=raw)
            elif not 0 <= number <= maxima[component]:
                add(line, component, "points_out_of_range", value=raw, maximum=maxima[component])
            else:
                earned[component] = number
        unmet = []
        for criterion in re.split(r"[\s;|]+", cells.get(MANDATORY_UNMET_COLUMN, "")):
            if not criterion:
                continue
            if criterion not in mandatory:
                add(line, MANDATORY_UNMET_COLUMN, "not_mandatory", code=criterion)
            else:
                unmet.append((criterion, None))
        if len(problems) == before:
            assert population is not None
            earnings.append(
                Earnings(
                    Municipality(code, cells["name"], cells["category"], int(population)),
                    earned,
                    tuple(unmet),
                )
            )
    if not problems and not earnings:
        add(header_at, "", "no_rows")
    if problems:
        return Parsed(None, tuple(problems))
    return Parsed(tuple(earnings), ())
