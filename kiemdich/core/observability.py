"""What an operator reads about each request: its id, one log event, its metrics.

- **Request id.** Every request gets one: the proxy's `X-Request-ID` when it sent a sane one
  (nginx's `$request_id`, so the proxy's and the app's logs join), a new random one otherwise.
  It is answered in `X-Request-ID`, shown on error pages (a citizen's complaint quotes it),
  written on every log line of the request and handed to the jobs the request queues.
- **One log event per request** (`kiemdich.request`): method, route template, status,
  duration and the request id. With `LOG_FORMAT=json` every log line is a JSON object; the
  redacting filter blanks phone and ID numbers before any formatter sees the message.
- **Metrics**: requests by route template and status, latency, the pool's figures.
- **`GET /metrics`** for Prometheus, only to the networks in `METRICS_ALLOWED_NETWORKS`
  asking directly (not through the proxy), or with `Authorization: Bearer METRICS_TOKEN`.
"""

from __future__ import annotations

import contextvars
import hmac
import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from kiemdich.core import metrics
from kiemdich.core.hooks import HookMiddleware

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_log = logging.getLogger("kiemdich.request")


def current_request_id() -> str:
    """The id of the request being answered ('' outside a request)."""
    return _request_id.get()


@contextmanager
def carrying_request_id(value: str) -> Iterator[None]:
    """Work done elsewhere for a request (a job it queued) logs under the request's id."""
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


def _route(request: HttpRequest) -> str:
    """The route template (`api/v1/venues/<venue_id>/scans`), never the path itself,
    which would carry ids and codes into the metrics' labels."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return match.route
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


class RequestObservationMiddleware(HookMiddleware):
    """First in the chain, so it sees every answer as the client gets it."""

    def process_request(self, request: HttpRequest) -> None:
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        # Read back by process_response (mypy knows no such attribute of a request).
        request.observation = (  # type: ignore[attr-defined]
            request_id, _request_id.set(request_id), time.perf_counter())

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        request_id, token, started = request.observation  # type: ignore[attr-defined]
        try:
            response[REQUEST_ID_HEADER] = request_id
            seconds = time.perf_counter() - started
            route = _route(request)
            metrics.observe_request(route, request.method or "", response.status_code, seconds)
            metrics.sample_pool()
            # The event's fields are built only when it is written (LOG_LEVEL=WARNING keeps
            # a busy server's log to what went wrong).
            if _log.isEnabledFor(logging.INFO):
                _log.info("%s %s %s %.1fms", request.method, route, response.status_code,
                          seconds * 1000, extra={"route": route, "method": request.method,
                                                 "status": response.status_code,
                                                 "duration_ms": round(seconds * 1000, 2)})
            return response
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Every log record of a request carries its id (records made outside one carry '')."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = _request_id.get()
        return True


# The attributes every LogRecord has; anything else on a record was passed as `extra`.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id,
    the fields passed as `extra`, and the traceback as text."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        event.update({key: value for key, value in vars(record).items()
                      if key not in _RECORD_ATTRIBUTES and key not in event})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["exception"] = record.exc_text
        return json.dumps(event, ensure_ascii=False, default=str)


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(item.strip(), strict=False)
            for item in settings.METRICS_ALLOWED_NETWORKS.split(",") if item.strip()]


def may_read_metrics(environ: Mapping[str, str]) -> bool:
    """Whether the scraper of a request (its WSGI environ, `request.META` in Django: the job
    worker's metrics server asks the same) may read the metrics."""
    token = settings.METRICS_TOKEN
    offered = environ.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    # A request relayed by the proxy comes from the proxy's address: only a scraper asking
    # the server itself is let in by its network.
    if "HTTP_X_FORWARDED_FOR" in environ or "HTTP_FORWARDED" in environ:
        return False
    try:
        peer = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in _networks())


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_read_metrics(request.META):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)
