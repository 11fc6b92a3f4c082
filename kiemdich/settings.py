"""Settings for Kiểm Dịch QR, all taken from the environment (see README's configuration table).

`make run` works with no configuration at all: SQLite in ./var, SMS written to a file, DEBUG on.
With DEBUG off the process refuses to start without a real SECRET_KEY and turns on the
browser-side protections a public deployment needs.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kiemdich.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(env_str("KIEMDICH_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

_INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off."
    )
# Previous secret keys, newest first: sessions, signed values and everything derived from the
# secret key (ID number keys when ID_NUMBER_KEY is unset) still verify or decrypt under them,
# so the secret can be replaced after a leak without logging everyone out or losing data.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

# Encrypts the QR signing keys stored in the database (kiemdich.people.keys). It lives only in
# the environment: a copy of the database alone cannot sign codes. Old values stay in
# KEY_ENCRYPTION_KEY_FALLBACKS until `signing_keys reencrypt` has run.
_INSECURE_KEK = "insecure-development-key-encryption-key-do-not-use"
KEY_ENCRYPTION_KEY = env_str("KEY_ENCRYPTION_KEY", _INSECURE_KEK if DEBUG else "")
KEY_ENCRYPTION_KEY_FALLBACKS = env_list("KEY_ENCRYPTION_KEY_FALLBACKS")
if not DEBUG and (len(KEY_ENCRYPTION_KEY) < 32
                  or KEY_ENCRYPTION_KEY in (_INSECURE_KEK, SECRET_KEY)):
    raise ImproperlyConfigured(
        "KEY_ENCRYPTION_KEY must be set to a random value of at least 32 characters, other "
        "than SECRET_KEY, when DEBUG is off."
    )

# ID numbers at rest (kiemdich.core.protect): the current key and the previous ones that
# `rotate_id_number_key` re-encrypts from. Unset: derived from SECRET_KEY (and its fallbacks).
ID_NUMBER_KEY = env_str("ID_NUMBER_KEY")
ID_NUMBER_KEY_FALLBACKS = env_list("ID_NUMBER_KEY_FALLBACKS")

# The key of the audit trail's chain (HMAC-SHA-256). It lives in the environment, never in the
# database: whoever can write the database cannot recompute the chain after changing it.
# Development derives one from the (insecure) development secret; DEBUG off needs a real one.
AUDIT_KEY = env_str("AUDIT_KEY", f"development-audit-key:{SECRET_KEY}" if DEBUG else "")
if not DEBUG and len(AUDIT_KEY) < 32:
    raise ImproperlyConfigured(
        "AUDIT_KEY must be set to a random value of at least 32 characters when DEBUG is off "
        "(and kept outside the database)."
    )
# The chain's head written outside the database: a line per AUDIT_ANCHOR_EVERY entries
# appended to this file, which auditors copy (README, "Audit trail"); `verify_audit` checks
# the trail against it, so a deleted tail is found.
AUDIT_ANCHOR_FILE = Path(env_str("AUDIT_ANCHOR_FILE", str(DATA_DIR / "audit-anchors.jsonl")))
AUDIT_ANCHOR_EVERY = max(1, env_int("AUDIT_ANCHOR_EVERY", 10))

# Where QR codes, posters and SMS point. Unset, it is this machine on the port being served
# (`make run PORT=9000` prints and encodes :9000), not a fixed :8000 nobody listens on.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL",
                          f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")
# The deployment's own province (its official code): the forms and the public progress
# page start there rather than at the first province in alphabetical order.
HOME_AREA = env_str("HOME_AREA", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [PUBLIC_BASE_URL])

# Django's admin site at /admin/ (admins only, through the portal's one-time-code login).
# Off on public API servers that should not expose it at all.
ADMIN_ENABLED = env_bool("ADMIN_ENABLED", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # For its Swagger UI files: /api/v1/docs is served from them, without a CDN.
    "ninja",
    "kiemdich.areas",
    "kiemdich.accounts",
    "kiemdich.privacy",
    "kiemdich.people",
    "kiemdich.declarations",
    "kiemdich.venues",
    "kiemdich.scans",
    "kiemdich.tracing",
    "kiemdich.reports",
    "kiemdich.zones",
    "django_q",
    "kiemdich.jobs",
    "kiemdich.operations",
]

MIDDLEWARE = [
    "kiemdich.core.observability.RequestObservationMiddleware",
    "kiemdich.core.audit.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "kiemdich.core.middleware.SecurityHeadersMiddleware",
    "kiemdich.core.middleware.NoStoreMiddleware",
    "kiemdich.failures.ApiErrorShapeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kiemdich.core.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kiemdich.core.replica.PinToLeaderAfterWrite",
    "kiemdich.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it is the first to see a view's exception: domain errors become 404/403/400.
    "kiemdich.core.middleware.DomainErrorPagesMiddleware",
]

ROOT_URLCONF = "kiemdich.urls"
WSGI_APPLICATION = "kiemdich.wsgi.application"
ASGI_APPLICATION = "kiemdich.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kiemdich" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kiemdich.accounts.context_processors.roles",
                "kiemdich.core.replica.freshness",
            ],
        },
    }
]

# This process is the job worker (`manage.py run_worker`), which forks its own processes.
RUNNING_WORKER = sys.argv[1:2] == ["run_worker"]
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kiemdich.sqlite3'}"),
        # Under ASGI each request may run in a different thread; persistent connections would
        # pile up one per thread. Connections are pooled instead (DB_POOL) on PostgreSQL.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the live feed read while the scan ingest writes; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif RUNNING_WORKER:
    # The job worker forks its processes: a pool opened before a fork would be shared by
    # them. Each of its processes runs one job at a time on one persistent connection
    # (checked before reuse), closed by django-q2 around tasks once older than this.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("JOB_CONN_MAX_AGE", 600)
elif env_bool("DB_POOL", False):
    # A psycopg pool per process: under ASGI every request runs on its own thread, so
    # persistent per-thread connections would pile up; the pool hands each request a warm one.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # With the pool, this turns on psycopg_pool's check of each connection as it is handed
    # out (one empty query): a connection PostgreSQL closed (a restart, a failover) is
    # replaced there instead of failing the request that drew it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django's backend, that check made without a round trip while the connection's socket
    # has nothing to read (kiemdich.core.postgres_pool).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "kiemdich.core.postgres_pool"
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN", 2), "max_size": env_int("DB_POOL_MAX", 8),
        # With at least as many connections as threads, a request waits only while the pool
        # opens one; longer means the database is away: answer 503 (kiemdich.failures).
        "timeout": env_int("DB_POOL_TIMEOUT", 1)}
IS_POSTGRES = DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql",
                                                "kiemdich.core.postgres_pool")
if IS_POSTGRES:
    # The scan hot path binds its statements on the server and lets psycopg prepare them
    # after this many runs on a connection (Django's own cursors bind on the client and are
    # never prepared). 0 turns it off, e.g. behind a transaction-mode pooler without
    # prepared-statement support.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # An unreachable server fails the connection attempt after this many seconds (libpq's
    # minimum is 2) rather than hanging the request.
    options["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 2)
    options["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 5) or None
    # Planned once for all values: the person-with-state query then runs in a third of the
    # time (partitions are pruned when it executes). Only prepared statements are affected.
    # No JIT compilation: a generic plan's cost is estimated over every day partition, which
    # passes jit_above_cost, and compiling took more CPU than a scan's whole statement
    # (pgbench of the scan's statements: +16 % transactions a second without it).
    options["options"] = (options.get("options", "") +
                          " -c plan_cache_mode=force_generic_plan -c jit=off").strip()
# Reads that may lag (the dashboard, coverage, tracing pages, exports) from a replica: on a
# cluster, HAProxy's read port (deploy/cluster/haproxy.cfg). Off by default: one database.
# kiemdich/replica.py says what goes where.
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {**DATABASES["default"],
                            **dj_database_url.parse(env_str("DATABASE_REPLICA_URL")),
                            "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
                            "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
                            "CONN_HEALTH_CHECKS": DATABASES["default"]["CONN_HEALTH_CHECKS"],
                            # Under test, the same database as default.
                            "TEST": {"MIRROR": "default"}}
    DATABASE_ROUTERS = ["kiemdich.core.replica.ReplicaRouter"]
# A user who wrote reads from the leader for this many seconds afterwards.
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10)
DATABASES["default"].setdefault("TEST", {})
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"]["NAME"] = env_str("TEST_DATABASE_NAME")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # On a file, not in memory: Django hands an in-memory test database's one connection to
    # every thread of the live test server, so a page's background request (the service
    # worker fetching the offline page) and a scan could run on it at the same time.
    DATABASES["default"]["TEST"]["NAME"] = str(DATA_DIR / "test.sqlite3")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# Every Redis connection (cache, live feed, readiness) gives up connecting and waiting for an
# answer after this many milliseconds: a frozen Redis must not hold request threads
# (kiemdich.core.redis_client).
REDIS_TIMEOUT_MS = env_int("REDIS_TIMEOUT_MS", 250)
CACHES = {
    "default": (
        {"BACKEND": "kiemdich.core.redis_client.RedisCache", "LOCATION": env_str("REDIS_URL"),
         "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT_MS / 1000,
                     "socket_timeout": REDIS_TIMEOUT_MS / 1000}}
        if env_str("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kiemdich"}
    )
}

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kiemdich" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "kiemdich_lang"
FORMAT_MODULE_PATH = "kiemdich.formats"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The project's own static folder (design system, per-app scripts) is not an app's folder.
STATICFILES_DIRS = [BASE_DIR / "kiemdich" / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Sessions: short idle timeout and an absolute lifetime (see accounts.middleware).
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The request body limit for every endpoint; the API answers 413 above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 2 * 1024 * 1024)
MAX_BODY_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
# Imports take files up to this size (a 1 M-row roster is about 60 MB): stored, then read by
# a long task on the workers.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 256 * 1024 * 1024)

# SMS gateway: "file" (development), "console", or "http" (a provider's HTTP API).
SMS_BACKEND = env_str("SMS_BACKEND", "file" if DEBUG else "")
SMS_OUTBOX = DATA_DIR / "sms-outbox.jsonl"

# E-mail (the daily reports, alerts): "file" writes each message under <data dir>/mail/
# (development), "console" prints it, "smtp" sends through EMAIL_HOST.
_EMAIL_BACKENDS = {"file": "filebased", "console": "console", "smtp": "smtp"}
_email = env_str("EMAIL_BACKEND", "file" if DEBUG else "smtp")
if _email not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(f"EMAIL_BACKEND must be one of {', '.join(_EMAIL_BACKENDS)}")
EMAIL_BACKEND = f"django.core.mail.backends.{_EMAIL_BACKENDS[_email]}.EmailBackend"
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kiemdich@localhost")
# Addresses told when the nightly check finds the audit trail altered (besides an SMS to
# every admin and auditor).
ALERT_EMAILS = env_list("ALERT_EMAILS", [])
SMS_HTTP_URL = env_str("SMS_HTTP_URL")
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN")
SMS_HTTP_SENDER = env_str("SMS_HTTP_SENDER", "KIEMDICH")
SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 10)
# Every SMS goes through the outbox and the job queue (accounts.sms): a failed attempt is
# retried after SMS_RETRY_BASE_SECONDS, doubled each time up to SMS_RETRY_MAX_SECONDS, until
# SMS_MAX_ATTEMPTS or the message's age limit (SMS_MAX_AGE_SECONDS; a login code's lifetime).
# SMS_SEND_NOW makes the first attempt in the process that asks (tests, no worker running).
SMS_RETRY_BASE_SECONDS = env_int("SMS_RETRY_BASE_SECONDS", 30)
SMS_RETRY_MAX_SECONDS = env_int("SMS_RETRY_MAX_SECONDS", 1800)
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 12)
SMS_MAX_AGE_SECONDS = env_int("SMS_MAX_AGE_SECONDS", 24 * 3600)
SMS_SEND_NOW = env_bool("SMS_SEND_NOW", False)
# A symptom alert still open this many minutes after its commune's health officers were
# texted goes to the level above (district, then province, then the country), once a level.
ALERT_ESCALATION_MINUTES = env_int("ALERT_ESCALATION_MINUTES", 120)

# One-time codes (accounts.otp).
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 300)
# Limits per requester (client address) and phone, so nobody else spends the owner's.
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)  # tries in a code's lifetime
OTP_SEND_PER_PHONE_PER_HOUR = env_int("OTP_SEND_PER_PHONE_PER_HOUR", 5)
OTP_SEND_MIN_INTERVAL_SECONDS = env_int("OTP_SEND_MIN_INTERVAL_SECONDS", 30)
OTP_SEND_PER_IP_PER_HOUR = env_int("OTP_SEND_PER_IP_PER_HOUR", 30)
# Across requesters: messages to one phone (at least one per code lifetime, see accounts.otp)
# and wrong guesses at one code.
OTP_SEND_PER_PHONE_ALL_PER_HOUR = env_int("OTP_SEND_PER_PHONE_ALL_PER_HOUR", 12)
OTP_CODE_MAX_ATTEMPTS = env_int("OTP_CODE_MAX_ATTEMPTS", 20)
OTP_VERIFY_PER_IP_PER_HOUR = env_int("OTP_VERIFY_PER_IP_PER_HOUR", 60)
# Staff invitation SMS (venues.services._invite), sliding 24 hours: per owner and per phone.
STAFF_INVITES_PER_OWNER_PER_DAY = env_int("STAFF_INVITES_PER_OWNER_PER_DAY", 50)
STAFF_INVITES_PER_PHONE_PER_DAY = env_int("STAFF_INVITES_PER_PHONE_PER_DAY", 3)
API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", 30 * 24 * 3600)
# A staff phone signed in as a venue's kiosk holds for one shift, whatever the portal
# session's idle timeout (a gate may see nobody for an hour).
KIOSK_SHIFT_HOURS = env_int("KIOSK_SHIFT_HOURS", 14)

# Scans (scans.services).
SCAN_MAX_AGE_HOURS = env_int("SCAN_MAX_AGE_HOURS", 72)
SCAN_CLOCK_SKEW_SECONDS = env_int("SCAN_CLOCK_SKEW_SECONDS", 120)
SCAN_REPEAT_WINDOW_SECONDS = env_int("SCAN_REPEAT_WINDOW_SECONDS", 300)
# Per staff account or dedicated reader: a gate scans a person every few seconds at most;
# a runaway device or a stolen token is stopped long before it floods the tables.
SCAN_RATE_PER_MINUTE = env_int("SCAN_RATE_PER_MINUTE", 300)
# A reader's scans take the short path in front of the WSGI application (kiemdich.scans.lane);
# 0 sends them through the full middleware stack like every other request.
SCAN_LANE = env_bool("SCAN_LANE", True)
# The proxies in front of the servers (addresses or networks, comma-separated): from them
# alone X-Forwarded-For is read for the client's address (kiemdich.core.proxies). Empty: the
# servers are reached directly and REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
try:
    for _network in TRUSTED_PROXIES:
        ipaddress.ip_network(_network, strict=False)
except ValueError as _error:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_error}") from None
# Rate limits while Redis does not answer: counted in each process, Redis asked again after
# this many seconds (accounts.ratelimit).
RATE_LIMIT_REDIS_RETRY_SECONDS = env_int("RATE_LIMIT_REDIS_RETRY_SECONDS", 5)
# Photos decoded on the server (scans.services.decode_photo): a larger picture is refused
# before any pixel is decoded, and each server process decodes this many at once.
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 16_000_000)
PHOTO_DECODERS = env_int("PHOTO_DECODERS", 1)

# Contact tracing (tracing.services).
TRACING_MARGIN_MINUTES = env_int("TRACING_MARGIN_MINUTES", 60)
TRACING_MAX_WINDOW_DAYS = env_int("TRACING_MAX_WINDOW_DAYS", 30)
TRACING_MAX_VISIT_HOURS = env_int("TRACING_MAX_VISIT_HOURS", 24)
TRACING_NOTICE_APPROVAL_THRESHOLD = env_int("TRACING_NOTICE_APPROVAL_THRESHOLD", 50)

# Live feed: "memory" (one process), "postgres" (LISTEN/NOTIFY) or "redis".
PUBSUB_BACKEND = env_str("PUBSUB_BACKEND", "memory")
# An open live stream checks its viewer again at least this often (and at once when access at
# its venue changes): kiemdich.scans.live.
LIVE_RECHECK_SECONDS = env_int("LIVE_RECHECK_SECONDS", 30)
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

# Personal QR signing keys live in the database (kiemdich.people.keys); each process reloads
# them this often, and at once when a code names a key it has not loaded.
KEYRING_REFRESH_SECONDS = env_int("KEYRING_REFRESH_SECONDS", 60)

# Background jobs (kiemdich.jobs, on django-q2 with its queue in this database). A job is
# killed after JOB_TIMEOUT seconds; one whose worker died is delivered again JOB_RETRY
# seconds after it was handed out (so JOB_RETRY must exceed every job's timeout).
JOB_TIMEOUT = env_int("JOB_TIMEOUT", 1800)
# A periodic job's lease outlives its timeout by JOB_LEASE_MARGIN (the worker kills a run at
# its timeout, a few seconds late), and a re-delivered run must find the lease expired.
JOB_LEASE_MARGIN = 10
JOB_RETRY = env_int("JOB_RETRY", JOB_TIMEOUT + 60)
if JOB_RETRY <= JOB_TIMEOUT + JOB_LEASE_MARGIN:
    raise ImproperlyConfigured("JOB_RETRY must exceed JOB_TIMEOUT by more than "
                               f"{JOB_LEASE_MARGIN} seconds")
# Where the application's database role may not change the schema (README "Database roles"),
# the jobs that need the owner's role go to a queue of their own, run by one worker started
# with the owner's DATABASE_URL and Q_CLUSTER_NAME=<JOB_OWNER_QUEUE_NAME>.
JOB_OWNER_QUEUE = env_bool("JOB_OWNER_QUEUE", False)
JOB_OWNER_QUEUE_NAME = "kiemdich-owner"
Q_CLUSTER = {
    "name": "kiemdich",
    "orm": "default",
    "workers": env_int("JOB_WORKERS", 2),  # processes per `run_worker`
    "timeout": JOB_TIMEOUT,
    "retry": JOB_RETRY,
    # A job that raised is listed among the failed ones (the jobs page retries it), not
    # delivered again and again; only a run cut short (a dead worker) is delivered again.
    "ack_failures": True,
    "max_attempts": 1,
    # Successful tasks are not kept (each save would lock and count the kept ones): a run of a
    # periodic job is recorded in jobs.JobRun, a job that keeps a result does so itself.
    "save_limit": -1,
    # Seconds between two looks at an empty queue; the scheduler looks every 30 guard cycles.
    "poll": float(env_str("JOB_POLL", "0.5")),
    "guard_cycle": 0.5,
    "catch_up": False,  # a worker that was down runs a missed period once, not each of them
    "recycle": 500,  # a worker process is replaced after this many tasks (memory)
    "label": _("Hàng đợi công việc"),
}

# Retention in days per kind (privacy.retention, `purge_expired`), and the abuse checks.
RETENTION_SCANS_DAYS = env_int("RETENTION_SCANS_DAYS", 30)  # scans and visits
RETENTION_REJECTED_SCANS_DAYS = env_int("RETENTION_REJECTED_SCANS_DAYS", 7)
RETENTION_DECLARATIONS_DAYS = env_int("RETENTION_DECLARATIONS_DAYS", 30)
RETENTION_NOTICES_DAYS = env_int("RETENTION_NOTICES_DAYS", 60)
RETENTION_SMS_OUTBOX_DAYS = env_int("RETENTION_SMS_OUTBOX_DAYS", 7)
RETENTION_EXPORTS_DAYS = env_int("RETENTION_EXPORTS_DAYS", 7)
RETENTION_OTP_DAYS = env_int("RETENTION_OTP_DAYS", 1)
ABUSE_MASS_ACCOUNTS_PER_MINUTE = env_int("ABUSE_MASS_ACCOUNTS_PER_MINUTE", 30)
ABUSE_REMOTE_KM = env_int("ABUSE_REMOTE_KM", 2)

# Logs: plain lines for a person at a terminal, JSON lines (LOG_FORMAT=json) for a log
# store; every line carries its request's id, phone and ID numbers blanked first.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "kiemdich.privacy.logging.RedactPersonalData"},
                "request_id": {"()": "kiemdich.core.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "kiemdich.core.observability.JsonLinesFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                    "filters": ["redact", "request_id"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"},
                # One event per request (observability); Django's own duplicates it for errors.
                "kiemdich.request": {"level": env_str("REQUEST_LOG_LEVEL",
                                                      env_str("LOG_LEVEL", "INFO"))}},
}

# GET /metrics (Prometheus): to these networks asking the server directly, or with
# `Authorization: Bearer METRICS_TOKEN` from anywhere.
METRICS_ALLOWED_NETWORKS = env_str("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# The job worker answers its own /metrics on this address (kiemdich.jobs.worker; 0: not at
# all), with the same protection. Set PROMETHEUS_MULTIPROC_DIR for it as well.
JOB_METRICS_HOST = env_str("JOB_METRICS_HOST", "127.0.0.1")
JOB_METRICS_PORT = env_int("JOB_METRICS_PORT", 0)
