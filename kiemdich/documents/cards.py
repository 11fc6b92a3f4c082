"""Personal QR cards: ID-1 (bank-card) sized cards, ten to an A4 sheet, with cut marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from kiemdich.documents._render import (
    INK,
    WHITE,
    Box,
    Page,
    Shape,
    Text,
    fit_lines,
    make_qr,
    qr_symbol,
    render_pdf,
    text_lines,
)

CARD_W, CARD_H = 85.6 * mm, 54 * mm  # ISO/IEC 7810 ID-1, fits any wallet card slot
_COLUMNS, _ROWS = 2, 5
_PAGE_W, _PAGE_H = A4
_GRID_X = (_PAGE_W - _COLUMNS * CARD_W) / 2
_GRID_Y = (_PAGE_H - _ROWS * CARD_H) / 2

_DARK = "#0b4f6c"
_HEADER_SUBTITLE = "#cfe4ee"
_MUTED = "#44505a"
_OUTLINE = "#c5ccd2"

# 38 mm keeps modules near 0.8 mm for a ~120-character payload (version 7-8): readable by
# phone cameras and by the counter scanners at venues. Version 5 at least bounds the module,
# and so the 4-module quiet zone, at 4.1 mm, which the 4.5 mm margins around the symbol hold.
_QR_SIZE = 38 * mm
_QR_X, _QR_Y = 4.5 * mm, (CARD_H - _QR_SIZE) / 2
_QR_MIN_VERSION = 5
# 'M' rather than 'Q': the payload is long, and on a small symbol bigger modules (a lower
# version) matter more for office-printer output than extra redundancy.
_QR_ERROR = "m"

_TEXT_X = 49.5 * mm
_TEXT_W = CARD_W - _TEXT_X - 3.5 * mm
_HEADER_X = 47 * mm  # right of the QR quiet zone: a dark band there would hinder scanning
_HEADER_H = 11 * mm

_CUT_MARK_LEN = 5 * mm
_CUT_MARK_GAP = 2 * mm  # keeps the marks off the card so none shows after cutting
_CUT_MARK_WIDTH = 0.4


@dataclass(frozen=True)
class CardInfo:
    full_name: str
    payload: str
    expires_at: date
    serial: str
    declared_note: str | None = None


def cards_pdf(cards: Sequence[CardInfo]) -> bytes:
    """An A4 PDF with the cards laid out 2 × 5 per page, with cut marks in the margins."""
    if not cards:
        raise ValueError("at least one card is needed to print cards")
    per_page = _COLUMNS * _ROWS
    pages = [_sheet(cards[i : i + per_page]) for i in range(0, len(cards), per_page)]
    return render_pdf(pages, title="Mã QR cá nhân / Personal QR codes")


def _sheet(cards: Sequence[CardInfo]) -> Page:
    shapes = _cut_marks()
    for index, card in enumerate(cards):
        row, column = divmod(index, _COLUMNS)
        shapes += _card(card, _GRID_X + column * CARD_W, _GRID_Y + row * CARD_H)
    return Page(_PAGE_W, _PAGE_H, shapes)


def _cut_marks() -> list[Shape]:
    """Marks in the page margins on every cut line, so a guillotine can be lined up."""
    half = _CUT_MARK_WIDTH / 2
    grid_right = _GRID_X + _COLUMNS * CARD_W
    grid_bottom = _GRID_Y + _ROWS * CARD_H
    marks: list[Shape] = []
    for column in range(_COLUMNS + 1):
        x = _GRID_X + column * CARD_W - half
        for y in (_GRID_Y - _CUT_MARK_GAP - _CUT_MARK_LEN, grid_bottom + _CUT_MARK_GAP):
            marks.append(Box(x, y, _CUT_MARK_WIDTH, _CUT_MARK_LEN, fill=INK))
    for row in range(_ROWS + 1):
        y = _GRID_Y + row * CARD_H - half
        for x in (_GRID_X - _CUT_MARK_GAP - _CUT_MARK_LEN, grid_right + _CUT_MARK_GAP):
            marks.append(Box(x, y, _CUT_MARK_LEN, _CUT_MARK_WIDTH, fill=INK))
    return marks


def _card(card: CardInfo, x: float, y: float) -> list[Shape]:
    qr = make_qr(card.payload, error=_QR_ERROR, min_version=_QR_MIN_VERSION)
    text_x = x + _TEXT_X
    shapes: list[Shape] = [
        # A faint outline for cutting with scissors; the cut marks serve a guillotine.
        Box(x, y, CARD_W, CARD_H, stroke=_OUTLINE, stroke_width=0.3),
        qr_symbol(qr, x + _QR_X, y + _QR_Y, _QR_SIZE),
        Box(x + _HEADER_X, y, CARD_W - _HEADER_X, _HEADER_H, fill=_DARK),
        Text(text_x, y + 4.6 * mm, "MÃ QR CÁ NHÂN", 8, bold=True, color=WHITE),
        Text(text_x, y + 8.6 * mm, "Personal QR code", 6.5, color=_HEADER_SUBTITLE),
    ]

    name_size, name = fit_lines(
        card.full_name, width=_TEXT_W, max_size=10, min_size=7, max_lines=3, bold=True
    )
    name_leading = 1.2 * name_size
    top = y + _HEADER_H + 4 * mm
    shapes += text_lines(name, text_x, top + name_size, name_size, name_leading, bold=True)

    # Expiry and serial sit at the bottom edge, like on an ID card, whatever the name length.
    bottom = y + CARD_H - 4 * mm
    serial_size, serial = fit_lines(
        card.serial, width=_TEXT_W, max_size=7.5, min_size=6, max_lines=1
    )
    shapes += [
        Text(text_x, bottom - 29, "Hết hạn / Expires", 6, color=_MUTED),
        Text(text_x, bottom - 19, f"{card.expires_at:%d/%m/%Y}", 9, bold=True),
        Text(text_x, bottom - 9, "Số sê-ri / Serial", 6, color=_MUTED),
        *text_lines(serial, text_x, bottom, serial_size, 0),
    ]

    if card.declared_note:
        note_top = top + len(name) * name_leading + 3
        note_leading = 7.5
        room = int((bottom - 29 - 9 - note_top) // note_leading)
        if room > 0:
            note_size, note = fit_lines(
                card.declared_note, width=_TEXT_W, max_size=6.5, min_size=5.5, max_lines=room
            )
            shapes += text_lines(
                note, text_x, note_top + note_size, note_size, note_leading, color=_MUTED
            )
    return shapes
