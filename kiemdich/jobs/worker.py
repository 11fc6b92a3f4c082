"""The job worker's own metrics: `GET /metrics` on `JOB_METRICS_HOST:JOB_METRICS_PORT`.

Jobs run, failed and skipped, their durations, the retention rows purged: these are counted
in the worker's processes (django-q2 forks JOB_WORKERS of them), which write them to
`PROMETHEUS_MULTIPROC_DIR` — a directory of this worker's own, emptied before it starts —
and the worker's main process answers the sum, with the state every server reads from the
database (the queue's depth, each job's last run). The worker answers them itself rather
than through an API server's directory: a worker runs on any machine, with or without an
API server beside it, and a directory is shared only by the processes of one machine
(docs/operations.md, "Metrics"). Protected as the servers' /metrics: the scraper's network
(METRICS_ALLOWED_NETWORKS, asking directly) or `Authorization: Bearer METRICS_TOKEN`.
"""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from kiemdich.core import metrics
from kiemdich.core.observability import may_read_metrics

if TYPE_CHECKING:
    from wsgiref.types import StartResponse


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a scrape in progress does not hold the worker's exit


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        """Scrapes are not logged: one every few seconds says nothing."""


def _app(environ: dict, start_response: StartResponse) -> list[bytes]:
    if environ.get("PATH_INFO") != "/metrics":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    if not may_read_metrics(environ):
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"forbidden\n"]
    try:
        body, content_type = metrics.exposition()
    finally:
        # Each scrape has a thread of its own: what it opened to read the state goes with it.
        connections.close_all()
    start_response("200 OK", [("Content-Type", content_type)])
    return [body]


def bind_metrics(host: str, port: int) -> WSGIServer:
    """The metrics server, bound to its port but not answering yet (serve_metrics)."""
    if not metrics.MULTIPROC_DIR:
        # The jobs run in forked processes: without a shared directory their counts would
        # never reach the process that answers.
        raise ImproperlyConfigured("JOB_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR")
    return make_server(host, port, _app, server_class=_Server, handler_class=_QuietHandler)


def serve_metrics(server: WSGIServer) -> None:
    """Answer /metrics from a thread of this process (the worker's main process, once its
    cluster has forked its processes), until the process exits."""
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
