"""`minka contest_reminders [--now ISO] [--dry-run] [--days 7,2,1]`, for cron.

Mails every registered municipality what it still has to upload when a cut's evidence
deadline is 7, 2 or 1 days ahead (`notices.deadline_reminders`), in every edition, and
prints one line per reminder: sent, not sent (no address, or the mail server refused it)
or, with `--dry-run`, what would be sent (nothing is sent or recorded). A reminder is sent
once per municipality, cut and number of days, so running it every hour is safe.

`--now` replays the command at another instant (ISO 8601; without an offset it is read in
the project's time zone). Exits with status 1 when some reminder could not be sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from minka.contests.models import Edition
from minka.contests.notices import REMINDER_DAYS, ReminderOutcome, deadline_reminders


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--now {text!r}: not an ISO 8601 date and time.") from error
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _days(text: str) -> tuple[int, ...]:
    try:
        days = tuple(int(part) for part in text.split(","))
    except ValueError as error:
        raise CommandError(f"--days {text!r}: write whole days separated by commas.") from error
    if any(d <= 0 for d in days):
        raise CommandError(f"--days {text!r}: days must be positive.")
    return days


class Command(BaseCommand):
    help = "Mail each municipality what is still due before a cut's evidence deadline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="the instant to run at (ISO 8601); default: now")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be sent; send nothing"
        )
        parser.add_argument(
            "--days",
            default=",".join(str(d) for d in REMINDER_DAYS),
            help="days before a deadline to remind (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = _instant(options["now"]) if options["now"] else timezone.now()
        days = _days(options["days"])
        dry_run = options["dry_run"]
        outcomes: list[ReminderOutcome] = []
        for edition in Edition.objects.select_related("contest").order_by("contest__code", "year"):
            outcomes += deadline_reminders(edition=edition, now=now, days=days, dry_run=dry_run)
        for outcome in outcomes:
            self.stdout.write(self._line(outcome, dry_run))
        if dry_run:
            count = sum(1 for o in outcomes if o.recipients)
            summary = ngettext(
                "Dry run: %(count)s reminder would be sent.",
                "Dry run: %(count)s reminders would be sent.",
                count,
            )
        else:
            count = sum(1 for o in outcomes if o.sent)
            summary = ngettext("%(count)s reminder sent.", "%(count)s reminders sent.", count)
        self.stdout.write(summary % {"count": count})
        if any(o.error for o in outcomes):
            raise CommandError(_("Some reminders could not be sent; they go out on the next run."))

    def _line(self, outcome: ReminderOutcome, dry_run: bool) -> str:
        registration = outcome.registration
        due = ", ".join(item.criterion for item in outcome.due)
        if outcome.error:
            due += f" ({outcome.error})"
        facts = {
            "edition": f"{registration.edition.contest.code} {registration.edition.year}",
            "cut": outcome.cut.code,
            "days": outcome.days_before,
            "municipality": registration.municipality.name,
            "due": due,
            "to": ", ".join(outcome.recipients),
        }
        if not outcome.recipients:
            text = _("NO ADDRESS %(edition)s %(cut)s -%(days)sd %(municipality)s: %(due)s")
        elif outcome.error:
            text = _("NOT SENT %(edition)s %(cut)s -%(days)sd %(municipality)s → %(to)s: %(due)s")
        elif dry_run:
            text = _("WOULD SEND %(edition)s %(cut)s -%(days)sd %(municipality)s → %(to)s: %(due)s")
        else:
            text = _("SENT %(edition)s %(cut)s -%(days)sd %(municipality)s → %(to)s: %(due)s")
        return text % facts
