"""Whatever text users type — markup, control characters, very long words, right-to-left
scripts, emoji — every PDF writer of the platform returns a valid PDF that prints it:
posters, cards, the case export, the daily report and the own-data export. The text must be
in the PDF's text layer as `printable()` defines it (kiemdich/documents/text.py), the one
place where user text is made safe for documents."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pypdfium2 as pdfium
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kiemdich.documents.cards import CardInfo, cards_pdf
from kiemdich.documents.posters import PosterInfo, poster_pdf
from kiemdich.documents.text import printable

MARKUP = ["<img src=x onerror=alert(1)>", "<b>x", "</para>", "&amp;", "a & b", "<font>",
          "]]>", "<br/>", '"><script>alert(1)</script>']
WORDS = ["Nguyễn Văn An", "Nguye\u0302\u0303n", "مرحبا", "שלום עולם", "😀", "👨\u200d👩\u200d👧",
         "\u202eabc", "\x00\x07\x1b", "\ufeff", "\ue000", "A" * 300, "x\ud800y"]
untrusted = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(MARKUP + WORDS), st.text(max_size=12)),
             min_size=1, max_size=6).map(" ".join))
examples = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _text_layer(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    assert len(document) >= 1
    # pdfium reports a hyphen that ends a line as U+FFFE (it takes it for a word break).
    return "".join(page.get_textpage().get_text_range()
                   for page in document).replace("\ufffe", "-")


def _rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def _folded(text: str) -> str:
    """Compatibility characters compared as what they stand for: pdfium's text layer spells
    the Latin ligatures ("ﬀ") as their letters, and a font may draw "¼" as "1⁄4"."""
    return unicodedata.normalize("NFKC", text)


def assert_prints(pdf: bytes, *values: str, in_cells: bool = False) -> None:
    """`pdf` opens, and its text layer holds each value as printed (spaces aside). Where a
    value mixes directions the viewer's reading order differs from the typed one, and in a
    table's cells (`in_cells`) a value wrapped over lines is read interleaved with the other
    cells of its row: there only its characters are compared."""
    assert pdf.startswith(b"%PDF-")
    layer = "".join(_folded(_text_layer(pdf)).split())
    for value in values:
        expected = "".join(_folded(printable(value)).split())
        if _rtl(expected) or in_cells:
            # …and brackets come out mirrored, as right-to-left text shows them.
            missing = Counter(c for c in expected if not unicodedata.mirrored(c)) - \
                Counter(layer)
            assert not missing, (value, missing)
        else:
            assert expected in layer, (value, expected, layer[:500])


@examples
@given(untrusted, untrusted)
def test_a_poster_prints_any_venue_name_and_address(name, address):
    """Posters cut long names (with an ellipsis) to keep the QR code clear: short ones are
    printed whole, and every one gives a valid PDF."""
    info = PosterInfo(name=name, address=address, code="K7QM2XHP9RTA",
                      checkin_url="https://kiemdich.example/v/K7QM2XHP9RTA",
                      venue_type_label="Nhà hàng / Restaurant")
    pdf = poster_pdf(info)
    assert_prints(pdf, *(v for v in (name, address) if len(printable(v)) <= 25))


@examples
@given(untrusted)
def test_a_card_prints_any_name(name):
    card = CardInfo(full_name=name, payload="KD1.ab12.body.signature",
                    expires_at=date(2026, 12, 31), serial="900001", declared_note=name)
    pdf = cards_pdf([card])
    assert_prints(pdf, *([name] if len(printable(name)) <= 15 else []))


@examples
@given(untrusted, untrusted)
def test_the_case_export_prints_any_name_and_venue(name, venue_name):
    from kiemdich.tracing.exports import _pdf
    from kiemdich.tracing.models import Case

    now = timezone.now()
    case = Case(pk=7, confirmed_at=now, window_start=now - timedelta(days=14), window_end=now,
                margin_minutes=60)
    visits = [[venue_name, name, "01/10/2021 08:00", "", "", "", "tự quét"]]
    contacts = [[1, 42, name, "091*****78", "", venue_name, "", "", 15]]
    pdf = _pdf(case, visits, contacts, [[name, 1, 1]])
    assert_prints(pdf, name, venue_name, in_cells=True)


@pytest.fixture
def daily_stats(areas):
    from kiemdich.reports.stats import StatsQuery, compute

    day = date(2021, 10, 12)
    return compute(StatsQuery(area=areas["75"], date_from=day - timedelta(days=6),
                              date_to=day, sectors=None))


@pytest.mark.django_db
@examples
@given(untrusted)
def test_the_daily_report_prints_any_area_name(daily_stats, name):
    from kiemdich.areas.models import Area
    from kiemdich.reports.daily import build, pdf

    # What an area's name can hold in the database (200 characters, no NUL, no surrogate).
    assume(len(name) <= 200 and "\x00" not in name
           and not any("\ud800" <= c <= "\udfff" for c in name))

    Area.objects.filter(pk=daily_stats.query.area.pk).update(name=name)
    for row in daily_stats.rows:
        row.area.name = name  # the child areas' rows
    assert_prints(pdf(build(daily_stats)), name)


@pytest.fixture
def own_data(lan):
    from kiemdich.privacy.own_data import _collect

    return _collect(lan.user)


@pytest.mark.django_db
@examples
@given(untrusted, untrusted)
def test_the_own_data_export_prints_any_name_and_address(own_data, name, street):
    from kiemdich.privacy.own_data import _pdf

    person = {**own_data["people"][0], "full_name": name, "street": street,
              "declarations": [{"created_at": datetime(2021, 10, 1, 8, tzinfo=UTC),
                                "has_symptoms": True, "has_exposure": False,
                                "visited_places_text": street}]}
    assert_prints(_pdf({**own_data, "people": [person]}), name, street)
