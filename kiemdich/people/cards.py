"""The personal code drawn for screens and paper: inline SVG, PNG, and the printable card."""

from __future__ import annotations

import io
from collections.abc import Sequence

import segno
from django.http import HttpResponse
from django.utils import timezone

from kiemdich.accounts.models import User
from kiemdich.documents.cards import CardInfo, cards_pdf
from kiemdich.people.models import Person
from kiemdich.people.services import issue_card

# 'M' as on the printed card: a ~150-character payload stays at a low version with big modules.
_ERROR = "m"


def qr_svg(payload: str) -> str:
    """The code as an inline <svg> (no style attribute: the pages' CSP forbids inline style)."""
    return segno.make(payload, error=_ERROR, micro=False).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr-svg", lineclass=None,
        title=None, dark="#000", light="#fff")


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, error=_ERROR, micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def card_pdf_for(user: User, person: Person) -> bytes:
    """Issue a new card (its own serial, revocable) and lay it out on an A4 sheet."""
    return cards_pdf_for(user, [person])


def cards_pdf_for(user: User, people: Sequence[Person]) -> bytes:
    """A new card for each person (each its own serial), ten to an A4 sheet."""
    return cards_pdf([_card_info(user, person) for person in people])


def _card_info(user: User, person: Person) -> CardInfo:
    credential, payload = issue_card(user, person)
    return CardInfo(
        full_name=person.full_name or "—",
        payload=payload,
        expires_at=timezone.localtime(credential.expires_at).date(),
        serial=format_serial(credential.serial),
        declared_note="Xuất trình thẻ khi vào địa điểm. Báo mất thẻ trong ứng dụng.",
    )


def format_serial(serial: int) -> str:
    """Groups of four digits, as read aloud over the phone when reporting a lost card."""
    text = str(serial)
    head = len(text) % 4
    groups = ([text[:head]] if head else []) + [text[i:i + 4] for i in range(head, len(text), 4)]
    return " ".join(groups)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
