"""Scorecards for tests, written through the services like real ones."""

from __future__ import annotations

from collections.abc import Sequence

from minka.indicators.models import IndicatorSheet
from minka.scorecards.models import Scorecard
from minka.scorecards.services import scorecard_create
from minka.territories.models import Territory


def make_scorecard(
    *,
    territory: Territory,
    indicators: Sequence[IndicatorSheet] = (),
    public: bool = True,
    period_type: str = "Yearly",
    title_es: str = "Niñas y niños sin anemia",
    user=None,
) -> Scorecard:
    return scorecard_create(
        title_es=title_es,
        population="Niñas y niños de 6 a 35 meses",
        result="Las niñas y los niños crecen sanos y sin anemia",
        territory=territory,
        period_type=period_type,
        public=public,
        indicators=indicators,
        user=user,
    )
