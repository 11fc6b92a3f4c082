"""The inspection record (biên bản) as a printable PDF: the record an inspector and the
inspected party sign on the spot — who, where, when, what was found, the Decree 117/2020
article with its fine bracket, the fine proposed, and both signatures."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from kiemdich.documents import official
from kiemdich.documents.text import paragraph
from kiemdich.reports.daily import vn_number
from kiemdich.reports.inspections import fine_bracket
from kiemdich.reports.models import Inspection

SYMBOL = "BB-KT"  # Biên bản kiểm tra


def _yes_no(value: bool) -> str:
    return _("Có") if value else _("Không")


def _money(amount: int | None) -> str:
    return "—" if amount is None else f"{vn_number(amount)} đồng"


def pdf(inspection: Inspection) -> bytes:
    st = official.styles()
    at = timezone.localtime(inspection.inspected_at)
    area = inspection.area
    ancestors = area.ancestors()
    province = ancestors[0] if ancestors else area
    # The committee of the district (or of the province, on a two-level map) the place is in.
    issuer_area = ancestors[-2] if len(ancestors) >= 2 else province
    story = [official.heading([_("ỦY BAN NHÂN DÂN"), issuer_area.name.upper(),
                               _("ĐOÀN KIỂM TRA PHÒNG, CHỐNG DỊCH")], str(inspection.pk), SYMBOL,
                              official.dated(official.place_of(province.name, province.kind),
                                             at.date()), st),
             Spacer(1, 10), paragraph(_("BIÊN BẢN KIỂM TRA"), st["title"]),
             paragraph(_("Việc thực hiện khai báo y tế và quét mã QR phòng, chống dịch"),
                       st["bold_c"]), Spacer(1, 8)]
    story.append(paragraph(
        _("Hôm nay, lúc %(time)s ngày %(date)s, tại %(area)s, người lập biên bản tiến hành "
          "kiểm tra:") % {"time": at.strftime("%H:%M"), "date": at.strftime("%d/%m/%Y"),
                          "area": area.full_name()}, st["body"]))
    rows = [[_("Đối tượng"), inspection.get_subject_display()],
            [_("Tên"), inspection.subject_label]]
    if inspection.venue is not None:
        rows += [[_("Mã QR địa điểm"), inspection.venue.code],
                 [_("Địa chỉ"), inspection.venue.street or "—"]]
    if inspection.establishment is not None:
        rows.append([_("Số đăng ký"), inspection.establishment.reg_no])
    rows.append([_("Địa bàn"), area.full_name()])
    story += [Spacer(1, 4), _facts(rows, st), paragraph(_("I. NỘI DUNG KIỂM TRA"), st["h2"])]
    findings = [[_("Niêm yết mã QR tại lối vào"), _yes_no(inspection.poster_displayed)],
                [_("Kiểm soát quét mã ra vào"), _yes_no(inspection.scanning_enforced)],
                [_("Nhân viên đã khai báo y tế"), _yes_no(inspection.staff_declared)]]
    if inspection.subject != Inspection.Subject.VENUE:
        findings = [[_("Tình trạng"), inspection.get_subject_display()]]
    story.append(_facts(findings, st))
    story.append(paragraph(_("II. KẾT LUẬN"), st["h2"]))
    conclusion = [[_("Kết quả"), inspection.get_result_display()]]
    violation = inspection.violation
    if violation is not None:
        low, high = fine_bracket(violation, inspection.subject)
        conclusion += [[_("Hành vi vi phạm"), violation.title],
                       [_("Căn cứ"), violation.legal_reference],
                       [_("Khung tiền phạt"), f"{_money(low)} – {_money(high)}"],
                       [_("Mức phạt đề nghị"), _money(inspection.fine)]]
    conclusion.append([_("Ghi chú"), inspection.notes or "—"])
    story.append(_facts(conclusion, st))
    story.append(Spacer(1, 6))
    story.append(paragraph(_("Biên bản lập xong lúc %(time)s cùng ngày, đã đọc lại cho những "
                             "người có tên trên nghe và cùng ký.")
                           % {"time": at.strftime("%H:%M")}, st["body"]))
    story.append(Spacer(1, 10))
    party = _("ĐẠI DIỆN CƠ SỞ") if inspection.subject != Inspection.Subject.PERSON \
        else _("NGƯỜI ĐƯỢC KIỂM TRA")
    story.append(KeepTogether(official.two_columns(
        official.signature([party], st, _("(Ký, ghi rõ họ tên)")),
        official.signature([_("NGƯỜI LẬP BIÊN BẢN")], st, _("(Ký, ghi rõ họ tên)")), 0.5)))
    return official.build(story, title=_("Biên bản kiểm tra số %(n)s") % {"n": inspection.pk},
                          author=_("ĐOÀN KIỂM TRA PHÒNG, CHỐNG DỊCH"))


def _facts(rows: list[list[str]], st: dict[str, ParagraphStyle]) -> Table:
    data = [[paragraph(label, st["bold"]), paragraph(value, st["body"])] for label, value in rows]
    table = Table(data, colWidths=[official.WIDTH * 0.32, official.WIDTH * 0.68])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return table
