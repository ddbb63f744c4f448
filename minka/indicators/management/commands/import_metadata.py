"""`minka import_metadata FILE --format dhis2 [--dry-run]`: DHIS2 metadata into the catalogue.

Prints the summary (per type: in the file, created, updated, unchanged, left out; then every
conflict and warning) and exits with status 1 when the import was refused. Running it again
changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from minka.indicators.imports import metadata_import, metadata_summary_lines


class Command(BaseCommand):
    help = "Import data elements, disaggregations, indicators and validation rules from DHIS2."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a DHIS2 metadata JSON export")
        parser.add_argument("--format", choices=["dhis2"], default="dhis2")
        parser.add_argument("--dry-run", action="store_true",
                            help="check and report, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(_("Cannot read %(file)s: %(error)s")
                               % {"file": path, "error": error.strerror}) from error
        summary = metadata_import(content=content, format=options["format"],
                                  dry_run=options["dry_run"], user=None)
        self.stdout.write("\n".join(metadata_summary_lines(summary)))
        if summary["status"] == "ERROR":
            raise CommandError(_("The metadata import was refused: nothing was written."))
