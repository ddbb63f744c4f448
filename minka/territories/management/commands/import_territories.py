"""`minka import_territories --country PE DIR`: load a country's official territory list.

PE reads the three INEI ubigeo files in DIR; CL the BDCUT comunas CSV; PY the DGEEC districts
CSV. All or nothing: on any error the report names file, line and column, the command exits
with status 1 and the database is left as it was. Municipalities (and Peru's regional
governments) are created for the territories that call for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minka.territories.importers import TERRITORY_PARSERS, territory_files_parse
from minka.territories.services import (
    import_apply,
    import_refusal_text,
    import_report_lines,
    territories_load,
)


class Command(BaseCommand):
    help = (
        "Import a country's territories: --country PE with the folder of the INEI ubigeo "
        "files, CL with the BDCUT comunas CSV, PY with the DGEEC districts CSV."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the folder (PE) or the CSV file (CL, PY)")
        parser.add_argument("--country", required=True, choices=sorted(TERRITORY_PARSERS),
                            type=str.upper)
        parser.add_argument("--source", help="what to call the data in the report")

    def handle(self, *args: Any, **options: Any) -> None:
        path, country = Path(options["path"]), options["country"]
        source = options["source"] or f"{country} {path.name}"
        report = import_apply(
            parsed=territory_files_parse(country, path), source=source,
            load=lambda rows: territories_load(country=country, rows=rows, source=source),
        )
        self.stdout.write("\n".join(import_report_lines(report)))
        if report.errors:
            raise CommandError(import_refusal_text(report))
