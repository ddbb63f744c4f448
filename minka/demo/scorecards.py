"""The demo's scorecard: a public results-based accountability scorecard for the Cusco region.

Idempotent, like the rest of the demo, and leaving people's work alone: the scorecard is
found by its region and its Spanish title or its result (so a coordinator may retitle it),
a programme by its scorecard and Spanish name, and each piece (scorecard, programme,
measure, the versions of one kind of text) is created only when missing, so a second run
writes nothing and what a coordinator edits or adds in the demo survives a re-seed. It
needs the demo's territories and indicators (minka.demo.indicators) loaded first;
indicators that are missing are left out and named in the report line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from minka.accounts.models import User
from minka.demo import catalogue
from minka.indicators.models import IndicatorSheet
from minka.scorecards.models import Programme, Question, Scorecard, ScorecardText, TextKind
from minka.scorecards.services import (
    performance_measure_add,
    programme_create,
    scorecard_create,
    scorecard_text_add,
)
from minka.territories.models import Institution
from minka.territories.selectors import institution_list, territory_get

AUTHOR = "coordinadora.cusco"  # the demo's regional coordinator (minka.demo.services)
TITLE_ES = "Niñas y niños de Cusco sanos y sin anemia"
TITLE_EN = "Healthy children without anaemia in Cusco"
RESULT = "Las niñas y los niños de Cusco crecen sanos y sin anemia"
POPULATION = "Niñas y niños menores de 5 años de la región Cusco y sus familias."
POPULATION_INDICATORS = ["ANEMIA_6_35", "DCI_MENORES_5"]

# kind -> versions, oldest first
Texts = dict[str, list[str]]

SCORECARD_TEXTS: Texts = {
    TextKind.STORY: [
        "La anemia en niñas y niños de 6 a 35 meses bajó desde 2019, pero sigue por encima "
        "de la meta regional. Las causas: dietas pobres en hierro, parasitosis, poco acceso "
        "a agua segura y controles de crecimiento incompletos.",
        "La anemia en niñas y niños de 6 a 35 meses bajó desde 2019, pero sigue por encima "
        "de la meta regional, sobre todo en los distritos rurales de altura. Las causas: "
        "dietas pobres en hierro, parasitosis, poco acceso a agua segura y controles de "
        "crecimiento (CRED) incompletos. La desnutrición crónica baja más despacio: depende "
        "del agua y del saneamiento tanto como de la alimentación.",
    ],
    TextKind.PARTNERS: [
        "Gobierno Regional de Cusco (Gerencia de Desarrollo Social), Dirección Regional de "
        "Salud y sus redes, municipalidades provinciales y distritales, programas nacionales "
        "(Cuna Más, Juntos), organizaciones de base y familias.",
    ],
    TextKind.WHAT_WORKS: [
        "Visitas domiciliarias con consejería nutricional, suplementación con hierro con "
        "seguimiento de la adherencia, tamizaje de hemoglobina en cada control CRED, agua "
        "clorada en el hogar y sesiones demostrativas de preparación de alimentos.",
    ],
    TextKind.ACTION_PLAN: [
        "1. Cerrar la brecha de controles CRED en los distritos con menor cobertura.\n"
        "2. Seguimiento nominal de cada niña y niño con anemia hasta su recuperación.\n"
        "3. Cloración del agua en los centros poblados priorizados.\n"
        "4. Rendición de cuentas pública de estos resultados cada año.",
    ],
}


@dataclass(frozen=True)
class ProgrammeSpec:
    name_es: str
    name_en: str
    description: str
    measures: list[tuple[str, str]]  # (indicator code, question)
    texts: Texts = field(default_factory=dict)


PROGRAMMES = [
    ProgrammeSpec(
        "Suplementación con hierro y consejería",
        "Iron supplementation and counselling",
        "Entrega de hierro a niñas y niños de 4 a 35 meses con consejería a las familias en "
        "los controles de crecimiento y desarrollo y en visitas al hogar.",
        [("CRED_COBERTURA", Question.HOW_WELL), ("ANEMIA_6_35", Question.BETTER_OFF)],
        {
            TextKind.STORY: [
                "Muchas familias dejan el hierro a las pocas semanas por sus efectos.",
                "Muchas familias dejan el hierro a las pocas semanas por sus efectos y porque "
                "nadie vuelve a visitarlas; donde el CRED está completo, la adherencia sube.",
            ],
            TextKind.PARTNERS: ["Redes de salud, agentes comunitarios y Cuna Más."],
            TextKind.WHAT_WORKS: [
                "Consejería en el hogar y recordatorios de los agentes comunitarios."
            ],
            TextKind.ACTION_PLAN: [
                "Completar el CRED a los 12 meses y visitar a cada familia en la primera "
                "semana de la suplementación."
            ],
        },
    ),
    ProgrammeSpec(
        "Agua segura y saneamiento",
        "Safe water and sanitation",
        "Cloración y mantenimiento de los sistemas de agua rurales, con las JASS y las "
        "áreas técnicas municipales.",
        [("POBREZA_EXTREMA", Question.BETTER_OFF)],
        {
            TextKind.STORY: [
                "En los centros poblados más pobres el agua no se clora.",
                "En los centros poblados más pobres el agua no se clora y las parasitosis "
                "anulan el efecto del hierro.",
            ],
            TextKind.PARTNERS: ["Municipalidades, JASS, Dirección Regional de Vivienda."],
            TextKind.WHAT_WORKS: ["Operadores de las JASS capacitados y con insumos."],
            TextKind.ACTION_PLAN: [
                "Cloración mensual verificada en los sistemas de agua de los distritos priorizados."
            ],
        },
    ),
]


@dataclass
class _Counts:
    scorecards: int = 0
    programmes: int = 0
    measures: int = 0
    texts: int = 0
    missing: set[str] = field(default_factory=set)


def _texts_ensure(
    *,
    scorecard: Scorecard,
    programme: Programme | None,
    texts: Texts,
    user: User | None,
    counts: _Counts,
) -> None:
    for kind, versions in texts.items():
        if ScorecardText.objects.filter(
            scorecard=scorecard, programme=programme, kind=kind
        ).exists():
            continue
        for body in versions:
            scorecard_text_add(
                scorecard=scorecard, programme=programme, kind=kind, body=body, user=user
            )
            counts.texts += 1


@transaction.atomic
def demo_scorecards_seed(*, user: User | None = None) -> str:
    """Create what is missing of the Cusco scorecard; say in one line what was created.
    The texts are written by `user`, by default the demo's regional coordinator."""
    region = territory_get(country="PE", code=catalogue.REGION)
    if region is None:
        return _("Scorecards: the region %(code)s is not loaded; none created.") % {
            "code": catalogue.REGION
        }
    author = user or User.objects.filter(username=AUTHOR).first()
    counts = _Counts()
    codes = set(POPULATION_INDICATORS) | {code for p in PROGRAMMES for code, _q in p.measures}
    sheets = {s.code: s for s in IndicatorSheet.objects.filter(code__in=codes)}
    counts.missing = codes - sheets.keys()
    scorecard = (
        Scorecard.objects.filter(territory=region)
        .filter(Q(title_es=TITLE_ES) | Q(result=RESULT))
        .order_by("pk")
        .first()
    )
    if scorecard is None:
        scorecard = scorecard_create(
            title_es=TITLE_ES,
            title_en=TITLE_EN,
            population=POPULATION,
            result=RESULT,
            territory=region,
            period_type="Yearly",
            public=True,
            user=author,
            indicators=[sheets[code] for code in POPULATION_INDICATORS if code in sheets],
        )
        counts.scorecards += 1
    _texts_ensure(
        scorecard=scorecard, programme=None, texts=SCORECARD_TEXTS, user=author, counts=counts
    )
    lead = institution_list(territory=region, kind=Institution.Kind.REGIONAL_GOVERNMENT).first()
    for spec in PROGRAMMES:
        programme = scorecard.programmes.filter(name_es=spec.name_es).first()
        if programme is None:
            programme = programme_create(
                scorecard=scorecard,
                name_es=spec.name_es,
                name_en=spec.name_en,
                description=spec.description,
                lead_institution=lead,
                user=author,
            )
            counts.programmes += 1
        for code, question in spec.measures:
            if code in sheets and not programme.measures.filter(indicator=sheets[code]).exists():
                performance_measure_add(
                    programme=programme, indicator=sheets[code], question=question, user=author
                )
                counts.measures += 1
        _texts_ensure(
            scorecard=scorecard, programme=programme, texts=spec.texts, user=author, counts=counts
        )
    line = _(
        "Scorecards, created now: %(scorecards)s scorecard(s), %(programmes)s programme(s), "
        "%(measures)s performance measure(s), %(texts)s text version(s) (existing ones are "
        "left as they are)."
    ) % {
        "scorecards": counts.scorecards,
        "programmes": counts.programmes,
        "measures": counts.measures,
        "texts": counts.texts,
    }
    if counts.missing:
        line += " " + _("Indicators not found, left out: %(codes)s.") % {
            "codes": ", ".join(sorted(counts.missing))
        }
    return line
