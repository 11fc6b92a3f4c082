"""Every portal page, for every kind of visitor: security headers and a strict CSP, no inline
script or style the CSP would have to allow, CSRF on every form, no server error.

The pages come from the URL configuration itself; a new page whose path parameters this test
cannot fill fails `test_every_page_parameter_is_known`, so no page escapes the check.
"""

from __future__ import annotations

import re

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kiemdich.core.middleware import CONTENT_SECURITY_POLICY
from tests.security.world import build

pytestmark = pytest.mark.django_db

VISITORS = ("anon", "citizen", "owner", "staff", "officer", "health", "admin")
SKIPPED_PREFIXES = ("api/v1/", "admin/")  # the API has its own suite; Django's admin its own


def _patterns(patterns=None, prefix: str = "") -> list[str]:
    found = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            found += _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            found.append(prefix + str(p.pattern))
    return [p for p in found if not p.startswith(SKIPPED_PREFIXES)]


PAGES = sorted(_patterns())
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _values(ids: dict) -> dict[str, object]:
    return {"person_id": ids["person"], "serial": ids["serial"], "alert_id": ids["alert"],
            "venue_id": ids["venue"], "device_id": ids["device"], "case_id": ids["case"],
            "batch_id": ids["batch"], "notice_id": ids["notice"], "pause_id": ids["pause"],
            "code": ids["venue_code"], "pk": 1,
            # No such failed task or case request: the page answers 404 with its protections.
            "task_id": "no-such-task", "request_id": 1,
            # The first account and its first grant; a confirmation page only asks.
            "user_id": 1, "grant_id": 1, "action": "disable", "zone_id": 1}


def _url(pattern: str, ids: dict) -> str:
    values = _values(ids)
    return "/" + PARAMETER.sub(lambda m: str(values[m.group(1)]), pattern)


def test_every_page_parameter_is_known():
    known = set(_values(dict.fromkeys(
        ("person", "serial", "alert", "venue", "device", "case", "batch", "notice", "pause",
         "venue_code"), 1)))
    unknown = {name for page in PAGES for name in PARAMETER.findall(page)} - known
    assert not unknown, f"pages with parameters this suite cannot fill: {unknown}"


@pytest.fixture
def world(areas):
    return build(areas)


def _browser(world, visitor: str, **kw) -> Client:
    client = Client(**kw)
    if visitor != "anon":
        client.force_login(world.clients[visitor].user)
    return client


def _get(client: Client, url: str):
    response = client.get(url)
    if response.streaming:
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
    return response


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
POST_FORM = re.compile(r"<form\b[^>]*method=[\"']?post[\"']?[^>]*>(.*?)</form>", re.I | re.S)


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_page_is_served_with_the_protections(world, visitor):
    client = _browser(world, visitor)
    problems = []
    for pattern in PAGES:
        url = _url(pattern, world.ids)
        response = _get(client, url)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
            continue
        headers = response.headers
        if headers.get("Content-Security-Policy") != CONTENT_SECURITY_POLICY:
            problems.append(f"{url}: CSP {headers.get('Content-Security-Policy')!r}")
        for name, value in (("X-Content-Type-Options", "nosniff"),
                            ("X-Frame-Options", "DENY"),
                            ("Referrer-Policy", "same-origin"),
                            ("Cross-Origin-Opener-Policy", "same-origin")):
            if headers.get(name) != value:
                problems.append(f"{url}: {name} {headers.get(name)!r}")
        if "Permissions-Policy" not in headers:
            problems.append(f"{url}: no Permissions-Policy")
        if response.streaming or "text/html" not in headers.get("Content-Type", ""):
            continue
        html = response.content.decode()
        for name, rx in (("inline script", INLINE_SCRIPT), ("style attribute", INLINE_STYLE),
                         ("inline event handler", INLINE_HANDLER)):
            if rx.search(html):
                problems.append(f"{url}: {name}: {rx.search(html).group(0)[:80]}")
        for form in POST_FORM.findall(html):
            if "csrfmiddlewaretoken" not in form:
                problems.append(f"{url}: a POST form without a CSRF token")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("visitor", ["citizen", "owner", "health", "admin"])
def test_no_page_accepts_a_post_without_the_csrf_token(world, visitor):
    client = _browser(world, visitor, enforce_csrf_checks=True)
    accepted = []
    for pattern in PAGES:
        url = _url(pattern, world.ids)
        response = client.post(url, {"confirm": "on", "phone": "0912000044", "name": "x"})
        if response.status_code not in (403, 405):
            accepted.append(f"{url}: {response.status_code}")
    assert not accepted, "POST accepted without CSRF:\n" + "\n".join(accepted)
