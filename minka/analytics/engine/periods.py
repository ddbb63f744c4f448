"""Reporting periods in DHIS2's ISO-like identifiers.

Why these forms: data values travel to and from DHIS2 (`dataValueSets`) and the health and
social information systems Minka reads from, and they all name periods the way DHIS2 does:
`2023` (yearly), `2023S1` (six-monthly, January-June), `2023Q3` (quarterly), `202307`
(monthly), `2023W5` (ISO 8601 week). Keeping the same identifiers end to end means an import
never has to guess what a period means, and a figure can be traced back to the period its
source used.

Invariants:
- a `Period` is built only by this module's functions, so its `id`, `type`, `start` and
  `end` always agree; `end` is inclusive;
- `id` is canonical, so two periods are equal exactly when their ids are equal. Weeks are
  written without zero padding (`2023W5`), as DHIS2 writes them; `2023W05` is accepted;
- periods roll up month > quarter > semester > year, each calendar period nesting exactly
  in the coarser ones. An ISO week belongs to the month, quarter, semester and year that
  contain its Thursday (the ISO 8601 rule that also decides a week's year), so every week
  rolls up to exactly one period of each coarser type and nothing is counted twice.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "ACCEPTED_FORMS",
    "Period",
    "PeriodError",
    "PeriodType",
    "period_children",
    "period_contains",
    "period_offset",
    "period_parent",
    "period_parse",
    "period_range",
]


class PeriodType(StrEnum):
    """Period types, valued with DHIS2's `periodType` names so they can be exchanged as is."""

    YEARLY = "Yearly"
    SIXMONTHLY = "SixMonthly"
    QUARTERLY = "Quarterly"
    MONTHLY = "Monthly"
    WEEKLY = "Weekly"


# Coarse to fine. Ranks order periods that start on the same day (2023 < 2023S1 < 2023Q1 <
# 202301) and tell which type is coarser.
_RANK: dict[PeriodType, int] = {
    PeriodType.YEARLY: 0,
    PeriodType.SIXMONTHLY: 1,
    PeriodType.QUARTERLY: 2,
    PeriodType.MONTHLY: 3,
    PeriodType.WEEKLY: 4,
}

# Calendar periods: how many fit in a year, and how many months each spans.
_PER_YEAR: dict[PeriodType, int] = {
    PeriodType.YEARLY: 1,
    PeriodType.SIXMONTHLY: 2,
    PeriodType.QUARTERLY: 4,
    PeriodType.MONTHLY: 12,
}

ACCEPTED_FORMS = (
    "YYYY (2023), YYYYSn with n 1-2 (2023S1), YYYYQn with n 1-4 (2023Q3), "
    "YYYYMM with MM 01-12 (202307), YYYYWn with an ISO week 1-53 (2023W5 or 2023W05)"
)

_FORMS = re.compile(
    r"(?P<year>[0-9]{4})"
    r"(?:S(?P<semester>[0-9])|Q(?P<quarter>[0-9])|(?P<month>[0-9]{2})|W(?P<week>[0-9]{1,2}))?"
)


class PeriodError(ValueError):
    """A text that is not a period, or an operation periods do not allow.

    The message is English and says what is wrong; callers translate it for users. `text` is
    the offending input (for operations on periods, the ids involved).
    """

    def __init__(self, message: str, *, text: str) -> None:
        super().__init__(message)
        self.text = text


@functools.total_ordering
@dataclass(frozen=True)
class Period:
    """One reporting period; `start` and `end` are both inclusive.

    Ordered by (start, type rank): chronological, and a coarser period before the finer ones
    that start with it. Build periods with `period_parse` and the other functions here.
    """

    type: PeriodType
    start: date
    end: date
    id: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"period {self.id} ends before it starts", text=self.id)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, _RANK[self.type]) < (other.start, _RANK[other.type])

    def __str__(self) -> str:
        return self.id


def _parse_error(text: str, reason: str) -> PeriodError:
    return PeriodError(
        f"{text!r} is not a period identifier: {reason}. Accepted forms: {ACCEPTED_FORMS}.",
        text=text,
    )


def period_parse(text: str) -> Period:
    """Parse a DHIS2 period identifier exactly; no trimming, no other spellings.

    Strictness is deliberate: an import must refuse `23Q1` or ` 2023` with a reason rather
    than guess, and ISO weeks are checked against the calendar (2020 has a week 53, 2021 does
    not).
    """
    if not text:
        raise _parse_error(text, "it is empty")
    match = _FORMS.fullmatch(text)
    if match is None:
        raise _parse_error(text, "it does not have any of the accepted forms")
    year = int(match["year"])
    if year < 1:
        raise _parse_error(text, "the year must be between 0001 and 9999")
    if match["semester"] is not None:
        semester = int(match["semester"])
        if not 1 <= semester <= 2:
            raise _parse_error(text, f"semester {semester} does not exist, it must be 1 or 2")
        return _from_ordinal(PeriodType.SIXMONTHLY, year * 2 + semester - 1)
    if match["quarter"] is not None:
        quarter = int(match["quarter"])
        if not 1 <= quarter <= 4:
            raise _parse_error(text, f"quarter {quarter} does not exist, it must be 1 to 4")
        return _from_ordinal(PeriodType.QUARTERLY, year * 4 + quarter - 1)
    if match["month"] is not None:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise _parse_error(text, f"month {month:02d} does not exist, it must be 01 to 12")
        return _from_ordinal(PeriodType.MONTHLY, year * 12 + month - 1)
    if match["week"] is not None:
        return _week_parse(text, year, int(match["week"]))
    return _from_ordinal(PeriodType.YEARLY, year)


def _week_parse(text: str, year: int, week: int) -> Period:
    weeks_in_year = _iso_weeks_in_year(year)
    if not 1 <= week <= weeks_in_year:
        raise _parse_error(
            text, f"ISO week {week} does not exist in {year}, which has weeks 1 to {weeks_in_year}"
        )
    try:
        return _week_starting(date.fromisocalendar(year, week, 1))
    except (ValueError, OverflowError) as error:  # the last week of 9999 ends in 10000
        raise _parse_error(text, "it ends after 9999-12-31, the end of the calendar") from error


def _iso_weeks_in_year(year: int) -> int:
    # December 28 is always in the last ISO week of its year.
    return date(year, 12, 28).isocalendar().week


# Ordinals: consecutive integers per type, so offsets and ranges are integer arithmetic.
# Calendar types count periods since year 0; weeks count Mondays since 0001-01-01 (a Monday).


def _ordinal(period: Period) -> int:
    if period.type is PeriodType.WEEKLY:
        return (period.start.toordinal() - 1) // 7
    per_year = _PER_YEAR[period.type]
    return period.start.year * per_year + (period.start.month - 1) * per_year // 12


def _from_ordinal(period_type: PeriodType, ordinal: int) -> Period:
    """The period numbered `ordinal`; ValueError or OverflowError outside years 1 to 9999."""
    if period_type == PeriodType.WEEKLY:
        return _week_starting(date.fromordinal(ordinal * 7 + 1))
    per_year = _PER_YEAR[period_type]
    year, index = divmod(ordinal, per_year)
    months = 12 // per_year
    start = date(year, index * months + 1, 1)
    if index == per_year - 1:
        end = date(year, 12, 31)
    else:
        end = date(year, (index + 1) * months + 1, 1) - timedelta(days=1)
    label = {
        PeriodType.YEARLY: f"{year:04d}",
        PeriodType.SIXMONTHLY: f"{year:04d}S{index + 1}",
        PeriodType.QUARTERLY: f"{year:04d}Q{index + 1}",
        PeriodType.MONTHLY: f"{year:04d}{index + 1:02d}",
    }[period_type]
    return Period(type=period_type, start=start, end=end, id=label)


def _week_starting(monday: date) -> Period:
    iso = monday.isocalendar()
    end = monday + timedelta(days=6)  # OverflowError past 9999-12-31
    return Period(type=PeriodType.WEEKLY, start=monday, end=end, id=f"{iso.year:04d}W{iso.week}")


def _thursday(week: Period) -> date:
    return week.start + timedelta(days=3)


def _containing(day: date, period_type: PeriodType) -> Period:
    """The period of `period_type` that contains `day` (for weeks, the ISO week)."""
    if period_type == PeriodType.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        try:
            return _week_starting(monday)
        except OverflowError as error:
            raise PeriodError(
                f"the week of {day.isoformat()} is outside the supported calendar",
                text=day.isoformat(),
            ) from error
    per_year = _PER_YEAR[period_type]
    return _from_ordinal(period_type, day.year * per_year + (day.month - 1) * per_year // 12)


def _anchor(period: Period) -> date:
    """The day that decides where a period rolls up: a week's Thursday, else its start."""
    return _thursday(period) if period.type is PeriodType.WEEKLY else period.start


def period_parent(period: Period, target: PeriodType) -> Period | None:
    """The period of the coarser type `target` that contains `period`.

    Month > quarter > semester > year nest exactly. A week rolls up to the month, quarter,
    semester and year that contain its Thursday (ISO 8601: a week belongs to the year holding
    most of its days, which is the year of its Thursday); so 2020W53, which ends on
    2021-01-03, belongs to 2020 and to 202012, and each week is counted in exactly one
    parent. Asking for the period's own type returns the period itself; a finer `target` has
    no containing period and returns None.
    """
    if target == period.type:
        return period
    if _RANK[target] > _RANK[period.type]:
        return None
    return _containing(_anchor(period), target)


def period_children(period: Period, target: PeriodType) -> list[Period]:
    """The periods of the finer type `target` that roll up into `period`, in order.

    2023Q3 gives 202307, 202308, 202309; 2023 gives 4 quarters, 2 semesters or 12 months.
    Weeks are the ones whose Thursday falls in `period` (the rule `period_parent` uses), so
    children and parent always agree. The period's own type gives `[period]`; a coarser
    `target` raises PeriodError.
    """
    if target == period.type:
        return [period]
    if _RANK[target] < _RANK[period.type]:
        raise PeriodError(
            f"a {target} period cannot be a child of the {period.type} period {period.id}",
            text=period.id,
        )
    if target == PeriodType.WEEKLY:
        first = _containing(period.start, target)
        if _thursday(first) < period.start:
            first = period_offset(first, 1)
        last = _containing(period.end, target)
        if _thursday(last) > period.end:
            last = period_offset(last, -1)
        return period_range(first, last)
    return period_range(_containing(period.start, target), _containing(period.end, target))


def period_offset(period: Period, n: int) -> Period:
    """The period of the same type `n` steps later (earlier if `n` is negative).

    Formulas such as "rate of change against the base year" compare a period with the one a
    fixed number of steps before it: 2023Q1 - 1 is 2022Q4, 202301 - 1 is 202212, 2023 - 3 is
    2020, and weeks step over year ends (2021W1 - 1 is 2020W53).
    """
    try:
        return _from_ordinal(period.type, _ordinal(period) + n)
    except (ValueError, OverflowError) as error:
        raise PeriodError(
            f"{period.id} moved by {n} periods falls outside years 0001 to 9999", text=period.id
        ) from error


def period_range(start: Period, end: Period) -> list[Period]:
    """All periods from `start` to `end`, both included, of their common type.

    Raises PeriodError when the types differ (a range of mixed types would double count) or
    when `start` comes after `end`.
    """
    text = f"{start.id}..{end.id}"
    if start.type != end.type:
        raise PeriodError(
            f"a period range needs one type, but {start.id} is {start.type} "
            f"and {end.id} is {end.type}",
            text=text,
        )
    first, last = _ordinal(start), _ordinal(end)
    if first > last:
        raise PeriodError(f"the period range starts at {start.id}, after {end.id}", text=text)
    return [_from_ordinal(start.type, ordinal) for ordinal in range(first, last + 1)]


def period_contains(outer: Period, inner: Period) -> bool:
    """Whether `inner` rolls up into `outer` (a period contains itself).

    Calendar periods compare by dates. A week inside a coarser period is judged by its
    Thursday, as in `period_parent`, so `period_contains(period_parent(w, t), w)` always
    holds even for weeks that straddle a month or year end.
    """
    if inner.type is PeriodType.WEEKLY and outer.type is not PeriodType.WEEKLY:
        return outer.start <= _thursday(inner) <= outer.end
    return outer.start <= inner.start and inner.end <= outer.end
