"""/api/v1/institutions: the public directory, private fields by permission, PATCH by token.

The tree has four municipalities: Cusco district (080101), San Jerónimo (080104), Cusco
province (0801) and Abancay district (030101). The Cusco district municipality's private
data is the one every persona test is about.
"""

from __future__ import annotations

import pytest

from minka.accounts.services import api_token_create, api_token_revoke
from minka.territories.models import Institution
from minka.territories.services import institution_create

pytestmark = pytest.mark.django_db

PUBLIC_KEYS = {"id", "name", "kind", "government_level", "sector", "territory"}
PRIVATE = {
    "contact_email": "gerencia.social@municusco.gob.pe",
    "contact_phone": "+51 84 227 821",
    "technical_team_notes": "Equipo técnico: 3 personas, jefa recién designada.",
}


@pytest.fixture
def muni(tree) -> Institution:
    """Cusco district municipality, with private data set."""
    Institution.objects.filter(pk=tree.muni_cusco.pk).update(**PRIVATE)
    tree.muni_cusco.refresh_from_db()
    return tree.muni_cusco


def names(response) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


def stored(institution: Institution) -> dict[str, str]:
    institution.refresh_from_db()
    return {field: getattr(institution, field) for field in PRIVATE}


# --- list -----------------------------------------------------------------------------


def test_lists_every_institution_by_name_with_public_fields_only(api, muni):
    response = api.get("/institutions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert names(response) == [
        "Municipalidad Distrital de ABANCAY",
        "Municipalidad Distrital de CUSCO",
        "Municipalidad Distrital de SAN JERÓNIMO",
        "Municipalidad Provincial de CUSCO",
    ]
    cusco = body["items"][1]
    assert cusco == {
        "id": muni.pk,
        "name": "Municipalidad Distrital de CUSCO",
        "kind": "municipality",
        "government_level": "district",
        "sector": "",
        "territory": {"country": "PE", "code": "080101", "name": "CUSCO", "level": "district"},
    }
    assert all(set(item) == PUBLIC_KEYS for item in body["items"])
    assert "gerencia.social" not in response.content.decode()


def test_lists_no_private_fields_even_for_who_may_see_them(api, muni, personas, token_of):
    response = api.get("/institutions", token=token_of(personas.cusco_official))

    assert all(set(item) == PUBLIC_KEYS for item in response.json()["items"])


def test_filters_by_territory_and_kind(api, tree):
    institution_create(name="I.E. 50001 Clorinda Matto", kind=Institution.Kind.SCHOOL,
                       government_level="none", territory=tree.cusco_district, sector="Educación")

    in_cusco = api.get("/institutions", territory="PE:080101")
    padded = api.get("/institutions", territory="pe:080100")
    schools = api.get("/institutions", kind="school")
    municipalities = api.get("/institutions", kind="municipality")
    both = api.get("/institutions", territory="PE:080101", kind="municipality")

    assert names(in_cusco) == ["I.E. 50001 Clorinda Matto", "Municipalidad Distrital de CUSCO"]
    assert names(padded) == ["Municipalidad Provincial de CUSCO"]
    assert names(schools) == ["I.E. 50001 Clorinda Matto"]
    assert schools.json()["items"][0]["sector"] == "Educación"
    assert municipalities.json()["count"] == 4
    assert names(both) == ["Municipalidad Distrital de CUSCO"]
    assert api.get("/institutions", territory="PE:08").json() == {"items": [], "count": 0}


def test_institutions_are_paginated(api, tree):
    first = api.get("/institutions", page_size=3).json()
    second = api.get("/institutions", page=2, page_size=3).json()

    assert (first["count"], len(first["items"])) == (4, 3)
    assert [i["name"] for i in second["items"]] == ["Municipalidad Provincial de CUSCO"]


FORM = "Write the territory as COUNTRY:CODE, e.g. PE:080101."


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"territory": "080101"}, "territory", FORM),
        ({"territory": "PE:"}, "territory", FORM),
        ({"territory": "PE:\x00"}, "territory", "Control characters are not allowed."),
        ({"territory": "PE:999999"}, "territory", "There is no territory 999999 in PE."),
        ({"kind": "bakery"}, "kind", None),
    ],
)
def test_bad_institution_filters_are_422(api, tree, params, field, reason):
    response = api.get("/institutions", **params)

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == field
    if reason:
        assert error["reason"] == reason


# --- detail: who sees the private fields ---------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees_private"),
    [
        ("national_admin", True),
        ("cusco_coordinator", True),  # the municipality is inside her region
        ("cusco_official", True),  # her own municipality
        ("apurimac_coordinator", False),  # another region
        ("san_jeronimo_official", False),  # another district of the same province
        ("evaluator", False),
        ("viewer", False),
        ("no_role", False),
    ],
)
def test_private_fields_only_for_who_may_see_them(
    api, muni, personas, token_of, persona, sees_private
):
    response = api.get(f"/institutions/{muni.pk}", token=token_of(getattr(personas, persona)))

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Municipalidad Distrital de CUSCO"
    assert body["territory"]["code"] == "080101"
    if sees_private:
        assert body["private"] == PRIVATE
    else:
        assert body["private"] is None
        assert "gerencia.social" not in response.content.decode()


def test_the_public_sees_no_private_fields(api, muni):
    response = api.get(f"/institutions/{muni.pk}")

    assert response.status_code == 200
    assert response.json()["private"] is None
    assert set(response.json()) == PUBLIC_KEYS | {"private"}


def test_a_signed_in_browser_reads_as_its_user(api, muni, personas):
    api.client.force_login(personas.cusco_official)

    assert api.get(f"/institutions/{muni.pk}").json()["private"] == PRIVATE


def test_an_invalid_or_revoked_token_on_a_read_is_401_not_the_public_view(api, muni, personas):
    token, plaintext = api_token_create(user=personas.cusco_official, name="old")
    api_token_revoke(token=token)

    for bad in (plaintext, "mk_not-a-token", "not even the prefix"):
        response = api.get(f"/institutions/{muni.pk}", token=bad)
        assert response.status_code == 401
        assert response.json() == {"detail": "The API token is invalid or has been revoked."}


def test_unknown_institution_is_a_json_404(api, tree):
    response = api.get("/institutions/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no institution 999999."}


@pytest.mark.parametrize("bad_id", ["0", "-1", "abc", str(2**63), str(10**30)])
def test_an_impossible_id_is_422_not_a_500(api, tree, bad_id):
    response = api.get(f"/institutions/{bad_id}")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "institution_id"


# --- PATCH ----------------------------------------------------------------------------------

CHANGE = {
    "contact_email": "desarrollo.social@municusco.gob.pe",
    "contact_phone": "084-240006",
    "technical_team_notes": "Nueva jefa: Rosa Quispe.",
}


@pytest.mark.parametrize("persona", ["cusco_official", "cusco_coordinator", "national_admin"])
def test_who_may_change_the_contact_data_changes_it(api, muni, personas, token_of, persona):
    response = api.patch(f"/institutions/{muni.pk}", CHANGE,
                         token=token_of(getattr(personas, persona)))

    assert response.status_code == 200
    assert response.json()["private"] == CHANGE
    assert stored(muni) == CHANGE


@pytest.mark.parametrize(
    "persona",
    ["san_jeronimo_official", "apurimac_coordinator", "evaluator", "viewer", "no_role"],
)
def test_who_may_not_change_it_gets_403_and_nothing_changes(
    api, muni, personas, token_of, persona
):
    response = api.patch(f"/institutions/{muni.pk}", CHANGE,
                         token=token_of(getattr(personas, persona)))

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to do this here."}
    assert stored(muni) == PRIVATE


def test_san_jeronimo_official_may_change_their_own_municipality(
    api, tree, muni, personas, token_of
):
    response = api.patch(f"/institutions/{tree.muni_san_jeronimo.pk}",
                         {"contact_phone": "084-274412"},
                         token=token_of(personas.san_jeronimo_official))

    assert response.status_code == 200
    tree.muni_san_jeronimo.refresh_from_db()
    assert tree.muni_san_jeronimo.contact_phone == "084-274412"
    assert stored(muni) == PRIVATE


def test_anonymous_patch_is_401_and_nothing_changes(api, muni):
    response = api.patch(f"/institutions/{muni.pk}", CHANGE)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "An API token is required: send the header 'Authorization: Bearer mk_…'."
    }
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert stored(muni) == PRIVATE


def test_a_browser_session_cannot_write_without_a_token(api, muni, personas):
    """A cookie is sent by the browser on its own, so it never authorises a write."""
    api.client.force_login(personas.cusco_official)

    response = api.patch(f"/institutions/{muni.pk}", CHANGE)

    assert response.status_code == 401
    assert stored(muni) == PRIVATE


def test_a_revoked_token_cannot_write(api, muni, personas):
    token, plaintext = api_token_create(user=personas.cusco_official, name="old laptop")
    api_token_revoke(token=token)

    response = api.patch(f"/institutions/{muni.pk}", CHANGE, token=plaintext)

    assert response.status_code == 401
    assert response.json() == {"detail": "The API token is invalid or has been revoked."}
    assert stored(muni) == PRIVATE


def test_a_deactivated_users_token_cannot_write(api, muni, personas, token_of):
    plaintext = token_of(personas.cusco_official)
    personas.cusco_official.is_active = False
    personas.cusco_official.save(update_fields=["is_active"])

    response = api.patch(f"/institutions/{muni.pk}", CHANGE, token=plaintext)

    assert response.status_code == 401
    assert stored(muni) == PRIVATE


def test_patch_changes_only_the_fields_sent_and_empty_string_clears(
    api, muni, personas, token_of
):
    token = token_of(personas.cusco_official)

    api.patch(f"/institutions/{muni.pk}", {"contact_phone": "  084-240006 "}, token=token)
    api.patch(f"/institutions/{muni.pk}", {"technical_team_notes": "", "contact_email": None},
              token=token)

    assert stored(muni) == {
        "contact_email": PRIVATE["contact_email"],
        "contact_phone": "084-240006",
        "technical_team_notes": "",
    }


def test_an_invalid_email_is_422_on_that_field_and_nothing_changes(
    api, muni, personas, token_of
):
    response = api.patch(
        f"/institutions/{muni.pk}",
        {"contact_email": "not an address", "contact_phone": "084-240006"},
        token=token_of(personas.cusco_official),
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Invalid input: contact_email: Enter a valid email address.",
        "errors": [{"field": "contact_email", "reason": "Enter a valid email address."}],
    }
    assert stored(muni) == PRIVATE


def test_errors_follow_accept_language(muni, personas, token_of):
    from minka.api.tests.conftest import ApiClient

    spanish = ApiClient(language="es")
    response = spanish.patch(f"/institutions/{muni.pk}", {"contact_email": "no"},
                             token=token_of(personas.cusco_official))

    assert response.status_code == 422
    assert response.json()["errors"][0]["reason"] == (
        "Introduzca una dirección de correo electrónico válida."
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Municipalidad Tomada"}, "name"),  # not a contact field: refused, not ignored
        ({"contact_phone": "9" * 41}, "contact_phone"),
        ({"contact_email": 42}, "contact_email"),
        ({"technical_team_notes": "a\x00b"}, "technical_team_notes"),  # PostgreSQL refuses NUL
        ({"contact_phone": "084\n240006"}, "contact_phone"),
    ],
)
def test_fields_that_cannot_be_written_are_422(api, muni, personas, token_of, body, field):
    response = api.patch(f"/institutions/{muni.pk}", body,
                         token=token_of(personas.cusco_official))

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    muni.refresh_from_db()
    assert muni.name == "Municipalidad Distrital de CUSCO"
    assert stored(muni) == PRIVATE


def test_a_body_that_is_not_json_is_422(api, muni, personas, token_of):
    response = api.client.patch(
        f"/api/v1/institutions/{muni.pk}", "{not json", content_type="application/json",
        headers={"Authorization": f"Bearer {token_of(personas.cusco_official)}"},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}
    assert stored(muni) == PRIVATE


def test_a_json_body_that_is_not_an_object_is_422(api, muni, personas, token_of):
    response = api.client.patch(
        f"/api/v1/institutions/{muni.pk}", "[1, 2]", content_type="application/json",
        headers={"Authorization": f"Bearer {token_of(personas.cusco_official)}"},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "payload", "reason": "Send a JSON object."}]


def test_notes_keep_their_line_breaks(api, muni, personas, token_of):
    notes = "Jefa: Rosa Quispe\nApoyo: 2 promotores"

    api.patch(f"/institutions/{muni.pk}", {"technical_team_notes": notes},
              token=token_of(personas.cusco_official))

    assert stored(muni)["technical_team_notes"] == notes


def test_patch_on_an_unknown_institution_is_404(api, tree, personas, token_of):
    response = api.patch("/institutions/999999", CHANGE, token=token_of(personas.national_admin))

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no institution 999999."}


def test_a_page_of_institutions_costs_two_queries(api, tree, django_assert_num_queries):
    with django_assert_num_queries(2):  # the count and the page, territories joined
        response = api.get("/institutions")

    assert response.json()["count"] == 4
