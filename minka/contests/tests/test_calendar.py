"""Deadlines and windows at their edges, one second either side, in two time zones (no
database). The deadline of the examples: 30 June 2026, 23:59:59 in Lima (UTC−5), which is
1 July 2026, 04:59:59 UTC and 13:59:59 in Tokyo (UTC+9)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from minka.contests.calendar import (
    NaiveDatetime,
    PhaseDates,
    PhaseKind,
    deadline_passed,
    phase_problems,
    reply_deadline,
    time_left,
    window_open,
)

LIMA = ZoneInfo("America/Lima")
TOKYO = ZoneInfo("Asia/Tokyo")
SANTIAGO = ZoneInfo("America/Santiago")
DEADLINE = datetime(2026, 6, 30, 23, 59, 59, tzinfo=LIMA)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize("zone", [LIMA, TOKYO])
def test_one_second_before_the_deadline_is_on_time(zone):
    before = datetime(2026, 6, 30, 23, 59, 58, tzinfo=LIMA).astimezone(zone)
    assert deadline_passed(before, DEADLINE) is False
    assert time_left(before, DEADLINE) == SECOND


@pytest.mark.parametrize("zone", [LIMA, TOKYO])
def test_the_deadline_second_itself_is_on_time(zone):
    assert deadline_passed(DEADLINE.astimezone(zone), DEADLINE) is False


@pytest.mark.parametrize("zone", [LIMA, TOKYO])
def test_one_second_after_the_deadline_is_late(zone):
    after = datetime(2026, 7, 1, 0, 0, 0, tzinfo=LIMA).astimezone(zone)
    assert after.astimezone(TOKYO).hour == 14  # the same instant is 14:00 in Tokyo
    assert deadline_passed(after, DEADLINE) is True
    assert time_left(after, DEADLINE) == timedelta(0)


def test_the_same_deadline_written_in_tokyo_time_is_the_same_instant():
    in_tokyo = datetime(2026, 7, 1, 13, 59, 59, tzinfo=TOKYO)
    assert deadline_passed(in_tokyo, DEADLINE) is False
    assert deadline_passed(in_tokyo + SECOND, DEADLINE) is True


@pytest.mark.parametrize("zone", [LIMA, SANTIAGO])
def test_a_window_includes_both_edges_and_nothing_beyond(zone):
    starts = datetime(2026, 3, 1, 8, 0, 0, tzinfo=LIMA)
    ends = datetime(2026, 3, 31, 18, 0, 0, tzinfo=LIMA)

    assert window_open((starts - SECOND).astimezone(zone), starts, ends) is False
    assert window_open(starts.astimezone(zone), starts, ends) is True
    assert window_open(ends.astimezone(zone), starts, ends) is True
    assert window_open((ends + SECOND).astimezone(zone), starts, ends) is False


def test_a_date_without_a_time_zone_is_refused():
    with pytest.raises(NaiveDatetime):
        deadline_passed(datetime(2026, 6, 30, 12, 0), DEADLINE)


def test_an_observation_is_answered_within_its_reply_days():
    observed = datetime(2026, 7, 5, 10, 0, tzinfo=LIMA)
    assert reply_deadline(observed, 5) == datetime(2026, 7, 10, 10, 0, tzinfo=LIMA)


def test_a_calendar_out_of_order_is_reported_phase_by_phase():
    day = datetime(2026, 1, 1, tzinfo=LIMA)
    phases = [
        PhaseDates(PhaseKind.PREPARATION, day, day + timedelta(days=30)),
        PhaseDates(PhaseKind.REGISTRATION, day + timedelta(days=20), day + timedelta(days=60)),
        PhaseDates(PhaseKind.CONTEST, day + timedelta(days=90), day + timedelta(days=80)),
    ]
    assert phase_problems(phases) == [
        (PhaseKind.REGISTRATION, "overlaps_previous"),
        (PhaseKind.CONTEST, "ends_before_start"),
    ]
    assert phase_problems(phases[:1]) == []
