"""The daily report as the chairman receives it: a PDF laid out as an administrative report
(read back with pdfium) and a workbook with Vietnamese labels (read back with openpyxl)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdfium2
import pytest
from openpyxl import load_workbook
from reportlab.lib.pagesizes import A4

from kiemdich.accounts.models import Role, User
from kiemdich.areas.models import Area
from kiemdich.areas.services import load_tree
from kiemdich.jobs.models import Task
from kiemdich.reports.models import (
    CitizenRegistration,
)
from tests.conftest import page_export
from tests.reports.gen import seed_compliance

DAY = date(2021, 10, 12)  # day 285 of the year


def pdf_pages(content: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    return [" ".join(page.get_textpage().get_text_range().split()) for page in document]


def pdf_sizes(content: bytes) -> list[tuple[float, float]]:
    return [page.get_size() for page in pypdfium2.PdfDocument(content)]


@pytest.fixture
def data(areas):
    seed_compliance(areas, DAY)


def test_the_daily_report_is_an_administrative_document(data, portal):
    client = portal("0912000706", Role.OFFICER, Area.objects.get(code="75"))
    response = client.get("/reports/report.pdf", {"area": "75", "date_to": DAY,
                                                  "date_from": DAY})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content)
    assert all(size == pytest.approx(A4, abs=0.5) for size in pdf_sizes(response.content))
    first, text = pages[0], " ".join(pages)
    # Issuing body and number top-left, motto and place-date top-right, the title.
    for expected in ("ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", "Số: 285/BC-UBND",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "BÁO CÁO", "ngày 12/10/2021", "trên địa bàn Tỉnh Đồng Nai"):
        assert expected in first, expected
    assert "Đồng Nai, ngày " in first and " tháng " in first and " năm " in first
    # Coverage against the targets, and per child area the coverage and who does not comply.
    assert "ĐỘ BAO PHỦ SO VỚI CHỈ TIÊU" in text and "50–80%" in text
    section = text.split("IV. ĐỘ BAO PHỦ VÀ CHƯA TUÂN THỦ THEO ĐỊA BÀN")[1].split("V. ")[0]
    bien_hoa = section.split("Thành phố Biên Hòa")[1].split("Huyện Long Thành")[0].split()
    residents = Area.objects.get(code="731")
    citizens = sum(CitizenRegistration.objects.filter(area__path__startswith=residents.path,
                                                      day__lte=DAY)
                   .values_list("citizens", flat=True))
    assert bien_hoa[0] == f"{100 * citizens / 200:.1f}%".replace(".", ",")
    # 1 of 2 schools registered, 0 of 2 declared; 1 unregistered, 2 undeclared, 1 violation.
    assert bien_hoa[1:4] == ["50,0%", "0,0%", "1"] and bien_hoa[4] == "2"
    assert bien_hoa[-1] == "1"
    assert "Huyện Long Thành — — —" in section
    # Sectors by name, never by key; the signature block and recipients at the end.
    assert "Giáo dục" in text or "Công thương" in text
    assert not {"education", "trade", "labour", "government"} & set(text.split())
    last = pages[-1]
    assert "TM. ỦY BAN NHÂN DÂN" in last and "CHỦ TỊCH" in last and "Nơi nhận:" in last
    assert "Lưu: VT." in last


def test_a_long_table_runs_over_pages_with_its_header_repeated(db, portal):
    communes = [{"name": f"Xã Thử Nghiệm {n:02d}", "code": 99100 + n, "division_type": "xã"}
                for n in range(80)]
    load_tree([{"name": "Tỉnh Thử", "code": 99, "division_type": "tỉnh", "wards": communes}])
    client = portal("0912000716", Role.OFFICER, Area.objects.get(code="99"))
    response = client.get("/reports/report.pdf", {"area": "99", "date_to": DAY})
    pages = pdf_pages(response.content)
    holding = [i for i, page in enumerate(pages) if "Xã Thử Nghiệm" in page]
    assert len(holding) >= 2
    for i in holding:
        # Every page that holds rows shows the (wrapped) header row above them.
        assert "Địa bàn" in pages[i].split("Xã Thử Nghiệm")[0]
    # A table continued from the page before starts the page (after its number) with it.
    tops = [pages[i].split(maxsplit=1)[1] for i in holding if i > 0]
    assert all(top.startswith(("Địa bàn", "III.", "IV.")) for top in tops)
    assert any(top.startswith("Địa bàn") for top in tops)
    assert "Xã Thử Nghiệm 79" in pages[holding[-1]]
    assert pages[1].startswith("2 ")  # page numbers from the second page, at the top
    assert "Số: 285/BC-UBND" in pages[0] and "Tỉnh Thử, ngày" not in pages[0]
    assert "Thử, ngày" in pages[0]


def test_a_range_report_leaves_its_number_to_the_clerk(data, portal):
    client = portal("0912000726", Role.OFFICER, Area.objects.get(code="731"))
    response = client.get("/reports/report.pdf", {"area": "731", "date_to": DAY,
                                                  "date_from": DAY - timedelta(days=6)})
    first = pdf_pages(response.content)[0]
    assert "Số: /BC-UBND" in first and "ỦY BAN NHÂN DÂN THÀNH PHỐ BIÊN HÒA" in first
    assert "06/10/2021 – 12/10/2021" in first
    assert "UBND Tỉnh Đồng Nai (để báo cáo)" in " ".join(pdf_pages(response.content))


def test_the_workbook_has_vietnamese_labels_and_the_coverage_per_area(data, portal):
    client = portal("0912000736", Role.OFFICER, Area.objects.get(code="75"))
    response = client.get("/reports/report.xlsx", {"area": "75", "date_to": DAY,
                                                   "date_from": DAY})
    book = load_workbook(io.BytesIO(response.content))
    api = client.get("/api/v1/stats", {"area": "75", "date_to": DAY, "date_from": DAY}).json()
    sectors = book["Theo lĩnh vực"]
    keys = {r["sector"] for r in api["by_type"]} | {r["venue_type"] for r in api["by_type"]}
    cells = {c.value for row in sectors.iter_rows(min_row=2) for c in row[:2]}
    assert not keys & cells, keys & cells
    assert "Công thương" in cells and "Chợ" in cells
    assert [c.value for c in sectors[1]][:2] == ["Lĩnh vực", "Loại hình"]
    per_area = book["Bao phủ theo địa bàn"]
    header = [c.value for c in per_area[1]]
    assert header[:2] == ["Mã", "Địa bàn"] and "Cơ sở chưa đăng ký địa điểm" in header
    rows = {r[0].value: [c.value for c in r] for r in per_area.iter_rows(min_row=2)}
    assert set(rows) == {"731", "740"}
    assert rows["731"][3:5] == [50.0, 0.0] and rows["731"][5:7] == [1, 2]
    assert rows["731"][-1] == 1 and rows["740"][2] is None
    coverage = book["Độ bao phủ"]
    assert coverage["A2"].value == "Người dân dùng ứng dụng" and coverage["E2"].value == "50–80%"
    areas_sheet = book["Theo địa bàn"]
    assert [r[0].value for r in areas_sheet.iter_rows(min_row=2)] == ["731", "740"]
    assert areas_sheet["C2"].value == api["rows"][0]["venues_registered"]
    assert book["Tổng hợp"]["D2"].value == api["totals"]["scans_in"]


def test_the_emailed_report_is_the_same_document(data, areas, mailoutbox):
    from kiemdich.reports import archive
    from kiemdich.reports.models import ReportSubscription

    ReportSubscription.objects.create(area=areas["731"], emails="chutich@example.vn",
                                      created_by=User.objects.create_user("0912000746"))
    assert archive.run_daily(DAY) == (1, 1)
    (message,) = mailoutbox
    (_name, content, _type), _xlsx = message.attachments
    first = pdf_pages(content)[0]
    assert "Số: 285/BC-UBND" in first and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first


def _page_rows(html: str) -> list[list[str]]:
    """The coverage table's rows as shown: area code, then the cells' text."""
    import re

    body = html.split('id="coverage-rows"')[1].split("</table>")[0].split("<tbody>")[1]
    rows = []
    for code, cells in re.findall(r'<tr data-area="([^"]+)">(.*?)</tr>', body, re.S):
        texts = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                        cells, re.S)]
        rows.append([code, *texts])
    return rows


def _as_shown(value, percent: bool) -> str:
    """A CSV or XLSX value written as the page shows it (50.0 → "50,0 %", None → "—")."""
    if value in (None, ""):
        return "—"
    if percent:
        return f"{float(value):.1f}".replace(".", ",") + " %"
    return str(value)


def test_the_coverage_page_has_one_table_of_every_child_area(data, portal):
    client = portal("0912000756", Role.OFFICER, Area.objects.get(code="75"))
    html = client.get("/reports/coverage/", {"area": "75", "date_to": DAY}).content.decode()
    rows = _page_rows(html)
    assert [r[:2] for r in rows] == [["731", "Thành phố Biên Hòa"], ["740", "Huyện Long Thành"]]
    assert rows[0][3:9] == ["50,0 %", "0,0 %", "1", "2", rows[0][7], "1"]
    assert rows[1][2:5] == ["—", "—", "—"]
    assert "Cơ sở chưa đăng ký địa điểm" in html and "?area=731" in html


@pytest.mark.parametrize(("sort", "order"), [
    ("name", ["740", "731"]), ("-name", ["731", "740"]),  # Huyện before Thành phố
    ("-venues", ["731", "740"]), ("venues", ["731", "740"]),  # no data last either way
    ("undeclared", ["740", "731"]), ("-undeclared", ["731", "740"]),
    ("bogus", ["731", "740"]),
])
def test_the_coverage_table_sorts_on_the_server(data, portal, sort, order):
    client = portal("0912000766", Role.OFFICER, Area.objects.get(code="75"))
    html = client.get("/reports/coverage/", {"area": "75", "sort": sort}).content.decode()
    assert [r[0] for r in _page_rows(html)] == order


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_coverage_export_holds_the_pages_rows(data, portal, fmt):
    import csv

    client = portal("0912000776", Role.OFFICER, Area.objects.get(code="75"))
    params = {"area": "75", "sort": "-name"}
    shown = _page_rows(client.get("/reports/coverage/", params).content.decode())
    response = page_export(client, "/reports/coverage/", params, fmt)
    assert response["Content-Disposition"].startswith('attachment; filename="bao-phu-75-')
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        table = [[c.value for c in row] for row in sheet.iter_rows()]
    header, *rows = table
    assert header[:3] == ["Mã", "Địa bàn", "Người dân dùng ứng dụng (chỉ tiêu 50–80%)"]
    assert [[str(r[0]), r[1], *(_as_shown(v, 2 <= i <= 4) for i, v in enumerate(r) if i >= 2)]
            for r in rows] == shown


def test_a_commune_has_no_child_table_and_another_district_is_not_found(data, portal):
    client = portal("0912000786", Role.OFFICER, Area.objects.get(code="731"))
    html = client.get("/reports/coverage/", {"area": "25993"}).content.decode()
    assert 'id="coverage-rows"' not in html
    assert client.post("/reports/coverage/?area=740", {"format": "csv"}).status_code == 404
    assert not Task.objects.exists()
