"""What a viewer may see of a person — the one place that decides it.

Ordinary venues see the national default masking (DOMAIN.md): the ID number with its first 6
characters as *, the birth year only, the phone with its middle digits as *, the name partly
masked. Special venues (hospitals, checkpoints), health officers and admins see everything,
and every such view is written to the audit trail here, so no caller can forget it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from django.utils.translation import gettext

from kiemdich.core.audit import record
from kiemdich.core.protect import decrypt_id


def mask_phone(e164: str) -> str:
    """+84912345678 → 091****678."""
    if not e164:
        return ""
    national = "0" + e164[3:] if e164.startswith("+84") else e164
    if len(national) < 7:
        return "*" * len(national)
    return national[:3] + "*" * (len(national) - 6) + national[-3:]


def mask_id_number(id_number: str) -> str:
    if not id_number:
        return ""
    return "*" * min(6, len(id_number)) + id_number[6:]


def mask_name(full_name: str) -> str:
    """Nguyễn Văn An → Nguyễn V** A*: the family name stays, the rest keep their initials."""
    words = full_name.split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0] + "*" * (len(words[0]) - 1)
    return " ".join([words[0]] + [w[0] + "*" * (len(w) - 1) for w in words[1:]])


def unnamed() -> str:
    """What a person recorded without a name (a phone typed in at a gate) is called on every
    screen and file: a label, never an empty cell or a number."""
    return gettext("(chưa có tên)")


class Shown(Protocol):
    """What is read of a person (kiemdich.people's Person: the kernel imports no app)."""

    @property
    def pk(self) -> Any: ...
    @property
    def full_name(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def id_number_cipher(self) -> str: ...
    @property
    def birth_date(self) -> date | None: ...


class SeenAt(Protocol):
    """What is read of a venue (kiemdich.venues' Venue)."""

    @property
    def pk(self) -> Any: ...
    @property
    def is_special(self) -> bool: ...


class Viewer(Protocol):
    """The viewer's grants (kiemdich.accounts.scopes.Scope)."""

    def sees_people_in_full(self) -> bool: ...


def person_shape(person: Shown, *, full: bool) -> dict[str, Any]:
    """The person as JSON for a viewer: full, or masked. A masked shape carries no identifier
    at all (a venue's screen needs none), so nothing in it links the person across venues or
    days, or counts the platform's people."""
    id_number = decrypt_id(person.id_number_cipher) if person.id_number_cipher else ""
    birth = person.birth_date
    if full:
        return {
            "id": person.pk,
            "display_name": person.full_name or unnamed(),
            "phone": _national(person.phone),
            "id_number": id_number,
            "birth": birth.isoformat() if birth else "",
            # As people write dates, for pages, files and venue screens.
            "birth_text": birth.strftime("%d/%m/%Y") if birth else "",
            "masked": False,
        }
    return {
        "display_name": mask_name(person.full_name) or unnamed(),
        "phone": mask_phone(person.phone),
        "id_number": mask_id_number(id_number),
        "birth": str(birth.year) if birth else "",
        "birth_text": str(birth.year) if birth else "",
        "masked": True,
    }


def _national(e164: str) -> str:
    return "0" + e164[3:] if e164 and e164.startswith("+84") else e164 or ""


def shape_for_venue(person: Shown, venue: SeenAt, actor: object, *,
                    purpose: str = "venue_scan") -> dict[str, Any]:
    """What a venue's staff, owner or reader sees: full only at a special venue, audited."""
    full = bool(venue.is_special)
    if full:
        _audit_full_view(actor, person, f"{purpose} venue={venue.pk}")
    return person_shape(person, full=full)


def shape_for_officer(person: Shown, actor: object, scope: Viewer, *,
                      reason: str) -> dict[str, Any]:
    """What an authority sees: in full (audited) when its scope says so (the role policy:
    health officers and admins, accounts.policy), others masked."""
    full = scope.sees_people_in_full()
    if full:
        _audit_full_view(actor, person, reason)
    return person_shape(person, full=full)


def _audit_full_view(actor: object, person: Shown, reason: str) -> None:
    record(actor, "view_full_person", target=person, reason=reason)
