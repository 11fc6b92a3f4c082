"""Script payloads in names stay text: escaped in every page that shows them, plain cells in
exports, and JSON strings in the live feed that its script only ever sets as textContent."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from kiemdich.core.masking import mask_name
from kiemdich.people.models import Person
from kiemdich.scans.live import event_stream
from kiemdich.tracing.models import Case
from kiemdich.venues.models import Venue
from tests.conftest import case_report
from tests.security.world import build

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PERSON_NAME = f"{SCRIPT} Văn {IMG}"
VENUE_NAME = f"{IMG} Quán {SCRIPT}"
RAW = (SCRIPT, "<img src=x onerror")


@pytest.fixture
def world(areas):
    world = build(areas)
    for person in ("person", "child"):
        response = world.clients["citizen"].patch(f"/api/v1/people/{world.ids[person]}",
                                                  {"full_name": PERSON_NAME})
        assert response.status_code == 200, response.content
    Venue.objects.filter(pk=world.ids["venue"]).update(name=VENUE_NAME)
    world.ids["lan_case"] = Case.objects.create(
        person_id=world.ids["person"], area_id=Person.objects.get(
            pk=world.ids["person"]).area_id, confirmed_at=timezone.now(),
        window_start=timezone.now() - timedelta(days=14),
        window_end=timezone.now() + timedelta(hours=1),
        margin_minutes=60, created_by=world.clients["health"].user).pk
    return world


def _scan_lan(world, django_capture_on_commit_callbacks, execute=True):
    qr = world.clients["citizen"].get(f"/api/v1/people/{world.ids['person']}/qr").json()
    with django_capture_on_commit_callbacks(execute=execute) as callbacks:
        response = world.clients["staff"].post(f"/api/v1/venues/{world.ids['venue']}/scans",
                                               {"code": qr["payload"], "direction": "in"})
    assert response.status_code == 201, response.content
    return response, callbacks


def _pages(world) -> dict[str, list[str]]:
    ids = world.ids
    return {
        "citizen": ["/", f"/people/{ids['person']}/edit/", f"/people/{ids['person']}/qr/",
                    f"/people/{ids['person']}/card/", "/people/my-data/", "/privacy/",
                    "/scan/history/"],
        "owner": ["/", "/venues/", f"/venues/{ids['venue']}/", f"/venues/{ids['venue']}/edit/",
                  f"/scan/{ids['venue']}/live/", f"/scan/{ids['venue']}/visits/"],
        "staff": ["/", f"/scan/{ids['venue']}/"],
        "officer": ["/venues/directory/", f"/venues/directory/{ids['venue']}/"],
        "health": ["/alerts/", f"/alerts/{ids['alert']}/", f"/tracing/{ids['lan_case']}/",
                   "/tracing/"],
        "admin": ["/privacy/audit/"],
    }


def test_payloads_are_escaped_in_every_page(world, django_capture_on_commit_callbacks):
    _scan_lan(world, django_capture_on_commit_callbacks)
    shown_escaped = 0
    for visitor, urls in _pages(world).items():
        client = Client()
        client.force_login(world.clients[visitor].user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (visitor, url, response.status_code)
            html = response.content.decode()
            for raw in RAW:
                assert raw not in html, f"{visitor} {url} shows {raw!r} unescaped"
            shown_escaped += "&lt;script&gt;" in html or "&lt;img src=x" in html
    assert shown_escaped >= 8  # the payloads did reach the pages, escaped


def test_payloads_stay_plain_text_in_exports(world, django_capture_on_commit_callbacks):
    _scan_lan(world, django_capture_on_commit_callbacks)
    officer, health = world.clients["officer"], world.clients["health"]
    response = officer.get("/api/v1/venues/directory/export", {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert any(VENUE_NAME in cell for row in rows for cell in row)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    # Nam's case lists Lan's child, now named with the payloads, as a contact at the café.
    xlsx = case_report(health, world.ids["case"], "xlsx")
    cells = [c for sheet in load_workbook(io.BytesIO(xlsx.content)).worksheets
             for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(c.value == VENUE_NAME for c in cells)
    assert any(c.value == PERSON_NAME for c in cells)
    assert all(c.data_type != "f" for c in cells)


def test_the_live_feed_carries_masked_names_as_json_text(world,
                                                         django_capture_on_commit_callbacks):
    assert settings.PUBSUB_BACKEND == "memory"
    response, callbacks = _scan_lan(world, django_capture_on_commit_callbacks, execute=False)
    assert response.json()["person"]["display_name"] == mask_name(PERSON_NAME)

    async def allowed() -> bool:
        return True

    async def first_event() -> str:
        stream = event_stream(world.ids["venue"], allowed, heartbeat=5)
        assert "event: ready" in await stream.__anext__()
        for callback in callbacks:  # the commit happens: the scan is announced
            callback()
        chunk = await asyncio.wait_for(stream.__anext__(), 5)
        await stream.aclose()
        return chunk

    chunk = asyncio.run(first_event())
    data = json.loads(chunk.split("data: ", 1)[1])
    assert data["person"]["display_name"] == mask_name(PERSON_NAME)
    assert data["person"]["masked"] is True and IMG not in chunk

    script = (Path(settings.BASE_DIR) / "kiemdich/static/scans/live.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in script


def _pdf_text(response) -> str:
    import pypdfium2

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    # Without spaces: table cells wrap long words wherever they must.
    return "".join("".join(page.get_textpage().get_text_range().split()) for page in document)


def _compact(text: str) -> str:
    return "".join(text.split())


def test_every_pdf_prints_the_payloads_as_text(world, django_capture_on_commit_callbacks):
    """Names with markup once made the case export answer 500 (reportlab parses paragraph
    text as markup): every PDF prints them as they were typed."""
    from kiemdich.privacy.models import AuditEntry

    _scan_lan(world, django_capture_on_commit_callbacks)
    health, citizen = world.clients["health"], world.clients["citizen"]
    case = _pdf_text(case_report(health, world.ids["case"], "pdf"))
    assert _compact(PERSON_NAME) in case and _compact(VENUE_NAME) in case
    assert AuditEntry.objects.filter(action="case_export", target__endswith=
                                     f":{world.ids['case']}").count() == 1
    assert _compact(PERSON_NAME) in _pdf_text(citizen.get("/api/v1/me/export.pdf"))
    card = citizen.get(f"/api/v1/people/{world.ids['person']}/card.pdf")
    assert _compact(IMG) in _pdf_text(card)  # a card cuts long words to its narrow column
    poster = world.clients["owner"].get(f"/api/v1/venues/{world.ids['venue']}/poster.pdf")
    assert _compact(VENUE_NAME) in _pdf_text(poster)


def test_an_export_that_fails_is_audited_as_failed(world, monkeypatch):
    from kiemdich.privacy.models import AuditEntry
    from kiemdich.tracing import exports

    def broken(*args, **kwargs):
        raise RuntimeError("the PDF library failed")

    monkeypatch.setattr(exports, "_pdf", broken)
    health = world.clients["health"]
    started = health.post(f"/api/v1/cases/{world.ids['case']}/exports", {"format": "pdf"})
    assert started.status_code == 202
    # The worker's run fails; the task says so in words, never with the error's text.
    from kiemdich.jobs import tasks

    assert tasks.execute(started.json()["id"]) == "failed"
    status = health.get(f"/api/v1/tasks/{started.json()['id']}").json()
    assert (status["status"], status["result_url"], status["download_url"]) == \
        ("failed", None, None)
    assert "PDF library" not in status["message"] and status["message"]
    actions = list(AuditEntry.objects.filter(target__endswith=f":{world.ids['case']}",
                                             action__startswith="case_export")
                   .values_list("action", flat=True))
    assert actions == ["case_export_failed"]
