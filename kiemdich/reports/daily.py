"""The daily report: one PDF page and a workbook of the day's figures with the trend, per
child area and per sector — what a district sends the provincial chairman each evening."""

from __future__ import annotations

import io
from collections import defaultdict

from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, KeepInFrame, Spacer, Table, TableStyle

from kiemdich.accounts.models import Sector
from kiemdich.core import clock
from kiemdich.documents import fonts
from kiemdich.documents.text import paragraph, plain
from kiemdich.privacy.exports import xlsx_workbook
from kiemdich.reports.stats import FIGURES, VENUE_FIGURES, Stats


def figure_labels() -> dict[str, str]:
    return {
        "venues_registered": _("Địa điểm đã đăng ký"),
        "venues_active": _("Địa điểm có quét mã"),
        "scans_in": _("Lượt vào"),
        "scans_out": _("Lượt ra"),
        "declarations": _("Tờ khai y tế"),
        "declarants": _("Người khai báo"),
        "symptomatic": _("Khai báo có triệu chứng"),
        "citizens_registered": _("Người dân đăng ký"),
    }


def by_sector(stats: Stats) -> list[dict]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(VENUE_FIGURES, 0))
    for row in stats.by_type:
        for key in VENUE_FIGURES:
            totals[row["sector"]][key] += row[key]
    return [{"sector": s, "label": str(Sector(s).label) if s in Sector.values else s, **f}
            for s, f in sorted(totals.items())]


def _title(stats: Stats) -> str:
    q = stats.query
    when = q.date_to.strftime("%d/%m/%Y") if q.days == 1 else \
        f"{q.date_from:%d/%m/%Y} – {q.date_to:%d/%m/%Y}"
    return _("Báo cáo ngày %(when)s — %(area)s") % {"when": when, "area": q.area.full_name()}


def _fmt(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _table(header: list[str], rows: list[list], widths: list[float]) -> Table:
    # Cells are drawn as plain strings (no markup), made printable like every document's text.
    table = Table([[plain(c) for c in row] for row in (header, *rows)], colWidths=widths,
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 7),
        ("FONT", (0, 0), (-1, 0), fonts.BOLD, 7),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f3ee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _trend_drawing(stats: Stats, width: float) -> Drawing:
    drawing = Drawing(width, 110)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, width - 40, 80
    chart.data = [[d["scans_in"] for d in stats.trend], [d["declarations"] for d in stats.trend]]
    chart.categoryAxis.categoryNames = [d["day"].strftime("%d/%m") for d in stats.trend]
    chart.categoryAxis.labels.fontName = fonts.REGULAR
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = fonts.REGULAR
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#0b5d3b")
    chart.bars[1].fillColor = colors.HexColor("#d08a00")
    drawing.add(chart)
    return drawing


def pdf(stats: Stats) -> bytes:
    fonts.register_fonts()
    labels = figure_labels()
    h1 = ParagraphStyle("h1", fontName=fonts.BOLD, fontSize=12, leading=15)
    h2 = ParagraphStyle("h2", fontName=fonts.BOLD, fontSize=9, leading=12, spaceBefore=6)
    small = ParagraphStyle("small", fontName=fonts.REGULAR, fontSize=7, leading=9)
    width = A4[0] - 30 * mm
    story = [paragraph(_title(stats), h1)]
    if stats.query.sector:
        story.append(paragraph(_("Lĩnh vực: %(s)s") % {"s": Sector(stats.query.sector).label},
                               small))
    story.append(Spacer(1, 4))
    story.append(_table([labels[k] for k in FIGURES],
                        [[_fmt(stats.totals[k]) for k in FIGURES]], [width / 8] * 8))
    if stats.rows:
        story.append(paragraph(_("Theo địa bàn"), h2))
        story.append(_table(
            [_("Địa bàn"), *(labels[k] for k in FIGURES)],
            [[r.area.name, *(_fmt(r.figures[k]) for k in FIGURES)] for r in stats.rows],
            [width * 0.2] + [width * 0.1] * 8))
    sectors = by_sector(stats)
    if sectors:
        story.append(paragraph(_("Theo lĩnh vực"), h2))
        story.append(_table([_("Lĩnh vực"), *(labels[k] for k in VENUE_FIGURES)],
                            [[s["label"], *(_fmt(s[k]) for k in VENUE_FIGURES)]
                             for s in sectors], [width * 0.2] + [width * 0.2] * 4))
    story.append(paragraph(_("Xu hướng: lượt vào (xanh) và tờ khai (cam) theo ngày"), h2))
    story.append(_trend_drawing(stats, width))
    if stats.refreshed_at:
        refreshed = stats.refreshed_at.astimezone(clock.zone()).strftime("%H:%M %d/%m/%Y")
        story.append(paragraph(_("Số liệu cập nhật lúc %(t)s.") % {"t": refreshed}, small))
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setTitle(plain(_title(stats)))
    frame = Frame(15 * mm, 15 * mm, width, A4[1] - 30 * mm, showBoundary=0)
    # Shrinks the content rather than spilling onto a second page.
    frame.addFromList([KeepInFrame(width, A4[1] - 30 * mm, story, mode="shrink")], canvas)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def xlsx(stats: Stats) -> bytes:
    labels = figure_labels()
    return xlsx_workbook([
        (_("Tổng hợp"), [_("Địa bàn"), *(labels[k] for k in FIGURES)],
         [[stats.query.area.name, *(stats.totals[k] for k in FIGURES)], [], [_title(stats)]]),
        (_("Theo địa bàn"), [_("Mã"), _("Địa bàn"), *(labels[k] for k in FIGURES)],
         [[r.area.code, r.area.name, *(r.figures[k] for k in FIGURES)] for r in stats.rows]),
        (_("Theo lĩnh vực"), [_("Lĩnh vực"), _("Loại hình"), *(labels[k] for k in VENUE_FIGURES)],
         [[r["sector"], r["venue_type"], *(r[k] for k in VENUE_FIGURES)]
          for r in stats.by_type]),
        (_("Xu hướng"), [_("Ngày"), labels["scans_in"], labels["scans_out"],
                         labels["venues_active"], labels["declarations"], labels["symptomatic"]],
         [[d["day"], d["scans_in"], d["scans_out"], d["venues_active"], d["declarations"],
           d["symptomatic"]] for d in stats.trend]),
    ])


def filename(stats: Stats, ext: str) -> str:
    q = stats.query
    return f"bao-cao-{q.area.code}-{q.date_to.isoformat()}.{ext}"
