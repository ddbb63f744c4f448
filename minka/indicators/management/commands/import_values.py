"""`minka import_values FILE --format {csv,xlsx,dhis2-json,dhis2-csv,ubigeo}`: data values.

Options: --dry-run (check and report, write nothing), --mapping FILE (a JSON mapping of
DHIS2 org units, data elements and category option combos to Minka's, see README),
--id-scheme code|uid, --strategy CREATE_AND_UPDATE|DELETE, --user USERNAME (act as that
person, with their permissions; without it the command acts as the system and the batch
records no user). Prints the summary: counts, then every conflict with its row, column,
value and reason; exits with status 1 when the import was refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from minka.indicators.imports import summary_lines, values_import
from minka.indicators.imports.values import PARSERS, STRATEGIES
from minka.indicators.models import ImportBatch


class Command(BaseCommand):
    help = "Import data values from a template, a DHIS2 dataValueSet or the ubigeo figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--format", required=True, choices=sorted(str(f) for f in PARSERS))
        parser.add_argument("--dry-run", action="store_true",
                            help="check and report, write nothing")
        parser.add_argument("--mapping", help="JSON file mapping DHIS2 identifiers to Minka's")
        parser.add_argument("--id-scheme", choices=["code", "uid"], default="code")
        parser.add_argument("--strategy", choices=STRATEGIES, default="CREATE_AND_UPDATE")
        parser.add_argument("--user", help="import as this user (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        content = _read(path)
        mapping = None
        if options["mapping"]:
            try:
                mapping = json.loads(_read(Path(options["mapping"])).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise CommandError(_("The mapping file is not JSON: %(error)s")
                                   % {"error": error}) from error
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("There is no user %(name)s.") % {"name": options["user"]})
        batch = values_import(
            content=content, file_name=path.name, format=options["format"],
            dry_run=options["dry_run"], user=user, mapping=mapping,
            id_scheme=options["id_scheme"], strategy=options["strategy"],
        )
        self.stdout.write(_("Import batch #%(id)s") % {"id": batch.pk})
        self.stdout.write("\n".join(summary_lines(batch.summary)))
        if batch.status == ImportBatch.Status.REFUSED:
            raise CommandError(_("The import was refused: nothing was written."))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(_("Cannot read %(file)s: %(error)s")
                           % {"file": path, "error": error.strerror}) from error
