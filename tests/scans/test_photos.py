"""Photos of QR codes decoded on the server, for the kiosk's camera in browsers without a
barcode reader: a phone's photo of a printed card or poster decodes, a picture too large to
decode is refused from its header before any pixel is decoded, and a process decodes a
bounded number of photos at once."""

from __future__ import annotations

import io
import struct
import zlib

import pypdfium2
import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from kiemdich.core.errors import TooLarge
from kiemdich.people.codes import CodeUnreadable
from kiemdich.scans import services
from tests.scans.conftest import scans_url

PHONE = (4000, 3000)  # a 12-megapixel phone camera, landscape


def phone_photo(pdf: bytes, *, kind: str = "JPEG", camera: bool = True) -> bytes:
    """The first page of a PDF as a phone photographs it: filling most of a 4000×3000 frame,
    turned a little on a brown table; with `camera`, slightly out of focus and with sensor
    noise, saved as the phone's JPEG."""
    page = pypdfium2.PdfDocument(pdf)[0]
    document = page.render(scale=PHONE[1] * 0.85 / page.get_size()[1]).to_pil().convert("RGB")
    table = (96, 78, 64)
    document = document.rotate(8, expand=True, fillcolor=table, resample=Image.BICUBIC)
    photo = Image.new("RGB", PHONE, table)
    photo.paste(document, ((PHONE[0] - document.width) // 2, (PHONE[1] - document.height) // 2))
    if camera:
        photo = photo.filter(ImageFilter.GaussianBlur(1.5))
        photo = Image.blend(photo, Image.effect_noise(PHONE, 18).convert("RGB"), 0.08)
    out = io.BytesIO()
    photo.save(out, format=kind, quality=88)
    return out.getvalue()


def decode_photo(client, venue, data: bytes, name: str = "photo.jpg"):
    upload = io.BytesIO(data)
    upload.name = name
    # A multipart upload: the plain test client's post, with the client's bearer token.
    return Client.post(client, f"/api/v1/venues/{venue.pk}/scans/decode-photo",
                       {"photo": upload}, HTTP_AUTHORIZATION=f"Bearer {client.token}")


def png_header(width: int, height: int) -> bytes:
    """A PNG that announces its size, then pixel data that is no compressed data at all."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                                0, 0, 0))
            + chunk(b"IDAT", bytes(16)))


def jpeg_header(width: int, height: int) -> bytes:
    """A baseline JPEG's markers up to its frame header (the size), and no scan data."""
    jfif = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + jfif + b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame


def test_a_phone_photo_of_a_printed_card_decodes_and_scans(venue, hoa, lan, lan_person):
    card = lan.get(f"/api/v1/people/{lan_person.pk}/card.pdf")
    assert card.status_code == 200
    photo = phone_photo(card.content)
    assert Image.open(io.BytesIO(photo)).size == PHONE

    decoded = decode_photo(hoa, venue, photo)
    assert decoded.status_code == 200, decoded.content
    scanned = hoa.post(scans_url(venue), {"code": decoded.json()["text"], "direction": "in"})
    assert scanned.status_code == 201, scanned.content
    assert scanned.json()["person"]["display_name"] == "Nguyễn T** L**"


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_a_phone_photo_of_the_venue_poster_decodes_to_its_checkin_url(venue, minh, hoa, kind):
    poster = minh.get(f"/api/v1/venues/{venue.pk}/poster.pdf")
    checkin_url = minh.get(f"/api/v1/venues/{venue.pk}").json()["checkin_url"]
    # A screenshot (PNG) is sharp; a photo (JPEG) is not.
    photo = phone_photo(poster.content, kind=kind, camera=kind == "JPEG")

    decoded = decode_photo(hoa, venue, photo, name=f"poster.{kind.lower()}")
    assert decoded.status_code == 200, decoded.content
    assert decoded.json() == {"text": checkin_url}


@pytest.mark.parametrize("header", [png_header(6300, 6300), jpeg_header(5000, 4000)],
                         ids=["png-6300x6300", "jpeg-5000x4000"])
def test_it_refuses_a_picture_too_large_from_its_header_before_decoding_it(venue, hoa, header,
                                                                           settings):
    """The files hold no pixels: decoding them would answer 422 code_unreadable."""
    refused = decode_photo(hoa, venue, header)
    assert refused.status_code == 413
    assert refused["Content-Type"] == "application/json; charset=utf-8"
    error = refused.json()["error"]
    assert (error["code"], error["max_pixels"]) == ("photo_too_large", settings.PHOTO_MAX_PIXELS)
    assert "16.000.000" in error["message"]


def test_the_pixel_limit_is_the_setting(venue, hoa, settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    assert decode_photo(hoa, venue, png_header(1000, 1000)).json()["error"]["code"] == (
        "code_unreadable")
    assert decode_photo(hoa, venue, png_header(1000, 1001)).json()["error"]["code"] == (
        "photo_too_large")


@pytest.mark.parametrize("kind", ["GIF", "TIFF", "BMP"])
def test_it_reads_only_jpeg_png_and_webp(venue, hoa, kind):
    """Other formats are refused unread, even when they hold a perfectly good QR code."""
    import segno

    picture = io.BytesIO()
    segno.make("KD-TEST", error="m").save(picture, kind="png", scale=8, border=4)
    converted = io.BytesIO()
    Image.open(io.BytesIO(picture.getvalue())).save(converted, format=kind)
    refused = decode_photo(hoa, venue, converted.getvalue(), name=f"code.{kind.lower()}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "code_unreadable")


def test_a_photo_waits_its_turn_then_is_told_to_retry_while_the_decoders_are_busy(
        venue, hoa, settings, monkeypatch):
    """One decoder a process: while it is taken (held here as a long decode would hold it),
    another photo waits for it a moment, then is answered 503 with Retry-After."""
    import segno

    picture = io.BytesIO()
    segno.make("KD-TEST", error="m").save(picture, kind="png", scale=8, border=4)
    settings.PHOTO_DECODERS = 1
    monkeypatch.setattr(services, "PHOTO_TURN_WAIT_SECONDS", 0.2)
    turns = services._decoder_turns(1)
    assert turns.acquire(timeout=5)
    try:
        busy = decode_photo(hoa, venue, picture.getvalue(), name="code.png")
    finally:
        turns.release()
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "photo_decoder_busy"
    assert busy["Retry-After"] == "2"
    served = decode_photo(hoa, venue, picture.getvalue(), name="code.png")
    assert served.json() == {"text": "KD-TEST"}


def _samples() -> list[bytes]:
    import segno

    picture = io.BytesIO()
    segno.make("KD-TEST", error="m").save(picture, kind="png", scale=4, border=4)
    image = Image.open(io.BytesIO(picture.getvalue())).convert("RGB")
    out = []
    for kind in ("PNG", "JPEG", "WEBP"):
        data = io.BytesIO()
        image.save(data, format=kind)
        out.append(data.getvalue())
    return out


SAMPLES = _samples()


@st.composite
def damaged_pictures(draw) -> bytes:
    """A real PNG, JPEG or WebP with some bytes changed, cut short or grown."""
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    data = data[:draw(st.integers(0, len(data)))]
    return bytes(data) + draw(st.binary(max_size=64))


@hypothesis_settings(max_examples=300, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
@given(damaged_pictures())
def test_any_upload_is_its_text_or_a_refusal_never_an_error(data):
    """Damaged pictures: the code they hold, or a refusal with a stable code, never a 500."""
    try:
        outcome = services.decode_photo(data)
    except (CodeUnreadable, TooLarge) as refusal:
        outcome = refusal.code
    assert outcome in {"KD-TEST", "code_unreadable", "photo_too_large"}
