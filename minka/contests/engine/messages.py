"""Every sentence the engine says, as a code with parameters, in Spanish and English.

The engine is pure (no Django, so no gettext): it returns `Message(code, params)` and the
caller renders it in the reader's language with `Message.text("es" | "en")`. Keeping the
code and the raw parameters (not a rendered string) lets a page, the API or a log show the
same explanation in either language, and lets tests check what was said without depending
on wording.

Numbers: money is always written the Peruvian way, `S/ 1 500 000,00` (plain spaces group
thousands, comma for decimals), in both languages, since it is the currency's own format;
other decimals use a comma in Spanish ("2,50") and a point in English ("2.50").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

LANGUAGES = ("es", "en")


@dataclass(frozen=True, slots=True)
class Money:
    """A message parameter that is an amount in soles (rendered `S/ 1 500 000,00`)."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class Message:
    code: str
    params: tuple[tuple[str, object], ...] = ()

    def text(self, language: str = "es") -> str:
        """The sentence in `language` ("es" or "en"; anything else falls back to English
        if it starts with "en", else Spanish, the default language)."""
        language = "en" if language.startswith("en") else "es"
        template = CATALOGUE[self.code][0 if language == "es" else 1]
        values = {name: _param(value, language) for name, value in self.params}
        return template.format(**values)

    def param(self, name: str) -> object:
        return dict(self.params)[name]


def msg(code: str, /, **params: object) -> Message:
    if code not in CATALOGUE:
        raise KeyError(f"no message {code!r}")
    return Message(code, tuple(params.items()))


def money_format(amount: Decimal) -> str:
    """`S/ 1 500 000,00`: Peruvian soles, two decimals, plain spaces between thousands."""
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}S/ {' '.join(groups)},{cents}"


def number_format(value: Decimal | int, language: str = "es") -> str:
    """A decimal as written: "2,50" in Spanish, "2.50" in English; no exponent."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:f}"
    return text.replace(".", ",") if language == "es" else text


def _param(value: object, language: str) -> str:
    if isinstance(value, Money):
        return money_format(value.value)
    if isinstance(value, Message):
        return value.text(language)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal | int):
        return number_format(value, language)
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        return ", ".join(_param(v, language) for v in value) or "—"
    return str(value)


# code: (Spanish, English). Parameters in braces.
CATALOGUE: dict[str, tuple[str, str]] = {
    # The criteria's rules.
    "rule_evidence": (
        "Evidencia aprobada en el corte: {points} puntos.",
        "Approved evidence at the cut: {points} points.",
    ),
    "rule_threshold_lower": (
        "Valor igual o menor que {target} en el corte: {points} puntos.",
        "A value at or below {target} at the cut: {points} points.",
    ),
    "rule_threshold_higher": (
        "Valor igual o mayor que {target} en el corte: {points} puntos.",
        "A value at or above {target} at the cut: {points} points.",
    ),
    "rule_threshold_own_lower": (
        "Valor igual o menor que la meta del municipio en el corte: {points} puntos.",
        "A value at or below the municipality's target at the cut: {points} points.",
    ),
    "rule_threshold_own_higher": (
        "Valor igual o mayor que la meta del municipio en el corte: {points} puntos.",
        "A value at or above the municipality's target at the cut: {points} points.",
    ),
    "rule_improvement": (
        "{points} puntos × avance de la línea de base a la meta, (valor − línea de base) / "
        "(meta − línea de base), entre 0 y {cap} %.",
        "{points} points × progress from the baseline to the target, (value − baseline) / "
        "(target − baseline), between 0 and {cap} %.",
    ),
    "rule_peer_lower": (
        "Valor igual o menor que el promedio de su categoría en el corte: {points} puntos "
        "(los municipios sin valor no cuentan en el promedio).",
        "A value at or below its category's average at the cut: {points} points "
        "(municipalities without a value do not count in the average).",
    ),
    "rule_peer_higher": (
        "Valor igual o mayor que el promedio de su categoría en el corte: {points} puntos "
        "(los municipios sin valor no cuentan en el promedio).",
        "A value at or above its category's average at the cut: {points} points "
        "(municipalities without a value do not count in the average).",
    ),
    # What happened at a cut.
    "no_data": ("Sin datos: 0 puntos.", "No data: 0 points."),
    "no_target": (
        "Sin datos: no hay meta para este municipio; 0 puntos.",
        "No data: there is no target for this municipality; 0 points.",
    ),
    "no_baseline": (
        "Sin datos: no hay línea de base para este municipio; 0 puntos.",
        "No data: there is no baseline for this municipality; 0 points.",
    ),
    "evidence_approved": (
        "Evidencia {evidence} aprobada por {reviewer}: {points} puntos.",
        "Evidence {evidence} approved by {reviewer}: {points} points.",
    ),
    "evidence_observed": (
        "Evidencia {evidence} observada por {reviewer} y no aprobada: 0 puntos.",
        "Evidence {evidence} observed by {reviewer} and not approved: 0 points.",
    ),
    "evidence_rejected": (
        "Evidencia {evidence} rechazada por {reviewer}: 0 puntos.",
        "Evidence {evidence} rejected by {reviewer}: 0 points.",
    ),
    "evidence_missing": (
        "No se subió evidencia antes del plazo: 0 puntos.",
        "No evidence was uploaded before the deadline: 0 points.",
    ),
    "threshold_met": (
        "Valor {value}, meta {target}: cumple; {points} puntos.",
        "Value {value}, target {target}: met; {points} points.",
    ),
    "threshold_unmet": (
        "Valor {value}, meta {target}: no cumple; 0 puntos.",
        "Value {value}, target {target}: not met; 0 points.",
    ),
    "improvement_progress": (
        "De {baseline} a {value} hacia la meta {target}: avance {progress} %; {points} puntos.",
        "From {baseline} to {value} toward the target {target}: {progress} % of the way; "
        "{points} points.",
    ),
    "improvement_capped": (
        "De {baseline} a {value} hacia la meta {target}: avance {progress} %, se cuenta hasta "
        "el tope; {points} puntos.",
        "From {baseline} to {value} toward the target {target}: {progress} % of the way, "
        "counted up to the cap; {points} points.",
    ),
    "improvement_none": (
        "De {baseline} a {value} hacia la meta {target}: sin avance; 0 puntos.",
        "From {baseline} to {value} toward the target {target}: no progress; 0 points.",
    ),
    "improvement_baseline_met": (
        "La línea de base {baseline} ya cumplía la meta {target} y el valor {value} la sigue "
        "cumpliendo: {points} puntos.",
        "The baseline {baseline} already met the target {target} and the value {value} still "
        "does: {points} points.",
    ),
    "improvement_baseline_lost": (
        "La línea de base {baseline} ya cumplía la meta {target} pero el valor {value} ya no: "
        "0 puntos.",
        "The baseline {baseline} already met the target {target} but the value {value} no "
        "longer does: 0 points.",
    ),
    "peer_met": (
        "Valor {value}, promedio de la categoría {average} ({peers} municipios con valor): "
        "cumple; {points} puntos.",
        "Value {value}, category average {average} ({peers} municipalities with a value): "
        "met; {points} points.",
    ),
    "peer_unmet": (
        "Valor {value}, promedio de la categoría {average} ({peers} municipios con valor): "
        "no cumple; 0 puntos.",
        "Value {value}, category average {average} ({peers} municipalities with a value): "
        "not met; 0 points.",
    ),
    # Eligibility.
    "below_minimum_total": (
        "Puntaje total {total} menor que el mínimo {minimum}.",
        "Total score {total} below the minimum {minimum}.",
    ),
    "mandatory_unmet": (
        "Criterio obligatorio {criterion} no cumplido en el corte {cut}.",
        "Mandatory criterion {criterion} not met at cut {cut}.",
    ),
    "mandatory_unmet_any": (
        "Criterio obligatorio {criterion} no cumplido.",
        "Mandatory criterion {criterion} not met.",
    ),
    "below_component_minimum": (
        "Componente {component}: {percent} % de su puntaje máximo, menos que el mínimo de "
        "{minimum} %.",
        "Component {component}: {percent} % of its maximum points, below the minimum of "
        "{minimum} %.",
    ),
    # Awards.
    "tier_unfilled": (
        "{tier} ({category}): {filled} de {planned} puestos cubiertos; {amount} sin otorgar.",
        "{tier} ({category}): {filled} of {planned} places filled; {amount} not awarded.",
    ),
    "tier_unfilled_medal": (
        "{tier} ({category}): {filled} de {planned} medallas otorgadas.",
        "{tier} ({category}): {filled} of {planned} medals awarded.",
    ),
    "fund_above_tiers": (
        "Las categorías de premio reparten {promised} de un fondo de {fund}: {difference} "
        "sin asignar en las bases.",
        "The award tiers give {promised} of a fund of {fund}: the rules leave {difference} "
        "unassigned.",
    ),
    "fund_distributed": (
        "Se otorga el fondo completo, {fund}.",
        "The whole fund, {fund}, is awarded.",
    ),
    "remainder_redistributed": (
        "El remanente de {amount} se reparte entre los {winners} ganadores con premio en "
        "dinero, en proporción a su premio, al céntimo (los céntimos sobrantes van en el "
        "orden de los premios).",
        "The remainder of {amount} is split among the {winners} winners of money in "
        "proportion to their awards, to the cent (leftover cents go in the order of the "
        "awards).",
    ),
    "nothing_to_redistribute": (
        "Ningún municipio ganó dinero: el remanente de {amount} no puede repartirse y queda "
        "sin otorgar.",
        "No municipality won money: the remainder of {amount} cannot be split and stays unawarded.",
    ),
    "remainder_carried_over": (
        "El remanente de {amount} pasa a la siguiente edición del concurso.",
        "The remainder of {amount} is carried over to the next edition of the contest.",
    ),
    "remainder_returned": (
        "El remanente de {amount} se devuelve al tesoro que financia el concurso.",
        "The remainder of {amount} is returned to the treasury that funds the contest.",
    ),
    "all_categories": ("todas las categorías", "all categories"),
    # Problems with the rules or the files.
    "money_invalid": (
        "{value} no es un monto válido (positivo, a lo más 2 decimales).",
        "{value} is not a valid amount (positive, at most 2 decimals).",
    ),
    "empty_list": ("La lista está vacía.", "The list is empty."),
    "duplicate_code": ("{code} está repetido.", "{code} appears twice."),
    "not_positive": ("{value} debe ser mayor que cero.", "{value} must be greater than zero."),
    "negative": ("{value} no puede ser negativo.", "{value} cannot be negative."),
    "unknown_code": ("{code} no existe en las bases.", "{code} is not in the rules."),
    "required": ("Falta este dato.", "This is required."),
    "cap_invalid": (
        "El tope {value} debe ser mayor que 0 y a lo más 1.",
        "The cap {value} must be greater than 0 and at most 1.",
    ),
    "component_without_criteria": (
        "El componente {code} no tiene criterios con puntos.",
        "Component {code} has no criteria with points.",
    ),
    "percent_invalid": (
        "{value} no es un porcentaje entre 0 y 100.",
        "{value} is not a percentage between 0 and 100.",
    ),
    "tiers_exceed_fund": (
        "Las categorías de premio suman {promised}, más que el fondo de {fund}.",
        "The award tiers add up to {promised}, more than the fund of {fund}.",
    ),
    "cannot_read": ("No se puede leer el archivo: {error}.", "Cannot read the file: {error}."),
    "not_utf8": (
        "El archivo no está en UTF-8.",
        "The file is not UTF-8.",
    ),
    "json_syntax": (
        "JSON inválido (columna {column}): {error}.",
        "Invalid JSON (column {column}): {error}.",
    ),
    "wrong_type": ("Se esperaba {expected}.", "Expected {expected}."),
    "not_a_number": (
        "{value} no es un número (escriba 1234.5, sin separador de miles).",
        "{value} is not a number (write 1234.5, no thousands separator).",
    ),
    "not_an_integer": ("{value} no es un número entero.", "{value} is not a whole number."),
    "too_many_decimals": (
        "{value} tiene más de 2 decimales.",
        "{value} has more than 2 decimals.",
    ),
    "unknown_field": ("Campo desconocido: {name}.", "Unknown field: {name}."),
    "invalid_choice": (
        "{value} no es válido; se espera uno de: {choices}.",
        "{value} is not valid; expected one of: {choices}.",
    ),
    "empty_file": ("El archivo está vacío.", "The file is empty."),
    "missing_column": ("Falta la columna {column}.", "Column {column} is missing."),
    "unknown_column": (
        "Columna desconocida: {column}.",
        "Unknown column: {column}.",
    ),
    "wrong_cell_count": (
        "La fila tiene {found} celdas; se esperan {expected}.",
        "The row has {found} cells; {expected} expected.",
    ),
    "points_out_of_range": (
        "{value} está fuera de 0–{maximum}, el puntaje máximo del componente.",
        "{value} is outside 0–{maximum}, the component's maximum points.",
    ),
    "not_mandatory": (
        "{code} no es un criterio obligatorio de las bases.",
        "{code} is not a mandatory criterion of the rules.",
    ),
    "no_rows": ("El archivo no tiene municipios.", "The file has no municipalities."),
}
