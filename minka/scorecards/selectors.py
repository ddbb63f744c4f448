"""Every read of scorecards goes through here, above all `scorecard_page`: what the scorecard
page shows.

Visibility (DESIGN.md, "the public only what is published"):
- the public sees public scorecards only; a scorecard that is not public is answered
  exactly like one that does not exist (404), so its existence never leaks;
- any signed-in role that reads internal material (`Action.VIEW_INTERNAL`) sees every
  scorecard and every indicator on it;
- on a public scorecard the public never sees an indicator that is not published
  (`IndicatorSheet.published`): its row is left out, as if it were not there.

Figures come only from the analytics results (`minka.analytics.selectors.indicator_series`)
and the recorded baselines (`Target` of kind baseline), never from the data values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from minka.accounts.permissions import Action, has_permission
from minka.analytics.engine.model import Polarity
from minka.analytics.engine.periods import PeriodType
from minka.analytics.engine.store import StoreBusy
from minka.analytics.models import AnalyticsRefresh
from minka.analytics.selectors import ResultRow, analytics_last_refresh, indicator_series
from minka.indicators.models import IndicatorSheet, Target
from minka.indicators.selectors import public_until, sees_internal
from minka.scorecards.figures import MeasureFigures, Trend, measure_figures
from minka.scorecards.models import (
    PerformanceMeasure,
    Programme,
    Question,
    Scorecard,
    ScorecardText,
    TextKind,
)
from minka.territories.models import Territory

# Coarse to fine: a series is read at the scorecard's period type unless the indicator is
# measured less often (a yearly poverty estimate on a monthly scorecard stays yearly).
_COARSE_TO_FINE = [
    PeriodType.YEARLY,
    PeriodType.SIXMONTHLY,
    PeriodType.QUARTERLY,
    PeriodType.MONTHLY,
    PeriodType.WEEKLY,
]


_TREND_ARROWS = {Trend.UP: "↑", Trend.DOWN: "↓", Trend.FLAT: "→"}


# --- lists and single objects ------------------------------------------------------------


def scorecard_list(*, user: Any) -> QuerySet[Scorecard]:
    """Scorecards the user may read: public ones for the public, all for internal readers;
    in tree order, then by title."""
    qs = Scorecard.objects.select_related("territory").order_by("territory__path", "title_es", "pk")
    if not sees_internal(user):
        qs = qs.filter(public=True)
    return qs


def scorecard_get(*, pk: int, user: Any) -> Scorecard | None:
    """The scorecard, or None when it does not exist *or* the user may not read it."""
    return scorecard_list(user=user).filter(pk=pk).first()


def scorecard_or_404(*, pk: int, user: Any) -> Scorecard:
    scorecard = scorecard_get(pk=pk, user=user)
    if scorecard is None:
        raise Http404(_("There is no scorecard %(pk)s.") % {"pk": pk})
    return scorecard


def programme_or_404(*, scorecard: Scorecard, pk: int) -> Programme:
    programme = scorecard.programmes.select_related("lead_institution").filter(pk=pk).first()
    if programme is None:
        raise Http404(_("This scorecard has no programme %(pk)s.") % {"pk": pk})
    return programme


def may_change_scorecard(*, user: Any, scorecard: Scorecard) -> bool:
    """Who may change a scorecard, its programmes, measures and texts: whoever may change
    its territory."""
    return has_permission(user, Action.CHANGE, scorecard.territory)


def scorecard_indicator_list(*, scorecard: Scorecard) -> list[IndicatorSheet]:
    """The scorecard's population indicators in their order (whatever their publication:
    this is what the edit form starts from)."""
    return [
        link.indicator
        for link in scorecard.indicators.select_related("indicator").order_by("order", "pk")
    ]


def scorecard_text_history(
    *, scorecard: Scorecard, kind: str, programme: Programme | None = None
) -> list[ScorecardText]:
    """Every version of one kind of text of the scorecard (or of one of its programmes),
    newest first. The order is the order of writing (ids only grow), so two versions saved
    within the same clock tick still come out right."""
    return list(
        ScorecardText.objects.filter(scorecard=scorecard, programme=programme, kind=kind)
        .select_related("author")
        .order_by("-pk")
    )


def scorecard_text_latest(
    *, scorecard: Scorecard, kind: str, programme: Programme | None = None
) -> ScorecardText | None:
    history = ScorecardText.objects.filter(
        scorecard=scorecard, programme=programme, kind=kind
    ).order_by("-pk")
    return history.first()


# --- the page ----------------------------------------------------------------------------


class BaselineSource:
    """Where a row's baseline comes from (shown beside it, so it can be checked)."""

    RECORDED = "recorded"  # a baseline set for this territory at the indicator's base year
    BASE_YEAR = "base_year"  # the result of the indicator's base year
    FIRST = "first"  # the first value of the series


@dataclass
class FigureRow:
    """One line of the scorecard: a population indicator or a performance measure.

    `series` is the (period, value) pairs the figures were computed from, in time order;
    `sparkline` is markup for a small chart of it, rendered as is in the row's
    `<td class="spark">` ("" when there is none: this selector leaves it empty).
    """

    indicator: IndicatorSheet
    figures: MeasureFigures
    series: tuple[tuple[str, float | None], ...]
    period_type: str
    target_period: str | None = None
    baseline_period: str | None = None
    baseline_source: str | None = None
    question: str = ""
    sparkline: str = ""

    @property
    def trend_class(self) -> str:
        """The CSS class of the trend arrow: its colour says whether the move is good."""
        if self.figures.trend_better is True:
            return "trend-better"
        if self.figures.trend_better is False:
            return "trend-worse"
        return "trend-flat"

    @property
    def trend_arrow(self) -> str:
        trend = self.figures.trend
        return "" if trend is None else _TREND_ARROWS[trend]

    @property
    def trend_text(self) -> str:
        """What the arrow says, for those who do not see it or its colour."""
        trend, better = self.figures.trend, self.figures.trend_better
        if trend is None:
            return ""
        if trend is Trend.FLAT:
            return _("Unchanged")
        if trend is Trend.UP:
            return _("Going up, which is better") if better else _("Going up, which is worse")
        return _("Going down, which is better") if better else _("Going down, which is worse")


@dataclass
class QuestionGroup:
    question: str
    label: str
    rows: list[FigureRow]
    anchor: str  # the id of the group's heading, unique on the page


@dataclass
class TextBlock:
    """The latest version of one kind of text, and how many versions there are."""

    kind: str
    label: str
    latest: ScorecardText | None
    versions: int


@dataclass
class ProgrammeBlock:
    programme: Programme
    groups: list[QuestionGroup]
    texts: list[TextBlock]


@dataclass
class ScorecardPage:
    scorecard: Scorecard
    population: list[FigureRow]
    programmes: list[ProgrammeBlock]
    texts: list[TextBlock]
    figures_unavailable: bool = False  # the analytics store was busy: try again
    last_refresh: AnalyticsRefresh | None = None


def _series_period_type(scorecard_type: str, frequency: str) -> str:
    wanted, measured = PeriodType(scorecard_type), PeriodType(frequency)
    if _COARSE_TO_FINE.index(wanted) > _COARSE_TO_FINE.index(measured):
        return measured.value
    return wanted.value


def _recorded_baselines(
    *, indicators: Iterable[IndicatorSheet], territory: Territory
) -> dict[int, float]:
    """Baselines set for the territory at each indicator's base year, by indicator id."""
    with_year = {i.pk: str(i.base_year) for i in indicators if i.base_year}
    found: dict[int, float] = {}
    for target in Target.objects.filter(
        indicator_id__in=with_year, territory=territory, kind=Target.Kind.BASELINE
    ):
        if target.period == with_year[target.indicator_id]:
            found[target.indicator_id] = float(target.value)
    return found


def _baseline(
    indicator: IndicatorSheet,
    series: Sequence[tuple[str, float | None]],
    recorded: dict[int, float],
) -> tuple[float | None, str | None, str | None]:
    """(value, period, source) of the baseline: the one recorded for the base year, else
    the first result of the base year, else the first result of the series."""
    if indicator.base_year and indicator.pk in recorded:
        return recorded[indicator.pk], str(indicator.base_year), BaselineSource.RECORDED
    known = [(period, value) for period, value in series if value is not None]
    if indicator.base_year:
        year = str(indicator.base_year)
        for period, value in known:
            if period.startswith(year):  # every DHIS2 period id starts with its year
                return value, period, BaselineSource.BASE_YEAR
    if known:
        return known[0][1], known[0][0], BaselineSource.FIRST
    return None, None, None


def _row(
    *,
    indicator: IndicatorSheet,
    results: Sequence[ResultRow],
    period_type: str,
    recorded: dict[int, float],
    question: str = "",
) -> FigureRow:
    series = tuple((r.period, r.value) for r in results)
    baseline, baseline_period, baseline_source = _baseline(indicator, series, recorded)
    current = next((r for r in reversed(results) if r.value is not None), None)
    figures = measure_figures(
        series=series,
        target=current.target if current else None,
        baseline=baseline,
        higher_is_better=indicator.polarity == Polarity.HIGHER_IS_BETTER.value,
    )
    return FigureRow(
        indicator=indicator,
        figures=figures,
        series=series,
        period_type=period_type,
        target_period=current.target_period if current and current.target is not None else None,
        baseline_period=baseline_period,
        baseline_source=baseline_source,
        question=question,
    )


def _text_blocks(texts: Sequence[ScorecardText]) -> list[TextBlock]:
    """One block per kind, in the kinds' order; `texts` newest first."""
    blocks = []
    for kind, label in TextKind.choices:
        versions = [t for t in texts if t.kind == kind]
        blocks.append(
            TextBlock(
                kind=kind,
                label=str(label),
                latest=next(iter(versions), None),
                versions=len(versions),
            )
        )
    return blocks


def scorecard_page(*, scorecard: Scorecard, user: Any) -> ScorecardPage:
    """Everything the scorecard page shows, for this reader.

    Rows: the population indicators in their order; each programme's measures grouped by
    question (how much, how well, better off — groups without measures are left out) and
    in their order within a group. Each row's figures are computed by
    `minka.scorecards.figures.measure_figures` from the scorecard territory's series at the
    scorecard's period type (or the indicator's own frequency when it is coarser), the
    target the analytics attached to the current value, and the baseline of `_baseline`.

    One analytics query per indicator on the page. A store busy with a refresh gives rows
    without figures and `figures_unavailable`, never an error page.
    """
    internal = sees_internal(user)
    links = list(scorecard.indicators.select_related("indicator").order_by("order", "pk"))
    programmes = list(
        scorecard.programmes.select_related("lead_institution").order_by("order", "pk")
    )
    measures: list[PerformanceMeasure] = list(
        PerformanceMeasure.objects.filter(programme__scorecard=scorecard)
        .select_related("indicator")
        .order_by("order", "pk")
    )
    texts = list(
        ScorecardText.objects.filter(scorecard=scorecard).select_related("author").order_by("-pk")
    )
    every = [link.indicator for link in links] + [m.indicator for m in measures]
    visible = {i.pk: i for i in every if internal or i.published}

    results: dict[int, list[ResultRow]] = {pk: [] for pk in visible}
    unavailable = False
    for indicator in visible.values():
        try:
            results[indicator.pk] = indicator_series(
                indicator=indicator,
                territory=scorecard.territory,
                period_type=_series_period_type(scorecard.period_type, indicator.frequency),
                until=public_until(sheet=indicator, user=user),
            )
        except StoreBusy:
            unavailable = True
            break
    recorded = _recorded_baselines(indicators=visible.values(), territory=scorecard.territory)

    def row(indicator: IndicatorSheet, question: str = "") -> FigureRow:
        period_type = _series_period_type(scorecard.period_type, indicator.frequency)
        return _row(
            indicator=indicator,
            results=results[indicator.pk],
            period_type=period_type,
            recorded=recorded,
            question=question,
        )

    population = [row(link.indicator) for link in links if link.indicator_id in visible]
    blocks = []
    for programme in programmes:
        own = [m for m in measures if m.programme_id == programme.pk and m.indicator_id in visible]
        groups = []
        for question, label in Question.choices:
            rows = [row(m.indicator, m.question) for m in own if m.question == question]
            if rows:
                groups.append(
                    QuestionGroup(
                        question=question,
                        label=str(label),
                        rows=rows,
                        anchor=f"measures-{programme.pk}-{question}",
                    )
                )
        blocks.append(
            ProgrammeBlock(
                programme=programme,
                groups=groups,
                texts=_text_blocks([t for t in texts if t.programme_id == programme.pk]),
            )
        )
    return ScorecardPage(
        scorecard=scorecard,
        population=population,
        programmes=blocks,
        texts=_text_blocks([t for t in texts if t.programme_id is None]),
        figures_unavailable=unavailable,
        last_refresh=analytics_last_refresh(successful=True),
    )
