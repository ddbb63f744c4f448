"""Shared fixtures: the Cusco slice of the tree and the named personas.

Fast password hashing in tests (Argon2 itself is checked in accounts/tests/test_security.py).
"""

from __future__ import annotations

import pytest

from minka.territories.tests.factories import CuscoTree


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db) -> CuscoTree:
    return CuscoTree()
