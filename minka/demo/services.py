"""The Cusco demo, loaded through the same services as real imports (so it proves them).

Idempotent: territories and population go through the import loaders (a second run counts
everything as unchanged); users and roles are created only when missing; issue 3's
indicators, values and targets are loaded by minka.demo.indicators (see there). Then the
analytics store is brought up to date, outside the database transaction (it is a separate
file): see `_analytics_refresh`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from minka.accounts.models import Role, User
from minka.accounts.services import role_assign, user_create
from minka.analytics.services import analytics_refresh
from minka.demo.contests import demo_contest_publish, demo_contest_seed
from minka.demo.indicators import INDICATOR_DATA, demo_indicators_seed
from minka.demo.scorecards import demo_scorecards_seed
from minka.territories.importers import (
    BoundaryFeature,
    LoadReport,
    boundaries_parse,
    demo_data_read,
)
from minka.territories.selectors import municipality_of, territory_get
from minka.territories.services import (
    boundaries_load,
    import_apply,
    import_report_lines,
    institution_update_contact,
    population_load,
    territories_load,
)

DEMO_DATA = Path(__file__).resolve().parent / "demo_data" / "cusco.json"
SHARED_DATA = settings.PROJECT_DIR.parent / "shared" / "data"
DEMO_PASSWORD = "minka-demo-2026"

# (file, GeoJSON property with the code) of the boundaries loaded when ../shared/data exists.
CUSCO_BOUNDARIES = [
    ("cusco_provincias_inei2007_subset.geojson", "FIRST_IDPR"),
    ("cusco_distritos_inei2007_subset.geojson", "IDDIST"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str


@dataclass
class DemoResult:
    report: list[str] = field(default_factory=list)
    logins: list[DemoLogin] = field(default_factory=list)
    values_written: int = 0


# username, first name, last name, role, scope code ("" = none)
DEMO_PEOPLE = [
    ("admin", "Rosa", "Quispe Huamán", Role.NATIONAL_ADMIN, ""),
    ("coordinadora.cusco", "Marisol", "Condori Ccahua", Role.REGIONAL_COORDINATOR, "08"),
    ("evaluador", "Julio", "Mamani Soncco", Role.EVALUATOR, ""),
    ("funcionaria.sanjeronimo", "Yeni", "Huallpa Ttito", Role.MUNICIPAL_OFFICIAL, "080104"),
    ("funcionario.wanchaq", "Edwin", "Cusi Layme", Role.MUNICIPAL_OFFICIAL, "080108"),
    ("observador", "Lucía", "Ramos Vargas", Role.VIEWER, ""),
]


def demo_seed(
    *, shared_data: Path = SHARED_DATA, indicators: Path | None = INDICATOR_DATA,
    analytics: bool = True,
) -> DemoResult:
    """Load the whole demo in one transaction, then (unless `analytics` is False) compute
    the analytics store from it. `indicators=None` loads territories and people only."""
    with transaction.atomic():
        result = _demo_seed_database(shared_data=shared_data, indicators=indicators)
    if analytics:
        result.report.append(_analytics_refresh(full=result.values_written > 0))
        if indicators is not None:
            result.report.append(demo_contest_publish(
                coordinator=User.objects.get(username="coordinadora.cusco")))
    return result


def _demo_seed_database(*, shared_data: Path, indicators: Path | None) -> DemoResult:
    result = DemoResult()
    data = demo_data_read(DEMO_DATA)
    territories = territories_load(
        country=data.country, rows=data.territories, source=data.territory_source
    )
    result.report.extend(import_report_lines(territories))
    population = population_load(
        year=data.year, rows=data.population, source=data.population_source
    )
    result.report.extend(import_report_lines(population))
    if shared_data.is_dir():
        for filename, code_field in CUSCO_BOUNDARIES:
            result.report.extend(
                import_report_lines(_boundaries(shared_data / filename, code_field))
            )
    else:
        result.report.append(f"{shared_data} not found: boundaries not loaded.")
    result.logins = [_demo_person(*person) for person in DEMO_PEOPLE]
    admin = User.objects.get(username="admin")
    _demo_contacts(actor=admin)
    if indicators is not None:
        seeded = demo_indicators_seed(user=admin, path=indicators)
        result.report.extend(seeded.lines)
        result.values_written = seeded.values_written
        result.report.append(demo_scorecards_seed())
        result.report.append(demo_contest_seed(
            coordinator=User.objects.get(username="coordinadora.cusco"),
            evaluator=User.objects.get(username="evaluador"),
        ))
    return result


def _analytics_refresh(*, full: bool) -> str:
    """Bring the analytics store up to date, and say in one line what it computed.

    Full when this seed wrote data values (a new database, or a changed demo file): every
    result is rebuilt. Otherwise the ordinary incremental refresh, which applies whatever
    changed since the last one (nothing, on a plain re-run) and itself rebuilds everything
    when the store is missing or the catalogue changed: a second `make demo` then costs
    seconds instead of a full recomputation of the same figures.
    """
    started = time.monotonic()
    stats = analytics_refresh(full=full)
    return _(
        "Analytics (%(mode)s): %(facts)s data values, %(results)s results computed in "
        "%(seconds).1f s."
    ) % {"mode": _("full refresh") if stats.mode == "full" else _("incremental refresh"),
         "facts": stats.facts, "results": stats.results,
         "seconds": time.monotonic() - started}


def _boundaries(path: Path, code_field: str) -> LoadReport:
    def load(features: list[BoundaryFeature]) -> LoadReport:
        return boundaries_load(country="PE", features=features, source=path.name)

    parsed = boundaries_parse(path, code_field=code_field)
    return import_apply(parsed=parsed, load=load, source=path.name)


def _demo_person(username: str, first: str, last: str, role: str, code: str) -> DemoLogin:
    user = User.objects.filter(username=username).first() or user_create(
        username=username,
        password=DEMO_PASSWORD,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.minka.pe",
    )
    scope = ""
    if role == Role.REGIONAL_COORDINATOR:
        territory = territory_get(country="PE", code=code)
        role_assign(user=user, role=role, territory=territory)
        scope = str(territory)
    elif role == Role.MUNICIPAL_OFFICIAL:
        territory = territory_get(country="PE", code=code)
        municipality = municipality_of(territory=territory) if territory else None
        role_assign(user=user, role=role, institution=municipality)
        scope = str(municipality)
    else:
        role_assign(user=user, role=role)
    return DemoLogin(username=username, role=str(Role(role).label), scope=scope)


def _demo_contacts(*, actor: User) -> None:
    """Private contact details for two municipalities, so the permission rules show.

    Set only while empty, so a user's later edit is never overwritten by a re-seed.
    """
    contacts = {
        "080104": ("desarrollo.social@munisanjeronimo.demo.pe", "084 000 104"),
        "080108": ("dit@muniwanchaq.demo.pe", "084 000 108"),
    }
    for code, (email, phone) in contacts.items():
        territory = territory_get(country="PE", code=code)
        municipality = municipality_of(territory=territory) if territory else None
        if municipality is not None and not municipality.contact_email:
            institution_update_contact(
                institution=municipality, actor=actor, contact_email=email, contact_phone=phone
            )
