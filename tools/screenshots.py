"""`make screenshots`: every page of the journeys at phone (360×800, the narrow phones the
pages are made for) and desktop (1366×900) sizes, written to docs/screenshots/*.png.

It builds a throwaway SQLite database with the demo data, serves it with uvicorn, gives each
demo role a session on it and photographs the pages in Chromium. PNGs are reduced to a
256-colour palette to stay small.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
SIZES = {"phone": {"width": 360, "height": 800}, "desktop": {"width": 1366, "height": 900}}
MAX_HEIGHT = {"phone": 1800, "desktop": 1400}

CITIZEN, OWNER, STAFF = "0900000020", "0900000010", "0900000011"
OFFICER, HEALTH = "0900000002", "0900000005"
INSPECTOR, ADMIN = "0900000007", "0900000001"


@dataclass(frozen=True)
class Shot:
    name: str
    phone: str | None  # who is logged in; None = a visitor
    path: str
    wait_for: str = "main"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "1", "KIEMDICH_DATA_DIR": str(data_dir),
           "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}", "SMS_BACKEND": "file",
           "PUBLIC_BASE_URL": "http://127.0.0.1", "HOME_AREA": "75"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["load_areas"], ["seed_demo"]):
        subprocess.run(manage + command, env=env, cwd=ROOT, check=True,  # noqa: S603
                       stdout=subprocess.DEVNULL)
    return env


def shots(env: dict[str, str]) -> list[Shot]:
    """The pages of the journeys, with the ids the demo data gave them."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from kiemdich.accounts.services import account_for_phone
    from kiemdich.people.models import Person
    from kiemdich.tracing.models import Case
    from kiemdich.venues.models import Venue, VenueStaff

    me = Person.objects.get(account=account_for_phone(CITIZEN), is_self=True)
    staffed = VenueStaff.objects.filter(phone=account_for_phone(STAFF).phone).first().venue
    venue = Venue.objects.filter(owner=account_for_phone(OWNER)).order_by("pk").first()
    case = Case.objects.order_by("pk").first()
    return [
        Shot("01-welcome", None, "/"),
        Shot("02-login", None, "/accounts/login/"),
        Shot("03-citizen-home", CITIZEN, "/"),
        Shot("04-declaration", CITIZEN, f"/declare/{me.pk}/"),
        Shot("05-personal-qr", CITIZEN, f"/people/{me.pk}/qr/", ".qr-code svg"),
        Shot("06-poster-checkin", CITIZEN, f"/v/{staffed.code}"),
        Shot("07-venue-register", OWNER, "/venues/new/"),
        Shot("08-venue-poster-staff", OWNER, f"/venues/{venue.pk}/"),
        Shot("09-kiosk", STAFF, f"/scan/{staffed.pk}/", "#scan-input"),
        Shot("10-live", OWNER, f"/scan/{staffed.pk}/live/", "#live[data-connected='1']"),
        Shot("11-reports", OFFICER, "/reports/", "#totals"),
        Shot("12-tracing-case", HEALTH, f"/tracing/{case.pk}/", "#places"),
        Shot("13-symptom-alerts", HEALTH, "/alerts/"),
        Shot("14-progress", None, "/progress/"),
        Shot("15-coverage", OFFICER, "/reports/coverage/?area=75"),
        Shot("16-compliance", OFFICER, "/reports/compliance/?area=75&kind=venues"),
        Shot("17-daily-reports", OFFICER, "/reports/daily/"),
        Shot("18-inspection-form", INSPECTOR, "/reports/inspections/new/"),
        Shot("19-zones", HEALTH, "/zones/"),
        Shot("20-officers", ADMIN, "/accounts/officers/"),
    ]


def log_in(base: str, phone: str) -> dict:
    """A logged-in browser state for the demo account: a session made on the server's
    database (the login form's code is an SMS that only a job worker would send)."""
    from django.conf import settings
    from django.test import Client

    from kiemdich.accounts.services import account_for_phone

    client = Client()
    client.force_login(account_for_phone(phone))
    cookie = {"name": settings.SESSION_COOKIE_NAME, "url": base,
              "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    return {"cookies": [cookie], "origins": []}


def shrink(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> None:
    from playwright.sync_api import sync_playwright

    data_dir = Path(tempfile.mkdtemp(prefix="kiemdich-shots-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = prepare(data_dir)
    server = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "uvicorn", "kiemdich.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"], env=env, cwd=ROOT)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/progress/", timeout=2)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        plan = shots(env)
        # Before Playwright: its event loop makes Django refuse database work.
        states = {p: log_in(base, p) for p in {s.phone for s in plan if s.phone}}
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            # A Vietnamese browser: date fields show dd/mm/yyyy as the readers' phones do
            # (where Chromium has its Vietnamese locale, Debian's chromium-l10n; without it
            # they stay in the American order).
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu", "--lang=vi-VN"])
            for size, viewport in SIZES.items():
                for shot in plan:
                    context = browser.new_context(
                        base_url=base, viewport=viewport, locale="vi-VN",
                        storage_state=states.get(shot.phone))
                    page = context.new_page()
                    page.goto(shot.path)
                    page.wait_for_selector(shot.wait_for)
                    # The live page keeps its event stream open: no "network idle" there.
                    page.wait_for_load_state("load")
                    page.wait_for_timeout(300)
                    height = min(page.evaluate("document.documentElement.scrollHeight"),
                                 MAX_HEIGHT[size])
                    target = OUT / f"{shot.name}-{size}.png"
                    page.screenshot(path=str(target), full_page=True,
                                    clip={"x": 0, "y": 0, "width": viewport["width"],
                                          "height": height})
                    shrink(target)
                    print(target.relative_to(ROOT), target.stat().st_size // 1024, "KB")
                    context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
