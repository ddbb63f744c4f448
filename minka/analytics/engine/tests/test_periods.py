"""DHIS2 periods: every expected date below was worked out by hand from a calendar.

No database and no Django: the engine is pure (DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    PeriodType,
    period_children,
    period_contains,
    period_offset,
    period_parent,
    period_parse,
    period_range,
)

Y, S, Q, M, W = (
    PeriodType.YEARLY,
    PeriodType.SIXMONTHLY,
    PeriodType.QUARTERLY,
    PeriodType.MONTHLY,
    PeriodType.WEEKLY,
)


def p(text: str) -> Period:
    return period_parse(text)


def ids(periods: list[Period]) -> list[str]:
    return [period.id for period in periods]


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "type_", "start", "end"),
    [
        ("2023", Y, date(2023, 1, 1), date(2023, 12, 31)),
        ("2023S1", S, date(2023, 1, 1), date(2023, 6, 30)),
        ("2023S2", S, date(2023, 7, 1), date(2023, 12, 31)),
        ("2023Q1", Q, date(2023, 1, 1), date(2023, 3, 31)),
        ("2023Q2", Q, date(2023, 4, 1), date(2023, 6, 30)),
        ("2023Q3", Q, date(2023, 7, 1), date(2023, 9, 30)),
        ("2023Q4", Q, date(2023, 10, 1), date(2023, 12, 31)),
        ("202301", M, date(2023, 1, 1), date(2023, 1, 31)),
        ("202302", M, date(2023, 2, 1), date(2023, 2, 28)),
        ("202402", M, date(2024, 2, 1), date(2024, 2, 29)),  # 2024 is a leap year
        ("202307", M, date(2023, 7, 1), date(2023, 7, 31)),
        ("202312", M, date(2023, 12, 1), date(2023, 12, 31)),
        # 2023-01-01 is a Sunday, so ISO week 1 starts on Monday 2023-01-02.
        ("2023W01", W, date(2023, 1, 2), date(2023, 1, 8)),
        ("2023W05", W, date(2023, 1, 30), date(2023, 2, 5)),
        ("2023W52", W, date(2023, 12, 25), date(2023, 12, 31)),
        # 2020 starts on a Wednesday: it has a week 53, ending in 2021.
        ("2020W53", W, date(2020, 12, 28), date(2021, 1, 3)),
        # 2019-01-01 is a Tuesday: week 1 of 2019 starts in 2018.
        ("2019W1", W, date(2018, 12, 31), date(2019, 1, 6)),
    ],
)
def test_parse_gives_type_and_inclusive_dates(text, type_, start, end):
    period = period_parse(text)

    assert (period.type, period.start, period.end) == (type_, start, end)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2023", "2023"),
        ("2023S2", "2023S2"),
        ("2023Q3", "2023Q3"),
        ("202307", "202307"),
        ("2023W5", "2023W5"),
        ("2023W05", "2023W5"),  # DHIS2 accepts the padded week and writes it unpadded
        ("2020W53", "2020W53"),
    ],
)
def test_parse_gives_the_canonical_dhis2_id(text, canonical):
    assert period_parse(text).id == canonical
    assert str(period_parse(text)) == canonical


def test_padded_and_unpadded_weeks_are_the_same_period():
    assert p("2023W05") == p("2023W5")
    assert hash(p("2023W05")) == hash(p("2023W5"))


def test_week_53_exists_only_in_long_iso_years():
    assert p("2015W53").start == date(2015, 12, 28)
    assert p("2026W53").end == date(2027, 1, 3)
    for text in ("2021W53", "2022W53", "2024W53"):
        with pytest.raises(PeriodError):
            period_parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "2023M1",
        "202313",
        "202300",
        "2021W53",
        "2023W0",
        "2023W54",
        "2023W005",
        "2023w05",
        "23Q1",
        "2023Q5",
        "2023Q0",
        "2023S3",
        "2023S0",
        " 2023",
        "2023 ",
        "2023\n",
        "",
        "0000",
        "2023-07",
        "2023-Q1",
        "20230701",
        "２０２３",  # full-width digits are not DHIS2 digits
    ],
)
def test_parse_rejects_anything_else_with_the_text_and_accepted_forms(text):
    with pytest.raises(PeriodError) as caught:
        period_parse(text)

    assert isinstance(caught.value, ValueError)
    assert caught.value.text == text
    message = str(caught.value)
    assert repr(text) in message
    assert "Accepted forms" in message
    assert "2023Q3" in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("202313", "month 13 does not exist"),
        ("2021W53", "ISO week 53 does not exist in 2021, which has weeks 1 to 52"),
        ("2023Q5", "quarter 5 does not exist"),
        ("2023S3", "semester 3 does not exist"),
        ("", "it is empty"),
        ("23Q1", "does not have any of the accepted forms"),
    ],
)
def test_parse_error_says_what_is_wrong(text, says):
    with pytest.raises(PeriodError, match=says):
        period_parse(text)


def test_last_week_of_9999_is_refused_as_outside_the_calendar():
    # 9999-12-31 is a Friday: week 52 of 9999 would end in the year 10000.
    with pytest.raises(PeriodError, match="9999-12-31"):
        period_parse("9999W52")


def test_periods_are_frozen():
    with pytest.raises(AttributeError):
        p("2023").id = "2024"  # type: ignore[misc]


def test_order_is_chronological_then_coarse_before_fine():
    shuffled = [p("202307"), p("2023W27"), p("2023Q3"), p("2022"), p("2023"), p("2023S1")]

    assert ids(sorted(shuffled)) == ["2022", "2023", "2023S1", "2023Q3", "202307", "2023W27"]
    assert p("2023") < p("2023S1") < p("2023Q1") < p("202301")
    assert p("202312") > p("2023Q4")


# --- parents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "target", "parent"),
    [
        ("202307", Q, "2023Q3"),
        ("202307", S, "2023S2"),
        ("202307", Y, "2023"),
        ("202306", Q, "2023Q2"),
        ("202306", S, "2023S1"),
        ("2023Q2", S, "2023S1"),
        ("2023Q3", S, "2023S2"),
        ("2023Q4", Y, "2023"),
        ("2023S2", Y, "2023"),
        # Weeks go where their Thursday is.
        ("2023W5", M, "202302"),  # Monday 30 January, Thursday 2 February
        ("2023W5", Q, "2023Q1"),
        ("2020W53", M, "202012"),  # ends 2021-01-03, Thursday 2020-12-31
        ("2020W53", Y, "2020"),
        ("2020W53", S, "2020S2"),
        ("2019W1", M, "201901"),  # starts 2018-12-31, Thursday 2019-01-03
        ("2019W1", Y, "2019"),
        ("2023W26", Q, "2023Q2"),  # 26 June to 2 July, Thursday 29 June
        ("2023W26", S, "2023S1"),
    ],
)
def test_parent(text, target, parent):
    result = period_parent(p(text), target)

    assert result is not None
    assert result.id == parent


def test_parent_of_own_type_is_the_period_and_of_a_finer_type_is_none():
    assert period_parent(p("2023Q3"), Q) == p("2023Q3")
    assert period_parent(p("2023Q3"), M) is None
    assert period_parent(p("2023"), W) is None
    assert period_parent(p("202307"), W) is None


# --- children ----------------------------------------------------------------------------


def test_children_of_a_quarter_are_its_three_months():
    assert ids(period_children(p("2023Q3"), M)) == ["202307", "202308", "202309"]


def test_children_of_a_year():
    assert ids(period_children(p("2023"), Q)) == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    assert ids(period_children(p("2023"), S)) == ["2023S1", "2023S2"]
    assert ids(period_children(p("2023"), M)) == [f"2023{month:02d}" for month in range(1, 13)]


def test_children_of_a_semester():
    assert ids(period_children(p("2023S2"), Q)) == ["2023Q3", "2023Q4"]
    assert ids(period_children(p("2023S1"), M)) == [f"2023{m:02d}" for m in range(1, 7)]


def test_weekly_children_are_the_weeks_whose_thursday_is_inside():
    # Thursdays of February 2023: 2, 9, 16, 23.
    assert ids(period_children(p("202302"), W)) == ["2023W5", "2023W6", "2023W7", "2023W8"]
    # Thursdays of December 2020: 3, 10, 17, 24, 31 (week 53 ends in 2021 but belongs here).
    assert ids(period_children(p("202012"), W)) == [f"2020W{w}" for w in range(49, 54)]
    # January 2021 starts on a Friday: its first week is week 1, Monday 4 January.
    assert period_children(p("202101"), W)[0] == p("2021W1")
    assert len(period_children(p("2023"), W)) == 52
    assert len(period_children(p("2020"), W)) == 53
    assert period_children(p("2019"), W)[0].start == date(2018, 12, 31)


def test_children_of_own_type_is_the_period_and_of_a_coarser_type_an_error():
    assert period_children(p("202307"), M) == [p("202307")]
    with pytest.raises(PeriodError, match="cannot be a child"):
        period_children(p("202307"), Q)


# --- offsets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("2023Q1", -1, "2022Q4"),
        ("2023Q4", 1, "2024Q1"),
        ("2023Q2", -9, "2021Q1"),
        ("202301", -1, "202212"),
        ("202312", 1, "202401"),
        ("202311", 3, "202402"),
        ("202301", -25, "202012"),
        ("2023", -3, "2020"),
        ("2023", 0, "2023"),
        ("2023S1", -1, "2022S2"),
        ("2023S2", 1, "2024S1"),
        ("2021W1", -1, "2020W53"),
        ("2020W53", 1, "2021W1"),
        ("2023W52", 1, "2024W1"),  # Monday 2024-01-01
        ("2023W1", 52, "2024W1"),
        ("2022W1", -1, "2021W52"),
        ("2021W1", -53, "2020W1"),
    ],
)
def test_offset(text, n, expected):
    assert period_offset(p(text), n).id == expected


def test_offset_outside_the_calendar_is_a_period_error():
    with pytest.raises(PeriodError, match="outside"):
        period_offset(p("0001"), -1)
    with pytest.raises(PeriodError, match="outside"):
        period_offset(p("999912"), 1)
    with pytest.raises(PeriodError, match="outside"):
        period_offset(p("0001W1"), -1)


# --- ranges ------------------------------------------------------------------------------


def test_range_of_months_across_a_year_end():
    months = period_range(p("202211"), p("202302"))

    assert ids(months) == ["202211", "202212", "202301", "202302"]


def test_range_of_quarters_and_years():
    assert ids(period_range(p("2022Q3"), p("2023Q2"))) == ["2022Q3", "2022Q4", "2023Q1", "2023Q2"]
    assert ids(period_range(p("2019"), p("2021"))) == ["2019", "2020", "2021"]
    assert ids(period_range(p("2023S1"), p("2023S1"))) == ["2023S1"]


def test_range_of_weeks_passes_week_53():
    weeks = period_range(p("2020W52"), p("2021W02"))

    assert ids(weeks) == ["2020W52", "2020W53", "2021W1", "2021W2"]


def test_range_refuses_mixed_types_and_reversed_bounds():
    with pytest.raises(PeriodError, match="one type"):
        period_range(p("2023Q1"), p("202306"))
    with pytest.raises(PeriodError, match="after"):
        period_range(p("202306"), p("202301"))


# --- containment -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("2023", "202307", True),
        ("2023Q3", "202309", True),
        ("2023Q3", "202310", False),
        ("2023S1", "2023Q2", True),
        ("2023S1", "2023Q3", False),
        ("202307", "2023", False),
        ("2023Q3", "2023Q3", True),
        ("2020", "2020W53", True),
        ("2021", "2020W53", False),  # its last three days are in 2021, its Thursday is not
        ("202012", "2020W53", True),
        ("202101", "2020W53", False),
        ("2019", "2019W1", True),
        ("2018", "2019W1", False),
        ("2023W5", "2023W5", True),
        ("2023W5", "2023W6", False),
        ("2023W5", "202302", False),
    ],
)
def test_contains(outer, inner, expected):
    assert period_contains(p(outer), p(inner)) is expected


# --- properties --------------------------------------------------------------------------

years = st.integers(min_value=1900, max_value=2100)
months = st.builds(lambda y, m: p(f"{y}{m:02d}"), years, st.integers(1, 12))
weeks = st.builds(
    lambda y, w: p(f"{y}W{w}"),
    years,
    st.integers(1, 52),  # every ISO year has weeks 1 to 52
)
any_periods = st.one_of(
    st.builds(lambda y: p(str(y)), years),
    st.builds(lambda y, s: p(f"{y}S{s}"), years, st.integers(1, 2)),
    st.builds(lambda y, q: p(f"{y}Q{q}"), years, st.integers(1, 4)),
    months,
    weeks,
)


@given(months)
def test_a_month_is_in_its_quarter_and_among_its_children(month):
    quarter = period_parent(month, Q)

    assert quarter is not None
    assert period_contains(quarter, month)
    assert month in period_children(quarter, M)


@given(weeks, st.sampled_from([Y, S, Q, M]))
def test_a_week_is_in_its_parent_and_among_its_children(week, target):
    parent = period_parent(week, target)

    assert parent is not None
    assert period_contains(parent, week)
    assert week in period_children(parent, W)


@given(any_periods, st.integers(min_value=-1000, max_value=1000))
def test_offset_there_and_back_is_identity(period, n):
    assert period_offset(period_offset(period, n), -n) == period


@given(any_periods, st.integers(min_value=0, max_value=60))
def test_range_has_consecutive_periods(period, n):
    later = period_offset(period, n)
    periods = period_range(period, later)

    assert len(periods) == n + 1
    assert periods == sorted(periods)
    for before, after in pairwise(periods):
        assert period_offset(before, 1) == after
        assert before.end + timedelta(days=1) == after.start  # no gap, no overlap


@given(any_periods)
def test_id_parses_back_to_the_same_period(period):
    assert period_parse(period.id) == period
