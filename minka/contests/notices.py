"""Mail to the municipalities of a seal contest: an observation of their means of
verification (sent once the evaluator's decision is committed) and reminders before each
cut's evidence deadline (sent by `minka contest_reminders`, run from cron).

Who receives: the municipality's officials (users with a municipal_official role for that
institution, active, with an e-mail address) and the institution's contact e-mail, if
set; one message per municipality with all of them as recipients. Messages are written in
Spanish whatever the language of the caller, with dates in the edition's time zone.

Mail goes through Django's mail interface (`EmailMessage`): the backend is a setting
(`MINKA_EMAIL_BACKEND`: the console by default, SMTP in production), and tests use
Django's in-memory backend as the fake (DESIGN, Conventions 8).

A reminder is recorded (`Reminder`) in the same transaction that sends it, so a message
that could not be handed to the mail server is not recorded and goes out on the next
run, and a recorded one is never sent again (one per municipality, cut and number of
days before the deadline).
"""

from __future__ import annotations

import logging
import smtplib
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from minka.accounts.models import Role, User
from minka.contests.calendar import deadline_passed
from minka.contests.engine.files import rules_parse
from minka.contests.models import (
    Cut,
    Edition,
    Evidence,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
    Reminder,
)
from minka.contests.selectors import ChecklistItem, evidence_checklist, evidence_decision
from minka.territories.models import Institution

logger = logging.getLogger(__name__)

REMINDER_DAYS = (7, 2, 1)
# Checklist statuses a reminder lists: nothing sent yet, or an observation to answer.
STILL_DUE = ("due", EvidenceStatus.OBSERVED.value)


@dataclass(frozen=True)
class Notice:
    """One message: what it says and to whom."""

    subject: str
    body: str
    to: list[str]


def notice_send(notice: Notice) -> None:
    """Hand a message to the configured mail backend (raises on a server error)."""
    EmailMessage(
        subject=notice.subject,
        body=notice.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=notice.to,
    ).send()


def municipality_recipients(municipality: Institution) -> list[str]:
    """The addresses of a municipality's active officials, then its contact e-mail;
    each address once (compared without case)."""
    officials = (
        User.objects.filter(
            is_active=True,
            role_assignments__role=Role.MUNICIPAL_OFFICIAL,
            role_assignments__institution=municipality,
        )
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    addresses: list[str] = []
    for address in [*officials, municipality.contact_email]:
        address = address.strip()
        if address and address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    return addresses


def _local(moment: datetime, edition: Edition) -> str:
    """A date and time as the municipality reads it: in the edition's time zone."""
    local = timezone.localtime(moment, zoneinfo.ZoneInfo(edition.time_zone))
    return _("%(date)s (%(zone)s time)") % {
        "date": local.strftime("%d/%m/%Y %H:%M:%S"),
        "zone": edition.time_zone,
    }


def _link(path: str) -> str:
    return f"{settings.MINKA_SITE_URL}{path}"


def _criterion_name(registration: Registration, criterion: str) -> str:
    rules = rules_parse(registration.rules_version.document).value
    found = next((c for c in rules.criteria if c.code == criterion), None) if rules else None
    return found.name if found else ""


def _observation_reason(evidence: Evidence) -> str:
    """The reason of the latest observation, as the audit log keeps it."""
    entry = evidence_decision(evidence=evidence, action="evidence_observed")
    return entry.reason if entry else ""


def observation_notice(evidence: Evidence) -> Notice | None:
    """Tell the municipality its means of verification was observed: the criterion, the
    cut, the reason, the reply deadline in the edition's time zone and the link to the
    upload page. Sends nothing (None) when the evidence is no longer observed or the
    municipality has no address. Called after the review commits (`evidence_review`)."""
    evidence = Evidence.objects.select_related(
        "registration__municipality",
        "registration__edition__contest",
        "registration__rules_version",
        "cut",
    ).get(pk=evidence.pk)
    registration = evidence.registration
    if evidence.status != EvidenceStatus.OBSERVED or evidence.reply_until is None:
        return None
    recipients = municipality_recipients(registration.municipality)
    if not recipients:
        logger.warning(
            "Observation of evidence %s not mailed: %s has no e-mail address.",
            evidence.pk,
            registration.municipality,
        )
        return None
    edition = registration.edition
    link = _link(
        reverse(
            "contests:evidence_upload",
            args=[
                edition.contest.code,
                edition.year,
                registration.pk,
                evidence.cut.code,
                evidence.criterion,
            ],
        )
    )
    with translation.override("es"):
        facts = {
            "contest": edition.contest.name,
            "year": edition.year,
            "municipality": registration.municipality.name,
            "criterion": evidence.criterion,
            "name": _criterion_name(registration, evidence.criterion),
            "cut": evidence.cut.name,
        }
        subject = _("%(contest)s %(year)s: %(criterion)s observed at %(cut)s") % facts
        body = "\n\n".join(
            [
                _("To %(municipality)s:") % facts,
                _(
                    "The means of verification of %(criterion)s (%(name)s) for %(cut)s "
                    "has been observed."
                )
                % facts,
                _("Reason: %(reason)s") % {"reason": _observation_reason(evidence)},
                _("Answer the observation by %(deadline)s, uploading the corrected files at:")
                % {"deadline": _local(evidence.reply_until, edition)}
                + f"\n{link}",
                _("After that date the means of verification can no longer be changed."),
            ]
        )
    notice = Notice(subject=subject, body=body + "\n", to=recipients)
    notice_send(notice)
    return notice


@dataclass(frozen=True)
class ReminderOutcome:
    """A reminder due for a municipality at a cut: whether it went out (not in a dry run,
    nor without an address, nor when the mail server refused it: `error`)."""

    registration: Registration
    cut: Cut
    days_before: int
    recipients: list[str]
    due: list[ChecklistItem]
    sent: bool
    error: str = ""


def _reminder_notice(
    registration: Registration,
    cut: Cut,
    days_before: int,
    due: Sequence[ChecklistItem],
    to: list[str],
) -> Notice:
    edition = registration.edition
    link = _link(
        reverse("contests:checklist", args=[edition.contest.code, edition.year, registration.pk])
    )
    with translation.override("es"):
        facts = {
            "contest": edition.contest.name,
            "year": edition.year,
            "municipality": registration.municipality.name,
            "cut": cut.name,
            "days": days_before,
            "deadline": _local(cut.evidence_deadline, edition),
        }
        subject = (
            ngettext(
                "%(contest)s %(year)s: %(days)s day left to the deadline of %(cut)s",
                "%(contest)s %(year)s: %(days)s days left to the deadline of %(cut)s",
                days_before,
            )
            % facts
        )
        lines = []
        for item in due:
            line = f"- {item.criterion} {item.name}"
            if item.mandatory:
                line += " " + _("(mandatory)")
            if item.status == EvidenceStatus.OBSERVED:
                # Answerable until the later of its reply deadline and the cut's deadline.
                reply_until = item.evidence.reply_until if item.evidence else None
                if reply_until is not None and reply_until > cut.evidence_deadline:
                    line += " " + _("(observed: answer it by %(deadline)s)") % {
                        "deadline": _local(reply_until, edition)
                    }
                else:
                    line += " " + _("(observed: answer it)")
            lines.append(line)
        body = "\n\n".join(
            [
                _("To %(municipality)s:") % facts,
                _("The means of verification of %(cut)s are due by %(deadline)s.") % facts,
                _("Still due:") + "\n" + "\n".join(lines),
                _("Upload them at:") + f"\n{link}",
                _("After the deadline uploads are refused."),
            ]
        )
    return Notice(subject=subject, body=body + "\n", to=to)


def _reminder_send(
    registration: Registration, cut: Cut, days_before: int, notice: Notice, now: datetime
) -> tuple[bool, str]:
    """Record and send in one transaction: recorded only if handed to the mail server;
    (False, "") when another run recorded it first."""
    try:
        with transaction.atomic():
            Reminder.objects.create(
                registration=registration,
                cut=cut,
                days_before=days_before,
                recipients=notice.to,
                sent_at=now,
            )
            notice_send(notice)
    except IntegrityError:
        return False, ""
    except (smtplib.SMTPException, OSError) as error:
        logger.exception("Reminder to %s for %s not sent.", registration.municipality, cut)
        return False, str(error) or type(error).__name__
    return True, ""


def deadline_reminders(
    *,
    edition: Edition,
    now: datetime,
    days: Sequence[int] = REMINDER_DAYS,
    dry_run: bool = False,
) -> list[ReminderOutcome]:
    """Remind every approved registration of what is still due at each cut whose
    evidence deadline is at most one of `days` days ahead.

    For a cut, the reminder due is the one of the fewest days the deadline is within
    (a run 36 hours before it sends the 2-day reminder, not also the 7-day one); it is
    sent once per municipality, cut and number of days however often this runs, and
    not at all to a municipality with nothing due (its checklist has nothing missing or
    observed at that cut) or with no address. A dry run sends and records nothing."""
    if not days or any(d <= 0 for d in days):
        raise ValueError("days must be positive numbers of days")
    outcomes: list[ReminderOutcome] = []
    registrations = list(
        edition.registrations.filter(status=RegistrationStatus.APPROVED)
        .select_related("municipality", "rules_version", "edition__contest")
        .order_by("municipality__name", "pk")
    )
    for cut in edition.cuts.order_by("evidence_deadline"):
        if deadline_passed(now, cut.evidence_deadline):
            continue
        left = cut.evidence_deadline - now
        within = [d for d in days if left <= timedelta(days=d)]
        if not within:
            continue
        days_before = min(within)
        already = set(
            Reminder.objects.filter(cut=cut, days_before=days_before).values_list(
                "registration_id", flat=True
            )
        )
        for registration in registrations:
            if registration.pk in already:
                continue
            due = [
                item
                for item in evidence_checklist(registration=registration, now=now)
                if item.cut.pk == cut.pk and item.open and item.status in STILL_DUE
            ]
            if not due:
                continue
            recipients = municipality_recipients(registration.municipality)
            notice = _reminder_notice(registration, cut, days_before, due, recipients)
            sent, error = False, ""
            if recipients and not dry_run:
                sent, error = _reminder_send(registration, cut, days_before, notice, now)
                if not sent and not error:
                    continue  # another run sent it meanwhile
            outcomes.append(
                ReminderOutcome(
                    registration=registration,
                    cut=cut,
                    days_before=days_before,
                    recipients=recipients,
                    due=due,
                    sent=sent,
                    error=error,
                )
            )
    return outcomes
