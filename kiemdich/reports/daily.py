"""The daily report: what an area's People's Committee sends up each evening, as a document
its chairman signs (PDF, laid out as a Vietnamese administrative report: issuing body,
number, national motto, place and date, title, tables, recipients and signature) and as a
workbook of the same figures (XLSX), per child area and per sector, with the coverage
against the plan's targets and the counts of who does not comply."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
)

from kiemdich.accounts.models import Sector
from kiemdich.areas.models import Area
from kiemdich.core import clock
from kiemdich.core.exports import xlsx_workbook
from kiemdich.documents import fonts, official
from kiemdich.documents.text import paragraph
from kiemdich.reports import compliance, coverage
from kiemdich.reports.stats import FIGURES, VENUE_FIGURES, Stats
from kiemdich.venues.types import VENUE_TYPES

SYMBOL = "BC-UBND"  # Báo cáo of an Ủy ban nhân dân, as Decree 30/2020 abbreviates them


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


def sector_label(sector: str) -> str:
    return str(Sector(sector).label) if sector in Sector.values else sector


def type_label(venue_type: str) -> str:
    return str(VENUE_TYPES[venue_type].label) if venue_type in VENUE_TYPES else venue_type


def type_rows(stats: Stats) -> list[dict]:
    """The figures per venue type with the sector's and the type's names beside the keys."""
    return [{**row, "sector_label": sector_label(row["sector"]),
             "type_label": type_label(row["venue_type"])} for row in stats.by_type]


def by_sector(stats: Stats) -> list[dict]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(VENUE_FIGURES, 0))
    for row in stats.by_type:
        for key in VENUE_FIGURES:
            totals[row["sector"]][key] += row[key]
    return [{"sector": s, "label": sector_label(s), **f} for s, f in sorted(totals.items())]


def vn_number(value: float | int | None, decimals: int = 0) -> str:
    """1234.5 → "1.234,5": a point between thousands, a comma before the decimals."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def vn_percent(value: float | None) -> str:
    return "—" if value is None else f"{vn_number(value, 1)}%"


@dataclass(frozen=True)
class Report:
    """Everything the report shows, computed once for the PDF and the workbook."""

    stats: Stats
    coverage: list[coverage.Coverage]  # the area as a whole
    areas: list[compliance.AreaCompliance]  # per child area
    issued_on: date

    @property
    def area(self) -> Area:
        return self.stats.query.area

    @property
    def number(self) -> str:
        """A one-day report is numbered by the day of the year (the report of 12/10 is 285):
        made again, it carries the same number. A range is left for the clerk to number."""
        q = self.stats.query
        return str(q.date_to.timetuple().tm_yday) if q.days == 1 else ""


def build(stats: Stats, issued_on: date | None = None) -> Report:
    """The report of `stats`; coverage and compliance as of its last day."""
    query = stats.query
    return Report(
        stats=stats,
        coverage=coverage.coverage(query.area, query.sectors, query.date_to),
        areas=compliance.by_area(query.area, query.sectors, query.date_to),
        issued_on=issued_on or timezone.localdate(),
    )


def _when(stats: Stats) -> str:
    q = stats.query
    return q.date_to.strftime("%d/%m/%Y") if q.days == 1 else \
        f"{q.date_from:%d/%m/%Y} – {q.date_to:%d/%m/%Y}"


def _title(stats: Stats) -> str:
    return _("Báo cáo ngày %(when)s — %(area)s") % {"when": _when(stats),
                                                    "area": stats.query.area.full_name()}


def _place(area: Area) -> str:
    province = (area.ancestors() or [area])[0]
    return official.place_of(province.name, province.kind)


def _level(item: coverage.Coverage) -> str:
    return {"ok": _("Đạt"), "warn": _("Gần đạt"), "bad": _("Chưa đạt")}.get(
        item.level, _("Chưa có dữ liệu"))


def _target(item: coverage.Coverage) -> str:
    low, high = item.target.low, item.target.high
    return f"{low}%" if low == high else f"{low}–{high}%"


# The PDF ----------------------------------------------------------------------------------

_WIDTH = official.WIDTH


def _grid(header: list[str], rows: list[list], widths: list[float],
          st: dict[str, ParagraphStyle], total: list | None = None) -> Table:
    """A ruled table whose headers wrap within their column and repeat on every page; the
    first column is text, the others figures aligned right."""
    data = [[paragraph(h, st["head"]) for h in header]]
    for row in [*rows, *([total] if total else [])]:
        data.append([paragraph(row[0], st["cell"]),
                     *(paragraph(c, st["cell_r"]) for c in row[1:])])
    table = Table(data, colWidths=widths, repeatRows=1)
    style: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), official.HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if total:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f3f3f3")))
    table.setStyle(TableStyle(style))
    return table


def _columns(first: float, others: int) -> list[float]:
    return [first] + [(_WIDTH - first) / others] * others


def _heading(report: Report, st: dict[str, ParagraphStyle]) -> list:
    area = report.area
    table = official.heading([_("ỦY BAN NHÂN DÂN"), area.name.upper()], report.number, SYMBOL,
                             official.dated(_place(area), report.issued_on), st)
    q = report.stats.query
    title = [Spacer(1, 10), paragraph(_("BÁO CÁO"), st["title"]),
             paragraph(_("Tình hình khai báo y tế điện tử và quét mã QR ngày %(when)s")
                       % {"when": _when(report.stats)}, st["bold_c"]),
             paragraph(_("trên địa bàn %(area)s") % {"area": area.full_name()}, st["bold_c"])]
    if q.sector:
        title.append(paragraph(_("Lĩnh vực: %(s)s") % {"s": sector_label(q.sector)},
                               st["center"]))
    return [table, *title, Spacer(1, 8)]


def _figures(report: Report, st: dict[str, ParagraphStyle]) -> list:
    stats, labels = report.stats, figure_labels()
    parts: list = [paragraph(_("I. SỐ LIỆU TỔNG HỢP"), st["h2"]),
                   _grid([_("Chỉ tiêu"), _("Số liệu")],
                         [[labels[k], vn_number(stats.totals[k])] for k in FIGURES],
                         [_WIDTH * 0.7, _WIDTH * 0.3], st)]
    parts.append(paragraph(_("II. ĐỘ BAO PHỦ SO VỚI CHỈ TIÊU CỦA KẾ HOẠCH"), st["h2"]))
    parts.append(_grid(
        [_("Chỉ tiêu"), _("Đã đạt"), _("Tổng số"), _("Tỷ lệ"), _("Mục tiêu"), _("Đánh giá")],
        [[c.label, vn_number(c.done), vn_number(c.total), vn_percent(c.percent), _target(c),
          _level(c)] for c in report.coverage],
        [_WIDTH * w for w in (0.34, 0.11, 0.11, 0.1, 0.12, 0.22)], st))
    if stats.rows:
        parts.append(paragraph(_("III. SỐ LIỆU THEO ĐỊA BÀN"), st["h2"]))
        parts.append(_grid(
            [_("Địa bàn"), *(labels[k] for k in FIGURES)],
            [[r.area.name, *(vn_number(r.figures[k]) for k in FIGURES)] for r in stats.rows],
            _columns(_WIDTH * 0.2, len(FIGURES)), st,
            total=[_("Tổng cộng"), *(vn_number(stats.totals[k]) for k in FIGURES)]))
    if report.areas:
        parts.append(paragraph(_("IV. ĐỘ BAO PHỦ VÀ CHƯA TUÂN THỦ THEO ĐỊA BÀN"), st["h2"]))
        parts.append(_grid(area_headers(), [_area_cells(a, vn_percent, vn_number)
                                            for a in report.areas],
                           _columns(_WIDTH * 0.2, 7), st))
    sectors = by_sector(stats)
    if sectors:
        parts.append(paragraph(_("V. SỐ LIỆU THEO LĨNH VỰC"), st["h2"]))
        parts.append(_grid([_("Lĩnh vực"), *(labels[k] for k in VENUE_FIGURES)],
                           [[s["label"], *(vn_number(s[k]) for k in VENUE_FIGURES)]
                            for s in sectors], _columns(_WIDTH * 0.36, 4), st))
    parts.append(CondPageBreak(150))
    parts.append(paragraph(_("Xu hướng: lượt vào (xanh) và tờ khai (cam) theo ngày"), st["h2"]))
    parts.append(_trend_drawing(stats, _WIDTH))
    if stats.refreshed_at:
        refreshed = stats.refreshed_at.astimezone(clock.zone()).strftime("%H:%M %d/%m/%Y")
        parts.append(paragraph(_("Số liệu cập nhật lúc %(t)s.") % {"t": refreshed},
                               st["small"]))
    return parts


def area_headers() -> list[str]:
    """The columns of the coverage-and-compliance table per child area (report and page)."""
    return [_("Địa bàn"), _("Người dân dùng ứng dụng (chỉ tiêu 50–80%)"),
            _("Cơ sở đã đăng ký địa điểm (chỉ tiêu 100%)"),
            _("Người phải khai báo đã khai báo (chỉ tiêu 100%)"),
            _("Cơ sở chưa đăng ký địa điểm"), _("Người phải khai báo chưa khai báo"),
            _("Địa điểm không có lượt quét %(n)s ngày") % {"n": compliance.SILENT_DAYS},
            _("Vi phạm bị lập biên bản")]


def _area_cells(a: compliance.AreaCompliance, pct: Callable[[float | None], object],
                num: Callable[[int], object]) -> list:
    return [a.name, pct(a.residents.percent), pct(a.venues.percent), pct(a.roster.percent),
            num(a.unregistered), num(a.undeclared), num(a.silent), num(a.violations)]


def area_rows(areas: list[compliance.AreaCompliance]) -> list[list]:
    """The same table as values (percentages as numbers), for CSV and XLSX."""
    return [_area_cells(a, lambda p: p, lambda n: n) for a in areas]


def _closing(report: Report, st: dict[str, ParagraphStyle]) -> Table:
    area = report.area
    recipients = [_("Nơi nhận:")]
    if area.parent is not None:
        recipients.append(_("- UBND %(area)s (để báo cáo);") % {"area": area.parent.name})
    recipients += [_("- Ban Chỉ đạo phòng, chống dịch %(area)s;") % {"area": area.name}]
    if report.stats.rows:
        recipients.append(_("- UBND các địa phương trực thuộc (để thực hiện);"))
    recipients.append(_("- Lưu: VT."))
    left = [paragraph(recipients[0], st["small_b"]),
            *(paragraph(line, st["small"]) for line in recipients[1:])]
    right = official.signature([_("TM. ỦY BAN NHÂN DÂN"), _("CHỦ TỊCH")], st,
                               _("(Ký, ghi rõ họ tên, đóng dấu)"))
    return official.two_columns(left, right, 0.5)


def _trend_drawing(stats: Stats, width: float) -> Drawing:
    drawing = Drawing(width, 110)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, round(width) - 40, 80
    chart.data = [[d["scans_in"] for d in stats.trend], [d["declarations"] for d in stats.trend]]
    chart.categoryAxis.categoryNames = [d["day"].strftime("%d/%m") for d in stats.trend]
    chart.categoryAxis.labels.fontName = fonts.REGULAR
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = fonts.REGULAR
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.labelTextFormat = lambda v: vn_number(v)
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#0b5d3b")
    chart.bars[1].fillColor = colors.HexColor("#d08a00")
    drawing.add(chart)
    return drawing


def pdf(report: Report) -> bytes:
    st = official.styles()
    story = [*_heading(report, st), *_figures(report, st), Spacer(1, 10),
             KeepTogether(_closing(report, st))]
    return official.build(story, title=_title(report.stats),
                          author=_("ỦY BAN NHÂN DÂN") + " " + report.area.name)


# The workbook -----------------------------------------------------------------------------


def xlsx(report: Report) -> bytes:
    stats, labels = report.stats, figure_labels()
    percent = _("Tỷ lệ (%)")
    return xlsx_workbook([
        (_("Tổng hợp"), [_("Địa bàn"), *(labels[k] for k in FIGURES)],
         [[stats.query.area.name, *(stats.totals[k] for k in FIGURES)], [],
          [_title(stats)]]),
        (_("Theo địa bàn"), [_("Mã"), _("Địa bàn"), *(labels[k] for k in FIGURES)],
         [[r.area.code, r.area.name, *(r.figures[k] for k in FIGURES)] for r in stats.rows]),
        (_("Độ bao phủ"), [_("Chỉ tiêu"), _("Đã đạt"), _("Tổng số"), percent, _("Mục tiêu"),
                          _("Đánh giá")],
         [[c.label, c.done, c.total, c.percent, _target(c), _level(c)]
          for c in report.coverage]),
        (_("Bao phủ theo địa bàn"), [_("Mã"), *area_headers()],
         [[a.area.code, *cells] for a, cells in zip(report.areas, area_rows(report.areas),
                                                     strict=True)]),
        (_("Theo lĩnh vực"), [_("Lĩnh vực"), _("Loại hình"), *(labels[k] for k in VENUE_FIGURES)],
         [[r["sector_label"], r["type_label"], *(r[k] for k in VENUE_FIGURES)]
          for r in type_rows(stats)]),
        (_("Xu hướng"), [_("Ngày"), labels["scans_in"], labels["scans_out"],
                         labels["venues_active"], labels["declarations"], labels["symptomatic"]],
         [[d["day"], d["scans_in"], d["scans_out"], d["venues_active"], d["declarations"],
           d["symptomatic"]] for d in stats.trend]),
    ])


def filename(stats: Stats, ext: str) -> str:
    q = stats.query
    return f"bao-cao-{q.area.code}-{q.date_to.isoformat()}.{ext}"
