"""The one permission check, against the rules in accounts.permissions' docstring.

Every expected value below was worked out by hand from those rules, not by running the
code: a row that fails means either the code or the rule is wrong, and a person decides.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from minka.accounts.models import Role, RoleAssignment, User
from minka.accounts.permissions import Action, has_permission, require_permission
from minka.accounts.services import role_assign, user_create
from minka.territories.models import Institution, Level
from minka.territories.services import institution_create
from minka.territories.tests.factories import make_territory

pytestmark = pytest.mark.django_db

VI, VP, CH, AD = Action.VIEW_INTERNAL, Action.VIEW_PRIVATE, Action.CHANGE, Action.ADMINISTER
ALL_ACTIONS = (VI, VP, CH, AD)

# Targets by name (attributes of the `tree` fixture; None is "no particular place").
CUSCO_SIDE = (
    "cusco", "cusco_province", "cusco_district", "san_jeronimo",
    "muni_cusco", "muni_san_jeronimo", "muni_cusco_province",
)
APURIMAC_SIDE = ("apurimac", "abancay_province", "abancay", "muni_abancay")
EVERY_TARGET = (None, "peru", *CUSCO_SIDE, *APURIMAC_SIDE)


def _target(tree, name):
    return None if name is None else getattr(tree, name)


def _user(personas, name):
    """A fresh copy from the database, so no row-level cache from another case leaks in."""
    if name == "anonymous":
        return AnonymousUser()
    return User.objects.get(pk=getattr(personas, name).pk)


def _rows():
    """(persona, action, target, expected), by hand from the docstring's rules."""
    rows = []
    # The anonymous public: only what is published, i.e. none of these actions, anywhere.
    # A signed-in person with no role is no better; nor is a viewer/evaluator beyond reading
    # internal material.
    for target in EVERY_TARGET:
        for action in ALL_ACTIONS:
            rows.append(("anonymous", action, target, False))
            rows.append(("no_role", action, target, False))
            rows.append(("national_admin", action, target, True))
            for reader in ("evaluator", "viewer"):
                rows.append((reader, action, target, action == VI))

    # Regional coordinator of Cusco (08): everything inside the region's subtree …
    for target in CUSCO_SIDE:
        for action in ALL_ACTIONS:
            rows.append(("cusco_coordinator", action, target, True))
    # … nothing private in Apurímac (03) nor at the national level, internal reading only.
    for target in (*APURIMAC_SIDE, "peru"):
        for action in ALL_ACTIONS:
            rows.append(("cusco_coordinator", action, target, action == VI))
    # No particular place (e.g. the national indicator catalogue): coordinators define
    # indicators (DESIGN.md), so they may read and change; managing users is national.
    rows += [
        ("cusco_coordinator", VI, None, True),
        ("cusco_coordinator", VP, None, True),
        ("cusco_coordinator", CH, None, True),
        ("cusco_coordinator", AD, None, False),
    ]
    # The mirror image for Apurímac's coordinator.
    for target in ("apurimac", "abancay", "muni_abancay"):
        rows.append(("apurimac_coordinator", CH, target, True))
    for target in ("cusco", "cusco_district", "muni_cusco", "muni_san_jeronimo"):
        rows.append(("apurimac_coordinator", VP, target, False))
        rows.append(("apurimac_coordinator", CH, target, False))

    # Official of the Cusco district municipality: own municipality and its territory only.
    for action in (VP, CH):
        for target in ("muni_cusco", "cusco_district"):
            rows.append(("cusco_official", action, target, True))
        for target in (
            "muni_san_jeronimo", "san_jeronimo",  # a neighbouring district
            "muni_cusco_province", "cusco_province",  # the province above: autonomous
            "cusco", "peru", None,  # the region, the country, no place at all
            "muni_abancay", "abancay",  # another region
        ):
            rows.append(("cusco_official", action, target, False))
    for target in EVERY_TARGET:
        rows.append(("cusco_official", VI, target, True))  # internal reading: any role
        rows.append(("cusco_official", AD, target, False))  # officials manage no users

    # Official of San Jerónimo: the other district official, who must see nothing of Cusco's.
    for action in (VP, CH):
        rows.append(("san_jeronimo_official", action, "muni_san_jeronimo", True))
        rows.append(("san_jeronimo_official", action, "san_jeronimo", True))
        rows.append(("san_jeronimo_official", action, "muni_cusco", False))
        rows.append(("san_jeronimo_official", action, "cusco_district", False))
        rows.append(("san_jeronimo_official", action, "muni_cusco_province", False))
    return rows


ROWS = _rows()


@pytest.mark.parametrize(
    ("persona", "action", "target", "expected"),
    ROWS,
    ids=[f"{p}-{a.value}-{t}-{'yes' if e else 'no'}" for p, a, t, e in ROWS],
)
def test_permission_table(personas, tree, persona, action, target, expected):
    user = _user(personas, persona)
    assert has_permission(user, action, _target(tree, target)) is expected


def test_the_table_has_no_contradictory_rows():
    seen: dict[tuple, bool] = {}
    for persona, action, target, expected in ROWS:
        key = (persona, action, target)
        assert seen.setdefault(key, expected) == expected, key


@pytest.fixture
def localities(tree):
    """A village under each district (the tree fixture stops at districts)."""
    return {
        "cusco": make_territory(
            code="0801010001", name="HUANCARO", level=Level.LOCALITY, parent=tree.cusco_district
        ),
        "san_jeronimo": make_territory(
            code="0801040001", name="PICOL", level=Level.LOCALITY, parent=tree.san_jeronimo
        ),
    }


def test_an_official_reaches_the_localities_under_their_district_only(personas, localities):
    official = _user(personas, "cusco_official")
    assert has_permission(official, CH, localities["cusco"])
    assert has_permission(official, VP, localities["cusco"])
    assert not has_permission(official, CH, localities["san_jeronimo"])
    assert has_permission(_user(personas, "cusco_coordinator"), CH, localities["san_jeronimo"])
    assert not has_permission(_user(personas, "apurimac_coordinator"), VP, localities["cusco"])


def test_a_province_official_does_not_reach_the_district_municipalities(tree):
    official = user_create(username="funcionario_provincia_cusco", password=None)
    role_assign(user=official, role=Role.MUNICIPAL_OFFICIAL, institution=tree.muni_cusco_province)
    assert has_permission(official, CH, tree.muni_cusco_province)
    assert has_permission(official, CH, tree.cusco_province)
    assert not has_permission(official, VP, tree.muni_cusco)
    assert not has_permission(official, CH, tree.muni_san_jeronimo)
    assert not has_permission(official, CH, tree.cusco_district)


def test_an_official_does_not_reach_other_institutions_in_their_district(personas, tree):
    school = institution_create(
        name="I.E. 50001", kind=Institution.Kind.SCHOOL,
        government_level=Institution.GovernmentLevel.NONE, territory=tree.cusco_district,
    )
    assert not has_permission(_user(personas, "cusco_official"), CH, school)
    assert has_permission(_user(personas, "cusco_coordinator"), CH, school)


@pytest.mark.parametrize(
    "persona", ["national_admin", "cusco_coordinator", "cusco_official", "viewer", "evaluator"]
)
def test_an_inactive_user_may_do_nothing(personas, tree, persona):
    User.objects.filter(pk=getattr(personas, persona).pk).update(is_active=False)
    user = _user(personas, persona)
    for name in EVERY_TARGET:
        for action in ALL_ACTIONS:
            assert not has_permission(user, action, _target(tree, name)), (action, name)


def test_require_permission_raises_permission_denied_with_a_reason(personas, tree):
    with pytest.raises(PermissionDenied, match="No tiene permiso"):
        require_permission(_user(personas, "san_jeronimo_official"), CH, tree.muni_cusco)
    require_permission(_user(personas, "cusco_official"), CH, tree.muni_cusco)  # no raise


def test_ten_checks_for_one_user_object_cost_one_query(personas, tree, django_assert_num_queries):
    user = _user(personas, "cusco_coordinator")
    targets = [tree.cusco, tree.cusco_district, tree.muni_cusco, tree.abancay, None]
    with django_assert_num_queries(1):
        results = [has_permission(user, action, target) for target in targets
                   for action in (VP, CH)]
    assert len(results) == 10
    assert results == [True, True, True, True, True, True, False, False, True, True]


def test_the_anonymous_public_costs_no_query(tree, django_assert_num_queries):
    with django_assert_num_queries(0):
        for _ in range(10):
            assert not has_permission(AnonymousUser(), Action.VIEW_PRIVATE, tree.muni_cusco)


# --- role_assign: the scope must match the role -------------------------------------------


@pytest.fixture
def somebody(db) -> User:
    return user_create(username="alguien", password=None)


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.REGIONAL_COORDINATOR, {"territory": "cusco_province"}),  # a province, not a region
        (Role.REGIONAL_COORDINATOR, {"territory": "cusco_district"}),
        (Role.REGIONAL_COORDINATOR, {"territory": "peru"}),
        (Role.REGIONAL_COORDINATOR, {}),
        (Role.REGIONAL_COORDINATOR, {"territory": "cusco", "institution": "muni_cusco"}),
        (Role.MUNICIPAL_OFFICIAL, {}),  # without a municipality
        (Role.MUNICIPAL_OFFICIAL, {"territory": "cusco_district"}),  # a place is not a muni
        (Role.VIEWER, {"territory": "cusco"}),
        (Role.VIEWER, {"institution": "muni_cusco"}),
        (Role.EVALUATOR, {"territory": "cusco"}),
        (Role.NATIONAL_ADMIN, {"territory": "peru"}),
    ],
    ids=lambda value: str(value),
)
def test_role_assign_refuses_a_scope_that_does_not_fit_the_role(tree, somebody, role, scope):
    with pytest.raises(ValidationError):
        role_assign(user=somebody, role=role, **{k: getattr(tree, v) for k, v in scope.items()})
    assert not RoleAssignment.objects.filter(user=somebody).exists()


def test_role_assign_refuses_an_institution_that_is_not_a_municipality(tree, somebody):
    school = institution_create(
        name="I.E. 50001", kind=Institution.Kind.SCHOOL,
        government_level=Institution.GovernmentLevel.NONE, territory=tree.cusco_district,
    )
    with pytest.raises(ValidationError):
        role_assign(user=somebody, role=Role.MUNICIPAL_OFFICIAL, institution=school)


def test_role_assign_gives_an_official_their_municipality_territory_and_is_idempotent(
    tree, somebody
):
    first = role_assign(user=somebody, role=Role.MUNICIPAL_OFFICIAL, institution=tree.muni_cusco)
    again = role_assign(user=somebody, role=Role.MUNICIPAL_OFFICIAL, institution=tree.muni_cusco)
    assert first.pk == again.pk
    assert first.territory == tree.cusco_district
    assert RoleAssignment.objects.filter(user=somebody).count() == 1
