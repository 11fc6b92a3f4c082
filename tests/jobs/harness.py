"""Real job workers for the tests: `manage.py run_worker` in its own process group, on a
database of the test's own (a file for SQLite, a throwaway database on the suite's
PostgreSQL server), so a test can kill a worker with SIGKILL like a machine lost."""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
from django.conf import settings

from tests.faults.harness import ROOT, manage, server_env

# The tests' jobs are short: a run cut short by a dead worker is delivered again after
# JOB_RETRY seconds (JOB_TIMEOUT + the lease margin + a little).
FAST_JOBS = {"JOB_TIMEOUT": "15", "JOB_RETRY": "30", "JOB_POLL": "0.2", "JOB_WORKERS": "2"}


@contextlib.contextmanager
def job_database(data_dir: Path) -> Iterator[str]:
    """The URL of a database of the test's own on the backend the suite runs on, migrated:
    a copy of one this test process migrated once (`migrate` from nothing took 20-90 s a
    test)."""
    template = _migrated_template()
    if not settings.IS_POSTGRES:
        target = data_dir / "jobs.sqlite3"
        shutil.copyfile(template, target)
        url = f"sqlite:///{target}"
        try:
            yield url
        finally:
            _close_probe(url)
        return
    name = f"kd_jobs_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **_server()) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _postgres_url(name)
    finally:
        _close_probe(_postgres_url(name))
        _drop(name)


def _server() -> dict[str, object]:
    db = settings.DATABASES["default"]
    return {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432,
            "user": db["USER"], "password": db["PASSWORD"] or None}


def _postgres_url(name: str) -> str:
    db, server = settings.DATABASES["default"], _server()
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{server['host']}:{server['port']}/{name}"


def _drop(name: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **_server()) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@functools.cache
def _migrated_template() -> str:
    """The SQLite file or the PostgreSQL database name that job databases are copied from,
    migrated by `manage.py migrate`; dropped when the process ends."""
    data_dir = Path(tempfile.mkdtemp(prefix="kd-jobs-template-"))
    if settings.IS_POSTGRES:
        name = f"kd_jobs_template_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(dbname="postgres", autocommit=True, **_server()) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        atexit.register(_drop, name)
        manage(server_env(_postgres_url(name), data_dir), "migrate", "--noinput")
        return name
    path = data_dir / "template.sqlite3"
    manage(server_env(f"sqlite:///{path}", data_dir), "migrate", "--noinput")
    return str(path)


@contextlib.contextmanager
def served_database(data_dir: Path) -> Iterator[dict[str, str]]:
    """The environment of a server and its workers on a migrated database of their own,
    plain HTTP on loopback (cookies not marked Secure)."""
    with job_database(data_dir) as url:
        yield server_env(url, data_dir, SECURE_COOKIES="0", **FAST_JOBS)


class Worker:
    """One `run_worker`, as the systemd unit starts it; `probes=True` runs the same command
    with the tests' probe jobs declared as well (tests/jobs/probe_worker.py)."""

    def __init__(self, env: dict[str, str], probes: bool = False) -> None:
        self.env = {**FAST_JOBS, **env}
        self.command = ([sys.executable, "-m", "tests.jobs.probe_worker"] if probes
                        else [sys.executable, "manage.py", "run_worker"])
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="kd-worker-", suffix=".log")[1])

    def start(self) -> Worker:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def kill(self) -> None:
        """SIGKILL to every process of the worker at once: nothing of it finishes anything."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        """What systemd's stop does: SIGTERM, then SIGKILL for what still runs."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# The `python -m tests.jobs.probes serve` of each test's database, started at its first question.
_probes: dict[str, tuple[subprocess.Popen, Path]] = {}
# Seconds a probe has to answer: one that hangs fails the test instead of holding it for ever.
PROBE_SECONDS = 120


def probe(env: dict[str, str], *args: str) -> object:
    """The answer of tests/jobs/probes.py to ARGS in the worker's database."""
    url = env["DATABASE_URL"]
    if url not in _probes:
        log = Path(tempfile.mkstemp(prefix="kd-probe-", suffix=".log")[1])
        with open(log, "ab") as errors:
            process = subprocess.Popen([sys.executable, "-m", "tests.jobs.probes", "serve"],
                                       cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=errors)
        _probes[url] = process, log
    process, log = _probes[url]
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write((json.dumps(args) + "\n").encode())
    process.stdin.flush()
    # Read by the byte, never blocking past the deadline: a line that is not the answer (a
    # warning on stdout) or an answer cut short must not hold the test either.
    deadline, pending = time.monotonic() + PROBE_SECONDS, b""
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([process.stdout], [], [], left)
        chunk = os.read(process.stdout.fileno(), 65536) if ready else b""
        if not chunk:
            break  # the deadline passed, or the probe ended
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.startswith(b'{"answer"'):
                return json.loads(line)["answer"]
    raise RuntimeError(f"probe {args} unanswered:\n{log.read_text(errors='replace')[-4000:]}")


def _close_probe(url: str) -> None:
    if url in _probes:
        process, log = _probes.pop(url)
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.unlink()


def wait_for(condition: Callable[[], object], seconds: float, workers: tuple[Worker, ...] = (),
             what: str = "") -> object:
    """Poll until `condition()` is truthy; fail with the workers' logs after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = "\n".join(w.output() for w in workers)
            raise AssertionError(f"{what or 'condition'} still false after {seconds} s\n{logs}")
        time.sleep(0.1)


def portal(env: dict[str, str], *args: str) -> dict:
    """`python -m tests.jobs.portal ARGS` in the server's database: what it prints (JSON)."""
    done = subprocess.run([sys.executable, "-m", "tests.jobs.portal", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


class Officer:
    """An authority's browser session on the server, as httpx: the pages' forms and the
    API with the session; `token` is an API token of the same account."""

    def __init__(self, env: dict[str, str], base_url: str, phone: str = "0912000901",
                 role: str = "officer", area: str = "75") -> None:
        login = portal(env, "officer", phone, role, area)
        self.token = login["token"]
        self.client = httpx.Client(base_url=base_url, timeout=120,
                                   cookies={login["cookie"]: login["session"]})

    def upload(self, kind: str, text: str, **fields: str) -> int:
        form = self.client.get("/reports/coverage/", params={"area": "75"})
        assert form.status_code == 200, form.text[:2000]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        answer = self.client.post("/reports/imports/", data={
            "csrfmiddlewaretoken": token, "kind": kind, **fields},
            files={"file": ("danh-sach.csv", text.encode("utf-8"), "text/csv")})
        assert answer.status_code == 302, answer.text[:2000]
        return task_of(answer)

    def export(self, path: str, params: dict[str, str], fmt: str = "csv") -> int:
        """A page's export button (the page's filters in its URL): the task's id."""
        # The CSRF cookie, from a light page of the same area.
        self.client.get("/reports/coverage/", params={"area": params.get("area", "75")})
        answer = self.client.post(path, params=params, data={"format": fmt},
                                  headers={"X-CSRFToken": self.csrf()})
        assert answer.status_code == 302, answer.text[:2000]
        return task_of(answer)

    def status(self, task_id: int) -> dict:
        answer = self.client.get(f"/api/v1/tasks/{task_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def follow(self, task_id: int, seconds: float, workers: tuple[Worker, ...],
               until: Callable[[dict], bool] = lambda s: s["finished"]) -> tuple[dict, list[int]]:
        return follow(self.client, task_id, seconds, workers, until)

    def cancel(self, task_id: int) -> dict:
        answer = self.client.post(f"/api/v1/tasks/{task_id}/cancel",
                                  headers={"X-CSRFToken": self.csrf()})
        assert answer.status_code == 202, answer.text
        return answer.json()

    def csrf(self) -> str:
        return self.client.cookies["csrftoken"]


def follow(client: httpx.Client, task_id: int, seconds: float, workers: tuple[Worker, ...],
           until: Callable[[dict], bool] = lambda s: s["finished"]) -> tuple[dict, list[int]]:
    """Poll the task's status (`client` a session or a bearer token's) until `until`; the
    distinct progress values seen."""
    seen: list[int] = []

    def step() -> dict | None:
        answer = client.get(f"/api/v1/tasks/{task_id}")
        assert answer.status_code == 200, answer.text
        status = answer.json()
        if not seen or seen[-1] != status["done"]:
            seen.append(status["done"])
        return status if until(status) else None

    return wait_for(step, seconds, workers, f"task {task_id}"), seen


def task_of(answer: httpx.Response) -> int:
    """The id of the task whose page a form's answer redirects to."""
    return int(re.fullmatch(r"/jobs/tasks/(\d+)/", answer.headers["location"]).group(1))
