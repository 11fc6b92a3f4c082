"""Django's admin site has no password form of its own: its only way in is the portal's
phone + one-time-code login, which is rate-limited; `ADMIN_ENABLED=0` removes it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_admin_login_sends_to_the_one_time_code_login(client):
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/?next=/admin/")
    # No password is ever checked there: a guessing script gets the same redirect.
    tries = [client.post("/admin/login/", {"username": "+84912000099", "password": str(n)})
             for n in range(20)]
    assert {t.status_code for t in tries} == {302}
    assert all(t["Location"].startswith("/accounts/login/") for t in tries)


def test_an_admin_logged_in_by_one_time_code_reaches_the_admin_site(areas):
    grant_role("0912000099", Role.ADMIN, None)
    client = Client()
    client.force_login(client_for("0912000099").user)
    assert client.get("/admin/").status_code == 200


def test_admin_enabled_off_removes_the_admin_site():
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='kiemdich.settings';"
            "django.setup(); from django.urls import resolve, Resolver404\n"
            "try:\n resolve('/admin/'); print('served')\n"
            "except Resolver404: print('absent')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**__import__("os").environ, "ADMIN_ENABLED": "0"}, check=True)
    assert done.stdout.strip() == "absent"
