"""`minka import_population FILE --year 2025`: census figures (total, men, women) by ubigeo.

Every code must be a known territory and the figures must add up (men + women = total,
districts to their province, provinces to their region); otherwise nothing is written,
the report names file, line and column, and the command exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minka.territories.importers import census_population_parse
from minka.territories.services import (
    import_apply,
    import_refusal_text,
    import_report_lines,
    population_load,
)


class Command(BaseCommand):
    help = "Import census population (ubigeo,nivel,nombre,clave_censo,total,hombre,mujer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the census CSV file")
        parser.add_argument("--year", required=True, type=int, help="the census year")
        parser.add_argument("--country", default="PE", type=str.upper)
        parser.add_argument("--source", help="stored with each figure (default: file name)")

    def handle(self, *args: Any, **options: Any) -> None:
        path, year = Path(options["path"]), options["year"]
        source = options["source"] or path.name
        report = import_apply(
            parsed=census_population_parse(path, year=year, country=options["country"]),
            source=source,
            load=lambda rows: population_load(year=year, rows=rows, source=source),
        )
        self.stdout.write("\n".join(import_report_lines(report)))
        if report.errors:
            raise CommandError(import_refusal_text(report))
