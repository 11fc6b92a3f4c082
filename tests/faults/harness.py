"""Real parts to break: a PostgreSQL server, a Redis server and the API server, each this
test's own (own port, own data directory), so a fault test can stop, freeze or kill them
without touching the machine's PostgreSQL and Redis that the rest of the suite uses.

PostgreSQL refuses to run as root: when the suite runs as root, its server runs as the
`postgres` user (`runuser`), in a directory that user owns.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.scans.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SECRET = "fault-test-secret-key-not-for-production-0123456789"


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _pg_bin(name: str) -> str:
    path = PG_BIN / name
    return str(path) if path.exists() else name


# The database of every own server that `migrate` has brought to the code's schema, to be
# copied: `create_database(name, template=MIGRATED)`.
MIGRATED = "kd_migrated"


class OwnPostgres:
    """A PostgreSQL 15 server of one test: `start`, `stop` (fast shutdown), `kill` (SIGKILL of
    the postmaster, as a crashed machine), `restart`, and `url(database)`. It starts from
    `copy_of`, a stopped server's data directory, when given, else from `initdb`."""

    def __init__(self, copy_of: Path | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kd-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if copy_of is None:
            command = [_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                       "--no-sync", "-E", "UTF8"]
        else:
            command = ["cp", "-a", str(copy_of), str(self.data)]
        subprocess.run(_as_postgres(command), check=True, capture_output=True)
        # The copy's lines come after its source's: the last of a setting is the one in force.
        # fsync off: the faults here kill processes, never the machine, so what PostgreSQL
        # acknowledged is in the OS's page cache either way; the tests run several times faster.
        conf = (f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\nfsync = off\n"
                "max_connections = 200\n")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as handle:
            handle.write(conf)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-l",
                                     str(self.root / "server.log"), *args]),
                       check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._ctl("-w", "start")

    def stop(self) -> None:
        self._ctl("-w", "-m", "fast", "stop")

    def restart(self) -> None:
        self._ctl("-w", "-m", "fast", "restart")

    @property
    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def kill(self) -> None:
        """SIGKILL to the postmaster and every backend, as when its machine dies."""
        pid = self.pid
        if pid is None:
            return
        subprocess.run(["pkill", "-KILL", "-P", str(pid)], check=False)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = subprocess.run([_pg_bin("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-c", statement, self.url(database)],
                              check=True, capture_output=True, text=True, timeout=60)
        return done.stdout.strip()

    def create_database(self, name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        self.sql(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


@functools.cache
def _migrated_server() -> Path:
    """The data directory, stopped, of a server with MIGRATED in it, made once a test process
    (`migrate` from nothing took 20-90 s; a copy of the directory a fraction of one)."""
    server = OwnPostgres()
    atexit.register(shutil.rmtree, server.root, True)
    server.start()
    try:
        migrated = server.create_database(MIGRATED)
        manage(server_env(migrated, server.root / "app"), "migrate", "--noinput")
    finally:
        server.stop()
    return server.data


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A server of the test's own, MIGRATED in it."""
    server = OwnPostgres(copy_of=_migrated_server())
    server.start()
    try:
        yield server
    finally:
        server.close()


class OwnRedis:
    """A Redis server of one test: `stop`, `start` (same port), `freeze` (SIGSTOP: it holds
    its connections and answers nothing, as a hung machine) and `thaw`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kd-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                  capture_output=True, text=True, check=False)
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.thaw()
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()


def server_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-style process on `database_url`."""
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": SECRET,
           "SMS_BACKEND": "file", "KIEMDICH_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    for name in ("TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER",
                 "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


@dataclass
class World:
    """What `tests/faults/world.py` made: a venue with a reader, and people with codes."""

    venue_id: int
    device_token: str
    owner_token: str
    codes: list[str]
    poster_code: str
    person_tokens: list[str] = field(default_factory=list)


def build_world(env: dict[str, str], people: int = 20) -> World:
    """A small world in the migrated database of `env`, made in its own process."""
    out = subprocess.run([sys.executable, "-m", "tests.faults.world", str(people)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-4000:])
    return World(**json.loads(out.stdout.strip().splitlines()[-1]))


class ApiServer:
    """The API server as `make serve-api` and the systemd unit run it (`deploy/serve-api`:
    granian, WSGI workers that are respawned, the pool on)."""

    def __init__(self, env: dict[str, str], workers: int = 2, threads: int = 4,
                 port: int | None = None, extra_args: tuple[str, ...] = ()) -> None:
        self.env = {"DB_POOL": "1", **env}
        self.workers, self.threads = workers, threads
        self.port = port or free_port()
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="kd-api-", suffix=".log")[1])
        self.started_in = 0.0  # seconds from the last start to the first answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 60) -> None:
        env = {**self.env, "PYTHON": sys.executable, "HOST": "127.0.0.1",
               "PORT": str(self.port), "WORKERS": str(self.workers),
               "THREADS": str(self.threads)}
        with open(self.log, "ab") as log:
            # deploy/serve-api execs granian: this process is granian's main process, and
            # the leader of a process group of its own with its workers (see stop).
            self.process = subprocess.Popen([str(ROOT / "deploy" / "serve-api"),
                                             *self.extra_args],
                                            cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        started = time.monotonic()
        deadline = started + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"API server exited:\n{self.log.read_text()[-4000:]}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2).status_code < 500:
                    self.started_in = time.monotonic() - started
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"API server did not start:\n{self.log.read_text()[-4000:]}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def reload(self) -> None:
        """What `systemctl reload` does (the unit's ExecReload): SIGHUP to the main process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)

    def rss_mib(self) -> int:
        """The resident memory of the whole server, main process and workers, in MiB."""
        assert self.process is not None
        total_kib = 0
        for pid in (self.process.pid, *self.worker_pids()):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:  # a worker that just exited
                continue
            total_kib += next(int(line.split()[1]) for line in status.splitlines()
                              if line.startswith("VmRSS:"))
        return total_kib // 1024

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        # Workers outlive a main process killed (by the test or above): left, they kept
        # serving, and their memory, after the suite ended.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def __enter__(self) -> ApiServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Answer:
    nonce: str
    code: str
    status: int  # 0: no answer (connection refused, reset or timed out)
    seconds: float
    at: float
    body: dict | None = None
    error: str = ""  # with status 0: what the client met (ConnectError, ReadTimeout…)
    retry_after: str = ""  # the answer's Retry-After (with a 503: when to send it again)


class ScanLoad:
    """Reader scans at a steady rate from a few threads, each with a fresh nonce, every answer
    kept: what a gate sees while a part is broken."""

    def __init__(self, base_url: str, world: World, rate: float = 40, threads: int = 4,
                 timeout: float = 10) -> None:
        self.base_url, self.world, self.rate = base_url, world, rate
        self.threads, self.timeout = threads, timeout
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def scan(self, client: httpx.Client, code: str, nonce: str) -> Answer:
        started = time.monotonic()
        try:
            response = client.post(
                f"{self.base_url}/api/v1/venues/{self.world.venue_id}/scans",
                json={"code": code, "direction": "in", "nonce": nonce},
                headers={"Authorization": f"Device {self.world.device_token}"})
            try:
                body = response.json()
            except ValueError:
                body = None
            status = response.status_code
        except httpx.TransportError as error:
            return Answer(nonce, code, 0, time.monotonic() - started, started,
                          error=type(error).__name__)
        return Answer(nonce, code, status, time.monotonic() - started, started, body,
                      retry_after=response.headers.get("Retry-After", ""))

    def _run(self, index: int) -> None:
        interval = self.threads / self.rate
        with httpx.Client(timeout=self.timeout) as client:
            n = index
            while not self._stop.is_set():
                code = self.world.codes[n % len(self.world.codes)]
                answer = self.scan(client, code, uuid.uuid4().hex)
                with self._lock:
                    self.answers.append(answer)
                n += self.threads
                self._stop.wait(max(0.0, interval - answer.seconds))

    def __enter__(self) -> ScanLoad:
        for index in range(self.threads):
            worker = threading.Thread(target=self._run, args=(index,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(self.timeout + 5)

    def statuses(self) -> Counter:
        return Counter(a.status for a in self.answers)

    def acknowledged(self) -> list[Answer]:
        return [a for a in self.answers if a.status in (200, 201)]

    def longest_gap(self) -> float:
        """The longest time between two successive acknowledged scans: the time without
        service as the gate saw it."""
        times = sorted(a.at + a.seconds for a in self.acknowledged())
        return max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0)


def report(name: str, **figures: object) -> None:
    """One line of what a fault test measured, printed like the benchmark's (run pytest with
    -s, or read the captured output of a failure)."""
    text = " ".join(f"{key}={value}" for key, value in figures.items())
    print(f"\n[fault] {name}: {text}", flush=True)
