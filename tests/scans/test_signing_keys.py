"""Signing keys in the database, through the API and the `signing_keys` command: encrypted at
rest under KEY_ENCRYPTION_KEY, random key ids, rotation (the new key signs, old codes still
scan), retirement (then they are refused), import of an older release's key directory."""

from __future__ import annotations

import base64
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kiemdich.people.codes import Claims, Keyring
from kiemdich.people.keys import stored_keyring
from kiemdich.people.models import SigningKey
from kiemdich.privacy.models import AuditEntry
from tests.people.support import ready

pytestmark = pytest.mark.django_db

OTHER_KEK = "another-key-encryption-key-for-the-tests-0123456789"


def scans_url(venue) -> str:
    return f"/api/v1/venues/{venue.pk}/scans"


def my_code(client) -> str:
    me = client.get("/api/v1/people").json()[0]["id"]
    return client.get(f"/api/v1/people/{me}/qr").json()["payload"]


def keys_command(*args: str) -> str:
    out = StringIO()
    call_command("signing_keys", *args, stdout=out)
    return out.getvalue()


def scan_error(hoa, venue, code: str) -> str | None:
    response = hoa.post(scans_url(venue), {"code": code, "direction": "in"})
    return None if response.status_code == 201 else response.json()["error"]["code"]


def test_the_first_code_makes_one_encrypted_key_in_the_database(lan, areas):
    ready(lan)
    code = my_code(lan)
    (row,) = SigningKey.objects.all()
    assert code.startswith(f"KD1.{row.kid}.")
    # The private key is a Fernet token (version byte 0x80), not the 32 raw bytes.
    assert base64.urlsafe_b64decode(row.private_key)[0] == 0x80
    assert len(base64.b64decode(row.public_key)) == 32
    # Another code uses the same key: none is made per request or per process.
    stored_keyring().forget()
    assert my_code(lan).startswith(f"KD1.{row.kid}.")
    assert SigningKey.objects.count() == 1


def test_rotation_signs_with_a_new_key_and_old_codes_still_scan(lan, hoa, venue):
    ready(lan)
    old_code = my_code(lan)
    old_kid = old_code.split(".")[1]
    out = keys_command("rotate")
    new_kid = SigningKey.objects.get(superseded_at__isnull=True).kid
    assert new_kid in out and new_kid != old_kid
    new_code = my_code(lan)
    assert new_code.startswith(f"KD1.{new_kid}.")
    assert scan_error(hoa, venue, old_code) is None
    assert scan_error(hoa, venue, new_code) is None
    keys = hoa.get("/api/v1/qr/revocations").json()["keys"]
    assert {k["kid"] for k in keys} == {old_kid, new_kid}
    old = SigningKey.objects.get(kid=old_kid)
    # The old key verifies as long as a card it signed can live.
    assert old.verify_until - old.superseded_at > timedelta(days=180)
    assert AuditEntry.objects.filter(action="signing_key_rotated",
                                     target=f"key:{new_kid}").exists()
    listing = keys_command("list")
    assert f"{new_kid} " in listing and "signs" in listing and "verifies until" in listing


def test_retired_keys_are_refused_and_their_private_key_wiped(lan, hoa, venue):
    ready(lan)
    old_code = my_code(lan)
    old_kid = old_code.split(".")[1]
    keys_command("rotate")
    assert "retired: none" in keys_command("retire")  # its codes have not expired yet
    assert scan_error(hoa, venue, old_code) is None
    # Six months later: every code the old key signed has expired.
    SigningKey.objects.filter(kid=old_kid).update(verify_until=timezone.now())
    assert f"retired: {old_kid}" in keys_command("retire")
    old = SigningKey.objects.get(kid=old_kid)
    assert old.retired_at is not None and old.private_key == ""
    assert scan_error(hoa, venue, old_code) == "code_unknown_key"
    assert scan_error(hoa, venue, my_code(lan)) is None


def test_a_leaked_key_is_retired_at_once_but_never_the_one_that_signs(lan, hoa, venue):
    ready(lan)
    leaked_code = my_code(lan)
    leaked = leaked_code.split(".")[1]
    with pytest.raises(CommandError, match="rotate first"):
        keys_command("retire", "--kid", leaked)
    keys_command("rotate")
    assert f"retired: {leaked}" in keys_command("retire", "--kid", leaked)
    assert scan_error(hoa, venue, leaked_code) == "code_unknown_key"
    assert AuditEntry.objects.filter(action="signing_key_retired", reason="leaked").exists()


def test_keys_need_the_key_encryption_key_and_are_reencrypted_under_a_new_one(
        lan, hoa, venue, settings):
    ready(lan)
    code = my_code(lan)
    old_kek = settings.KEY_ENCRYPTION_KEY
    settings.KEY_ENCRYPTION_KEY = OTHER_KEK
    stored_keyring().forget()
    # The database alone (or with a wrong key) signs nothing.
    with pytest.raises(CommandError, match="KEY_ENCRYPTION_KEY"):
        keys_command("list")
    settings.KEY_ENCRYPTION_KEY_FALLBACKS = [old_kek]
    assert "re-encrypted 1 keys" in keys_command("reencrypt")
    settings.KEY_ENCRYPTION_KEY_FALLBACKS = []
    stored_keyring().forget()
    assert scan_error(hoa, venue, code) is None


def test_the_keys_of_an_older_release_directory_are_imported_to_verify_only(
        lan, lan_person, hoa, venue, tmp_path):
    key = Ed25519PrivateKey.generate()
    (tmp_path / "ABCD.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    now = timezone.now()
    printed = Keyring({"ABCD": key}).sign(
        Claims("app", lan_person.public_id, 0, now, now + timedelta(hours=12)))
    assert scan_error(hoa, venue, printed) == "code_unknown_key"
    assert "imported: ABCD" in keys_command("import", str(tmp_path))
    assert "imported: none" in keys_command("import", str(tmp_path))  # idempotent
    assert scan_error(hoa, venue, printed) is None
    ready(lan)
    assert not my_code(lan).startswith("KD1.ABCD.")  # an imported key never signs


@pytest.mark.parametrize(("name", "content", "message"), [
    ("my-key.pem", "ed25519", "my-key.pem"),
    ("AAAA.pem", "garbage", "PEM"),
])
def test_import_refuses_what_is_not_a_key_file(tmp_path, name, content, message):
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    (tmp_path / name).write_bytes(key if content == "ed25519" else b"not a key")
    with pytest.raises(CommandError, match=message):
        keys_command("import", str(tmp_path))
    assert not SigningKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_first_key_made_in_a_transaction_rolled_back_is_never_signed_with_again(areas):
    from django.db import transaction

    from kiemdich.people.keys import StoredKeyring

    ring = StoredKeyring()
    now = timezone.now()
    claims = Claims("app", 2**41, 0, now, now + timedelta(hours=1))
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = ring.sign(claims)
        raise RuntimeError("the request failed")
    assert not SigningKey.objects.exists()
    # Outside the transaction the keyring asks the database again: a key that exists.
    kept = ring.sign(claims)
    (row,) = SigningKey.objects.all()
    assert kept.startswith(f"KD1.{row.kid}.") and not lost.startswith(f"KD1.{row.kid}.")
    assert StoredKeyring().verify(kept).kid == row.kid
