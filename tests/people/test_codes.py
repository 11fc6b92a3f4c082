"""The platform's signed personal code: format, signature, expiry, keys. No database."""

from __future__ import annotations

import base64
import re
import struct
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from kiemdich.core import clock, error_codes
from kiemdich.core.errors import DomainError
from kiemdich.people import codes
from kiemdich.people.codes import (
    CODE_LENGTH,
    KIND_APP,
    KIND_CARD,
    Claims,
    CodeError,
    CodeExpired,
    CodeForged,
    CodeRevoked,
    CodeUnknownKey,
    CodeUnreadable,
    Keyring,
    issue_app_code,
    issue_card_code,
)

# 15 Sept 2021, 15:30 in Hà Nội.
NOW = datetime(2021, 9, 15, 8, 30, tzinfo=UTC)
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
KID_SPAN = range(4, 8)  # "KD1." then the 4-character key id


@pytest.fixture(scope="module")
def keyring() -> Keyring:
    return Keyring({codes.random_kid(): Ed25519PrivateKey.generate()})


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=clock.zone())


claims_strategy = st.builds(
    Claims,
    kind=st.sampled_from([KIND_APP, KIND_CARD]),
    subject=st.integers(1, 2**63 - 1),
    serial=st.integers(0, 2**63 - 1),
    issued_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    expires_at=st.just(datetime(2100, 1, 2, tzinfo=UTC)),
)


# --- format ------------------------------------------------------------------------------


def test_payload_is_short_and_qr_alphanumeric(keyring):
    payload, _ = issue_app_code(42, NOW, keyring=keyring)
    assert len(payload) == CODE_LENGTH == 152
    assert set(payload) <= QR_ALPHANUMERIC
    assert re.fullmatch(rf"KD1\.{keyring.active_kid}\.[A-Z2-7]{{143}}", payload)


def test_payload_carries_only_the_opaque_fields(keyring):
    payload, expires = issue_card_code(987654, 31, NOW, keyring=keyring)
    raw = base64.b32decode(payload.split(".")[2] + "=")
    kind, subject, serial, issued, expiry = struct.unpack(">BQQII", raw[:25])
    assert (kind, subject, serial) == (2, 987654, 31)
    assert (issued, expiry) == (int(NOW.timestamp()), int(expires.timestamp()))
    assert len(raw) == 25 + 64


def test_dedicated_reader_can_verify_with_the_published_public_key(keyring):
    payload, _ = issue_app_code(42, NOW, keyring=keyring)
    _prefix, kid, data = payload.split(".")
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(keyring.public_keys()[kid]))
    raw = base64.b32decode(data + "=")
    public.verify(raw[25:], f"KD1.{kid}.".encode() + raw[:25])  # raises if wrong


# --- round trip ------------------------------------------------------------------------


@settings(deadline=None)
@given(claims=claims_strategy)
def test_sign_then_verify_returns_the_same_claims(keyring, claims):
    verified = keyring.verify(keyring.sign(claims), now=claims.issued_at)
    assert verified == Claims(
        kind=claims.kind,
        subject=claims.subject,
        serial=claims.serial,
        issued_at=claims.issued_at.replace(microsecond=0),
        expires_at=claims.expires_at,
        kid=keyring.active_kid,
    )


def test_issue_app_code_round_trip(keyring):
    payload, expires = issue_app_code(7, NOW, keyring=keyring)
    claims = keyring.verify(payload, now=NOW)
    assert (claims.kind, claims.subject, claims.serial) == (KIND_APP, 7, 0)
    assert claims.issued_at == NOW
    assert claims.expires_at == expires
    assert claims.kid == keyring.active_kid


def test_issue_card_code_round_trip(keyring):
    payload, expires = issue_card_code(7, 12, NOW, keyring=keyring)
    claims = keyring.verify(payload, now=NOW)
    assert (claims.kind, claims.subject, claims.serial) == (KIND_CARD, 7, 12)
    assert claims.expires_at == expires


# --- tampering -------------------------------------------------------------------------

replacement_chars = st.one_of(
    st.sampled_from(sorted(QR_ALPHANUMERIC) + list("abcdz=_|")), st.characters()
)


@settings(deadline=None, max_examples=300)
@given(claims=claims_strategy, data=st.data())
def test_any_changed_character_is_refused_as_forged_or_unreadable(keyring, claims, data):
    payload = keyring.sign(claims)
    index = data.draw(st.integers(0, len(payload) - 1), label="index")
    char = data.draw(replacement_chars.filter(lambda c: c != payload[index]), label="char")
    tampered = payload[:index] + char + payload[index + 1 :]
    with pytest.raises(CodeError) as caught:
        keyring.verify(tampered, now=claims.issued_at)
    allowed = {"code_unreadable", "code_forged"}
    if index in KID_SPAN:  # another key id: one this keyring does not hold
        allowed.add("code_unknown_key")
    assert caught.value.code in allowed


@settings(deadline=None, max_examples=300)
@given(claims=claims_strategy, data=st.data())
def test_any_changed_signed_byte_is_forged(keyring, claims, data):
    payload = keyring.sign(claims)
    prefix, kid, encoded = payload.split(".")
    raw = bytearray(base64.b32decode(encoded + "="))
    index = data.draw(st.integers(0, len(raw) - 1), label="index")
    raw[index] ^= data.draw(st.integers(1, 255), label="xor")
    tampered = f"{prefix}.{kid}.{base64.b32encode(bytes(raw)).decode().rstrip('=')}"
    with pytest.raises(CodeForged):
        keyring.verify(tampered, now=claims.issued_at)


@settings(deadline=None)
@given(claims=claims_strategy, data=st.data())
def test_truncated_or_extended_codes_are_unreadable(keyring, claims, data):
    payload = keyring.sign(claims)
    cut = data.draw(st.integers(0, len(payload) - 1), label="cut")
    with pytest.raises(CodeUnreadable):
        keyring.verify(payload[:cut], now=claims.issued_at)
    with pytest.raises(CodeUnreadable):
        keyring.verify(payload + data.draw(st.text(min_size=1), label="extra"))


def test_spare_bits_in_the_last_character_are_not_accepted(keyring):
    payload, _ = issue_app_code(42, NOW, keyring=keyring)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    last = alphabet.index(payload[-1])
    assert last & 0b111 == 0  # the 3 low bits are padding
    for spare in range(1, 8):
        with pytest.raises(CodeUnreadable):
            keyring.verify(payload[:-1] + alphabet[last | spare], now=NOW)


def test_forged_code_is_reported_as_forged_even_when_long_expired(keyring):
    payload, _ = issue_app_code(42, NOW, keyring=keyring)
    forged = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    with pytest.raises(CodeForged):
        keyring.verify(forged, now=NOW + timedelta(days=3650))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "KD1",
        "KD1..",
        "kd1.abcd.",
        "KD2.AAAA." + "A" * 143,
        "KD1.AAA1." + "A" * 143,  # 1 is not a base32 digit
        "KD1.AAAA." + "A" * 142 + "=",
        "https://kiemdich.vn/v/ABC123",
        None,
        b"KD1.AAAA.",
        12345,
    ],
)
def test_not_our_format_is_unreadable(keyring, text):
    with pytest.raises(CodeUnreadable):
        keyring.verify(text, now=NOW)


def test_lower_case_code_is_not_ours(keyring):
    """verify is strict; the scanner front end restores Caps-Lock damage (scans.formats)."""
    payload, _ = issue_app_code(42, NOW, keyring=keyring)
    with pytest.raises(CodeUnreadable):
        keyring.verify(payload.lower(), now=NOW)


def test_genuine_code_of_an_unknown_kind_is_unreadable():
    key = Ed25519PrivateKey.generate()
    ring = Keyring({"AAAA": key})
    body = struct.pack(">BQQII", 9, 1, 0, int(NOW.timestamp()), int(NOW.timestamp()) + 60)
    signature = key.sign(b"KD1.AAAA." + body)
    text = "KD1.AAAA." + base64.b32encode(body + signature).decode().rstrip("=")
    with pytest.raises(CodeUnreadable):
        ring.verify(text, now=NOW)


# --- expiry ----------------------------------------------------------------------------


def test_expiry_boundary(keyring):
    payload, expires = issue_app_code(42, NOW, keyring=keyring)
    assert keyring.verify(payload, now=expires - timedelta(seconds=1)).subject == 42
    with pytest.raises(CodeExpired):
        keyring.verify(payload, now=expires)
    with pytest.raises(CodeExpired):
        keyring.verify(payload, now=expires + timedelta(days=400))


def test_verify_defaults_to_the_current_time(keyring):
    fresh, _ = issue_app_code(42, datetime.now(UTC), keyring=keyring)
    assert keyring.verify(fresh).subject == 42
    stale, _ = issue_app_code(42, NOW, keyring=keyring)
    with pytest.raises(CodeExpired):
        keyring.verify(stale)


@pytest.mark.parametrize(
    ("issued", "expires"),
    [
        (local(2021, 9, 15, 15, 30), local(2021, 9, 16, 4)),  # afternoon: tomorrow 04:00
        (local(2021, 9, 15, 16, 0), local(2021, 9, 16, 4)),  # exactly 12 hours
        (local(2021, 9, 15, 16, 0, 1), local(2021, 9, 17, 4)),  # evening: the night after
        (local(2021, 9, 15, 23, 50), local(2021, 9, 17, 4)),
        (local(2021, 9, 15, 0, 30), local(2021, 9, 16, 4)),  # just after midnight
        (local(2021, 12, 31, 20, 0), local(2022, 1, 2, 4)),  # over the new year
    ],
)
def test_app_code_expires_at_4am_vietnam_time(issued, expires):
    assert codes.app_code_expiry(issued) == expires
    # The same instant given in another zone gives the same answer.
    assert codes.app_code_expiry(issued.astimezone(UTC)) == expires


@given(
    now=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    )
)
def test_app_code_validity_is_between_12_and_36_hours(now):
    expires = codes.app_code_expiry(now)
    assert timedelta(hours=12) <= expires - now.replace(microsecond=0) < timedelta(hours=36)
    local_expiry = expires.astimezone(clock.zone())
    assert (local_expiry.hour, local_expiry.minute, local_expiry.second) == (4, 0, 0)


@pytest.mark.parametrize(
    ("issued", "months", "expires"),
    [
        (local(2021, 9, 15, 15, 30), 6, local(2022, 3, 15, 4)),
        (local(2021, 8, 31, 9, 0), 6, local(2022, 2, 28, 4)),  # clamped to the month's end
        (local(2023, 8, 31, 9, 0), 6, local(2024, 2, 29, 4)),  # leap year
        (local(2021, 1, 10, 9, 0), 1, local(2021, 2, 10, 4)),
        (local(2021, 9, 15, 9, 0), 24, local(2023, 9, 15, 4)),
    ],
)
def test_card_code_expiry(keyring, issued, months, expires):
    payload, expiry = issue_card_code(5, 1, issued, months=months, keyring=keyring)
    assert expiry == expires
    assert keyring.verify(payload, now=issued).expires_at == expires


def test_card_needs_at_least_a_month():
    with pytest.raises(ValueError):
        codes.card_code_expiry(NOW, 0)


# --- keys ------------------------------------------------------------------------------


def test_old_keys_verify_and_the_active_key_signs():
    old_kid, new_kid = "AAAA", "ZZZZ"
    old_key, new_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    old_ring = Keyring({old_kid: old_key})
    old_code, _ = issue_card_code(5, 1, NOW, keyring=old_ring)
    # The active key need not sort last: ids are random.
    ring = Keyring({new_kid: new_key, old_kid: old_key}, active=new_kid)
    assert ring.verify(old_code, now=NOW).kid == old_kid
    new_code, _ = issue_card_code(5, 2, NOW, keyring=ring)
    assert new_code.startswith(f"KD1.{new_kid}.")
    assert ring.verify(new_code, now=NOW).kid == new_kid
    # A reader that has not fetched the new key yet says so, instead of calling it forged.
    with pytest.raises(CodeUnknownKey):
        old_ring.verify(new_code, now=NOW)


def test_an_explicit_kid_signs_with_that_key():
    ring = Keyring({"AAAA": Ed25519PrivateKey.generate(), "BBBB": Ed25519PrivateKey.generate()})
    assert ring.active_kid == "BBBB"
    claims = Claims(KIND_APP, 1, 0, NOW, NOW + timedelta(hours=1), kid="AAAA")
    assert ring.verify(ring.sign(claims), now=NOW).kid == "AAAA"
    with pytest.raises(ValueError):
        ring.sign(Claims(KIND_APP, 1, 0, NOW, NOW + timedelta(hours=1), kid="ZZZZ"))


@settings(max_examples=200, deadline=None)
@given(st.builds(lambda _n: codes.random_kid(), st.integers()))
def test_random_key_ids_are_key_ids(kid):
    assert re.fullmatch("[A-Z2-7]{4}", kid) and codes.is_kid(kid)


def test_code_from_another_keyring_has_an_unknown_key(keyring):
    stranger = Keyring({"ZZZZ": Ed25519PrivateKey.generate()})
    payload, _ = issue_app_code(42, NOW, keyring=stranger)
    with pytest.raises(CodeUnknownKey):
        keyring.verify(payload, now=NOW)


def test_same_kid_but_another_key_is_forged(keyring):
    impostor = Keyring({keyring.active_kid: Ed25519PrivateKey.generate()})
    payload, _ = issue_app_code(42, NOW, keyring=impostor)
    with pytest.raises(CodeForged):
        keyring.verify(payload, now=NOW)


def test_public_keys_are_raw_32_byte_keys(keyring):
    keys = keyring.public_keys()
    assert list(keys) == [keyring.active_kid]
    assert all(len(base64.b64decode(value)) == 32 for value in keys.values())


def test_keyring_rejects_bad_input():
    with pytest.raises(ValueError):
        Keyring({})
    with pytest.raises(ValueError):
        Keyring({"toolong": Ed25519PrivateKey.generate()})
    with pytest.raises(TypeError):
        Keyring({"AAAA": generate_private_key(SECP256R1())})
    with pytest.raises(ValueError):
        Keyring({"AAAA": Ed25519PrivateKey.generate()}, active="BBBB")


@pytest.mark.parametrize(
    "claims",
    [
        Claims("daily", 1, 0, NOW, NOW + timedelta(hours=1)),
        Claims(KIND_APP, 0, 0, NOW, NOW + timedelta(hours=1)),
        Claims(KIND_APP, 2**63, 0, NOW, NOW + timedelta(hours=1)),
        Claims(KIND_CARD, 1, -1, NOW, NOW + timedelta(hours=1)),
        Claims(KIND_CARD, 1, 2**63, NOW, NOW + timedelta(hours=1)),
        Claims(KIND_APP, 1, 0, NOW, NOW),
        Claims(KIND_APP, 1, 0, NOW, datetime(2107, 1, 1, tzinfo=UTC)),
        Claims(KIND_APP, 1, 0, NOW.replace(tzinfo=None), NOW + timedelta(hours=1)),
    ],
)
def test_sign_refuses_claims_it_cannot_encode(keyring, claims):
    with pytest.raises(ValueError):
        keyring.sign(claims)


def test_naive_now_is_a_programming_error(keyring):
    payload, _ = issue_app_code(1, NOW, keyring=keyring)
    with pytest.raises(ValueError):
        keyring.verify(payload, now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        issue_app_code(1, NOW.replace(tzinfo=None), keyring=keyring)


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CodeUnreadable, "code_unreadable"),
        (CodeForged, "code_forged"),
        (CodeExpired, "code_expired"),
        (CodeUnknownKey, "code_unknown_key"),
        (CodeRevoked, "code_revoked"),
    ],
)
def test_errors_have_stable_codes_and_a_message(error, code):
    exc = error()
    assert isinstance(exc, CodeError)
    assert isinstance(exc, DomainError)
    assert (exc.code, exc.status) == (code, 422)
    body = exc.as_dict()["error"]
    assert body["code"] == code
    assert body["message"] and body["message"] == str(error_codes.message_of(code))


def test_error_message_can_be_replaced():
    exc = CodeRevoked("Thẻ đã báo mất.")
    assert exc.as_dict()["error"] == {"code": "code_revoked", "message": "Thẻ đã báo mất."}
