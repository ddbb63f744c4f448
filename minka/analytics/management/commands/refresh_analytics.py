"""`minka refresh_analytics [--full]`: bring the analytics store up to date.

Incremental by default (only the data values changed since the last refresh, and what
depends on them); `--full` rebuilds the whole store from every data value, which is also
what happens when the store does not exist yet. Prints what it did.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minka.analytics.engine.store import StoreBusy
from minka.analytics.selectors import analytics_last_refresh
from minka.analytics.services import analytics_refresh


class Command(BaseCommand):
    help = "Recompute analytics results (incrementally, or the whole store with --full)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="rebuild the whole store from every data value"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            analytics_refresh(full=options["full"])
        except StoreBusy as error:
            raise CommandError(
                f"The analytics store is busy (another process is writing it): {error}"
            ) from error
        log = analytics_last_refresh()
        if log is None:  # pragma: no cover - analytics_refresh always logs
            return
        self.stdout.write(
            f"Analytics refresh ({log.mode}): {log.facts} data values, {log.results} results, "
            f"{log.seconds:.2f} s, changes applied up to #{log.last_change_id}."
        )
