"""Posters and cards are checked the way they are used: rendered, then scanned by a real decoder.

No database: the documents are pure functions of dataclasses.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import shutil
import unicodedata
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from reportlab.lib.pagesizes import A4, A5, A6
from reportlab.pdfbase import pdfmetrics

from kiemdich.documents import fonts
from kiemdich.documents._render import fit_lines, text_width
from kiemdich.documents.cards import CardInfo, cards_pdf
from kiemdich.documents.posters import (
    PosterInfo,
    format_short_code,
    poster_pdf,
    poster_png,
    posters_pdf,
)

DPI = 150


def px(cm: float) -> float:
    return cm / 2.54 * DPI


def venue(n: int = 0, name: str = "Quán Phở Hà Nội – Chi nhánh Long Bình") -> PosterInfo:
    code = f"K7QM2XHP{n:04d}"
    return PosterInfo(
        name=name,
        address="123 Đường Bùi Văn Hòa, Phường Long Bình, Đồng Nai",
        code=code,
        checkin_url=f"https://kiemdich.gov.vn/c/{code}",
        venue_type_label="Nhà hàng / Restaurant",
    )


def payload(n: int) -> str:
    """A token shaped like the real ones: KD1.<key id>.<base64url body>.<base64url signature>."""
    digest = hashlib.sha512(str(n).encode()).digest()
    body = base64.urlsafe_b64encode(digest[:36]).decode().rstrip("=")
    signature = base64.urlsafe_b64encode(digest[32:64]).decode().rstrip("=")
    return f"KD1.ab12.{body}.{signature}"


def render(pdf: bytes) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    return [page.render(scale=DPI / 72).to_pil() for page in document]


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    # Wrapped lines come back separated by CR LF; compare on single spaces.
    return [" ".join(page.get_textpage().get_text_range().split()) for page in document]


def scan(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def side_px(barcode: zxingcpp.Barcode) -> float:
    """Shortest edge of the decoded symbol's outline, in pixels."""
    p = barcode.position
    corners = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
    return min(
        math.dist((a.x, a.y), (b.x, b.y))
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True)
    )


# Minimum QR sizes: 15 cm on A4, the same share of the page on the smaller sizes.
PAPER = {"A4": (A4, 15.0), "A5": (A5, 15.0 / math.sqrt(2)), "A6": (A6, 7.5)}


@pytest.mark.parametrize("size", ["A4", "A5"])
def test_poster_pdf_scans_to_checkin_url(size: str) -> None:
    info = venue()
    pdf = poster_pdf(info, size=size)

    paper, min_qr_cm = PAPER[size]
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    assert document[0].get_size() == pytest.approx(paper, abs=0.5)

    (image,) = render(pdf)
    (barcode,) = scan(image)
    assert barcode.text == info.checkin_url
    assert side_px(barcode) >= px(min_qr_cm)


def test_an_a6_poster_prints_four_copies_on_one_a4_sheet() -> None:
    info = venue()
    pdf = poster_pdf(info, size="A6")

    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    assert document[0].get_size() == pytest.approx(A4, abs=0.5)
    (image,) = render(pdf)
    barcodes = scan(image)
    assert [b.text for b in barcodes] == [info.checkin_url] * 4
    assert all(side_px(b) >= px(PAPER["A6"][1]) for b in barcodes)
    (text,) = page_texts(pdf)
    assert text.count(info.name) == 4 and text.count("K7QM-2XHP-0000") == 4


def test_a6_batch_fills_a4_sheets_four_at_a_time_in_order() -> None:
    infos = [venue(n, name=f"Chợ Biên Hòa – Quầy số {n}") for n in range(5)]
    pdf = posters_pdf(infos, size="A6")

    images = render(pdf)
    assert len(images) == 2
    assert all(page.get_size() == pytest.approx(A4, abs=0.5) for page in pdfium.PdfDocument(pdf))
    first, second = (scan(image) for image in images)
    # Reading order on the sheet: left to right, then top to bottom.
    first.sort(key=lambda b: (round(b.position.top_left.y / 100), b.position.top_left.x))
    assert [b.text for b in first] == [info.checkin_url for info in infos[:4]]
    assert [b.text for b in second] == [infos[4].checkin_url]
    texts = page_texts(pdf)
    assert all(info.name in texts[0] for info in infos[:4]) and infos[4].name in texts[1]


def test_a4_poster_qr_is_at_least_15_cm() -> None:
    (image,) = render(poster_pdf(venue(), size="A4"))
    (barcode,) = scan(image)
    assert side_px(barcode) >= 886  # 15 cm at 150 dpi


def test_poster_text_layer_has_vietnamese_and_english() -> None:
    info = venue()
    (text,) = page_texts(poster_pdf(info))

    for expected in [
        "MÃ QR KIỂM SOÁT RA VÀO",
        "ENTRY–EXIT QR CODE",
        info.name,
        info.address,
        info.venue_type_label,
        "K7QM-2XHP-0000",
        "Quét mã này bằng ứng dụng / camera để khai báo vào–ra",
        "Scan this code to check in/out",
        "Hoặc đưa mã QR cá nhân của bạn cho nhân viên quét",
        "Or show your personal QR code to staff",
    ]:
        assert expected in text


def test_poster_png_is_a4_and_scans() -> None:
    info = venue()
    image = Image.open(io.BytesIO(poster_png(info, dpi=DPI)))

    assert image.format == "PNG"
    assert image.size == (1240, 1754)  # A4 at 150 dpi
    # PNG stores whole pixels per metre, so 150 dpi reads back as 150.01.
    assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.1)
    (barcode,) = scan(image)
    assert barcode.text == info.checkin_url
    assert side_px(barcode) >= px(15)


def test_batch_has_one_page_per_venue_in_order() -> None:
    infos = [venue(n, name=f"Chợ Biên Hòa – Quầy số {n}") for n in range(3)]
    pdf = posters_pdf(infos, size="A5")

    images = render(pdf)
    assert len(images) == len(infos)
    for info, image, text in zip(infos, images, page_texts(pdf), strict=True):
        assert [barcode.text for barcode in scan(image)] == [info.checkin_url]
        assert info.name in text


def test_long_venue_name_is_shortened_and_keeps_the_qr_readable() -> None:
    name = "Trung tâm Thương mại Dịch vụ Tổng hợp " * 6
    info = venue(name=name)
    pdf = poster_pdf(info)

    (text,) = page_texts(pdf)
    assert "…" in text
    (image,) = render(pdf)
    assert [barcode.text for barcode in scan(image)] == [info.checkin_url]


def test_decomposed_vietnamese_is_printed_precomposed() -> None:
    name = "Nhà Văn hóa Phường Long Bình"
    (text,) = page_texts(poster_pdf(venue(name=unicodedata.normalize("NFD", name))))
    assert name in text


def test_twelve_cards_fill_two_pages_and_all_scan() -> None:
    cards = [
        CardInfo(
            full_name="Nguyễn Thị Thanh Hương" if n % 2 else "Trần Văn Đức",
            payload=payload(n),
            expires_at=date(2025, 12, 31),
            serial=f"SR-{n:06d}",
            declared_note="Đã khai báo y tế tại Phường Long Bình" if n % 3 == 0 else None,
        )
        for n in range(12)
    ]
    assert all(80 <= len(card.payload) <= 120 for card in cards)
    pdf = cards_pdf(cards)

    images = render(pdf)
    assert len(images) == 2
    per_page = [scan(image) for image in images]
    assert [len(barcodes) for barcodes in per_page] == [10, 2]
    decoded = [barcode.text for barcodes in per_page for barcode in barcodes]
    assert sorted(decoded) == sorted(card.payload for card in cards)
    assert all(side_px(b) >= px(3.5) for barcodes in per_page for b in barcodes)

    texts = page_texts(pdf)
    assert "Nguyễn Thị Thanh Hương" in texts[0]
    assert "Mã QR cá nhân".upper() in texts[0] and "Personal QR code" in texts[0]
    assert "31/12/2025" in texts[1]
    assert "SR-000011" in texts[1]
    assert "Đã khai báo y tế" in texts[0]


def test_short_code_is_grouped_by_four() -> None:
    assert format_short_code("K7QM2XHP9RTA") == "K7QM-2XHP-9RTA"
    assert format_short_code("K7QM-2XHP 9RTA") == "K7QM-2XHP-9RTA"
    assert format_short_code("AB12C") == "AB12-C"


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="A4, A5, A6"):
        poster_pdf(venue(), size="Letter")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        posters_pdf([])
    with pytest.raises(ValueError):
        cards_pdf([])


def test_fit_lines_shrinks_then_cuts() -> None:
    size, lines = fit_lines("Ngắn", width=200, max_size=20, min_size=10, max_lines=1)
    assert (size, lines) == (20, ["Ngắn"])

    words = "Phường Long Bình, Đồng Nai " * 10
    size, lines = fit_lines(words, width=200, max_size=20, min_size=10, max_lines=2, bold=True)
    assert size == 10
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(text_width(line, size, bold=True) <= 200 for line in lines)


def test_fonts_come_from_env_dir_first(tmp_path, monkeypatch) -> None:
    for path in fonts.font_files().values():
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path))

    assert fonts.font_files() == {
        fonts.REGULAR: tmp_path / "DejaVuSans.ttf",
        fonts.BOLD: tmp_path / "DejaVuSans-Bold.ttf",
    }


def test_missing_fonts_raise_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(fonts, "SYSTEM_FONT_DIR", tmp_path / "absent")

    with pytest.raises(fonts.FontNotFoundError, match="fonts-dejavu-core") as error:
        fonts.font_files()
    assert str(tmp_path) in str(error.value)


def test_register_fonts_is_idempotent() -> None:
    fonts.register_fonts()
    fonts.register_fonts()
    assert {fonts.REGULAR, fonts.BOLD} <= set(pdfmetrics.getRegisteredFontNames())
