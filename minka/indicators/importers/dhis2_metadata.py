"""DHIS2 metadata JSON (`/api/metadata` export) as neutral specs for Minka's catalogue.

Read: categories and their options, category option combos (each DHIS2 uid becomes the set
of Minka option codes it stands for), data elements, constants, indicators and validation
rules. Translated, never guessed:
- a data element's period type is its data sets' `periodType` (DHIS2 keeps it there); in no
  data set it is Monthly, in data sets of several types the finest (it rolls up), each with
  a warning;
- valueType and aggregationType map to Minka's where the meaning is the same; a value type
  Minka cannot hold (TEXT, DATE, …) leaves the element out with a reason;
- an indicator's numerator, denominator and its type's factor become one formula in Minka's
  syntax, `100 * #{CODE} / #{CODE}`, references translated from `#{uid}` / `#{uid.coc}` to
  codes; an expression with anything else (reporting rates `R{}`, program items `I{}`, org
  unit groups, functions, a malformed reference) is reported and the indicator left out;
- codes are kept unless a formula could not name them (`+`, `%`, `(`): then they are
  rewritten (`TA_MAL_CONF_MEDIAN+2` -> `TA_MAL_CONF_MEDIAN_PLUS_2`) with a warning, and
  `minka_code` gives the same answer when a data value refers to the old code.

Every problem names the object (type, uid, name) and a reason code; `fatal` problems (not
JSON, not metadata, two objects with one code) refuse the whole import, the others leave one
object out (or only warn) and the rest is imported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from minka.indicators.importers.dhis2_expressions import (
    CODE_LENGTH,
    DEFAULT_COC_UIDS,
    KnownElement,
    Translation,
    dhis2_expression_translate,
    minka_code,
)
from minka.indicators.importers.dhis2_metadata_messages import MESSAGES
from minka.indicators.importers.rows import text_decode

__all__ = [
    "DEFAULT_COC_UIDS",
    "MESSAGES",
    "KnownElement",
    "MetadataSpecs",
    "dhis2_expression_translate",
    "metadata_parse",
    "minka_code",
]

DEFAULT_COMBO_UIDS = frozenset({"bjDvmb4bfuf"})
NAME_LENGTH = 230

# Coarse to fine (Minka's period types are DHIS2's names).
PERIOD_TYPES = ("Yearly", "SixMonthly", "Quarterly", "Monthly", "Weekly")

# DHIS2 valueType -> (Minka value type, lowest plausible value, highest plausible value)
VALUE_TYPES: dict[str, tuple[str, Decimal | None, Decimal | None]] = {
    "INTEGER": ("integer", None, None),
    "INTEGER_POSITIVE": ("integer", Decimal(1), None),
    "INTEGER_NEGATIVE": ("integer", None, Decimal(-1)),
    "INTEGER_ZERO_OR_POSITIVE": ("integer", Decimal(0), None),
    "NUMBER": ("number", None, None),
    "UNIT_INTERVAL": ("number", Decimal(0), Decimal(1)),
    "PERCENTAGE": ("percentage", Decimal(0), Decimal(100)),
    "BOOLEAN": ("boolean", None, None),
    "TRUE_ONLY": ("boolean", None, None),
}
# DHIS2 aggregationType -> Minka aggregation; others become "none" with a warning.
AGGREGATIONS: dict[str, str] = {
    "SUM": "sum",
    "AVERAGE": "average",
    "LAST": "last",
    "LAST_SUM_ORG_UNIT": "last",
    "LAST_IN_PERIOD": "last",
    "LAST_IN_PERIOD_SUM_ORG_UNIT": "last",
    "AVERAGE_SUM_ORG_UNIT": "last",
    "NONE": "none",
}
_APPROXIMATED = frozenset({"AVERAGE_SUM_ORG_UNIT", "LAST_IN_PERIOD", "LAST_IN_PERIOD_SUM_ORG_UNIT"})
OPERATORS: dict[str, str] = {
    "equal_to": "==",
    "not_equal_to": "!=",
    "greater_than": ">",
    "greater_than_or_equal_to": ">=",
    "less_than": "<",
    "less_than_or_equal_to": "<=",
}
UNITS: dict[int, str] = {100: "percent", 1000: "per_1000", 100000: "per_100000"}

@dataclass(frozen=True)
class MetaProblem:
    object_type: str  # the DHIS2 list: "dataElements", "indicators", …
    uid: str
    name: str
    reason: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    fatal: bool = False
    warning: bool = False  # the object is imported all the same


@dataclass(frozen=True)
class OptionSpecM:
    uid: str
    code: str
    name: str


@dataclass(frozen=True)
class CategorySpecM:
    uid: str
    code: str
    name: str
    options: tuple[OptionSpecM, ...]


@dataclass(frozen=True)
class CombinationSpecM:
    """A DHIS2 category option combo: the Minka combination key is its options' codes."""

    uid: str
    name: str
    option_codes: frozenset[str]


@dataclass(frozen=True)
class ElementSpecM:
    uid: str
    code: str
    name: str
    description: str
    value_type: str
    aggregation: str
    period_type: str
    category_codes: tuple[str, ...]
    minimum: Decimal | None
    maximum: Decimal | None


@dataclass(frozen=True)
class ConstantSpecM:
    uid: str
    code: str
    name: str
    value: Decimal


@dataclass(frozen=True)
class IndicatorSpecM:
    uid: str
    code: str
    name: str
    description: str
    formula: str
    unit: str
    decimals: int
    frequency: str


@dataclass(frozen=True)
class RuleSpecM:
    uid: str
    code: str
    name: str
    description: str
    left: str
    operator: str
    right: str
    period_type: str
    severity: str


@dataclass
class MetadataSpecs:
    categories: list[CategorySpecM] = field(default_factory=list)
    combinations: list[CombinationSpecM] = field(default_factory=list)
    elements: list[ElementSpecM] = field(default_factory=list)
    constants: list[ConstantSpecM] = field(default_factory=list)
    indicators: list[IndicatorSpecM] = field(default_factory=list)
    rules: list[RuleSpecM] = field(default_factory=list)
    problems: list[MetaProblem] = field(default_factory=list)
    in_file: dict[str, int] = field(default_factory=dict)  # objects per DHIS2 list

    @property
    def fatal(self) -> list[MetaProblem]:
        return [p for p in self.problems if p.fatal]


def _name(item: Mapping[str, Any]) -> str:
    return str(item.get("name") or item.get("shortName") or item.get("id") or "")[:NAME_LENGTH]


def _uid_list(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(i["id"]) for i in items if isinstance(i, dict) and i.get("id")]


def _ref(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return str(value.get("id") or "") if isinstance(value, dict) else ""


class _Reader:
    """One pass over the document; `specs` collects what it reads."""

    def __init__(self, document: Mapping[str, Any], known_elements: Mapping[str, KnownElement],
                 known_combinations: Mapping[str, frozenset[str]],
                 known_constants: Mapping[str, str]) -> None:
        self.document = document
        self.specs = MetadataSpecs()
        self.known_elements = dict(known_elements)
        self.known_combinations = dict(known_combinations)
        self.known_constants = dict(known_constants)
        self.option_codes: dict[str, str] = {}  # option uid -> code
        self.category_codes: dict[str, str] = {}  # category uid -> code
        self.combo_categories: dict[str, tuple[str, ...]] = {}  # category combo uid -> codes
        self.codes_seen: dict[tuple[str, str], str] = {}

    def problem(self, kind: str, item: Mapping[str, Any], reason: str, *, fatal: bool = False,
                warning: bool = False, **params: str | int) -> None:
        self.specs.problems.append(MetaProblem(
            kind, str(item.get("id") or ""), _name(item), reason, params, fatal, warning
        ))

    def items(self, kind: str) -> list[dict[str, Any]]:
        raw = self.document.get(kind) or []
        if not isinstance(raw, list):
            raw = []
        found: list[dict[str, Any]] = []
        for item in raw:
            if not isinstance(item, dict):
                self.problem(kind, {}, "not_an_object", fatal=True, list=kind)
            elif not item.get("id"):
                self.problem(kind, item, "missing_id", fatal=True, list=kind)
            else:
                found.append(item)
        self.specs.in_file[kind] = len(raw)
        return found

    def code_for(self, kind: str, item: Mapping[str, Any], *, from_name: bool = False,
                 quiet: bool = False) -> str:
        """The object's Minka code; warns when it differs from DHIS2's; unique per kind."""
        uid = str(item["id"])
        raw = str(item.get("code") or "")
        if raw:
            code = minka_code(raw) or uid
            if code != raw:
                self.problem(kind, item, "code_changed", warning=True, value=raw, chosen=code)
        elif from_name:
            code = minka_code(_name(item), upper=True) or uid
        else:
            code = uid
            if not quiet:
                self.problem(kind, item, "code_from_uid", warning=True, chosen=uid)
        other = self.codes_seen.get((kind, code))
        if other is not None and other != uid:
            if raw:
                self.problem(kind, item, "duplicate_code", fatal=True, code=code, other=other)
            code = f"{code[:CODE_LENGTH - 12]}_{uid}"
        self.codes_seen[(kind, code)] = uid
        return code


def metadata_parse(
    content: bytes,
    *,
    known_elements: Mapping[str, KnownElement] | None = None,
    known_combinations: Mapping[str, frozenset[str]] | None = None,
    known_constants: Mapping[str, str] | None = None,
) -> MetadataSpecs:
    """Specs for everything Minka can hold of a DHIS2 metadata document.

    `known_*` describe what is already in Minka, by DHIS2 uid (elements, combinations as
    their option codes, constants as their codes), so indicators and rules may refer to
    objects imported earlier.
    """
    text, decode_problem = text_decode(content)
    if decode_problem is not None or text is None:
        specs = MetadataSpecs()
        params = dict(decode_problem.params) if decode_problem else {}
        params["line"] = decode_problem.line or 1 if decode_problem else 1
        specs.problems.append(MetaProblem("", "", "", "not_utf8", params, fatal=True))
        return specs
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        specs = MetadataSpecs()
        specs.problems.append(
            MetaProblem("", "", "", "invalid_json", {"detail": f"{exc.msg} (line {exc.lineno})"},
                        fatal=True)
        )
        return specs
    lists = ("dataElements", "categories", "categoryOptions", "indicators", "validationRules",
             "constants", "categoryCombos")
    if not isinstance(document, dict) or not any(isinstance(document.get(k), list) for k in lists):
        specs = MetadataSpecs()
        specs.problems.append(MetaProblem("", "", "", "not_metadata", fatal=True))
        return specs
    reader = _Reader(document, known_elements or {}, known_combinations or {},
                     known_constants or {})
    _categories(reader)
    _combinations(reader)
    _elements(reader)
    _constants(reader)
    _indicators(reader)
    _rules(reader)
    return reader.specs


def _categories(reader: _Reader) -> None:
    options = {item["id"]: item for item in reader.items("categoryOptions")}
    for uid, item in options.items():
        reader.option_codes[uid] = reader.code_for("categoryOptions", item, from_name=True)
    for item in reader.items("categories"):
        missing = [uid for uid in _uid_list(item.get("categoryOptions")) if uid not in options]
        if missing:
            reader.problem("categories", item, "unknown_category_option", value=missing[0])
            continue
        code = reader.code_for("categories", item, from_name=True)
        reader.category_codes[item["id"]] = code
        reader.specs.categories.append(CategorySpecM(
            uid=item["id"], code=code, name=_name(item),
            options=tuple(
                OptionSpecM(uid, reader.option_codes[uid], _name(options[uid]))
                for uid in _uid_list(item.get("categoryOptions"))
            ),
        ))


def _combinations(reader: _Reader) -> None:
    for item in reader.items("categoryCombos"):
        if item["id"] in DEFAULT_COMBO_UIDS or item.get("name") == "default":
            reader.combo_categories[item["id"]] = ()
            continue
        categories = _uid_list(item.get("categories"))
        missing = [uid for uid in categories if uid not in reader.category_codes]
        if missing:
            reader.problem("categoryCombos", item, "unknown_category", value=missing[0])
            continue
        reader.combo_categories[item["id"]] = tuple(reader.category_codes[u] for u in categories)
    for item in reader.items("categoryOptionCombos"):
        uid = item["id"]
        options = _uid_list(item.get("categoryOptions"))
        if uid in DEFAULT_COC_UIDS or item.get("name") == "default":
            reader.known_combinations[uid] = frozenset()
            continue
        missing = [o for o in options if o not in reader.option_codes]
        if missing:
            reader.problem("categoryOptionCombos", item, "unknown_category_option",
                           value=missing[0])
            continue
        codes = frozenset(reader.option_codes[o] for o in options)
        reader.known_combinations[uid] = codes
        reader.specs.combinations.append(CombinationSpecM(uid, _name(item), codes))


def _period_types(reader: _Reader) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for data_set in reader.items("dataSets"):
        period_type = str(data_set.get("periodType") or "")
        for entry in data_set.get("dataSetElements") or []:
            uid = _ref(entry, "dataElement") if isinstance(entry, dict) else ""
            if uid:
                found.setdefault(uid, set()).add(period_type)
    return found


def _elements(reader: _Reader) -> None:
    period_types = _period_types(reader)
    for item in reader.items("dataElements"):
        kind = "dataElements"
        value_type = str(item.get("valueType") or "NUMBER")
        if value_type not in VALUE_TYPES:
            reader.problem(kind, item, "unsupported_value_type", value=value_type)
            continue
        combo = _ref(item, "categoryCombo")
        if not combo or combo in DEFAULT_COMBO_UIDS:
            categories: tuple[str, ...] = ()
        elif combo in reader.combo_categories:
            categories = reader.combo_categories[combo]
        else:
            reader.problem(kind, item, "unknown_category_combo", value=combo)
            continue
        types = period_types.get(item["id"], set())
        unsupported = sorted(t for t in types if t not in PERIOD_TYPES)
        if unsupported:
            reader.problem(kind, item, "unsupported_period_type", value=unsupported[0])
            continue
        if not types:
            period_type = "Monthly"
            reader.problem(kind, item, "period_type_default", warning=True)
        else:
            period_type = max(types, key=PERIOD_TYPES.index)
            if len(types) > 1:
                reader.problem(kind, item, "period_type_several", warning=True,
                               value=", ".join(sorted(types)), chosen=period_type)
        if value_type == "TRUE_ONLY":
            reader.problem(kind, item, "true_only", warning=True)
        aggregation_type = str(item.get("aggregationType") or "SUM")
        aggregation = AGGREGATIONS.get(aggregation_type, "none")
        if aggregation_type not in AGGREGATIONS:
            reader.problem(kind, item, "unsupported_aggregation", warning=True,
                           value=aggregation_type)
        elif aggregation_type in _APPROXIMATED:
            reader.problem(kind, item, "aggregation_approximated", warning=True,
                           value=aggregation_type, chosen=aggregation.upper())
        minka_type, minimum, maximum = VALUE_TYPES[value_type]
        code = reader.code_for(kind, item)
        options = frozenset(
            option.code
            for category in reader.specs.categories if category.code in categories
            for option in category.options
        )
        reader.known_elements[item["id"]] = KnownElement(code, period_type, options)
        reader.specs.elements.append(ElementSpecM(
            uid=item["id"], code=code, name=_name(item),
            description=str(item.get("description") or ""),
            value_type=minka_type, aggregation=aggregation, period_type=period_type,
            category_codes=categories, minimum=minimum, maximum=maximum,
        ))


def _constants(reader: _Reader) -> None:
    for item in reader.items("constants"):
        try:
            value = Decimal(str(item.get("value")))
            if not value.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            reader.problem("constants", item, "invalid_constant_value",
                           value=str(item.get("value")))
            continue
        code = reader.code_for("constants", item, from_name=True)
        reader.known_constants[item["id"]] = code
        reader.specs.constants.append(ConstantSpecM(item["id"], code, _name(item), value))


def _wrapped(translation: Translation) -> str:
    assert translation.text is not None
    return translation.text if translation.atom else f"({translation.text})"


def _factor_text(factor: Decimal) -> str:
    return format(factor.normalize(), "f")


def _indicators(reader: _Reader) -> None:
    types = {item["id"]: item for item in reader.items("indicatorTypes")}
    for item in reader.items("indicators"):
        kind = "indicators"
        sides: dict[str, Translation] = {}
        for side in ("numerator", "denominator"):
            translation = dhis2_expression_translate(
                str(item.get(side) or ""), elements=reader.known_elements,
                combinations=reader.known_combinations, constants=reader.known_constants,
            )
            if translation.text is None:
                reader.specs.problems.append(MetaProblem(
                    kind, item["id"], _name(item), translation.reason,
                    {"side": side, **translation.params},
                ))
                break
            sides[side] = translation
        if len(sides) < 2:
            continue
        type_uid = _ref(item, "indicatorType")
        indicator_type = types.get(type_uid)
        if indicator_type is None:
            reader.problem(kind, item, "unknown_indicator_type", warning=True, value=type_uid)
            factor = Decimal(1)
        else:
            factor = Decimal(str(indicator_type.get("factor") or 1))
        numerator, denominator = sides["numerator"], sides["denominator"]
        factor_prefix = "" if factor == 1 else f"{_factor_text(factor)} * "
        if denominator.text == "1":
            formula = factor_prefix + (numerator.text or "" if not factor_prefix
                                       else _wrapped(numerator))
        else:
            formula = f"{factor_prefix}{_wrapped(numerator)} / {_wrapped(denominator)}"
        referenced = numerator.elements + denominator.elements
        if not referenced:
            reader.problem(kind, item, "no_data_reference", warning=True, value=formula)
        if item.get("annualized"):
            reader.problem(kind, item, "annualized", warning=True)
        types_used = [
            element.period_type
            for element in reader.known_elements.values() if element.code in referenced
        ]
        frequency = min(types_used, key=PERIOD_TYPES.index) if types_used else "Yearly"
        unit = UNITS.get(int(factor), "number") if factor == factor.to_integral() else "number"
        decimals = item.get("decimals")
        reader.specs.indicators.append(IndicatorSpecM(
            uid=item["id"], code=reader.code_for(kind, item, from_name=True), name=_name(item),
            description=str(item.get("description") or ""), formula=formula, unit=unit,
            decimals=decimals if isinstance(decimals, int) and 0 <= decimals <= 6 else 1,
            frequency=frequency,
        ))


def _rules(reader: _Reader) -> None:
    for item in reader.items("validationRules"):
        kind = "validationRules"
        operator = OPERATORS.get(str(item.get("operator") or ""))
        if operator is None:
            reader.problem(kind, item, "unsupported_operator", value=str(item.get("operator")))
            continue
        period_type = str(item.get("periodType") or "Monthly")
        if period_type not in PERIOD_TYPES:
            reader.problem(kind, item, "unsupported_period_type", value=period_type)
            continue
        sides: dict[str, str] = {}
        for side, key in (("left", "leftSide"), ("right", "rightSide")):
            expression = item.get(key) if isinstance(item.get(key), dict) else {}
            translation = dhis2_expression_translate(
                str((expression or {}).get("expression") or ""),
                elements=reader.known_elements, combinations=reader.known_combinations,
                constants=reader.known_constants,
            )
            if translation.text is None:
                reader.specs.problems.append(MetaProblem(
                    kind, item["id"], _name(item), translation.reason,
                    {"side": side, **translation.params},
                ))
                break
            sides[side] = translation.text
        if len(sides) < 2:
            continue
        reader.specs.rules.append(RuleSpecM(
            uid=item["id"], code=reader.code_for(kind, item, quiet=True), name=_name(item),
            description=str(item.get("instruction") or item.get("description") or ""),
            left=sides["left"], operator=operator, right=sides["right"],
            period_type=period_type,
            # DHIS2 reports violations but never refuses data for them: warnings here too.
            severity="warning",
        ))
