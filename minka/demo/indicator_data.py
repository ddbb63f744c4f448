"""The demo's data values in Minka's own compact JSON format (minka/demo/demo_data/indicators.json).

Why a format of our own: `minka seed_demo` must load issue 3's content with nothing beside
the project, quickly, and from a file small enough to commit. Real figures are few (one
yearly value per district); the synthetic monthly counts are many, so they are stored as
columns: per element and disaggregation, per territory, one value per month, `null` where
the month was not reported. The format ("minka.demo.indicators/1"):

    {
      "format": "minka.demo.indicators/1",
      "country": "PE",
      "figures": [                         # real figures, one yearly value per district
        {"element": "POBREZA_TOTAL_PCT", "period": "2018", "source": "INEI, ...",
         "values": {"080101": "8.214426", ...}},       # decimal text, at most 6 decimals
        ...
      ],
      "synthetic": {
        "source": "Datos sintéticos de demostración ...",
        "seed": 20260308,
        "periods": ["201901", ..., "202512"],
        "series": [
          {"element": "NINOS_6_35_TAMIZADOS", "combination": "FEMALE|RURAL",
           "values": {"080101": [31, 28, null, ...], ...}},   # one per period
          ...
        ]
      }
    }

A territory missing from a figure's `values` has no figure (the INEI files say "S.I." or
"NA"): missing is not zero, so nothing is stored for it.

Pure: no Django imports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from minka.demo.synthetic import MonthlySeries

FORMAT = "minka.demo.indicators/1"
# Data values are stored with 6 decimals: a longer figure would never compare equal to the
# stored one, and every re-seed would "update" it.
PRECISION = Decimal("0.000001")


class IndicatorDataError(ValueError):
    """The file is not in the format above (a bug in the build script, not user input)."""


@dataclass(frozen=True)
class FigureSeries:
    element: str
    period: str
    source: str
    values: dict[str, Decimal]


@dataclass(frozen=True)
class IndicatorDemoData:
    country: str
    figures: list[FigureSeries]
    synthetic_source: str
    seed: int
    periods: list[str]
    series: list[MonthlySeries]

    @property
    def value_count(self) -> int:
        """How many data values the file holds (present cells only)."""
        real = sum(len(figure.values) for figure in self.figures)
        synthetic = sum(
            1 for item in self.series for values in item.values.values()
            for value in values if value is not None
        )
        return real + synthetic


def figure_decimal(text: str) -> Decimal | None:
    """A figure of the INEI files as a Decimal of the stored precision; None for "S.I.",
    "NA", an empty cell or anything that is not a finite number (missing, never zero)."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    if not value.is_finite():
        return None
    return value.quantize(PRECISION)


def indicator_document(
    *,
    country: str,
    figures: Sequence[FigureSeries],
    synthetic_source: str,
    seed: int,
    periods: Sequence[str],
    series: Sequence[MonthlySeries],
) -> str:
    """The JSON text of the file: deterministic (sorted territories), one territory's series
    per line, so it stays diffable and small."""
    lines = ["{", f'  "format": {json.dumps(FORMAT)},', f'  "country": {json.dumps(country)},',
             '  "figures": [']
    figure_lines = []
    for figure in figures:
        texts = {code: _decimal_text(value) for code, value in sorted(figure.values.items())}
        head = {"element": figure.element, "period": figure.period, "source": figure.source}
        figure_lines.append(
            "    " + json.dumps(head, ensure_ascii=False)[:-1]
            + ', "values": ' + json.dumps(texts, separators=(",", ":")) + "}"
        )
    lines.append(",\n".join(figure_lines))
    lines.append("  ],")
    lines.append('  "synthetic": {')
    lines.append(f'    "source": {json.dumps(synthetic_source, ensure_ascii=False)},')
    lines.append(f'    "seed": {seed},')
    lines.append(f'    "periods": {json.dumps(list(periods), separators=(",", ":"))},')
    lines.append('    "series": [')
    series_lines = []
    for item in series:
        rows = [
            f"        {json.dumps(code)}:{json.dumps(values, separators=(',', ':'))}"
            for code, values in sorted(item.values.items())
        ]
        name = json.dumps({"element": item.element, "combination": item.combination})[:-1]
        series_lines.append("      " + name + ', "values": {\n' + ",\n".join(rows) + "}}")
    lines.append(",\n".join(series_lines))
    lines.append("    ]")
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _decimal_text(value: Decimal) -> str:
    text = format(value.quantize(PRECISION).normalize(), "f")
    return "0" if text in ("-0", "") else text


def indicator_data_read(path: Path) -> IndicatorDemoData:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndicatorDataError(f"{path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise IndicatorDataError(f"{path}: not a {FORMAT} document")
    try:
        figures = [_figure(entry) for entry in document["figures"]]
        synthetic = document["synthetic"]
        periods = [str(period) for period in synthetic["periods"]]
        series = [_series(entry, len(periods)) for entry in synthetic["series"]]
        return IndicatorDemoData(
            country=str(document["country"]),
            figures=figures,
            synthetic_source=str(synthetic["source"]),
            seed=int(synthetic["seed"]),
            periods=periods,
            series=series,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IndicatorDataError(f"{path}: {exc!r}") from exc


def _figure(entry: dict[str, Any]) -> FigureSeries:
    values: dict[str, Decimal] = {}
    for code, text in entry["values"].items():
        value = figure_decimal(str(text))
        if value is None:
            raise ValueError(f"{entry['element']} {code}: {text!r} is not a number")
        values[str(code)] = value
    return FigureSeries(element=str(entry["element"]), period=str(entry["period"]),
                        source=str(entry["source"]), values=values)


def _series(entry: dict[str, Any], length: int) -> MonthlySeries:
    values: dict[str, list[int | None]] = {}
    for code, column in entry["values"].items():
        if len(column) != length or any(
            v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0)
            for v in column
        ):
            raise ValueError(f"{entry['element']} {code}: {length} counts or null expected")
        values[str(code)] = list(column)
    return MonthlySeries(element=str(entry["element"]), combination=str(entry["combination"]),
                         values=values)
