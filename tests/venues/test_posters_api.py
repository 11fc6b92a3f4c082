"""Posters are checked as they are used: rendered at 150 dpi and read by a real decoder."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

pytestmark = pytest.mark.django_db

DPI = 150


def decode_pdf(pdf: bytes) -> list[list[str]]:
    document = pdfium.PdfDocument(pdf)
    pages = [page.render(scale=DPI / 72).to_pil() for page in document]
    return [[b.text for b in zxingcpp.read_barcodes(image,
                                                    formats=zxingcpp.BarcodeFormat.QRCode)]
            for image in pages]


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.get_textpage().get_text_range().split())
                    for p in pdfium.PdfDocument(pdf))


@pytest.mark.parametrize("size", ["A4", "A5", "A6"])
def test_each_poster_size_decodes_to_the_checkin_url(minh, register, size):
    venue = register(minh)
    response = minh.get(f"/api/v1/venues/{venue['id']}/poster.pdf", {"size": size})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # A6 posters come four to an A4 sheet.
    copies = 4 if size == "A6" else 1
    assert decode_pdf(response.content) == [[venue["checkin_url"]] * copies]
    text = pdf_text(response.content)
    assert "Chợ Tân Phong" in text and "Phường Tân Phong" in text
    assert venue["code"][:4] in text  # the short code for manual entry


def test_the_png_poster_decodes_to_the_checkin_url(minh, register):
    venue = register(minh)
    response = minh.get(f"/api/v1/venues/{venue['id']}/poster.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    import io

    image = Image.open(io.BytesIO(response.content))
    decoded = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [b.text for b in decoded] == [venue["checkin_url"]]


def test_a_rotated_poster_carries_the_new_code(minh, register):
    venue = register(minh)
    new = minh.post(f"/api/v1/venues/{venue['id']}/rotate").json()
    pdf = minh.get(f"/api/v1/venues/{venue['id']}/poster.pdf").content
    assert decode_pdf(pdf) == [[new["checkin_url"]]]


def test_batch_printing_puts_every_active_place_in_one_pdf(minh, binh, register):
    first = register(minh)
    second = register(minh, name="Xe buýt 5", venue_type="bus", street="",
                      vehicle_plate="60B01234", vehicle_route="Biên Hòa – Long Thành")
    closed = register(minh, name="Quán cũ", venue_type="restaurant")
    minh.patch(f"/api/v1/venues/{closed['id']}", {"status": "closed"})
    register(binh, name="Của người khác", venue_type="shop")
    response = minh.get("/api/v1/venues/posters.pdf", {"size": "A5"})
    assert response.status_code == 200
    assert decode_pdf(response.content) == [[first["checkin_url"]], [second["checkin_url"]]]


def test_a_wrong_size_is_refused(minh, register, lan):
    venue = register(minh)
    response = minh.get(f"/api/v1/venues/{venue['id']}/poster.pdf", {"size": "A0"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "poster_size_invalid"
    assert lan.get("/api/v1/venues/posters.pdf").status_code == 404


def test_the_a4_code_is_at_least_15_cm_wide(minh, register):
    import math

    venue = register(minh)
    pdf = minh.get(f"/api/v1/venues/{venue['id']}/poster.pdf").content
    image = pdfium.PdfDocument(pdf)[0].render(scale=DPI / 72).to_pil()
    (barcode,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    p = barcode.position
    side = min(math.dist((a.x, a.y), (b.x, b.y)) for a, b in [
        (p.top_left, p.top_right), (p.top_right, p.bottom_right),
        (p.bottom_right, p.bottom_left), (p.bottom_left, p.top_left)])
    assert side / DPI * 2.54 >= 15.0
