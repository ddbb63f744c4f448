"""`minka quality_check [--element CODE …] [--period P …]`: look for outliers, values out of
bounds and broken validation rules in stored data, and list the flags to review.

Flags are created or refreshed (never duplicated); flags whose finding has gone are closed
as corrected.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from minka.indicators.imports import quality_check
from minka.indicators.models import DataElement


class Command(BaseCommand):
    help = "Check stored data values for outliers, bounds and validation rules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--element", action="append", default=[],
                            help="a data element code (repeatable; default: all)")
        parser.add_argument("--period", action="append", default=[],
                            help="a period (repeatable; default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        elements = None
        if options["element"]:
            elements = list(DataElement.objects.filter(code__in=options["element"]))
            unknown = set(options["element"]) - {e.code for e in elements}
            if unknown:
                raise CommandError(_("Unknown data elements: %(codes)s")
                                   % {"codes": ", ".join(sorted(unknown))})
        flags = quality_check(elements=elements, periods=options["period"] or None)
        self.stdout.write(_("Open quality flags: %(count)s") % {"count": len(flags)})
        for flag in flags:
            subject = flag.element.code if flag.element else (flag.rule.code if flag.rule else "")
            self.stdout.write(
                f"  [{flag.get_kind_display()}] {flag.territory.code} {flag.period} "
                f"{subject} {flag.combination}: {flag.detail}"
            )
