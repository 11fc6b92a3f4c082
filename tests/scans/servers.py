"""Real ASGI servers for the live-feed tests: uvicorn in a thread of the test process (shares
the in-memory pub/sub and the test database), or uvicorn processes on the PostgreSQL test
database (share nothing but the database and Redis)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    # Liveness, not the API document: on a loaded machine building the document took longer
    # than the probe's timeout, again and again, and a server that was up "did not start".
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/api/v1/health", timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


@contextmanager
def thread_server() -> Iterator[str]:
    import uvicorn
    from django.db import connections

    from kiemdich.asgi import application

    # Requests served by the server's worker threads close their connections when done, so
    # none is left open on the test database when it is dropped.
    db_settings = connections.settings["default"]
    kept_age = db_settings["CONN_MAX_AGE"]
    db_settings["CONN_MAX_AGE"] = 0
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port,
                                           lifespan="off", log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
        db_settings["CONN_MAX_AGE"] = kept_age


@contextmanager
def process_server(database_url: str, **env: str) -> Iterator[str]:
    port = free_port()
    # DB_CONN_MAX_AGE=0: under ASGI persistent connections are kept per worker thread and
    # would outlive the test database.
    environment = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0",
                   "DB_CONN_MAX_AGE": "0", **env}
    environment.pop("TEST_DATABASE_NAME", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "kiemdich.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--timeout-graceful-shutdown", "1"],
        cwd=ROOT, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def first_scan_event(stream_url: str, token: str, then) -> dict:
    """Open the SSE stream, call `then()` once the server listens, return the next event."""
    import json

    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    with httpx.stream("GET", stream_url, headers=headers, timeout=20) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: ") and event == "ready":
                then()
            elif line.startswith("data: ") and event == "scan":
                return json.loads(line[len("data: "):])
    raise AssertionError("the stream ended without an event")


def shared_database_url() -> str:
    """The URL of the PostgreSQL test database, for server processes sharing it."""
    from django.db import connection

    db = connection.settings_dict
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
            f":{db['PORT'] or 5432}/{db['NAME']}")


class EventStream:
    """An open live stream read on a thread: every event with the time it arrived, and
    whether the server ended the stream."""

    def __init__(self, url: str, authorization: str) -> None:
        import json

        self.url, self.authorization, self._json = url, authorization, json
        self.events: list[tuple[str, dict, float]] = []
        self.status = 0
        self.ended_at: float | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=60))

    def _read(self) -> None:
        headers = {"Authorization": self.authorization, "Accept": "text/event-stream"}
        try:
            with self._client.stream("GET", self.url, headers=headers) as response:
                self.status = response.status_code
                event = ""
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line[len("event: "):]
                    elif line.startswith("data: "):
                        self.events.append((event, self._json.loads(line[len("data: "):]),
                                            time.monotonic()))
                self.ended_at = time.monotonic()
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test

    def names(self) -> list[str]:
        return [name for name, _data, _at in self.events]

    def wait_for(self, name: str, count: int = 1, seconds: float = 30) -> float | None:
        """When the `count`-th event called `name` arrived, waiting up to `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            arrived = [at for event, _data, at in self.events if event == name]
            if len(arrived) >= count:
                return arrived[count - 1]
            time.sleep(0.05)
        return None

    def __enter__(self) -> EventStream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()
        self._thread.join(5)
