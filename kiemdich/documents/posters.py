"""Venue posters: the venue's check-in QR code printed large, with bilingual instructions.

The layout is designed once on A4 and scaled uniformly for A5 and A6, so every size has the
same look and the QR code keeps its share of the page. A6 posters (table cards, counters,
vehicles) are printed four to an A4 sheet, as offices print them, with cut lines between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from reportlab.lib.pagesizes import A4, A5, A6
from reportlab.lib.units import cm, mm

from kiemdich.documents._render import (
    WHITE,
    Box,
    Page,
    Shape,
    Text,
    fit_lines,
    make_qr,
    placed,
    qr_symbol,
    render_pdf,
    render_png,
    text_lines,
)

PaperSize = Literal["A4", "A5", "A6"]
_PAPER: dict[str, tuple[float, float]] = {"A4": A4, "A5": A5, "A6": A6}

_W, _H = A4
_MARGIN = 14 * mm
_CONTENT_W = _W - 2 * _MARGIN

_DARK = "#0b4f6c"
_HEADER_SUBTITLE = "#cfe4ee"
_MUTED = "#44505a"
_TINT = "#e9f1f5"
_CUT_LINE = "#9aa5ad"

# Vertical zones of the A4 layout, in points from the top edge.
_HEADER_H = 58
_VENUE_TOP = 68
_INSTRUCTIONS_H = 56
_INSTRUCTIONS_TOP = _H - 14 - _INSTRUCTIONS_H
_CODE_H = 40
_CODE_TOP = _INSTRUCTIONS_TOP - 8 - _CODE_H
_QR_ZONE = (_VENUE_TOP + 102, _CODE_TOP - 4)

# At least 15 cm on A4 so that phones pick the code up from a couple of metres; the extra
# 5 mm absorbs printer scaling ("fit to page"). Version 4 (33 modules) caps the module, and
# so the 4-module quiet zone, at 4.7 mm: symbol plus quiet zones then fit in _QR_ZONE.
_QR_SIZE = 15.5 * cm
_QR_MIN_VERSION = 4
# 'Q' (25 % recovery): posters get scratched, stained and laminated (glare), and a large
# symbol has room for the extra modules.
_QR_ERROR = "q"

_TITLE_VI = "MÃ QR KIỂM SOÁT RA VÀO"
_TITLE_EN = "ENTRY–EXIT QR CODE"
_INSTRUCTIONS = (
    ("Quét mã này bằng ứng dụng / camera để khai báo vào–ra", "Scan this code to check in/out"),
    ("Hoặc đưa mã QR cá nhân của bạn cho nhân viên quét", "Or show your personal QR code to staff"),
)


@dataclass(frozen=True)
class PosterInfo:
    name: str
    address: str
    code: str
    checkin_url: str
    venue_type_label: str


def format_short_code(code: str) -> str:
    """`"K7QM2XHP9RTA"` → `"K7QM-2XHP-9RTA"`: blocks of four are easier to read and type."""
    compact = "".join(code.split()).replace("-", "")
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def poster_pdf(info: PosterInfo, size: PaperSize = "A4") -> bytes:
    """A one-page PDF poster for one venue on A4 or A5 paper; on A6, one A4 sheet with four
    copies of it (a place usually needs several small ones: tables, counters, doors)."""
    return posters_pdf([info] * (_PER_SHEET if size == "A6" else 1), size)


def posters_pdf(infos: Sequence[PosterInfo], size: PaperSize = "A4",
                progress: Callable[[int], None] | None = None) -> bytes:
    """One PDF of the posters in the given order: one page each on A4 and A5, four to an A4
    sheet (left to right, top to bottom) on A6. `progress(n)` is told each poster laid out
    (a long task's progress bar)."""
    if size not in _PAPER:
        raise ValueError(f"size must be one of {', '.join(_PAPER)}, not {size!r}")
    if not infos:
        raise ValueError("at least one venue is needed to print posters")
    names = {info.name for info in infos}
    title = f"Mã QR – {infos[0].name}" if len(names) == 1 else "Mã QR địa điểm / Venue QR codes"
    pages = []
    for info in infos:
        pages.append(_poster_page(info))
        if progress is not None:
            progress(len(pages))
    if size == "A6":
        sheets = [_a6_sheet(pages[i:i + _PER_SHEET]) for i in range(0, len(pages), _PER_SHEET)]
        return render_pdf(sheets, title=title)
    return render_pdf(pages, title=title, page_size=_PAPER[size])


_PER_SHEET = 4  # A6 is a quarter of A4


def _a6_sheet(pages: Sequence[Page]) -> Page:
    """Up to four A4 poster layouts scaled to A6 in the quarters of one A4 sheet."""
    a6_w, a6_h = A6
    scale = min(a6_w / _W, a6_h / _H)
    # A6 (105 × 148 mm) is a hair shorter than half of A4 (148.5 mm): centred in its quarter.
    cell_w, cell_h = _W / 2, _H / 2
    shapes: list[Shape] = []
    for index, page in enumerate(pages):
        row, column = divmod(index, 2)
        x = column * cell_w + (cell_w - _W * scale) / 2
        y = row * cell_h + (cell_h - _H * scale) / 2
        shapes += placed(page, x, y, scale)
    # Hairlines on the two cuts, over the posters' margins and header bands only.
    shapes += [Box(cell_w - 0.15, 0, 0.3, _H, fill=_CUT_LINE),
               Box(0, cell_h - 0.15, _W, 0.3, fill=_CUT_LINE)]
    return Page(_W, _H, shapes)


def poster_png(info: PosterInfo, dpi: int = 150) -> bytes:
    """The A4 poster as a PNG image, e.g. for a preview or for sharing by message."""
    return render_png(_poster_page(info), dpi=dpi)


def _poster_page(info: PosterInfo) -> Page:
    shapes: list[Shape] = [
        Box(0, 0, _W, _HEADER_H, fill=_DARK),
        Text(_W / 2, 31, _TITLE_VI, 22, bold=True, color=WHITE, align="center"),
        Text(_W / 2, 48, _TITLE_EN, 12, color=_HEADER_SUBTITLE, align="center"),
    ]
    shapes += _venue(info)
    qr = make_qr(info.checkin_url, error=_QR_ERROR, min_version=_QR_MIN_VERSION)
    zone_top, zone_bottom = _QR_ZONE
    qr_top = zone_top + (zone_bottom - zone_top - _QR_SIZE) / 2
    shapes.append(qr_symbol(qr, (_W - _QR_SIZE) / 2, qr_top, _QR_SIZE))
    shapes += _manual_code(info.code)
    shapes += _instructions()
    return Page(_W, _H, shapes)


def _venue(info: PosterInfo) -> list[Shape]:
    center = _W / 2
    label_size, label = fit_lines(
        info.venue_type_label, width=_CONTENT_W, max_size=10, min_size=8, max_lines=1, bold=True
    )
    y: float = _VENUE_TOP + 10
    shapes: list[Shape] = text_lines(
        label, center, y, label_size, 0, bold=True, color=_DARK, align="center"
    )
    name_size, name = fit_lines(
        info.name, width=_CONTENT_W, max_size=22, min_size=14, max_lines=2, bold=True
    )
    y += 6 + name_size
    shapes += text_lines(name, center, y, name_size, 1.2 * name_size, bold=True, align="center")
    address_size, address = fit_lines(
        info.address, width=_CONTENT_W, max_size=11, min_size=9, max_lines=2
    )
    y += (len(name) - 1) * 1.2 * name_size + 4 + 1.3 * address_size
    shapes += text_lines(
        address, center, y, address_size, 1.3 * address_size, color=_MUTED, align="center"
    )
    return shapes


def _manual_code(code: str) -> list[Shape]:
    label_x = _MARGIN + 10
    # The code is centred on the page, so it may use the box width minus a label-wide
    # strip on both sides.
    label_strip = 90
    size, lines = fit_lines(
        format_short_code(code),
        width=_CONTENT_W - 2 * label_strip,
        max_size=28,
        min_size=14,
        max_lines=1,
        bold=True,
    )
    # Cap height of DejaVu Sans is ~0.73 em: this baseline centres the capitals in the box.
    baseline = _CODE_TOP + _CODE_H / 2 + 0.365 * size
    return [
        Box(_MARGIN, _CODE_TOP, _CONTENT_W, _CODE_H, fill=_TINT),
        Text(label_x, _CODE_TOP + 17, "Mã nhập tay", 9, bold=True, color=_DARK),
        Text(label_x, _CODE_TOP + 29, "Manual entry code", 8, color=_MUTED),
        *text_lines(lines, _W / 2, baseline, size, 0, bold=True, align="center"),
    ]


def _instructions() -> list[Shape]:
    gap = 16
    column_w = (_CONTENT_W - gap) / 2
    badge = 20
    text_w = column_w - badge - 8
    shapes: list[Shape] = []
    for number, (vietnamese, english) in enumerate(_INSTRUCTIONS, start=1):
        x = _MARGIN + (number - 1) * (column_w + gap)
        top = _INSTRUCTIONS_TOP
        shapes += [
            Box(x, top, badge, badge, fill=_DARK),
            Text(
                x + badge / 2, top + 14.5, str(number), 12, bold=True, color=WHITE, align="center"
            ),
        ]
        vi_size, vi_lines = fit_lines(
            vietnamese, width=text_w, max_size=10.5, min_size=8.5, max_lines=2, bold=True
        )
        shapes += text_lines(vi_lines, x + badge + 8, top + 11, vi_size, 13, bold=True)
        en_size, en_lines = fit_lines(english, width=text_w, max_size=10, min_size=8, max_lines=2)
        en_top = top + 11 + len(vi_lines) * 13 + 1
        shapes += text_lines(en_lines, x + badge + 8, en_top, en_size, 12, color=_MUTED)
    return shapes
