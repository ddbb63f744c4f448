"""The district figures of Peru's ubigeo file as yearly data values.

`peru_ubigeo_distrito.csv` (github.com/jmcastagnetto/ubigeo-peru-aumentado) carries, beside
the codes, four real figures per district. Which year each one describes:
- pct_pobreza_total, pct_pobreza_extrema: INEI's *Mapa de pobreza monetaria provincial y
  distrital 2018* (the file's README names the poverty maps 2013/2018; the values are the
  2018 ones, published in 2020) -> 2018;
- idh_2019: UNDP's human development index 2019 -> 2019;
- indice_vulnerabilidad_alimentaria: MIDIS' index of vulnerability to food insecurity,
  which CEPLAN distributes with the 2018 poverty map -> 2018 (a decision: the column does
  not say its year).

Missing is not zero: "S.I." (*sin información*), "NA" and an empty cell are no value, and
no row is produced for them. A record without an INEI code (the file has one, a RENIEC-only
district) is not a district of the INEI list and is skipped with a warning. Codes are
joined on the INEI code, never on names.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from minka.indicators.importers.rows import ParsedValues, Problem, ValueRow, values_text

MISSING_MARKERS = frozenset({"S.I.", "SI", "S/I", "NA", "N.A.", ""})
_INEI = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class Figure:
    """One figure column and the data element its values become."""

    column: str
    code: str
    year: str
    name_es: str
    name_en: str
    value_type: str  # "percentage" | "number" (ValueType values)
    minimum: Decimal
    maximum: Decimal
    source: str


FIGURES: tuple[Figure, ...] = (
    Figure(
        "pct_pobreza_total", "POBREZA_TOTAL_PCT", "2018",
        "Pobreza monetaria total (%)", "Total monetary poverty (%)", "percentage",
        Decimal(0), Decimal(100), "INEI, Mapa de pobreza monetaria distrital 2018",
    ),
    Figure(
        "pct_pobreza_extrema", "POBREZA_EXTREMA_PCT", "2018",
        "Pobreza monetaria extrema (%)", "Extreme monetary poverty (%)", "percentage",
        Decimal(0), Decimal(100), "INEI, Mapa de pobreza monetaria distrital 2018",
    ),
    Figure(
        "idh_2019", "IDH", "2019",
        "Índice de desarrollo humano", "Human development index", "number",
        Decimal(0), Decimal(1), "PNUD, Índice de desarrollo humano distrital 2019",
    ),
    Figure(
        "indice_vulnerabilidad_alimentaria", "IVIA", "2018",
        "Índice de vulnerabilidad a la inseguridad alimentaria",
        "Food insecurity vulnerability index", "number",
        Decimal(0), Decimal(1), "MIDIS / CEPLAN, IVIA (con el mapa de pobreza 2018)",
    ),
)
CODE_COLUMN = "inei"


def ubigeo_figures_parse(content: bytes) -> ParsedValues:
    """Every figure of every district as a row for country PE; missing cells give none."""
    parsed, text = values_text(content)
    if text is None:
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    line_after = 0
    index = 0
    try:
        for record in reader:
            line = line_after + 1
            line_after = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lstrip("\ufeff") for cell in record]
                wanted = [CODE_COLUMN, *(figure.column for figure in FIGURES)]
                missing = [column for column in wanted if column not in header]
                for column in missing:
                    parsed.problems.append(Problem(
                        "missing_column", "MK1000", line=1, column=column,
                        params={"column": column, "found": ", ".join(header)},
                    ))
                if missing:
                    return parsed
                continue
            values = dict(zip(header, (cell.strip() for cell in record), strict=False))
            code = values.get(CODE_COLUMN, "")
            if code.upper() in MISSING_MARKERS:
                parsed.problems.append(Problem(
                    "no_inei_code", "MK1000", None, line, CODE_COLUMN, code, warning=True,
                    params={"reniec": values.get("reniec", "")},
                ))
                parsed.skipped += len(FIGURES)
                continue
            if not _INEI.fullmatch(code):
                reason = "leading_zero" if code.isdigit() and len(code) == 5 else "invalid_code"
                parsed.problems.append(Problem(
                    reason, "E7612", index, line, CODE_COLUMN, code,
                    params={"expected": code.zfill(6)},
                ))
                index += 1
                continue
            for figure in FIGURES:
                raw = values.get(figure.column, "")
                if raw.upper() in MISSING_MARKERS:
                    parsed.skipped += 1
                    continue
                parsed.rows.append(ValueRow(
                    index=index,
                    line=line,
                    data_element=figure.code,
                    period=figure.year,
                    org_unit=code,
                    country="PE",
                    value=raw,
                    columns={"value": figure.column, "orgUnit": CODE_COLUMN},
                ))
                index += 1
    except csv.Error as exc:
        parsed.problems.append(
            Problem("csv_syntax", "MK1000", line=line_after + 1, params={"detail": str(exc)})
        )
    if header is None:
        parsed.problems.append(Problem("file_empty", "MK1000"))
    return parsed
