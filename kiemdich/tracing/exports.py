"""A case for the health department: PDF (to print and sign) and XLSX (to work on), logged;
made by a worker as a long task (tracing/jobs.py), its progress the contacts gathered."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kiemdich.accounts.models import User
from kiemdich.accounts.scopes import Scope
from kiemdich.core.audit import record
from kiemdich.core.errors import Invalid
from kiemdich.core.exports import xlsx_bytes
from kiemdich.documents import fonts
from kiemdich.documents.text import paragraph
from kiemdich.jobs import tasks
from kiemdich.tracing import services, zoning
from kiemdich.tracing.engine import VisitRow
from kiemdich.tracing.models import Case

FORMATS = ("pdf", "xlsx")
CASE_REPORT = "tracing.case_report"
METHOD_LABELS = {"self": "tự quét", "staff": "nhân viên quét", "device": "máy quét",
                 "manual": "nhập tay"}


def recorded_by(visit: VisitRow) -> str:
    """How the entry and exit were recorded, e.g. "tự quét / nhân viên quét"."""
    return " / ".join(METHOD_LABELS.get(m, m) or "—" for m in (visit.entry_method,
                                                               visit.exit_method))


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


# Contacts whose personal data is looked up between two commits of the progress.
SHAPE_CHUNK = 200


def _rows(actor: User, scope: Scope, case: Case,
          progress: Callable[[int, int], None] | None = None) -> tuple[list, list, list]:
    exp = services.exposures(actor, case, audit="")
    ids = [c.person_id for c in exp.contacts]
    people: dict[int, dict] = {}
    if progress:
        progress(0, len(ids))
    for start in range(0, len(ids), SHAPE_CHUNK):
        people.update(services.shapes_for(actor, scope, case, ids[start:start + SHAPE_CHUNK]))
        if progress:
            progress(min(start + SHAPE_CHUNK, len(ids)), len(ids))
    visits = [[exp.venues[v.venue_id].name, exp.venues[v.venue_id].area.name,
               _local(v.entered_at), _local(v.left_at), _local(v.start), _local(v.end),
               recorded_by(v)] for v in exp.visits]
    contacts = []
    for rank, contact in enumerate(exp.contacts, start=1):
        main, shape = contact.main, people.get(contact.person_id, {})
        contacts.append([rank, contact.person_id, shape.get("display_name", ""),
                         shape.get("phone", ""), shape.get("id_number", ""),
                         exp.venues[main.venue_id].name, _local(main.start), _local(main.end),
                         contact.minutes])
    communes = [[c.area_name, len(c.sites), len(c.contacts)] for c in zoning.summary(exp)]
    return visits, contacts, communes


def case_file(actor: User, scope: Scope, case: Case, fmt: str,
              progress: Callable[[int, int], None] | None = None) -> tuple[bytes, str, str]:
    """The case's file as (content, file name, content type), `progress(done, total)` told
    as the contacts' data is gathered. The audit trail records the export once it is made,
    or that making it failed."""
    visits, contacts, communes = _rows(actor, scope, case, progress)
    filename = f"ca-benh-{case.pk}"
    reason = f"format={fmt} contacts={len(contacts)}"
    try:
        if fmt == "xlsx":
            headers = [_("Hạng"), _("Mã người"), _("Họ tên"), _("Điện thoại"), _("Số giấy tờ"),
                       _("Địa điểm"), _("Từ"), _("Đến"), _("Số phút")]
            made = (xlsx_bytes(headers, contacts, _("Người tiếp xúc")), f"{filename}.xlsx",
                    tasks.XLSX)
        else:
            made = (_pdf(case, visits, contacts, communes), f"{filename}.pdf",
                    "application/pdf")
    except Exception:
        record(actor, "case_export_failed", target=case, reason=reason)
        raise
    record(actor, "case_export", target=case, reason=reason)
    return made


def start_case_report(actor: User, case: Case, fmt: str) -> tasks.Task:
    """The case's report (PDF or XLSX) as a long task: the case is checked now, the file
    made by a worker (tracing/jobs.py) with the account's scope at that time."""
    if fmt not in FORMATS:
        raise Invalid(code="format_invalid", field="format")
    return tasks.start(CASE_REPORT, actor, label=_("Ca bệnh #%(id)s (%(fmt)s)") % {
        "id": case.pk, "fmt": fmt.upper()}, params={"case": case.pk, "format": fmt},
        in_language=True)


def _pdf(case: Case, visits: list, contacts: list, communes: list) -> bytes:
    fonts.register_fonts()
    body = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=9, leading=12)
    title = ParagraphStyle("title", fontName=fonts.BOLD, fontSize=15, leading=20)
    heading = ParagraphStyle("heading", fontName=fonts.BOLD, fontSize=11, leading=16,
                             spaceBefore=8)

    width = landscape(A4)[0] - 24 * mm  # the text width of the page

    def table(headers: list, rows: list) -> Table:
        empty: list[Paragraph | str] = [paragraph("—", body), *[""] * (len(headers) - 1)]
        cells: list[list[Paragraph | str]] = [[paragraph(h, body) for h in headers]]
        cells += [[paragraph(v, body) for v in row] for row in rows] or [empty]
        # A row taller than a page (a very long name in a narrow column) splits across pages.
        # Columns share the page width: with widths left to reportlab, a long word in a
        # cell could leave another column no room at all.
        widget = Table(cells, colWidths=[width / len(headers)] * len(headers), repeatRows=1,
                       splitInRow=1)
        widget.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3f4ea")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return widget

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=_("Ca bệnh %(id)s") % {"id": case.pk})
    story = [
        paragraph(_("Báo cáo truy vết ca bệnh F0 #%(id)s") % {"id": case.pk}, title),
        paragraph(_("Dương tính: %(c)s · Truy vết: %(s)s – %(e)s · Biên: ±%(m)s phút") % {
            "c": _local(case.confirmed_at), "s": _local(case.window_start),
            "e": _local(case.window_end), "m": case.margin_minutes}, body),
        paragraph(_("Xuất lúc %(t)s") % {"t": _local(timezone.now())}, body),
        Spacer(1, 4 * mm),
        paragraph(_("Khoanh vùng theo xã/phường"), heading),
        table([_("Xã/phường"), _("Điểm phơi nhiễm"), _("Người tiếp xúc")], communes),
        paragraph(_("Nơi F0 đã đến"), heading),
        table([_("Địa điểm"), _("Xã/phường"), _("Vào"), _("Ra"), _("Phơi nhiễm từ"),
               _("đến"), _("Ghi nhận")], visits),
        paragraph(_("Người tiếp xúc (F1), xếp theo thời gian tiếp xúc"), heading),
        table([_("Hạng"), _("Mã"), _("Họ tên"), _("Điện thoại"), _("Số giấy tờ"),
               _("Địa điểm"), _("Từ"), _("Đến"), _("Phút")], contacts),
    ]
    doc.build(story)
    return buffer.getvalue()
