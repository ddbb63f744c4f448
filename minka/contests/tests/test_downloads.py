"""Who downloads the files of a means of verification: the municipality's own officials and
the contest's coordinators always; an evaluator exactly what the review queue gives them
(never their own territory; once the edition assigns evaluators, only what their own
assignments cover) or what a coordinator asked them to review again on an appeal; anyone
else gets a 404, as if the file did not exist.

San Jerónimo's PLAN-01 (component PLAN) and AGUA-02 (component AGUA) at 2025S1, rules of
minka/contests/examples/rules.json."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse

from minka.accounts.models import Role
from minka.accounts.services import role_assign
from minka.contests.services.appeals import appeal_second_review_request
from minka.contests.services.evidence import reviewer_assign
from minka.contests.tests.test_assignments import evaluator
from minka.contests.tests.test_evidence import cut, registration, upload  # noqa: F401
from minka.contests.tests.test_registration import OPENS, PDF, edition  # noqa: F401
from minka.contests.tests.test_scores import PUBLISHED, appeal, scored  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def files(registration, cut, personas):  # noqa: F811
    """The download address of San Jerónimo's PLAN-01 and AGUA-02 files."""
    return {
        criterion: reverse(
            "contests:evidence_file",
            args=[upload(registration, cut, personas, at=OPENS, criterion=criterion)
                  .files.get().pk],
        )
        for criterion in ("PLAN-01", "AGUA-02")
    }


def status(client, user, address):
    client.force_login(user)
    return client.get(address).status_code


def test_the_municipality_s_officials_and_the_coordinators_download_every_file(
    client, files, personas, edition  # noqa: F811
):
    reviewer_assign(edition=edition, evaluator=personas.evaluator, component="PLAN",
                    user=personas.cusco_coordinator)  # assignments bind evaluators only

    for user in (personas.san_jeronimo_official, personas.cusco_coordinator,
                 personas.national_admin):
        client.force_login(user)
        for address in files.values():
            response = client.get(address)
            assert response.status_code == 200, (user.username, address)
            assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(PDF).hexdigest()


def test_nobody_else_learns_the_file_exists(client, files, personas):
    address = files["PLAN-01"]

    assert client.get(address).status_code == 302  # to sign in
    assert status(client, personas.cusco_official, address) == 404  # another municipality
    assert status(client, personas.apurimac_coordinator, address) == 404  # another region
    assert status(client, personas.viewer, address) == 404
    assert status(client, personas.no_role, address) == 404


def test_without_assignments_an_evaluator_downloads_all_but_their_own_territory(
    client, files, personas, tree
):
    local = evaluator("evaluador_local", official_of=tree.muni_cusco_province)

    assert status(client, personas.evaluator, files["PLAN-01"]) == 200
    assert status(client, personas.evaluator, files["AGUA-02"]) == 200
    assert status(client, local, files["PLAN-01"]) == 404  # San Jerónimo is in their province
    assert status(client, local, files["AGUA-02"]) == 404


def test_once_the_edition_assigns_evaluators_each_downloads_what_theirs_cover(
    client, files, personas, edition, tree  # noqa: F811
):
    coordinator = personas.cusco_coordinator
    unassigned = evaluator("evaluador_sin_asignacion")
    by_municipality = evaluator("evaluador_municipio")
    reviewer_assign(edition=edition, evaluator=personas.evaluator, component="PLAN",
                    user=coordinator)
    reviewer_assign(edition=edition, evaluator=by_municipality,
                    municipality=tree.muni_san_jeronimo, user=coordinator)

    assert status(client, personas.evaluator, files["PLAN-01"]) == 200
    assert status(client, personas.evaluator, files["AGUA-02"]) == 404  # component AGUA
    assert status(client, by_municipality, files["PLAN-01"]) == 200
    assert status(client, by_municipality, files["AGUA-02"]) == 200
    assert status(client, unassigned, files["PLAN-01"]) == 404
    assert status(client, unassigned, files["AGUA-02"]) == 404


def test_an_evaluator_assigned_in_their_own_territory_still_gets_nothing(
    client, files, personas, edition, tree  # noqa: F811
):
    """An assignment made before the evaluator became an official of the province: the
    own-territory rule still wins, as in the queue."""
    local = evaluator("evaluador_local")
    reviewer_assign(edition=edition, evaluator=local, component="PLAN",
                    user=personas.cusco_coordinator)
    assert status(client, local, files["PLAN-01"]) == 200
    role_assign(user=local, role=Role.MUNICIPAL_OFFICIAL, institution=tree.muni_cusco_province)

    assert status(client, local, files["PLAN-01"]) == 404


def test_the_checklist_links_only_the_files_the_reader_may_download(
    client, files, personas, edition, registration  # noqa: F811
):
    reviewer_assign(edition=edition, evaluator=personas.evaluator, component="PLAN",
                    user=personas.cusco_coordinator)
    checklist = reverse("contests:checklist",
                        args=[edition.contest.code, edition.year, registration.pk])

    client.force_login(personas.evaluator)
    html = client.get(checklist).content.decode()
    assert files["PLAN-01"] in html and files["AGUA-02"] not in html
    assert html.count("ordenanza.pdf") == 2  # both named, one linked
    client.force_login(personas.san_jeronimo_official)
    html = client.get(checklist).content.decode()
    assert files["PLAN-01"] in html and files["AGUA-02"] in html


def test_the_second_reviewer_of_an_appeal_downloads_its_files(client, scored):  # noqa: F811
    scored.freeze()
    scored.publish()
    reviewer_assign(edition=scored.edition, evaluator=scored.personas.evaluator,
                    component="DIT", user=scored.coordinator)
    address = reverse("contests:evidence_file", args=[scored.evidence_sj.files.get().pk])
    second = evaluator("evaluador_segundo")
    filed = appeal(scored, now=PUBLISHED + timedelta(days=1))  # San Jerónimo's PLAN-01
    assert status(client, second, address) == 404  # not assigned to PLAN

    appeal_second_review_request(appeal=filed, evaluator=second, user=scored.coordinator)

    assert status(client, second, address) == 200
    assert status(client, scored.personas.evaluator, address) == 404  # assigned to DIT only


def test_the_results_page_links_the_files_for_officials_and_coordinators_only(
    client, scored  # noqa: F811
):
    scored.freeze()
    scored.publish()
    page = reverse("contests:results_municipality",
                   args=[scored.edition.contest.code, scored.edition.year, scored.cusco.pk])
    address = reverse("contests:evidence_file", args=[scored.evidence_cusco.files.get().pk])

    for user, linked in ((scored.personas.cusco_official, True), (scored.coordinator, True),
                         (scored.personas.evaluator, False),
                         (scored.personas.san_jeronimo_official, False)):
        client.force_login(user)
        html = client.get(page).content.decode()
        assert (address in html) is linked, user.username
        assert "plan_articulado.pdf" in html
