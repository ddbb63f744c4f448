"""A small anaemia dataset on the Cusco slice of the tree, with figures computed by hand.

Two monthly SUM elements disaggregated by sex, and the indicator
ANEMIA_PCT = 100 * #{ANEMIA} / #{SCREENED} (monthly, lower is better):

district 080101 CUSCO        ANEMIA  202301 F 6  M 4 | 202302 F 12 M 8
                             SCREENED 202301 F 20 M 20 | 202302 F 30 M 30
   2023: 30 / 100 = 30 %   female: 18 / 50 = 36 %   202301: 10 / 40 = 25 %
district 080104 SAN JERÓNIMO ANEMIA  202301 F 2  M 2 | 202303 F 3  M 3
                             SCREENED 202301 F 10 M 10 | 202303 F 15 M 15
   2023: 10 / 50 = 20 %    female: 5 / 25 = 20 %    202301: 4 / 20 = 20 %
province 0801 and region 08 (Σ numerators / Σ denominators, never the mean of 30 and 20):
   2023: 40 / 150 = 26.666… %   female: 23 / 75 = 30.666… %   202301: 14 / 60 = 23.333… %
district 030101 ABANCAY      ANEMIA 202301 F 0 M 0, SCREENED 202301 F 0 M 0:
   202301 and 2023: no value, zero denominator
Targets (2023): 080101 28 (30 ≤ 28 × 1.1: at risk), 080104 15 (20 > 16.5: off track),
0801 30 (26.7 ≤ 30: on track). A baseline (kind baseline) is not a target.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from minka.indicators.models import DataElement, IndicatorSheet
from minka.indicators.services import (
    CellWrite,
    OptionSpec,
    category_save,
    data_element_save,
    data_values_write,
    indicator_sheet_save,
    target_set,
)
from minka.territories.tests.factories import CuscoTree

# (element, district attribute of the tree, period, sex) -> value
VALUES: dict[tuple[str, str, str, str], int] = {
    ("ANEMIA", "cusco_district", "202301", "FEMALE"): 6,
    ("ANEMIA", "cusco_district", "202301", "MALE"): 4,
    ("ANEMIA", "cusco_district", "202302", "FEMALE"): 12,
    ("ANEMIA", "cusco_district", "202302", "MALE"): 8,
    ("SCREENED", "cusco_district", "202301", "FEMALE"): 20,
    ("SCREENED", "cusco_district", "202301", "MALE"): 20,
    ("SCREENED", "cusco_district", "202302", "FEMALE"): 30,
    ("SCREENED", "cusco_district", "202302", "MALE"): 30,
    ("ANEMIA", "san_jeronimo", "202301", "FEMALE"): 2,
    ("ANEMIA", "san_jeronimo", "202301", "MALE"): 2,
    ("ANEMIA", "san_jeronimo", "202303", "FEMALE"): 3,
    ("ANEMIA", "san_jeronimo", "202303", "MALE"): 3,
    ("SCREENED", "san_jeronimo", "202301", "FEMALE"): 10,
    ("SCREENED", "san_jeronimo", "202301", "MALE"): 10,
    ("SCREENED", "san_jeronimo", "202303", "FEMALE"): 15,
    ("SCREENED", "san_jeronimo", "202303", "MALE"): 15,
    ("ANEMIA", "abancay", "202301", "FEMALE"): 0,
    ("ANEMIA", "abancay", "202301", "MALE"): 0,
    ("SCREENED", "abancay", "202301", "FEMALE"): 0,
    ("SCREENED", "abancay", "202301", "MALE"): 0,
}


@dataclass
class AnaemiaData:
    tree: CuscoTree
    anemia: DataElement
    screened: DataElement
    sheet: IndicatorSheet
    hidden: IndicatorSheet  # an unpublished sheet over the same data


def cell(data: AnaemiaData, element: str, district: str, period: str, sex: str,
         value: int | None) -> CellWrite:
    return CellWrite(
        element=data.anemia if element == "ANEMIA" else data.screened,
        territory=getattr(data.tree, district),
        period=period,
        combination=sex,
        value=None if value is None else Decimal(value),
    )


def anaemia_data(tree: CuscoTree, *, with_values: bool = True) -> AnaemiaData:
    sex = category_save(
        code="SEX", name_es="Sexo", name_en="Sex",
        options=[OptionSpec("FEMALE", "Mujer", "Female"), OptionSpec("MALE", "Hombre", "Male")],
    )
    anemia = data_element_save(
        code="ANEMIA", name_es="Niños con anemia", name_en="Children with anaemia",
        categories=[sex], source="HIS",
    )
    screened = data_element_save(
        code="SCREENED", name_es="Niños tamizados", name_en="Children screened",
        categories=[sex], source="HIS",
    )
    sheet = indicator_sheet_save(
        code="ANEMIA_PCT", name_es="Anemia en niños de 6 a 35 meses",
        name_en="Anaemia in children 6-35 months",
        definition_es="Porcentaje de niños tamizados con anemia.",
        formula="100 * #{ANEMIA} / #{SCREENED}", frequency="Monthly", polarity="lower",
        base_year=2022, source="HIS", published=True, responsible=tree.muni_cusco_province,
    )
    hidden = indicator_sheet_save(
        code="ANEMIA_DRAFT", name_es="Borrador", formula="#{ANEMIA}", frequency="Yearly",
        published=False,
    )
    data = AnaemiaData(tree=tree, anemia=anemia, screened=screened, sheet=sheet, hidden=hidden)
    for territory, value in (
        (tree.cusco_district, "28"), (tree.san_jeronimo, "15"), (tree.cusco_province, "30")
    ):
        target_set(indicator=sheet, territory=territory, period="2023", value=Decimal(value))
    target_set(indicator=sheet, territory=tree.cusco_province, period="2022",
               value=Decimal("45"), kind="baseline")
    if with_values:
        data_values_write(
            cells=[cell(data, *key, value) for key, value in VALUES.items()],
            batch=None, source="HIS 2023",
        )
    return data
