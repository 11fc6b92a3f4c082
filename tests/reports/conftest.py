from __future__ import annotations

import pytest
from django.test import Client

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role


@pytest.fixture
def portal(db):
    """A logged-in portal client for an officer: portal("0912…", role, area, sector)."""

    def make(phone: str, role: str = Role.OFFICER, area=None, sector: str = "") -> Client:
        grant = grant_role(phone, role, area, sector)
        client = Client()
        client.force_login(grant.user)
        return client

    return make
