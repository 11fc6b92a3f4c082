"""Real Chromium (Debian's) driven by Playwright against the live test server."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# Playwright's sync API runs its own event loop in this thread; Django's ORM calls made by
# fixtures around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]


# One browser a module, not a session: while Playwright's sync API runs, its event loop is
# the running loop of this thread, so a later test of another module in the same worker that
# runs an event loop of its own (the live feed under ASGI, the load driver) would fail with
# "cannot be called from a running event loop" — a failure that came and went with the order
# in which the workers took the tests.
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: apt-get install chromium (make test installs it)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def lang() -> str:
    """The interface language of `page`; journeys parametrize it over "vi" and "en"."""
    return "vi"


def in_lang(lang: str, text: str) -> str:
    """What the interface shows for the Vietnamese source `text` in `lang`."""
    from django.utils import translation

    with translation.override(lang):
        return translation.gettext(text)


@pytest.fixture
def t(lang):
    return lambda text: in_lang(lang, text)


@contextmanager
def camera_showing(browser, base_url: str, text: str, tmp_path) -> Iterator:
    """A 360 px context whose camera films `text` as a QR code (Chromium's fake camera), with
    no BarcodeDetector, as on an iPhone or in Firefox: readers fall back to our own jsQR."""
    video = tmp_path / "camera.y4m"
    y4m_of(text, video)
    camera = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = new_context(camera, base_url, "vi", viewport={"width": 360, "height": 740},
                              permissions=["camera"])
        context.add_init_script("delete window.BarcodeDetector;")
        yield context
        context.close()
    finally:
        camera.close()


def y4m_of(text: str, path) -> None:
    """A camera's video of a personal QR code on a desk, as Chromium's fake camera plays it."""
    import segno
    from PIL import Image

    drawn = io.BytesIO()
    segno.make(text, error="m").save(drawn, kind="png", scale=6, border=4)
    code = Image.open(drawn).convert("L")
    frame = Image.new("L", (640, 480), 200)
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _frame in range(10):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def new_context(browser, base_url: str, lang: str = "vi", **options):
    """A phone-sized context speaking `lang` (the language cookie, as the switch sets it)."""
    from django.conf import settings

    options.setdefault("viewport", {"width": 390, "height": 844})
    context = browser.new_context(base_url=base_url,
                                  locale="vi-VN" if lang == "vi" else "en-GB", **options)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang,
                          "url": base_url}])
    return context


@pytest.fixture
def page(browser, live_server, lang):
    context = new_context(browser, live_server.url, lang)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(outbox):
    """Log a page in through the real login form, reading the code from the SMS outbox."""

    def do_login(page, phone: str, next_path: str = "/") -> None:
        page.goto(f"/accounts/login/?next={next_path}")
        fill_login(page, outbox, phone)
        page.wait_for_load_state()

    return do_login


def fill_login(page, outbox, phone: str) -> None:
    """The login form the page shows, through the code read from the SMS outbox."""
    from kiemdich.accounts.phones import normalize_phone

    page.fill("input[name=phone]", phone)
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", outbox.last_code(normalize_phone(phone)))
    page.click("button[type=submit]")


@pytest.fixture
def sign_in(live_server):
    """Put a logged-in session for `user` (and a language) into a browser context, for pages
    whose journey is not about logging in."""

    def do_sign_in(context, user=None, lang: str | None = None) -> None:
        from django.conf import settings
        from django.test import Client

        cookies = []
        if user is not None:
            client = Client()
            client.force_login(user)
            cookies.append({"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                            "value": client.cookies[settings.SESSION_COOKIE_NAME].value})
        if lang:
            cookies.append({"name": settings.LANGUAGE_COOKIE_NAME, "value": lang,
                            "url": live_server.url})
        context.add_cookies(cookies)

    return do_sign_in


def screenshot(page, name: str) -> None:
    """A full-page PNG into SCREENSHOT_DIR, when set, to look at a page at phone width."""
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=f"{shots}/{name}.png", full_page=True)
