"""Test-run defaults, set before Django reads its settings: tests run with DEBUG off, so they
need a secret key, a key-encryption key, an audit key and an SMS backend, exactly as a
production process would."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("KEY_ENCRYPTION_KEY", "test-key-encryption-key-not-for-production-0123")
os.environ.setdefault("AUDIT_KEY", "test-audit-key-not-for-production-0123456789")
os.environ.setdefault("SMS_BACKEND", "file")
# No worker runs beside most tests: the first attempt at an SMS is made by the process that
# asks (tests of the queued delivery start a worker and set it off).
os.environ.setdefault("SMS_SEND_NOW", "1")
