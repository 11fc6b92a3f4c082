"""The one way text from users reaches a printed document.

Names, addresses, reasons and notes come from citizens, venue owners, staff at a kiosk and
officers: any Unicode at all. Every PDF writer of the platform (posters, cards, case exports,
the daily report, the own-data export) passes such text through here, never straight to
reportlab:

- `printable()` is what a document prints of a value: NFC (reportlab does not compose
  combining marks), control and format characters dropped (they have no glyph, and bidi
  overrides would let a name reorder its neighbours), whitespace runs folded to one space,
  and a character the fonts cannot draw (private use, unassigned) or that lies beyond the
  Basic Multilingual Plane (emoji: reportlab writes their text layer wrongly) shown as
  U+FFFD.
- `paragraph()` makes a flowing paragraph of it: reportlab's paragraphs parse their text as
  markup, so the text is escaped first (a name `<img src=x onerror=…>` is printed, not
  parsed); long words may break anywhere.
- `visual()` puts right-to-left runs (Arabic, Hebrew) in the order they are drawn, since
  reportlab draws characters left to right as given.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import cast
from xml.sax.saxutils import escape

from bidi import get_display
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

from kiemdich.documents import fonts

REPLACEMENT = "\ufffd"
# Categories without a glyph: controls, format characters (bidi overrides, zero-width
# joiners, the BOM), lone surrogates. Line and paragraph separators are whitespace.
_DROPPED = {"Cc", "Cf", "Cs"}


@cache
def _drawable() -> frozenset[int]:
    """Code points of the Basic Multilingual Plane both document fonts have a glyph for."""
    fonts.register_fonts()
    regular, bold = (set(cast(TTFont, pdfmetrics.getFont(name)).face.charToGlyph)
                     for name in (fonts.REGULAR, fonts.BOLD))
    return frozenset(c for c in regular & bold if c <= 0xFFFF)


def printable(value: object) -> str:
    """`value` as a document prints it (see the module's docstring); None prints nothing."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    drawable = _drawable()
    kept = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) in _DROPPED:
            continue
        else:
            kept.append(char if ord(char) in drawable else REPLACEMENT)
    return " ".join("".join(kept).split())


def visual(line: str) -> str:
    """One printed line in drawing order: right-to-left runs reversed, the rest unchanged."""
    if line.isascii():
        return line
    return get_display(line)


def plain(value: object) -> str:
    """`value` as one drawn line of text (a table cell, a canvas string)."""
    return visual(printable(value))


def paragraph(value: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph that shows `value` as plain text. Right-to-left runs are ordered for the
    whole paragraph before it wraps (a long right-to-left text wrapped over several lines
    then reads its lines in left-to-right order)."""
    if not style.splitLongWords:
        style = ParagraphStyle(f"{style.name}-split", parent=style, splitLongWords=1)
    return Paragraph(escape(plain(value)), style)
