"""The demo's scorecard: seeded with the rest of the demo, public, complete, and a second
seed changes nothing.

The demo is seeded with a small hand-made indicator file (the whole catalogue is created
whatever the file holds, so every indicator code the scorecard uses exists) and without
analytics: this tests what the seed writes, not the figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minka.demo.scorecards import RESULT, demo_scorecards_seed
from minka.demo.services import demo_seed
from minka.scorecards.models import (
    PerformanceMeasure,
    Programme,
    Scorecard,
    ScorecardIndicator,
    ScorecardText,
)
from minka.scorecards.services import scorecard_text_add

pytestmark = pytest.mark.django_db


def _small_file(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "format": "minka.demo.indicators/1",
                "country": "PE",
                "figures": [
                    {
                        "element": "POBREZA_EXTREMA_PCT",
                        "period": "2018",
                        "source": "INEI 2018",
                        "values": {"080101": "1.5"},
                    }
                ],
                "synthetic": {
                    "source": "Datos sintéticos de demostración",
                    "seed": 1,
                    "periods": ["201901", "202001"],
                    "series": [
                        {
                            "element": "NINOS_6_35_TAMIZADOS",
                            "combination": "FEMALE|URBAN",
                            "values": {"080101": [10, 20]},
                        },
                        {
                            "element": "NINOS_6_35_ANEMIA",
                            "combination": "FEMALE|URBAN",
                            "values": {"080101": [5, 8]},
                        },
                    ],
                },
            }
        ),
        encoding="utf-8",
    )
    return path


def _counts() -> tuple[int, ...]:
    return (
        Scorecard.objects.count(),
        ScorecardIndicator.objects.count(),
        Programme.objects.count(),
        PerformanceMeasure.objects.count(),
        ScorecardText.objects.count(),
    )


@pytest.fixture
def seeded(tmp_path):
    small = _small_file(tmp_path / "small.json")
    first = demo_seed(shared_data=tmp_path / "absent", indicators=small, analytics=False)
    return small, first


def test_the_demo_seeds_a_public_scorecard_for_the_cusco_region(seeded):
    _small, result = seeded

    scorecard = Scorecard.objects.get()
    assert (scorecard.territory.country, scorecard.territory.code) == ("PE", "08")
    assert scorecard.public
    assert scorecard.result == RESULT == "Las niñas y los niños de Cusco crecen sanos y sin anemia"
    assert [link.indicator.code for link in scorecard.indicators.all()] == [
        "ANEMIA_6_35",
        "DCI_MENORES_5",
    ]
    measures = {
        programme.name_es: [(m.indicator.code, m.question) for m in programme.measures.all()]
        for programme in scorecard.programmes.all()
    }
    assert measures == {
        "Suplementación con hierro y consejería": [
            ("CRED_COBERTURA", "how_well"),
            ("ANEMIA_6_35", "better_off"),
        ],
        "Agua segura y saneamiento": [("POBREZA_EXTREMA", "better_off")],
    }
    for programme in [None, *scorecard.programmes.all()]:
        kinds = set(
            ScorecardText.objects.filter(scorecard=scorecard, programme=programme).values_list(
                "kind", flat=True
            )
        )
        assert kinds == {"story", "partners", "what_works", "action_plan"}
    stories = ScorecardText.objects.filter(scorecard=scorecard, programme=None, kind="story")
    assert stories.count() == 2  # two versions: the history has something to show
    assert {t.author.username for t in ScorecardText.objects.all()} == {"coordinadora.cusco"}
    assert any(line.startswith(("Scorecards", "Cuadros")) for line in result.report)


def test_seeding_twice_changes_nothing(seeded, tmp_path):
    small, _first = seeded
    before = _counts()
    assert before == (1, 2, 2, 3, 4 + 1 + 4 + 1 + 4 + 1)  # 4 kinds + a second story, ×3

    demo_seed(shared_data=tmp_path / "absent", indicators=small, analytics=False)
    demo_scorecards_seed()

    assert _counts() == before


def test_a_re_seed_keeps_what_people_wrote(seeded, demo_coordinator):
    scorecard = Scorecard.objects.get()
    scorecard.title_es = "Título cambiado por la coordinadora"
    scorecard.save()
    scorecard_text_add(
        scorecard=scorecard, kind="story", body="Tercera versión", user=demo_coordinator
    )
    before = _counts()

    demo_scorecards_seed()

    scorecard.refresh_from_db()
    assert scorecard.title_es == "Título cambiado por la coordinadora"
    assert _counts() == before  # found by its result: no second demo scorecard
    latest = ScorecardText.objects.filter(scorecard=scorecard, programme=None, kind="story")
    assert latest.order_by("-pk").first().body == "Tercera versión"


@pytest.fixture
def demo_coordinator():
    from minka.accounts.models import User

    return User.objects.get(username="coordinadora.cusco")
