"""territories.services.institution_update_contact, the write behind PATCH /institutions/{id}.

Tested here because the API is its first caller; what it promises holds for any caller.
"""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minka.territories.services import institution_update_contact

pytestmark = pytest.mark.django_db


def test_checks_permission_itself(tree, personas):
    with pytest.raises(PermissionDenied):
        institution_update_contact(
            institution=tree.muni_cusco, actor=personas.san_jeronimo_official,
            contact_phone="084-000000",
        )
    tree.muni_cusco.refresh_from_db()
    assert tree.muni_cusco.contact_phone == ""


def test_invalid_input_leaves_the_object_and_the_row_as_they_were(tree, personas):
    muni = tree.muni_cusco
    with pytest.raises(ValidationError) as raised:
        institution_update_contact(
            institution=muni, actor=personas.cusco_official,
            contact_email="not an address", contact_phone="084-240006",
        )

    assert set(raised.value.message_dict) == {"contact_email"}
    assert (muni.contact_email, muni.contact_phone) == ("", "")
    muni.refresh_from_db()
    assert (muni.contact_email, muni.contact_phone) == ("", "")


def test_audit_log_names_the_changed_fields_never_their_values(tree, personas, caplog):
    with caplog.at_level(logging.INFO, logger="minka.audit"):
        institution_update_contact(
            institution=tree.muni_cusco, actor=personas.cusco_official,
            contact_email=" social@municusco.gob.pe ", contact_phone="",
        )

    assert tree.muni_cusco.contact_email == "social@municusco.gob.pe"
    # contact_phone was already "": not a change, so not logged.
    assert [r.getMessage() for r in caplog.records] == [
        f"institution {tree.muni_cusco.pk} contact changed by user "
        f"{personas.cusco_official.pk}: contact_email"
    ]
    assert "municusco" not in caplog.text


def test_nothing_to_change_writes_nothing(tree, personas, caplog):
    with caplog.at_level(logging.INFO, logger="minka.audit"), CaptureQueriesContext(
        connection
    ) as queries:
        institution_update_contact(
            institution=tree.muni_cusco, actor=personas.cusco_official, technical_team_notes=""
        )

    assert not [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"].upper()]
    assert caplog.records == []
