"""Actions on the people an account manages, their consent, QR codes and printed cards."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.services import resolve_area
from kiemdich.core.audit import record
from kiemdich.core.errors import Conflict, Invalid, NotFound
from kiemdich.core.protect import current_version, decrypt_id, encrypt_id, id_digest, id_digests
from kiemdich.people import codes
from kiemdich.people.identity import validate_id_number
from kiemdich.people.models import Consent, Credential, Person
from kiemdich.people.signals import id_digests_renamed

# A household, not an institution: more than this is somebody misusing "khai hộ".
MAX_PEOPLE_PER_ACCOUNT = 20
# Bump when the consent text (templates/people/_consent_text.html) changes: people are asked
# again before their next declaration.
CONSENT_VERSION = "2021-10"
_EARLIEST_BIRTH = date(1900, 1, 1)
# Serials stay below 2**53 so readers written in JavaScript compare them exactly.
_SERIAL_LIMIT = 2**53
PERSON_FIELDS = ("full_name", "birth_date", "gender", "id_number", "phone", "area_code",
                 "street", "nationality", "relationship")


# People --------------------------------------------------------------------------------

def people_of(user: User) -> QuerySet[Person]:
    """The people this account manages: itself first, then dependants in the order added."""
    return (Person.objects.filter(account=user).select_related("area")
            .order_by("-is_self", "pk"))


def managed_person(user: User, person_id: int) -> Person:
    """The person, if this account manages it; 404 otherwise (never 403: ids are not hints)."""
    person = people_of(user).filter(pk=person_id).first()
    if person is None:
        raise NotFound(code="person_not_found")
    return person


def self_person(user: User) -> Person:
    person, _created = Person.objects.get_or_create(account=user, is_self=True,
                                                    defaults={"phone": user.phone})
    return person


def id_number_of(person: Person) -> str:
    return decrypt_id(person.id_number_cipher)


def person_data(person: Person) -> dict[str, Any]:
    """The contract's fields, for the person's own account."""
    return {
        "id": person.pk,
        "full_name": person.full_name,
        "birth_date": person.birth_date,
        "gender": person.gender,
        "id_number": id_number_of(person),
        "phone": person.phone,
        "area_code": person.area.code if person.area is not None else "",
        "area_name": person.area.full_name() if person.area is not None else "",
        "street": person.street,
        "nationality": person.nationality,
        "relationship": person.relationship,
        "is_self": person.is_self,
    }


def is_complete(person: Person) -> bool:
    """Declaring needs a name and a commune (alerts are routed by it)."""
    return bool(person.full_name.strip() and person.area_id)


def _apply(person: Person, data: dict[str, Any], *, partial: bool) -> None:
    """Validate `data` (contract field names) into `person`; raise Invalid naming the field."""
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise Invalid(_("Trường không được hỗ trợ."), field=sorted(unknown)[0])
    if "full_name" in data or not partial:
        name = " ".join(str(data.get("full_name") or "").split())
        if not name:
            raise Invalid(_("Cần nhập họ và tên."), code="required", field="full_name")
        if len(name) > 120:
            raise Invalid(_("Họ và tên quá dài."), field="full_name")
        person.full_name = name
    if "birth_date" in data:
        birth = data["birth_date"]
        if birth is not None and not isinstance(birth, date):
            raise Invalid(_("Ngày sinh không hợp lệ."), field="birth_date")
        if birth is not None and not _EARLIEST_BIRTH <= birth <= timezone.localdate():
            raise Invalid(_("Ngày sinh không hợp lệ."), field="birth_date")
        person.birth_date = birth
    if "gender" in data:
        gender = data["gender"] or ""
        if gender and gender not in Person.Gender.values:
            raise Invalid(_("Giới tính không hợp lệ."), field="gender")
        person.gender = gender
    if "id_number" in data:
        text = (data["id_number"] or "").strip()
        if text:
            kind, number = validate_id_number(text)
            _refuse_taken_id_number(person, number)
            person.id_kind, person.id_number_cipher = kind, encrypt_id(number)
            person.id_number_digest = id_digest(number)
        else:
            person.id_kind = person.id_number_cipher = person.id_number_digest = ""
    if "phone" in data:
        text = (data["phone"] or "").strip()
        person.phone = normalize_phone(text) if text else ""
    if "area_code" in data:
        code = (data["area_code"] or "").strip()
        if code:
            try:
                person.area = resolve_area(code, leaf=True)
            except NotFound as exc:
                raise Invalid(exc.message, code="area_unknown", field="area_code") from None
        else:
            person.area = None
    if "street" in data:
        person.street = " ".join(str(data["street"] or "").split())[:255]
    if "nationality" in data:
        person.nationality = (str(data["nationality"] or "").strip() or "VN")[:60]
    if "relationship" in data:
        person.relationship = str(data["relationship"] or "").strip()[:40]


def _refuse_taken_id_number(person: Person, number: str) -> None:
    """One ID number, one person among those accounts declare for: a second (a child given a
    parent's number, the same relative added by two accounts) is refused, found by the lookup
    digest under every key. People recorded at a gate from a scanned card are the same human
    seen again and are not counted."""
    taken = (Person.objects.filter(id_number_digest__in=id_digests(number),
                                   source=Person.Source.ACCOUNT)
             .exclude(pk=person.pk).exists())
    if taken:
        raise Conflict(code="id_number_taken", field="id_number")


@transaction.atomic
def add_dependant(user: User, data: dict[str, Any]) -> Person:
    """A child or an elderly relative declared for by this account ("khai hộ")."""
    if Person.objects.filter(account=user).count() >= MAX_PEOPLE_PER_ACCOUNT:
        raise Conflict(code="too_many_people", params={"n": MAX_PEOPLE_PER_ACCOUNT})
    person = Person(account=user, is_self=False, source=Person.Source.ACCOUNT)
    _apply(person, data, partial=False)
    person.save()
    record(user, "person_added", target=person)
    return person


@transaction.atomic
def update_person(user: User, person: Person, data: dict[str, Any]) -> Person:
    """Change the given fields only (a PATCH); the account must manage the person."""
    person = managed_person(user, person.pk)
    _apply(person, data, partial=True)
    person.save()
    record(user, "person_updated", target=person, reason=",".join(sorted(data)))
    return person


def search_people(scope: Scope, *, id_number: str = "", phone: str = "") -> QuerySet[Person]:
    """People found by ID number (through its keyed digest) or phone, for health officers,
    within their area; the ID number itself is never stored or compared in clear."""
    if not scope.has(*policy.PERSON_SEARCH):
        return Person.objects.none()
    qs = Person.objects.filter(scope.area_filter("area", "health_officer"))
    if id_number:
        _kind, number = validate_id_number(id_number)
        return qs.filter(id_number_digest__in=id_digests(number))
    if phone:
        return qs.filter(phone=normalize_phone(phone))
    raise Invalid(_("Cần số giấy tờ hoặc số điện thoại."), code="required", field="id_number")


def reencrypt_id_numbers(batch: int = 1000) -> tuple[int, int]:
    """Re-encrypt every stored ID number under the current key and recompute its digest (and
    the digests other apps keep of it, through `id_digests_renamed`), batch by batch, each
    batch in its own transaction, so the command can be stopped and run again. Returns
    (rewritten, unreadable): an unreadable cipher is one no configured key opens (an old key
    removed too early) and is left as is."""
    prefix = current_version() + "$"
    rewritten = unreadable = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(Person.objects.select_for_update()
                        .filter(pk__gt=last_pk).exclude(id_number_cipher="")
                        .exclude(id_number_cipher__startswith=prefix)
                        .order_by("pk")[:batch])
            if not rows:
                return rewritten, unreadable
            last_pk = rows[-1].pk
            renamed: dict[str, str] = {}
            changed = []
            for person in rows:
                number = decrypt_id(person.id_number_cipher)
                if not number:
                    unreadable += 1
                    continue
                new_digest = id_digest(number)
                if person.id_number_digest and person.id_number_digest != new_digest:
                    renamed[person.id_number_digest] = new_digest
                person.id_number_cipher, person.id_number_digest = encrypt_id(number), new_digest
                changed.append(person)
            Person.objects.bulk_update(changed, ["id_number_cipher", "id_number_digest"])
            if renamed:
                id_digests_renamed.send(sender=Person, renamed=renamed)
            rewritten += len(changed)


# Consent -------------------------------------------------------------------------------

def current_consent(user: User) -> Consent | None:
    return (Consent.objects.filter(account=user, version=CONSENT_VERSION,
                                   withdrawn_at__isnull=True).order_by("-given_at").first())


def has_consent(user: User) -> bool:
    return current_consent(user) is not None


def require_consent(user: User | None) -> None:
    if user is None or not has_consent(user):
        raise Conflict(code="consent_required", extra={"version": CONSENT_VERSION})


def give_consent(user: User, version: str) -> Consent:
    """Record consent to the current text; an older or unknown version is refused."""
    if version != CONSENT_VERSION:
        raise Invalid(code="consent_version_unknown",
                      field="version", extra={"version": CONSENT_VERSION})
    existing = current_consent(user)
    if existing is not None:
        return existing
    consent = Consent.objects.create(account=user, version=version)
    record(user, "consent_given", target=consent, reason=version)
    return consent


# Codes and cards -----------------------------------------------------------------------

def app_code(person: Person, now: datetime | None = None) -> tuple[str, datetime]:
    """The in-app code: renewed daily, never revoked."""
    return codes.issue_app_code(person.public_id, now or timezone.now())


@transaction.atomic
def issue_card(user: User, person: Person) -> tuple[Credential, str]:
    """A printed card: a new random serial (so it can be revoked alone), valid for months."""
    person = managed_person(user, person.pk)
    now = timezone.now()
    for _attempt in range(5):
        serial = secrets.randbelow(_SERIAL_LIMIT - 1) + 1
        payload, expires = codes.issue_card_code(person.public_id, serial, now)
        try:
            with transaction.atomic():
                credential = Credential.objects.create(person=person, serial=serial,
                                                       expires_at=expires, issued_by=user)
        except IntegrityError:
            continue
        record(user, "card_issued", target=credential)
        return credential, payload
    raise Conflict(code="serial_exhausted")


def cards_of(person: Person) -> QuerySet[Credential]:
    return person.credentials.order_by("-issued_at")


@transaction.atomic
def revoke_card(user: User, person: Person, serial: int, reason: str = "") -> Credential:
    person = managed_person(user, person.pk)
    credential = person.credentials.select_for_update().filter(serial=serial).first()
    if credential is None:
        raise NotFound(code="card_not_found")
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.revoked_reason = (reason or "lost")[:200]
        credential.save(update_fields=["revoked_at", "revoked_reason"])
        record(user, "card_revoked", target=credential)
    return credential


def revocation_list(now: datetime | None = None) -> dict[str, Any]:
    """What an offline reader needs: revoked serials still within their validity (expired
    cards fail on their own) and every public key by key id."""
    now = now or timezone.now()
    revoked = (Credential.objects.filter(revoked_at__isnull=False, expires_at__gt=now)
               .order_by("serial").values("serial", "revoked_at", "expires_at"))
    keys = codes.default_keyring().public_keys()
    return {
        "generated_at": now,
        "revoked": list(revoked),
        "keys": [{"kid": kid, "alg": "Ed25519", "public_key": key} for kid, key in keys.items()],
    }


def subject_public_id(claims: codes.Claims) -> int:
    """The public id a verified code names (0 when nobody has it).

    A printed card of the older format named the database id: it is translated until it
    expires (people without a phone rely on their card); an in-app code of that format is
    refused, as the app fetches a new one every day.
    """
    if not codes.is_legacy_subject(claims.subject):
        return claims.subject
    if claims.kind != codes.KIND_CARD:
        raise codes.CodeOutdated()
    return (Person.objects.filter(pk=claims.subject).values_list("public_id", flat=True)
            .first() or 0)


def check_card_serial(claims: codes.Claims) -> None:
    """Raise CodeRevoked for a card that was revoked (or that this server never issued).

    App codes have serial 0 and are never revoked. The scan ingest calls this after
    signature and expiry checks.
    """
    if claims.kind != codes.KIND_CARD:
        return
    valid = Credential.objects.filter(serial=claims.serial,
                                      person__public_id=subject_public_id(claims),
                                      revoked_at__isnull=True).exists()
    if not valid:
        raise codes.CodeRevoked()
