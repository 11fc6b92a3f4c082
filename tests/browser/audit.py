"""Checks every page of the journeys must pass in Chromium: no external request, no wider
than a 360 px phone, at most 200 KB of document + CSS + JS, no serious or critical axe-core
violation, and (in English) no Vietnamese interface text left."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import axe_playwright_python
import polib
from django.conf import settings

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
PAGE_BUDGET_BYTES = 200 * 1024
PHONE = {"width": 360, "height": 740}
COUNTED = {"document", "stylesheet", "script"}
LANG_COOKIE = settings.LANGUAGE_COOKIE_NAME
# Vietnamese letters that English never uses: a string carrying one is Vietnamese.
VI_LETTER = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụ"
                       r"ừứửữựỳýỷỹỵ]")


@cache
def vietnamese_interface_text() -> tuple[str, ...]:
    """The Vietnamese source strings of the interface (literal parts of each msgid) that the
    English catalogue translates to something else: none may show on an English page."""
    po = polib.pofile(str(Path(settings.BASE_DIR) / "kiemdich/locale/en/LC_MESSAGES/django.po"))
    parts: set[str] = set()
    english = " ".join(e.msgstr for e in po)  # what English pages legitimately show (the name)
    for entry in po:
        if entry.obsolete or entry.msgstr == entry.msgid:
            continue
        for part in re.split(r"%\(\w+\)[sd]|[“”\"():·—\n]", entry.msgid):
            part = part.strip(" .,;?!–-")
            if len(part) >= 4 and " " in part and VI_LETTER.search(part) \
                    and part not in english:
                parts.add(part)
    return tuple(sorted(parts, key=len, reverse=True))


@dataclass
class Visit:
    path: str
    bytes: int = 0
    external: list[str] = field(default_factory=list)


class Auditor:
    """Wraps a browser context: counts what each page loads and refuses foreign requests."""

    def __init__(self, context, base_url: str) -> None:
        self.context = context
        self.base = base_url.rstrip("/")
        self.current: Visit | None = None
        context.route("**/*", self._route)
        context.on("response", self._response)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base + "/") or url.startswith("data:"):
            route.continue_()
            return
        if self.current is not None:
            self.current.external.append(url)
        route.abort()

    def _response(self, response) -> None:
        if self.current is None or response.request.resource_type not in COUNTED:
            return
        if not response.url.startswith(self.base):
            return
        try:
            self.current.bytes += len(response.body())
        except Exception:  # noqa: BLE001 (a redirect or aborted body has no size to count)
            return

    def open(self, page, path: str, ready: str = "main") -> Visit:
        self.current = Visit(path)
        response = page.goto(path)
        assert response is not None and response.status < 400, (path, response and response.status)
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("load")
        return self.current


def problems(page, visit: Visit, lang: str) -> list[str]:
    """Everything wrong with the open page, as readable lines (empty = all good)."""
    found = []
    if visit.external:
        found.append(f"external requests: {visit.external}")
    if visit.bytes > PAGE_BUDGET_BYTES:
        found.append(f"{visit.bytes} bytes of document + CSS + JS (budget {PAGE_BUDGET_BYTES})")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width > PHONE["width"]:
        found.append(f"scrolls sideways: {width}px wide at {PHONE['width']}px")
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate("""async () => (await axe.run(document)).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")
    found += [f"axe {v}" for v in violations]
    if lang == "en":
        text = page.evaluate("""() => [document.title, document.body.innerText,
            ...[...document.querySelectorAll('[placeholder],[aria-label],[title],img[alt]')]
              .filter(e => !e.closest('[lang=vi]'))
              .map(e => [e.placeholder, e.getAttribute('aria-label'), e.title, e.alt]
                   .filter(Boolean).join(' '))].join('\\n')""")
        left = [s for s in vietnamese_interface_text() if s in text]
        if left:
            found.append(f"Vietnamese interface text on an English page: {left[:5]}")
    return found
