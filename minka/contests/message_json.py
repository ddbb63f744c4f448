"""The engine's messages and explanations as JSON, so a published version keeps them as
codes with their parameters and any reader renders them in their own language later.

Why codes and parameters rather than rendered sentences: a version is stored once and read
in Spanish and in English for years; the parameters keep their types (a decimal renders
"2,50" in Spanish and "2.50" in English, an amount "S/ 1 500,00" in both), so the text is
exactly what the engine would say, in either language, with no second copy to drift.

A message is `{"code": "threshold_met", "params": [["value", {"decimal": "18.5"}], …]}`.
Parameter values are JSON scalars (str, int, bool, null) or one-key objects:
`{"decimal": "…"}`, `{"money": "…"}`, `{"message": {…}}`, `{"list": […]}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from minka.contests.engine.messages import Message, Money
from minka.contests.engine.scoring import Explanation


def _value_dump(value: object) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return {"decimal": f"{value:f}"}
    if isinstance(value, Money):
        return {"money": f"{value.value:f}"}
    if isinstance(value, Message):
        return {"message": message_dump(value)}
    if isinstance(value, Sequence):
        return {"list": [_value_dump(v) for v in value]}
    return str(value)


def _value_load(value: Any) -> object:
    if not isinstance(value, dict):
        return value
    if "decimal" in value:
        return Decimal(value["decimal"])
    if "money" in value:
        return Money(Decimal(value["money"]))
    if "message" in value:
        return message_load(value["message"])
    if "list" in value:
        return tuple(_value_load(v) for v in value["list"])
    raise ValueError(f"unknown message parameter {value!r}")


def message_dump(message: Message) -> dict[str, Any]:
    return {"code": message.code, "params": [[k, _value_dump(v)] for k, v in message.params]}


def message_load(data: dict[str, Any]) -> Message:
    return Message(data["code"], tuple((k, _value_load(v)) for k, v in data["params"]))


def message_text(data: dict[str, Any], language: str) -> str:
    """A stored message in "es" or "en"."""
    return message_load(data).text(language)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"  # never an exponent


def explanation_dump(
    explanation: Explanation,
    *,
    kind: str,
    evidence_files: Sequence[dict[str, Any]] = (),
    reading_reason: str = "",
) -> dict[str, Any]:
    """Why a criterion earned its points at a cut, as stored in `CriterionScore`:

    - `rule`, `outcome`: the rule and what happened, as messages (see the module);
    - `kind`: the criterion's kind (evidence, threshold, improvement, peer);
    - `value`, `baseline`, `target`, `average` (decimals as strings, or null), `peers`
      (how many municipalities of the category had a value), `period` and `source` of the
      frozen analytics value, and `reading_reason` when there was none (e.g.
      "zero_denominator", "no_sheet");
    - `status` of the evidence (approved, observed, rejected, missing), `reviewer` (who
      made the decision) and `evidence_files` (`{"id", "name", "sha256"}` of each file
      behind it, as they were when the version was published).
    """
    return {
        "rule": message_dump(explanation.rule),
        "outcome": message_dump(explanation.outcome),
        "kind": kind,
        "value": _decimal(explanation.value),
        "baseline": _decimal(explanation.baseline),
        "target": _decimal(explanation.target),
        "average": _decimal(explanation.average),
        "peers": explanation.peers,
        "period": explanation.period,
        "source": explanation.source,
        "reading_reason": reading_reason,
        "status": None if explanation.status is None else str(explanation.status),
        "reviewer": explanation.reviewer,
        "evidence_files": list(evidence_files),
    }
