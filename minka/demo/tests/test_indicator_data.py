"""The demo's indicator file format: exact figures, missing kept missing, strict reading."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from minka.demo.indicator_data import (
    FigureSeries,
    IndicatorDataError,
    figure_decimal,
    indicator_data_read,
    indicator_document,
)
from minka.demo.synthetic import MonthlySeries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8.214426", Decimal("8.214426")),
        (" 39.390077 ", Decimal("39.390077")),
        # More digits than a data value keeps: rounded half-even to 6 decimals.
        ("0.65908392765781298", Decimal("0.659084")),
        ("12", Decimal("12")),
        ("S.I.", None),
        ("NA", None),
        ("", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_a_figure_is_a_decimal_of_six_places_or_missing_never_zero(text, expected):
    assert figure_decimal(text) == expected


def _document() -> str:
    return indicator_document(
        country="PE",
        figures=[FigureSeries("POBREZA_TOTAL_PCT", "2018", "INEI 2018",
                              {"080102": Decimal("39.390077"), "080101": Decimal("8.214426")})],
        synthetic_source="Datos sintéticos de demostración",
        seed=5,
        periods=["201901", "201902"],
        series=[MonthlySeries("NINOS_12M", "FEMALE", {"080101": [3, None], "080102": [0, 1]})],
    )


def test_the_document_reads_back_as_written(tmp_path):
    path = tmp_path / "indicators.json"
    path.write_text(_document(), encoding="utf-8")
    data = indicator_data_read(path)
    assert data.country == "PE" and data.seed == 5
    assert data.figures[0].values == {"080101": Decimal("8.214426"),
                                      "080102": Decimal("39.390077")}
    assert data.figures[0].period == "2018"
    assert data.series == [
        MonthlySeries("NINOS_12M", "FEMALE", {"080101": [3, None], "080102": [0, 1]})
    ]
    # 2 figures + 3 reported months (the None is no value; the 0 is one).
    assert data.value_count == 5
    # Deterministic: territories sorted, so the same content gives the same bytes.
    assert _document() == path.read_text(encoding="utf-8")
    assert list(json.loads(_document())["figures"][0]["values"]) == ["080101", "080102"]


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(format="minka.territories.demo/1"),
        lambda d: d["synthetic"]["series"][0]["values"].update({"080101": [3]}),
        lambda d: d["synthetic"]["series"][0]["values"].update({"080101": [3, -1]}),
        lambda d: d["synthetic"]["series"][0]["values"].update({"080101": [3, 1.5]}),
        lambda d: d["figures"][0]["values"].update({"080101": "S.I."}),
        lambda d: d.pop("synthetic"),
    ],
)
def test_a_file_out_of_format_is_refused_with_its_name(tmp_path, change):
    document = json.loads(_document())
    change(document)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(IndicatorDataError, match=r"broken\.json"):
        indicator_data_read(path)
