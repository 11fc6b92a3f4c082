"""The frame of a Vietnamese administrative document (Decree 30/2020/NĐ-CP): the issuing
body and the number top-left, the national motto and the place and date top-right, the
signature block with room to sign, the page number from the second page on. The daily report
and the inspection record (biên bản) are built in it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from kiemdich.documents import fonts
from kiemdich.documents.text import paragraph, plain

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import BaseDocTemplate

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

PAGE_W, PAGE_H = A4
MARGINS = {"leftMargin": 25 * mm, "rightMargin": 15 * mm, "topMargin": 18 * mm,
           "bottomMargin": 18 * mm}  # Decree 30/2020: 30–35 mm left, 15–20 mm right
WIDTH = PAGE_W - MARGINS["leftMargin"] - MARGINS["rightMargin"]
HEAD_BG = colors.HexColor("#e8f3ee")


def styles() -> dict[str, ParagraphStyle]:
    fonts.register_fonts()
    base = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=10, leading=13)
    return {
        "body": base,
        "bold": ParagraphStyle("bold", parent=base, fontName=fonts.BOLD),
        "bold_c": ParagraphStyle("bold_c", parent=base, fontName=fonts.BOLD, alignment=TA_CENTER),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "title": ParagraphStyle("title", parent=base, fontName=fonts.BOLD, fontSize=13,
                                leading=17, alignment=TA_CENTER),
        "h2": ParagraphStyle("h2", parent=base, fontName=fonts.BOLD, spaceBefore=8,
                             spaceAfter=3),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "small_b": ParagraphStyle("small_b", parent=base, fontName=fonts.BOLD, fontSize=8,
                                  leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "cell_r": ParagraphStyle("cell_r", parent=base, fontSize=7.5, leading=9,
                                 alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=fonts.BOLD, fontSize=7.5,
                               leading=9, alignment=TA_CENTER),
    }


def place_of(province_name: str, kind: str) -> str:
    """Where a document is issued, as the date line names it: the province without its
    kind ("Tỉnh Đồng Nai" → "Đồng Nai")."""
    kind = kind.strip()
    if kind and province_name.lower().startswith(kind.lower() + " "):
        return province_name[len(kind) + 1:]
    return province_name


def dated(place: str, day: date) -> str:
    return _("%(place)s, ngày %(d)s tháng %(m)s năm %(y)s") % {
        "place": place, "d": f"{day.day:02d}", "m": f"{day.month:02d}", "y": day.year}


def two_columns(left: list, right: list, split: float = 0.42) -> Table:
    table = Table([[left, right]], colWidths=[WIDTH * split, WIDTH * (1 - split)])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def heading(issuer: Sequence[str], number: str, symbol: str, place_date: str,
            st: dict[str, ParagraphStyle]) -> Table:
    """Issuing body (its lines in capitals, a rule under it) and "Số: …/…" on the left;
    the motto (a rule under it) and the place and date on the right. A number not yet
    given is left blank for the clerk."""
    left = [*(paragraph(line, st["bold_c"]) for line in issuer),
            paragraph("—————", st["center"]),
            paragraph(_("Số: %(n)s/%(symbol)s") % {"n": number or "\u00a0" * 8,
                                                   "symbol": symbol}, st["center"])]
    right = [paragraph(MOTTO[0], st["bold_c"]), paragraph(MOTTO[1], st["bold_c"]),
             paragraph("———————————", st["center"]), paragraph(place_date, st["center"])]
    return two_columns(left, right)


def signature(lines: Sequence[str], st: dict[str, ParagraphStyle], note: str = "") -> list:
    """A signer's title lines in bold capitals, what to sign with, and the room to sign."""
    return [*(paragraph(line, st["bold_c"]) for line in lines),
            *([paragraph(note, st["center"])] if note else []), Spacer(1, 28 * mm)]


def _page_number(canvas: Canvas, doc: BaseDocTemplate) -> None:
    # From the second page on, the page number at the top centre (Decree 30/2020).
    if doc.page > 1:
        canvas.setFont(fonts.REGULAR, 9)
        canvas.drawCentredString(PAGE_W / 2, PAGE_H - 10 * mm, str(doc.page))


def build(story: list[Flowable], *, title: str, author: str) -> bytes:
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, title=plain(title), author=plain(author),
                                 creator="Kiểm Dịch QR", invariant=True,
                                 leftMargin=MARGINS["leftMargin"],
                                 rightMargin=MARGINS["rightMargin"],
                                 topMargin=MARGINS["topMargin"],
                                 bottomMargin=MARGINS["bottomMargin"])
    document.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()
