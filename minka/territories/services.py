"""Every write to territories and institutions goes through here (keyword-only, atomic)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from minka.territories.models import (
    LEVEL_DEPTH,
    PATH_SEPARATOR,
    Institution,
    Level,
    Territory,
)
from minka.territories.naming import search_key


def territory_path(*, parent: Territory | None, country: str, code: str) -> str:
    """The materialised path: the country's root is "PE/", its children "PE/08/", …"""
    if parent is None:
        return f"{country}{PATH_SEPARATOR}"
    return f"{parent.path}{code}{PATH_SEPARATOR}"


def territory_build(
    *,
    country: str,
    code: str,
    name: str,
    level: str,
    parent: Territory | None,
    capital: str = "",
    valid_from: dt.date | None = None,
) -> Territory:
    """An unsaved Territory with its derived fields set (for create and for bulk imports)."""
    return Territory(
        country=country,
        code=code,
        name=name,
        search_name=search_key(name),
        level=level,
        depth=LEVEL_DEPTH[Level(level)],
        parent=parent,
        path=territory_path(parent=parent, country=country, code=code),
        capital=capital,
        valid_from=valid_from,
    )


@transaction.atomic
def territory_create(
    *,
    country: str,
    code: str,
    name: str,
    level: str,
    parent: Territory | None = None,
    capital: str = "",
    valid_from: dt.date | None = None,
) -> Territory:
    territory = territory_build(
        country=country, code=code, name=name, level=level, parent=parent,
        capital=capital, valid_from=valid_from,
    )
    territory.full_clean()
    territory.save()
    return territory


@transaction.atomic
def territory_retire(
    *, territory: Territory, valid_to: dt.date, successors: list[Territory]
) -> Territory:
    """Retire a territory (e.g. a district split in two) and link it to what replaces it.

    Nothing recorded against the old territory moves: history stays where it was measured.
    """
    if territory.valid_to is not None:
        raise ValueError(f"{territory} was already retired on {territory.valid_to}.")
    if any(s.pk == territory.pk for s in successors):
        raise ValueError("A territory cannot succeed itself.")
    territory.valid_to = valid_to
    territory.save(update_fields=["valid_to"])
    territory.successors.set(successors)
    return territory


MUNICIPALITY_NAME = {
    ("PE", Level.PROVINCE): "Municipalidad Provincial de {name}",
    ("PE", Level.DISTRICT): "Municipalidad Distrital de {name}",
}
REGIONAL_GOVERNMENT_NAME = {"PE": "Gobierno Regional de {name}"}


def municipality_name(*, territory: Territory) -> str:
    template = MUNICIPALITY_NAME.get((territory.country, Level(territory.level)),
                                     "Municipalidad de {name}")
    return template.format(name=territory.name)


@transaction.atomic
def institution_create(
    *,
    name: str,
    kind: str,
    government_level: str,
    territory: Territory,
    sector: str = "",
) -> Institution:
    institution = Institution(
        name=name, kind=kind, government_level=government_level, territory=territory,
        sector=sector,
    )
    institution.full_clean()
    institution.save()
    return institution


@transaction.atomic
def institution_update_contact(
    *,
    institution: Institution,
    actor: object,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    technical_team_notes: str | None = None,
) -> Institution:
    """Change an institution's private contact data; None leaves a field, "" clears it.

    The permission check is here, not only in the views, so no caller (API, form, script)
    can write without it. On invalid input nothing is saved and `institution` is left as it
    was. The audit log names the changed fields, never their values (they are private).
    """
    import logging

    from django.core.exceptions import ValidationError

    from minka.accounts.permissions import Action, require_permission

    require_permission(actor, Action.CHANGE, institution)
    given = {"contact_email": contact_email, "contact_phone": contact_phone,
             "technical_team_notes": technical_team_notes}
    changes = {
        field: value if field == "technical_team_notes" else value.strip()
        for field, value in given.items() if value is not None
    }
    before = {field: getattr(institution, field) for field in changes}
    for field, value in changes.items():
        setattr(institution, field, value)
    try:
        institution.clean_fields(
            exclude=[f.name for f in Institution._meta.fields if f.name not in changes]
        )
    except ValidationError:
        for field, value in before.items():
            setattr(institution, field, value)
        raise
    changed = sorted(field for field in changes if before[field] != changes[field])
    if changed:
        institution.save(update_fields=changed)
        logging.getLogger("minka.audit").info(
            "institution %s contact changed by user %s: %s",
            institution.pk, getattr(actor, "pk", None), ", ".join(changed),
        )
    return institution
