"""DHIS2 expressions (indicator numerators, validation rule sides) in Minka's formula syntax.

Translated, never guessed: `#{uid}` and `#{uid.coc}` become `#{CODE}` / `#{CODE.OPTION}`
(the default combination is the total; a combination of several options cannot be named in
Minka's formulas, which name one option at a time), `C{uid}` becomes `C{CODE}`; numbers,
the four operations and parentheses pass through. Anything else (reporting rates `R{}`,
program items `I{}` `D{}` `A{}`, org unit groups `OUG{}`, functions, `[days]`, a malformed
reference) is reported with its 1-based position, not translated.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_COC_UIDS = frozenset({"HllvX50cXC0"})
CODE_LENGTH = 50


def minka_code(text: str, *, upper: bool = False) -> str:
    """A code a formula can name (letters, digits, "_" and "-"), from a DHIS2 code or name.

    Deterministic, so a data value naming the DHIS2 code finds the element again.
    """
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.replace("+", "_PLUS_").replace("%", "_PCT_")
    folded = re.sub(r"[^A-Za-z0-9_-]", "_", folded)
    folded = re.sub(r"_+", "_", folded).strip("_")
    return (folded.upper() if upper else folded)[:CODE_LENGTH]


@dataclass(frozen=True)
class KnownElement:
    """A data element already in Minka, for expressions that refer to it by uid."""

    code: str
    period_type: str
    options: frozenset[str] = frozenset()


_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<ref>\#\{(?P<ref_body>[^{}]*)\})|(?P<const>C\{(?P<const_body>[^{}]*)\})"
    r"|(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)|(?P<op>[-+*/])|(?P<open>\()|(?P<close>\))"
)


@dataclass(frozen=True)
class Translation:
    text: str | None  # None when it could not be translated; see reason/params
    atom: bool = False  # a single reference or number: needs no parentheses
    elements: tuple[str, ...] = ()  # codes of the data elements it reads
    reason: str = ""
    params: Mapping[str, str | int] = field(default_factory=dict)


def dhis2_expression_translate(
    text: str,
    *,
    elements: Mapping[str, KnownElement],
    combinations: Mapping[str, frozenset[str]],
    constants: Mapping[str, str],
) -> Translation:
    """A DHIS2 expression in Minka's formula syntax, or why it cannot be (with position)."""
    tokens: list[str] = []
    codes: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            snippet = text[position:position + 12]
            return Translation(None, reason="unsupported_expression",
                               params={"value": snippet, "position": position + 1})
        position = match.end()
        if match["space"]:
            continue
        if match["ref"]:
            parts = match["ref_body"].split(".")
            element = elements.get(parts[0])
            if element is None:
                return Translation(None, reason="unknown_reference", params={"value": parts[0]})
            if len(parts) > 3 or "*" in parts[1:]:
                return Translation(None, reason="unsupported_expression",
                                   params={"value": match["ref"], "position": match.start() + 1})
            if len(parts) == 3 and parts[2] not in DEFAULT_COC_UIDS:
                return Translation(None, reason="attribute_reference", params={"value": parts[2]})
            disaggregation = ""
            if len(parts) >= 2 and parts[1] not in DEFAULT_COC_UIDS:
                options = combinations.get(parts[1])
                if options is None:
                    return Translation(None, reason="unknown_combo_reference",
                                       params={"value": parts[1]})
                if len(options) > 1 or (options and not options <= element.options):
                    return Translation(None, reason="combo_not_single_option",
                                       params={"value": parts[1]})
                disaggregation = next(iter(options), "")
            codes.append(element.code)
            suffix = f".{disaggregation}" if disaggregation else ""
            tokens.append(f"#{{{element.code}{suffix}}}")
        elif match["const"]:
            code = constants.get(match["const_body"])
            if code is None:
                return Translation(None, reason="unknown_constant",
                                   params={"value": match["const_body"]})
            tokens.append(f"C{{{code}}}")
        else:
            tokens.append(match.group())
    if not tokens:
        return Translation(None, reason="empty_expression")
    return Translation(_join(tokens), atom=len(tokens) == 1, elements=tuple(codes))


def _join(tokens: list[str]) -> str:
    """Tokens spaced as people write formulas: `100 * (#{A} + #{B}) / -#{C}`."""
    out: list[str] = []
    glue = True  # no space before the next token
    previous: str | None = None
    for token in tokens:
        unary = token == "-" and (previous is None or previous in _OPERATOR_TOKENS)
        if out and not glue and token != ")":
            out.append(" ")
        out.append(token)
        glue = token == "(" or unary
        previous = token
    return "".join(out)


_OPERATOR_TOKENS = frozenset({"(", "+", "-", "*", "/"})


