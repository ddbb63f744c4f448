"""`minka seed_demo`: the Cusco demo, idempotent (running it again changes nothing).

It needs nothing outside the project: the region's codes, names and 2025 census figures are
in minka/demo/demo_data/cusco.json, the indicators' values (real district poverty, IDH and
food-vulnerability figures, synthetic monthly anaemia, DCI and CRED counts) in
minka/demo/demo_data/indicators.json. When ../shared/data is beside the project it also
loads Cusco's district and province boundaries. Then it brings the analytics up to date.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from minka.demo.services import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = (
        "Load the Cusco demo: territories, 2025 census, institutions, one user per role, "
        "indicators with their values and targets; then compute the analytics."
    )

    def handle(self, *args: object, **options: object) -> None:
        result = demo_seed()
        for line in result.report:
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for login in result.logins:
            self.stdout.write(f"  {login.username:<26} {login.role:<30} {login.scope}")
