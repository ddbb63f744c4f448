"""Shared fixtures: the Cusco slice of the tree and the named personas.

Fast password hashing in tests (Argon2 itself is checked in accounts/tests/test_security.py).
"""

from __future__ import annotations

import pytest

from minka.territories.tests.factories import CuscoTree


@pytest.fixture(autouse=True)
def _analytics_store_per_test(settings, tmp_path):
    """Each test gets its own analytics store, so results never leak between tests."""
    settings.ANALYTICS_STORE = tmp_path / "analytics.duckdb"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db) -> CuscoTree:
    return CuscoTree()


class Personas:
    """The people every permission test talks about, on the Cusco slice of the tree."""

    def __init__(self, tree: CuscoTree) -> None:
        from minka.accounts.models import Role
        from minka.accounts.services import role_assign, user_create

        def person(username: str, role: str | None, **scope):
            user = user_create(username=username, password="correct horse battery")
            if role:
                role_assign(user=user, role=role, **scope)
            return user

        self.national_admin = person("admin_nacional", Role.NATIONAL_ADMIN)
        self.cusco_coordinator = person(
            "coordinadora_cusco", Role.REGIONAL_COORDINATOR, territory=tree.cusco
        )
        self.apurimac_coordinator = person(
            "coordinador_apurimac", Role.REGIONAL_COORDINATOR, territory=tree.apurimac
        )
        self.cusco_official = person(
            "funcionaria_cusco", Role.MUNICIPAL_OFFICIAL, institution=tree.muni_cusco
        )
        self.san_jeronimo_official = person(
            "funcionario_san_jeronimo", Role.MUNICIPAL_OFFICIAL,
            institution=tree.muni_san_jeronimo,
        )
        self.evaluator = person("evaluadora", Role.EVALUATOR)
        self.viewer = person("observador", Role.VIEWER)
        self.no_role = person("sin_rol", None)


@pytest.fixture
def personas(tree: CuscoTree) -> Personas:
    return Personas(tree)
