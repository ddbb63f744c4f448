"""When things may happen in a seal contest: phase windows, evidence deadlines, reply
windows and countdowns.

Pure (no Django): every function takes aware datetimes and compares instants, so a
municipality in Lima (UTC−5), a coordinator in Santiago or a server in UTC all get the same
answer at the same instant; the edition's time zone is only for showing dates to people.

The edges are part of the rules users trust: a window is open from its start to its end
*inclusive* (an upload stamped exactly at the deadline second is on time), closed one
microsecond later. Tests check one second either side in two time zones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class PhaseKind(StrEnum):
    """The phases of a yearly seal, in order (DOMAIN §3)."""

    PREPARATION = "preparation"
    REGISTRATION = "registration"  # call and registration
    CONTEST = "contest"  # technical assistance and monitoring
    VERIFICATION = "verification"  # the verification cuts
    EVALUATION = "evaluation"
    AWARDS = "awards"
    TRANSFERS = "transfers"


PHASE_ORDER = list(PhaseKind)


class NaiveDatetime(ValueError):
    """A date and time without a time zone: ambiguous, so refused."""


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetime(f"{name} has no time zone")
    return moment


def window_open(now: datetime, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether `now` lies in [starts_at, ends_at] (both edges included)."""
    return _aware(starts_at, "starts_at") <= _aware(now, "now") <= _aware(ends_at, "ends_at")


def deadline_passed(now: datetime, deadline: datetime) -> bool:
    """Whether `now` is after the deadline (the deadline's own instant is still on time)."""
    return _aware(now, "now") > _aware(deadline, "deadline")


def time_left(now: datetime, deadline: datetime) -> timedelta:
    """What a countdown shows: the time until the deadline, never negative."""
    return max(_aware(deadline, "deadline") - _aware(now, "now"), timedelta(0))


def reply_deadline(observed_at: datetime, reply_days: int) -> datetime:
    """The end of the window to answer an observation: `reply_days` whole days after it."""
    return _aware(observed_at, "observed_at") + timedelta(days=reply_days)


@dataclass(frozen=True)
class PhaseDates:
    kind: PhaseKind
    starts_at: datetime
    ends_at: datetime


def phase_problems(phases: Sequence[PhaseDates]) -> list[tuple[PhaseKind, str]]:
    """What is wrong with a calendar, as (phase, problem code): a phase that ends before it
    starts ("ends_before_start"), or that starts before the previous phase in
    `PHASE_ORDER` ends ("overlaps_previous"). Missing phases are allowed (an edition may
    be planned step by step)."""
    problems: list[tuple[PhaseKind, str]] = []
    ordered = sorted(phases, key=lambda p: PHASE_ORDER.index(p.kind))
    previous: PhaseDates | None = None
    for phase in ordered:
        if _aware(phase.ends_at, "ends_at") < _aware(phase.starts_at, "starts_at"):
            problems.append((phase.kind, "ends_before_start"))
        if previous is not None and phase.starts_at < previous.ends_at:
            problems.append((phase.kind, "overlaps_previous"))
        previous = phase
    return problems
