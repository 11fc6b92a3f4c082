"""The interactive API documentation works without the internet: every file it loads comes
from this server (django-ninja's own Swagger UI files), under the strict CSP of every page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import new_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_every_operation_from_this_server_alone(browser, live_server):
    context = new_context(browser, live_server.url, viewport={"width": 1280, "height": 900})
    origin = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    # No other origin is reachable: a CDN request is recorded and fails, as offline.
    context.route("**/*", lambda route: (
        route.continue_() if urlsplit(route.request.url).netloc == origin
        else (elsewhere.append(route.request.url), route.abort())))
    page = context.new_page()
    refused: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI parses a 1.5 MB script and renders every operation: slow on a busy machine.
    try:
        page.wait_for_selector(".opblock-summary-path", timeout=90_000)
    except Exception as exc:
        raise AssertionError(f"no operation rendered; console errors: {errors}") from exc
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/venues/{venue_id}/scans" in p.replace("\u200b", "") for p in paths)
    page.locator(".opblock-summary", has_text="/api/v1/health").first.click()
    page.wait_for_selector(".opblock-body", timeout=30_000)
    assert elsewhere == [] and refused == [], (elsewhere, refused)
    context.close()
