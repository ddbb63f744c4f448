"""What the demo measures: its disaggregations, data elements, indicator sheets (*fichas
técnicas*) and validation rules, as plain specs the demo seed hands to the services.

Why specs in code rather than in demo_data/: they are definitions a reader should be able to
review next to each other (names in Spanish and English, formula, polarity), and the
services check them (a formula that does not parse fails the seed and its test). The
figures themselves are in demo_data/indicators.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from minka.indicators.services import OptionSpec

SEX = "SEXO"
AREA = "AREA"

# code, Spanish name, English name, options (code, Spanish, English)
CATEGORIES = [
    (SEX, "Sexo", "Sex", [OptionSpec("FEMALE", "Mujer", "Female"),
                          OptionSpec("MALE", "Hombre", "Male")]),
    (AREA, "Área de residencia", "Area of residence", [OptionSpec("URBAN", "Urbana", "Urban"),
                                                       OptionSpec("RURAL", "Rural", "Rural")]),
]


@dataclass(frozen=True)
class ElementSpec:
    code: str
    name_es: str
    name_en: str
    description: str
    value_type: str = "integer"
    aggregation: str = "sum"
    period_type: str = "Monthly"
    categories: tuple[str, ...] = (SEX, AREA)
    minimum: Decimal | None = Decimal(0)
    maximum: Decimal | None = None



def _yearly_figure(code: str, name_es: str, name_en: str, description: str, *,
                   percent: bool) -> ElementSpec:
    """A district estimate (poverty %, an index): yearly, not summable, so averaged with
    population weights up the tree."""
    return ElementSpec(
        code, name_es, name_en, description,
        value_type="percentage" if percent else "number", aggregation="average",
        period_type="Yearly", categories=(), minimum=Decimal(0),
        maximum=Decimal(100) if percent else Decimal(1),
    )


# The element's `source` is the one its values carry in demo_data/indicators.json.
ELEMENTS = [
    ElementSpec(
        "NINOS_6_35_TAMIZADOS",
        "Niñas y niños de 6 a 35 meses con dosaje de hemoglobina",
        "Children aged 6–35 months screened for haemoglobin",
        "Niñas y niños de 6 a 35 meses con un dosaje de hemoglobina registrado en el mes (HIS).",
    ),
    ElementSpec(
        "NINOS_6_35_ANEMIA",
        "Niñas y niños de 6 a 35 meses con anemia",
        "Children aged 6–35 months with anaemia",
        "De los tamizados en el mes, los que tienen hemoglobina ajustada por altitud por "
        "debajo de 11 g/dL (HIS).",
    ),
    ElementSpec(
        "NINOS_MENORES_5_EVALUADOS",
        "Niñas y niños menores de 5 años evaluados (talla para la edad)",
        "Children under 5 measured (height for age)",
        "Niñas y niños menores de 5 años con peso y talla registrados en el mes (SIEN).",
        categories=(SEX,),
    ),
    ElementSpec(
        "NINOS_MENORES_5_DCI",
        "Niñas y niños menores de 5 años con desnutrición crónica",
        "Children under 5 with chronic malnutrition (stunting)",
        "De los evaluados en el mes, los que tienen talla para la edad por debajo de −2 "
        "desviaciones estándar del patrón OMS (SIEN).",
        categories=(SEX,),
    ),
    ElementSpec(
        "NINOS_12M",
        "Niñas y niños que cumplieron 12 meses",
        "Children who turned 12 months",
        "Niñas y niños que cumplieron 12 meses de edad en el mes (padrón nominal).",
        categories=(SEX,),
    ),
    ElementSpec(
        "CRED_COMPLETO_12M",
        "Niñas y niños de 12 meses con CRED completo para su edad",
        "Children aged 12 months with complete CRED check-ups",
        "De los que cumplieron 12 meses en el mes, los que recibieron todos los controles de "
        "crecimiento y desarrollo (CRED) que les corresponden (HIS).",
        categories=(SEX,),
    ),
    _yearly_figure(
        "POBREZA_TOTAL_PCT",
        "Pobreza monetaria total (% de la población)",
        "Total monetary poverty (% of the population)",
        "Porcentaje de la población con gasto per cápita por debajo de la línea de pobreza; "
        "estimación del mapa de pobreza del INEI.",
        percent=True,
    ),
    _yearly_figure(
        "POBREZA_EXTREMA_PCT",
        "Pobreza monetaria extrema (% de la población)",
        "Extreme monetary poverty (% of the population)",
        "Porcentaje de la población con gasto per cápita por debajo del costo de la canasta "
        "básica de alimentos; estimación del mapa de pobreza del INEI.",
        percent=True,
    ),
    _yearly_figure(
        "IDH",
        "Índice de Desarrollo Humano",
        "Human Development Index",
        "Índice de Desarrollo Humano distrital del PNUD (0 a 1): salud, educación e ingreso.",
        percent=False,
    ),
    _yearly_figure(
        "IVIA",
        "Índice de vulnerabilidad a la inseguridad alimentaria",
        "Food insecurity vulnerability index",
        "Índice distrital de vulnerabilidad a la inseguridad alimentaria (0 a 1; más alto es "
        "más vulnerable).",
        percent=False,
    ),
]


@dataclass(frozen=True)
class SheetSpec:
    code: str
    name_es: str
    name_en: str
    formula: str
    definition_es: str
    definition_en: str
    source: str
    unit: str = "percent"
    decimals: int = 1
    polarity: str = "lower"
    frequency: str = "Monthly"
    results_chain_level: str = "intermediate_result"
    classification: str = "efficacy"
    base_year: int | None = 2019
    published: bool = True


SYNTHETIC_SHEET_SOURCE = "Demo: HIS/SIEN sintético"
POVERTY_SOURCE = "INEI, Mapa de pobreza monetaria provincial y distrital 2018"

_ANAEMIA = "#{NINOS_6_35_ANEMIA} / #{NINOS_6_35_TAMIZADOS}"
_ANAEMIA_BEFORE = "#{NINOS_6_35_ANEMIA}[-1] / #{NINOS_6_35_TAMIZADOS}[-1]"

SHEETS = [
    SheetSpec(
        "ANEMIA_6_35",
        "Anemia en niñas y niños de 6 a 35 meses",
        "Anaemia in children aged 6–35 months",
        f"100 * {_ANAEMIA}",
        "Porcentaje de niñas y niños de 6 a 35 meses con anemia (hemoglobina ajustada por "
        "altitud menor de 11 g/dL) entre los tamizados en el periodo.",
        "Share of children aged 6–35 months with anaemia (altitude-adjusted haemoglobin "
        "below 11 g/dL) among those screened in the period.",
        SYNTHETIC_SHEET_SOURCE,
    ),
    SheetSpec(
        "DCI_MENORES_5",
        "Desnutrición crónica infantil en menores de 5 años",
        "Chronic child malnutrition in children under 5",
        "100 * #{NINOS_MENORES_5_DCI} / #{NINOS_MENORES_5_EVALUADOS}",
        "Porcentaje de niñas y niños menores de 5 años con talla para la edad por debajo de −2 "
        "desviaciones estándar del patrón de crecimiento de la OMS, entre los evaluados.",
        "Share of children under 5 whose height for age is below −2 standard deviations of "
        "the WHO growth standard, among those measured.",
        SYNTHETIC_SHEET_SOURCE,
        results_chain_level="final_result",
    ),
    SheetSpec(
        "CRED_COBERTURA",
        "Niñas y niños de 12 meses con CRED completo para su edad",
        "Children aged 12 months with complete CRED check-ups",
        "100 * #{CRED_COMPLETO_12M} / #{NINOS_12M}",
        "Porcentaje de niñas y niños que cumplieron 12 meses en el periodo y recibieron todos "
        "los controles de crecimiento y desarrollo (CRED) que corresponden a su edad.",
        "Share of children who turned 12 months in the period and had every growth and "
        "development (CRED) check-up due for their age.",
        SYNTHETIC_SHEET_SOURCE,
        polarity="higher",
        results_chain_level="product",
        classification="quality",
    ),
    SheetSpec(
        "POBREZA_TOTAL",
        "Pobreza monetaria total",
        "Total monetary poverty",
        "#{POBREZA_TOTAL_PCT}",
        "Porcentaje de la población cuyo gasto per cápita no cubre la canasta básica de "
        "consumo (estimación distrital del INEI; promedio ponderado por población en niveles "
        "superiores).",
        "Share of the population whose spending per person does not cover the basic "
        "consumption basket (INEI district estimate; population-weighted average above).",
        POVERTY_SOURCE,
        frequency="Yearly",
        results_chain_level="final_result",
        base_year=2018,
    ),
    SheetSpec(
        "POBREZA_EXTREMA",
        "Pobreza monetaria extrema",
        "Extreme monetary poverty",
        "#{POBREZA_EXTREMA_PCT}",
        "Porcentaje de la población cuyo gasto per cápita no cubre la canasta básica de "
        "alimentos (estimación distrital del INEI).",
        "Share of the population whose spending per person does not cover the basic food "
        "basket (INEI district estimate).",
        POVERTY_SOURCE,
        frequency="Yearly",
        results_chain_level="final_result",
        base_year=2018,
    ),
    SheetSpec(
        "IDH",
        "Índice de Desarrollo Humano",
        "Human Development Index",
        "#{IDH}",
        "Índice de Desarrollo Humano del PNUD (0 a 1), que combina esperanza de vida, "
        "educación e ingreso familiar per cápita.",
        "UNDP's Human Development Index (0 to 1), combining life expectancy, education and "
        "household income per person.",
        "PNUD, Índice de Desarrollo Humano distrital 2019",
        unit="index",
        decimals=3,
        polarity="higher",
        frequency="Yearly",
        results_chain_level="final_result",
        base_year=2019,
    ),
    SheetSpec(
        "IVA",
        "Vulnerabilidad a la inseguridad alimentaria",
        "Vulnerability to food insecurity",
        "#{IVIA}",
        "Índice de vulnerabilidad a la inseguridad alimentaria (0 a 1; más alto es más "
        "vulnerable). La fuente no indica el año: se registra como 2018.",
        "Food insecurity vulnerability index (0 to 1; higher is more vulnerable). The source "
        "does not state its year: recorded as 2018.",
        "MIDIS, IVIA (año no indicado en la fuente; registrado como 2018)",
        unit="index",
        decimals=3,
        frequency="Yearly",
        base_year=2018,
    ),
    SheetSpec(
        "ANEMIA_VARIACION",
        "Variación anual de la anemia en niñas y niños de 6 a 35 meses",
        "Year-on-year change in anaemia in children aged 6–35 months",
        f"100 * ({_ANAEMIA} - {_ANAEMIA_BEFORE}) / ({_ANAEMIA_BEFORE})",
        "Cambio porcentual de la prevalencia de anemia respecto del año anterior (negativo: "
        "la anemia bajó).",
        "Percentage change of the anaemia prevalence against the previous year (negative: "
        "anaemia fell).",
        SYNTHETIC_SHEET_SOURCE,
        frequency="Yearly",
    ),
    # Left unpublished on purpose: the public must not see it (it stays internal).
    SheetSpec(
        "ANEMIA_BRECHA_RURAL",
        "Brecha rural–urbana de anemia (puntos porcentuales)",
        "Rural–urban anaemia gap (percentage points)",
        "100 * #{NINOS_6_35_ANEMIA.RURAL} / #{NINOS_6_35_TAMIZADOS.RURAL}"
        " - 100 * #{NINOS_6_35_ANEMIA.URBAN} / #{NINOS_6_35_TAMIZADOS.URBAN}",
        "Diferencia entre la prevalencia de anemia del área rural y la del área urbana. "
        "Indicador interno en revisión: no se publica hasta validar el método.",
        "Difference between the rural and the urban anaemia prevalence. Internal indicator "
        "under review: not published until its method is validated.",
        SYNTHETIC_SHEET_SOURCE,
        unit="number",
        frequency="Yearly",
        classification="quality",
        published=False,
    ),
]

# code, Spanish name, English name, left, operator, right, severity
RULES = [
    ("ANEMIA_LE_TAMIZADOS",
     "Casos de anemia ≤ niñas y niños tamizados",
     "Anaemia cases ≤ children screened",
     "#{NINOS_6_35_ANEMIA}", "<=", "#{NINOS_6_35_TAMIZADOS}", "error"),
    ("ANEMIA_PLAUSIBLE",
     "Anemia por debajo del 80 % de los tamizados (revisar si no)",
     "Anaemia below 80 % of those screened (review otherwise)",
     "#{NINOS_6_35_ANEMIA}", "<=", "0.8 * #{NINOS_6_35_TAMIZADOS}", "warning"),
]

REGION = "08"
TARGET_YEAR = "2026"
BASELINE_YEAR = 2019
# indicator → (numerator, denominator) of its baseline, and its regional targets by year.
TARGETS: dict[str, tuple[str, str, dict[str, Decimal]]] = {
    "ANEMIA_6_35": ("NINOS_6_35_ANEMIA", "NINOS_6_35_TAMIZADOS",
                    {"2023": Decimal(45), "2024": Decimal(40), "2025": Decimal(35),
                     "2026": Decimal(30)}),
    "DCI_MENORES_5": ("NINOS_MENORES_5_DCI", "NINOS_MENORES_5_EVALUADOS",
                      {"2026": Decimal(12)}),
}
