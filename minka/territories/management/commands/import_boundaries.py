"""`minka import_boundaries FILE --code-field IDDIST`: territory outlines from GeoJSON.

Features are matched to territories of --country (default PE) by the property named in
--code-field. Features without geometry or with an unknown code are skipped with a warning,
and territories of the same level and parents that got no feature are listed; invalid JSON,
a document that is not a FeatureCollection or a missing code property refuse the import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minka.territories.importers import boundaries_parse
from minka.territories.services import (
    boundaries_load,
    import_apply,
    import_refusal_text,
    import_report_lines,
)


class Command(BaseCommand):
    help = "Import territory boundaries from a GeoJSON FeatureCollection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the GeoJSON file")
        parser.add_argument("--code-field", required=True,
                            help="the feature property holding the territory code, e.g. IDDIST")
        parser.add_argument("--country", default="PE", type=str.upper)
        parser.add_argument("--source", help="stored with each boundary (default: file name)")

    def handle(self, *args: Any, **options: Any) -> None:
        path, country = Path(options["path"]), options["country"]
        source = options["source"] or path.name
        report = import_apply(
            parsed=boundaries_parse(path, code_field=options["code_field"]), source=source,
            load=lambda features: boundaries_load(
                country=country, features=features, source=source),
        )
        self.stdout.write("\n".join(import_report_lines(report)))
        if report.errors:
            raise CommandError(import_refusal_text(report))
