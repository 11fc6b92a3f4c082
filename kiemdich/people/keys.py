"""Where the personal QR signing keys live: the database, shared by every app server.

Each key is a `SigningKey` row: a random key id, the public key, and the private key encrypted
with KEY_ENCRYPTION_KEY (Fernet), which is only in the environment, so a copy of the database
alone cannot sign codes. A code issued by one server therefore verifies at every other.

Life of a key (the `signing_keys` command; docs/operations.md has the runbook):
- the first server that needs a key makes one (generation 1);
- `rotate` adds a key of the next generation, which signs from then on; the keys it supersedes
  go on verifying until `verify_until`, when every code they can have signed has expired (a
  printed card lives `CARD_MONTHS`, plus a day for servers that still sign with the old key
  until they reload);
- `retire` then wipes their private key and drops them from every keyring; a key known to be
  leaked is retired at once with `retire --kid`.

Every process keeps the keyring for KEYRING_REFRESH_SECONDS, and reloads at once (at most once
a second) when a code names a key it has not loaded: a code signed with a key made on another
server a moment ago is not refused.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from prometheus_client.core import Metric

from kiemdich.core.metrics import state_gauge
from kiemdich.people import codes
from kiemdich.people.codes import Claims, CodeUnknownKey, Keyring
from kiemdich.people.models import SigningKey

# Servers that have not reloaded yet sign with a superseded key for a little while.
_SIGNING_GRACE = timedelta(days=1)
_UNKNOWN_KID_RELOAD_SECONDS = 1.0


class KeyConflict(Exception):
    """Another server added a key at the same moment; nothing was changed."""


def _fernet_key(secret: str) -> Fernet:
    digest = hashlib.sha256(b"kiemdich-signing-key-encryption:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _key_encryption() -> MultiFernet:
    """The current KEY_ENCRYPTION_KEY encrypts; it and its fallbacks decrypt."""
    secrets = [settings.KEY_ENCRYPTION_KEY, *settings.KEY_ENCRYPTION_KEY_FALLBACKS]
    return MultiFernet([_fernet_key(secret) for secret in secrets if secret])


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def _raw_public(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def _decrypt(row: SigningKey) -> Ed25519PrivateKey:
    try:
        raw = _key_encryption().decrypt(row.private_key.encode("ascii"))
    except InvalidToken:
        raise ImproperlyConfigured(
            f"signing key {row.kid}: cannot be decrypted with KEY_ENCRYPTION_KEY or "
            "KEY_ENCRYPTION_KEY_FALLBACKS"
        ) from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def usable(now: datetime | None = None) -> list[SigningKey]:
    """The keys that verify now, oldest generation first."""
    now = now or timezone.now()
    return [row for row in SigningKey.objects.order_by("generation") if _verifies(row, now)]


def _verifies(row: SigningKey, now: datetime) -> bool:
    return row.retired_at is None and (row.verify_until is None or row.verify_until > now)


def _signing_row(rows: list[SigningKey]) -> SigningKey | None:
    return next((row for row in reversed(rows) if row.superseded_at is None), None)


def key_figures() -> list[Metric]:
    """For /metrics: how old the signing key is (a rotation overdue shows), and how many keys
    still verify."""
    rows = usable()
    signing = _signing_row(rows)
    age = (timezone.now() - signing.created_at).total_seconds() if signing else -1.0
    return [state_gauge("kiemdich_signing_key_age_seconds",
                        "Age of the key that signs personal QR codes (-1: none yet).", age),
            state_gauge("kiemdich_signing_keys_verifying",
                        "Signing keys that still verify codes.", float(len(rows)))]


def _insert(key: Ed25519PrivateKey, now: datetime, *, kid: str = "",
            superseded: bool = False, after: int | None = None) -> SigningKey:
    """A new row of the generation after `after` (by default the highest there is now). Raises
    KeyConflict when another server inserted that generation first (the unique constraint
    decides)."""
    if after is None:
        after = SigningKey.objects.aggregate(n=Max("generation"))["n"] or 0
    generation = after + 1
    if not kid:
        taken = set(SigningKey.objects.values_list("kid", flat=True))
        kid = next(k for k in iter(codes.random_kid, None) if k not in taken)
    row = SigningKey(generation=generation, kid=kid, public_key=_raw_public(key),
                     private_key=_key_encryption().encrypt(_raw_private(key)).decode("ascii"),
                     created_at=now)
    if superseded:
        row.superseded_at, row.verify_until = now, _last_expiry(now)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        raise KeyConflict() from None
    return row


def _last_expiry(superseded_at: datetime) -> datetime:
    return codes.card_code_expiry(superseded_at + _SIGNING_GRACE, codes.CARD_MONTHS)


def rotate(now: datetime | None = None) -> SigningKey:
    """Add a key that signs from now on; the keys it supersedes verify until their codes have
    expired. Every server signs with it within KEYRING_REFRESH_SECONDS."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _insert(Ed25519PrivateKey.generate(), now)
        (SigningKey.objects.filter(superseded_at__isnull=True, retired_at__isnull=True)
         .exclude(pk=row.pk).update(superseded_at=now, verify_until=_last_expiry(now)))
    stored_keyring().reload()
    return row


def retire(now: datetime | None = None, kid: str = "") -> list[SigningKey]:
    """Retire the superseded keys whose codes have all expired, or (`kid`) one superseded key
    at once, e.g. a leaked one: codes it signed are refused from then on. The private key is
    wiped; the row stays, so its key id is never used again."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = SigningKey.objects.select_for_update().filter(retired_at__isnull=True)
        if kid:
            rows = rows.filter(kid=kid, superseded_at__isnull=False)
        else:
            rows = rows.filter(verify_until__lte=now)
        retired = list(rows)
        SigningKey.objects.filter(pk__in=[r.pk for r in retired]).update(retired_at=now,
                                                                        private_key="")
    stored_keyring().reload()
    return retired


def reencrypt() -> int:
    """Encrypt every private key under the current KEY_ENCRYPTION_KEY (after it changed and
    the old one went to KEY_ENCRYPTION_KEY_FALLBACKS). Returns how many were rewritten."""
    encryption = _key_encryption()
    count = 0
    with transaction.atomic():
        for row in SigningKey.objects.select_for_update().exclude(private_key=""):
            rotated = encryption.rotate(row.private_key.encode("ascii")).decode("ascii")
            if rotated != row.private_key:
                row.private_key = rotated
                row.save(update_fields=["private_key"])
                count += 1
    return count


def import_directory(directory: Path, now: datetime | None = None) -> list[SigningKey]:
    """Take the `<kid>.pem` keys of an older release's key directory into the database, so the
    cards they signed still verify. They verify only (a fresh key signs), until their codes
    have expired; a key already in the database is skipped."""
    now = now or timezone.now()
    found = {}
    for file in sorted(Path(directory).glob("*.pem")):
        try:
            key = serialization.load_pem_private_key(file.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"{file}: not an unencrypted PEM key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured(f"{file}: not an Ed25519 private key")
        if not codes.is_kid(file.stem):
            raise ImproperlyConfigured(f"{file}: not named <kid>.pem with a 4-character key id")
        found[file.stem] = key
    known = set(SigningKey.objects.filter(kid__in=found).values_list("kid", flat=True))
    with transaction.atomic():
        imported = [_insert(key, now, kid=kid, superseded=True)
                    for kid, key in found.items() if kid not in known]
    stored_keyring().reload()
    return imported


def _load() -> tuple[Keyring, bool]:
    """The keyring, and whether it holds a key made inside a transaction still open (which a
    rollback may take away again)."""
    now = timezone.now()
    # One statement, so the keys and the highest generation are seen at the same moment: a
    # key another server commits in between cannot make this one add a second (next) one.
    every = list(SigningKey.objects.order_by("generation"))
    rows = [row for row in every if _verifies(row, now)]
    provisional = False
    if _signing_row(rows) is None:
        # When another server made it first, load theirs.
        with contextlib.suppress(KeyConflict):
            _insert(Ed25519PrivateKey.generate(), now,
                    after=every[-1].generation if every else 0)
            provisional = connection.in_atomic_block
        rows = usable()
    active = _signing_row(rows)
    assert active is not None
    return Keyring({row.kid: _decrypt(row) for row in rows}, active=active.kid), provisional


class StoredKeyring:
    """The database's keys as this process last loaded them; signs and verifies like a
    `Keyring`. The loaded keyring is replaced whole, so a thread never sees half of one."""

    def __init__(self) -> None:
        self._ring: Keyring | None = None
        self._provisional = False
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def reload(self) -> Keyring:
        with self._lock:
            # A key made in a transaction that may yet roll back is loaded again from the
            # database once outside it: kept blindly, this process could sign with a key no
            # other server will ever find.
            self._ring, self._provisional = _load()
            self._loaded_at = time.monotonic()
            return self._ring

    def forget(self) -> None:
        """Load again on next use (the tests' databases come and go)."""
        self._ring = None

    def current(self) -> Keyring:
        ring = self._ring
        if (ring is None or time.monotonic() - self._loaded_at > settings.KEYRING_REFRESH_SECONDS
                or (self._provisional and not connection.in_atomic_block)):
            ring = self.reload()
        return ring

    @property
    def active_kid(self) -> str:
        return self.current().active_kid

    def sign(self, claims: Claims) -> str:
        return self.current().sign(claims)

    def verify(self, text: str, now: datetime | None = None) -> Claims:
        try:
            return self.current().verify(text, now)
        except CodeUnknownKey:
            # Perhaps a key another server made since this one loaded; an attacker's made-up
            # key ids cost one query a second at most.
            if time.monotonic() - self._loaded_at < _UNKNOWN_KID_RELOAD_SECONDS:
                raise
            return self.reload().verify(text, now)

    def public_keys(self) -> dict[str, str]:
        return self.current().public_keys()


_STORED = StoredKeyring()


def stored_keyring() -> StoredKeyring:
    return _STORED
