"""Load driver for the scan endpoints: open loop at fixed rates, and a ramp to saturation.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kiemdich_bench \\
        .venv/bin/python bench/load.py --base http://127.0.0.1:8000 --kind scan \\
        --rates 500,1000,2000 --seconds 20 --ramp --server-pid 1234 --json out.json

Prepares its own callers in the database (dedicated readers with `Device` tokens at the most
visited venues, accounts with `Bearer` tokens and their family members for the poster
check-in, personal QR codes), then sends:

- `scan`: `POST /api/v1/venues/{id}/scans` from the readers, each person alternating in and
  out at one venue (every scan makes or closes a visit, none is a repeat);
- `checkin`: `POST /api/v1/checkins` (the poster) from the accounts, each under its rate limit;
- `health`: `GET /api/v1/health` (the same server stack doing almost nothing).

Open loop: request i is due at start + i / rate whatever happened to the others, and its
latency counts from that moment, so a slow server shows as latency instead of as a slower
client. Each phase is bounded by its duration and by a cap on requests waiting for a
connection. The client is a small HTTP/1.1 keep-alive client on asyncio streams, cheap enough
to share two cores with the server, and it only ever talks to 127.0.0.1.

Per phase it reports offered and accepted requests per second, p50/p95/p99/max latency,
errors by status, whether every 2xx is in the database (rows counted after the phase), the
database's transactions, rows inserted and updated per accepted scan (pg_stat_database
deltas), and the largest resident memory of a server worker (/proc). SQL statements per
request are counted in-process, once, through Django's test client (CaptureQueriesContext).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
MAX_SECONDS = 600  # no phase runs longer, whatever was asked
MAX_BACKLOG_SECONDS = 2.0  # stop offering when this many seconds of requests are waiting


# Callers -------------------------------------------------------------------------------------

@dataclass
class Fixtures:
    """Who sends what; made by `prepare` (needs Django), used by the pure-asyncio runner."""

    scanners: list[dict] = field(default_factory=list)  # {venue_id, token, codes: [...]}
    families: list[dict] = field(default_factory=list)  # {token, venue_code, person_ids}


def prepare(venues: int = 50, people_per_venue: int = 200, accounts: int = 4000) -> Fixtures:
    """Readers at the busiest venues with codes of people to scan there, and accounts with
    tokens whose families check in at those venues' posters."""
    from django.db.models import Sum
    from django.utils import timezone

    from kiemdich.accounts.models import ApiToken, User
    from kiemdich.core.tokens import digest
    from kiemdich.people.codes import issue_app_code
    from kiemdich.people.models import Person
    from kiemdich.reports.models import VenueDay
    from kiemdich.venues.devices import create_device
    from kiemdich.venues.models import Venue

    # The statistics' rollup knows the busiest venues without scanning the scans.
    busiest = list(VenueDay.objects.values("venue_id").annotate(n=Sum("scans"))
                   .order_by("-n").values_list("venue_id", flat=True)[:venues])
    chosen = list(Venue.objects.filter(pk__in=busiest, status=Venue.Status.ACTIVE))
    if len(chosen) < venues:
        chosen += list(Venue.objects.filter(status=Venue.Status.ACTIVE)
                       .exclude(pk__in=busiest).order_by("pk")[:venues - len(chosen)])
    if not chosen:
        raise SystemExit("no venues: generate a population first")
    now = timezone.now()
    people = list(Person.objects.order_by("-pk").values_list("public_id", flat=True)
                  [:len(chosen) * people_per_venue])
    fixtures = Fixtures()
    for n, venue in enumerate(chosen):
        _device, token = create_device(venue, "Máy đo tải")
        mine = people[n::len(chosen)] or people[:1]
        fixtures.scanners.append({"venue_id": venue.pk, "token": token,
                                  "codes": [issue_app_code(public_id, now)[0]
                                            for public_id in mine]})
    heads = list(User.objects.filter(people__is_self=True, is_active=True)
                 .order_by("-pk").values_list("pk", flat=True)[:accounts])
    members: dict[int, list[int]] = {}
    for pid, account in Person.objects.filter(account_id__in=heads).values_list("pk",
                                                                                  "account_id"):
        members.setdefault(account, []).append(pid)
    tokens = {}
    rows = []
    for account in heads:
        token = "kd_" + secrets.token_urlsafe(32)
        tokens[account] = token
        rows.append(ApiToken(user_id=account, key_hash=digest(token),
                             expires_at=now + timedelta(days=1), last_used_at=now))
    ApiToken.objects.bulk_create(rows, batch_size=2000)
    for n, account in enumerate(heads):
        fixtures.families.append({"token": tokens[account],
                                  "venue_code": chosen[n % len(chosen)].code,
                                  "person_ids": sorted(members.get(account, []))[:1]})
    fixtures.families = [f for f in fixtures.families if f["person_ids"]]
    return fixtures


def statements_per_request(fixtures: Fixtures, samples: int = 5) -> dict[str, float]:
    """SQL statements one request runs, counted in-process through the whole Django stack
    (auth, the service, the commit), steady state: the venue cache warm."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts: dict[str, float] = {}
    scanner = fixtures.scanners[0]
    family = fixtures.families[0] if fixtures.families else None

    def scan(n: int):
        return client.post(f"/api/v1/venues/{scanner['venue_id']}/scans",
                           {"code": scanner["codes"][n % len(scanner["codes"])],
                            "direction": "in" if n // len(scanner["codes"]) % 2 else "out",
                            "nonce": f"probe-{secrets.token_hex(6)}"},
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Device {scanner['token']}")

    def checkin(n: int):
        return client.post("/api/v1/checkins", {"venue_code": family["venue_code"],
                                                "person_ids": family["person_ids"],
                                                "direction": "out" if n % 2 else "in"},
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {family['token']}")

    probes = [("scan", scan)] + ([("checkin", checkin)] if family else [])
    for name, call in probes:
        call(0)  # warm the venue cache and the token's last-used stamp
        measured = []
        for n in range(1, samples + 1):
            with CaptureQueriesContext(connection) as queries:
                response = call(n)
            if response.status_code < 300:
                measured.append(len(queries.captured_queries))
        counts[name] = statistics.median(measured) if measured else float("nan")
    return counts


# The HTTP client ------------------------------------------------------------------------------

class Connection:
    """One HTTP/1.1 keep-alive connection to 127.0.0.1, one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("the load driver only targets 127.0.0.1")
        self.host, self.port = "127.0.0.1", port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(raw)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _request(method: str, path: str, auth: str | None, body: dict | None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    if auth:
        head.append(f"Authorization: {auth}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


class Traffic:
    """Request i of a kind, endlessly: each person keeps to one venue and alternates in and
    out; accounts take turns so each stays under its check-in rate limit."""

    def __init__(self, kind: str, fixtures: Fixtures, run: str) -> None:
        self.kind, self.fixtures, self.run = kind, fixtures, run
        self.count = itertools.count()
        self.direction: dict[tuple, str] = {}
        if kind == "scan":
            self.slots = [(s, code) for s in fixtures.scanners for code in s["codes"]]
        elif kind == "checkin":
            self.slots = list(fixtures.families)
        else:
            self.slots = [None]
        if not self.slots:
            raise ValueError(f"no callers for {kind}")

    def _flip(self, key: tuple) -> str:
        self.direction[key] = "out" if self.direction.get(key) == "in" else "in"
        return self.direction[key]

    def next(self) -> bytes:
        n = next(self.count)
        slot = self.slots[n % len(self.slots)]
        if self.kind == "scan":
            scanner, code = slot
            return _request("POST", f"/api/v1/venues/{scanner['venue_id']}/scans",
                            f"Device {scanner['token']}",
                            {"code": code, "direction": self._flip((code,)),
                             "nonce": f"{self.run}-{n}"})
        if self.kind == "checkin":
            return _request("POST", "/api/v1/checkins", f"Bearer {slot['token']}",
                            {"venue_code": slot["venue_code"], "person_ids": slot["person_ids"],
                             "direction": self._flip((slot["token"],))})
        return _request("GET", "/api/v1/health", None, None)


# Measuring -----------------------------------------------------------------------------------

@dataclass
class Phase:
    kind: str
    rate: float  # offered, per second
    seconds: float
    sent: int = 0
    accepted: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    dropped: int = 0  # never sent: the backlog cap was hit
    accepted_per_second: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    committed: int | None = None  # rows found in the database afterwards
    db: dict[str, float] = field(default_factory=dict)
    worker_rss_mb: float | None = None
    # CPU per accepted request over the phase (the processes' counters, /proc): the server's
    # processes, and the PostgreSQL backends connected to the benchmark's database.
    app_cpu_ms: float | None = None
    db_cpu_ms: float | None = None


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


async def run_phase(base: str, traffic: Traffic, rate: float, seconds: float,
                    connections: int = 32, on_tick=None) -> Phase:
    """Offer `rate` requests per second for `seconds` (open loop); wait for the answers."""
    seconds = min(seconds, MAX_SECONDS)
    parts = urlsplit(base)
    pool = [Connection(parts.hostname, parts.port or 80) for _ in range(connections)]
    queue: asyncio.Queue = asyncio.Queue()
    phase = Phase(traffic.kind, rate, seconds)
    latencies: list[float] = []
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def worker(conn: Connection) -> None:
        while True:
            item = await queue.get()
            if item is None:
                conn.close()
                return
            due, raw = item
            try:
                status, _body = await conn.request(raw)
                key = str(status)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status, key = 0, type(exc).__name__
            finished = loop.time()
            if 200 <= status < 300:
                phase.accepted += 1
                latencies.append(finished - due)
            else:
                phase.errors[key] = phase.errors.get(key, 0) + 1

    workers = [asyncio.create_task(worker(conn)) for conn in pool]
    last_tick = began
    for i in range(total):
        due = began + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if queue.qsize() > rate * MAX_BACKLOG_SECONDS:
            phase.dropped = total - i
            break
        queue.put_nowait((due, traffic.next()))
        phase.sent += 1
        if on_tick and loop.time() - last_tick > 0.5:
            last_tick = loop.time()
            on_tick()
    for _ in workers:
        queue.put_nowait(None)
    try:
        await asyncio.wait_for(asyncio.gather(*workers), timeout=60)
    except TimeoutError:  # an overloaded machine: what is still unanswered counts as lost
        phase.errors["unanswered"] = phase.sent - phase.accepted - sum(phase.errors.values())
    elapsed = max(loop.time() - began, 1e-6)
    phase.accepted_per_second = phase.accepted / max(elapsed, seconds)
    phase.p50_ms = percentile(latencies, 0.50) * 1000
    phase.p95_ms = percentile(latencies, 0.95) * 1000
    phase.p99_ms = percentile(latencies, 0.99) * 1000
    phase.max_ms = max(latencies, default=0.0) * 1000
    return phase


def worker_pids(master: int) -> list[int]:
    """The server's worker processes: children of the master (or the master alone)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                children.append(int(entry.name))
    return children or [master]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Memory:
    """The largest RSS any worker of the server reached while sampled."""

    def __init__(self, master: int | None) -> None:
        self.master = master
        self.peak = 0.0

    def sample(self) -> None:
        if self.master:
            self.peak = max([self.peak] + [rss_mb(pid) for pid in worker_pids(self.master)])


def _loop_factory():
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def db_counters() -> dict[str, int] | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, "
                       "tup_fetched FROM pg_stat_database WHERE datname = current_database()")
        names = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_fetched")
        return dict(zip(names, cursor.fetchone(), strict=True))


def scan_rows_after(scan_id: int) -> int:
    from kiemdich.scans.models import Scan

    return Scan.objects.filter(pk__gt=scan_id).count()


def last_scan_id() -> int:
    from kiemdich.scans.models import Scan

    return Scan.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, its waited-for children included (/proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def db_backends() -> list[int]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        return [row[0] for row in cursor.fetchall()]


class Cpu:
    """CPU spent by the server's processes and the database's backends between two calls."""

    def __init__(self, master: int | None) -> None:
        self.master = master

    def read(self) -> tuple[float, dict[int, float]]:
        app = sum(cpu_seconds(pid) for pid in
                  ({self.master, *worker_pids(self.master)} if self.master else ()))
        return app, {pid: cpu_seconds(pid) for pid in db_backends()}

    @staticmethod
    def spent(before: tuple[float, dict[int, float]],
              after: tuple[float, dict[int, float]]) -> tuple[float, float]:
        db = sum(value - before[1].get(pid, 0.0) for pid, value in after[1].items())
        return after[0] - before[0], db


def measured(base: str, traffic: Traffic, rate: float, seconds: float, connections: int,
             memory: Memory, check: bool = True) -> Phase:
    """One phase with the database's counters and the rows committed around it."""
    before_id = last_scan_id() if check else 0
    # The statistics collector publishes counters with a delay: let them settle.
    time.sleep(0.6)
    before = db_counters()
    memory.peak = 0.0
    cpu = Cpu(memory.master)
    cpu_before = cpu.read()
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        phase = runner.run(run_phase(base, traffic, rate, seconds, connections, memory.sample))
    app_cpu, db_cpu = cpu.spent(cpu_before, cpu.read())
    if phase.accepted:
        phase.app_cpu_ms = round(app_cpu / phase.accepted * 1000, 3)
        phase.db_cpu_ms = round(db_cpu / phase.accepted * 1000, 3)
    memory.sample()
    phase.worker_rss_mb = round(memory.peak, 1) if memory.master else None
    time.sleep(0.6)
    after = db_counters()
    if before and after and phase.accepted:
        phase.db = {f"{name}_per_request": round((after[name] - before[name]) / phase.accepted,
                                                 2) for name in after}
    if check and traffic.kind != "health":
        phase.committed = scan_rows_after(before_id)
    return phase


def warm_up(base: str, traffic: Traffic, connections: int, rate: float = 100,
            seconds: float = 3) -> None:
    """A few seconds of light traffic, not measured: every worker thread opens its database
    connection and fills its caches before the first phase counts."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(run_phase(base, traffic, rate, seconds, connections))


def ramp(base: str, traffic: Traffic, start: float, step_seconds: float, connections: int,
         memory: Memory, limit: float = 20000, growth: float = 1.15, coarse: float = 1.5,
         p99_ms: float = 100.0) -> tuple[list[Phase], float]:
    """Raise the rate until the server stops keeping up (accepted < 95 % of offered, errors,
    or p99 over `p99_ms`); returns the phases and the highest rate it sustained.

    Steps of `coarse` first, then from the last rate kept up with by `growth`: a fast machine
    is not walked up from a low start in many small steps, and a start the machine cannot
    keep up with is halved (down to 10/s) rather than reported as a sustained rate of 0.
    A step missed above a rate already kept up with is measured once more before it counts:
    a stall of a second or two on a shared machine (a checkpoint, autovacuum after the data
    was written) ended the no-op's ramp at a third of the rate it keeps up with."""
    phases: list[Phase] = []
    best, rate, factor, kept, retried = 0.0, start, coarse, 0.0, 0.0
    while 10 <= rate <= limit:
        phase = measured(base, traffic, rate, step_seconds, connections, memory, check=False)
        phases.append(phase)
        if (phase.accepted >= 0.95 * rate * step_seconds and not phase.errors
                and phase.p99_ms <= p99_ms):
            best, kept = max(best, phase.accepted_per_second), rate
            rate *= factor
        elif kept and retried != rate:
            retried = rate
        elif not kept:
            rate /= 2
        elif factor == coarse:
            factor = growth
            rate = kept * growth
        else:
            break
    return phases, best


def show(phase: Phase) -> str:
    errors = ",".join(f"{k}:{v}" for k, v in sorted(phase.errors.items())) or "-"
    committed = "" if phase.committed is None else f" committed {phase.committed}"
    memory = "" if phase.worker_rss_mb is None else f" rss {phase.worker_rss_mb:.0f} MB"
    if phase.app_cpu_ms is not None:
        memory += f" cpu app {phase.app_cpu_ms:.2f} db {phase.db_cpu_ms:.2f} ms/req"
    return (f"{phase.kind:<8} offered {phase.rate:7.0f}/s accepted {phase.accepted_per_second:7.0f}"
            f"/s p50 {phase.p50_ms:6.1f} p95 {phase.p95_ms:6.1f} p99 {phase.p99_ms:6.1f} "
            f"max {phase.max_ms:7.1f} ms errors {errors} dropped {phase.dropped}"
            f"{committed}{memory}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--kind", choices=("scan", "checkin", "health"), default="scan")
    parser.add_argument("--rates", default="500,1000,2000",
                        help="comma-separated fixed rates per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--ramp", action="store_true", help="then ramp to saturation")
    parser.add_argument("--ramp-start", type=float, default=250)
    parser.add_argument("--ramp-step-seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--server-pid", type=int, help="the server's master process, for RSS")
    parser.add_argument("--venues", type=int, default=50)
    parser.add_argument("--accounts", type=int, default=4000)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    import django

    django.setup()
    fixtures = prepare(venues=args.venues, accounts=args.accounts)
    statements = statements_per_request(fixtures)
    print(f"SQL statements per request (in-process): {statements}", flush=True)
    memory = Memory(args.server_pid)
    run = f"load{secrets.token_hex(3)}"
    traffic = Traffic(args.kind, fixtures, run)
    warm_up(args.base, traffic, args.connections)
    phases = []
    for rate in [float(r) for r in args.rates.split(",") if r.strip()]:
        phase = measured(args.base, traffic, rate, args.seconds, args.connections, memory)
        phases.append(phase)
        print(show(phase), flush=True)
    ramp_phases, best = [], None
    if args.ramp:
        ramp_phases, best = ramp(args.base, traffic, args.ramp_start, args.ramp_step_seconds,
                                 args.connections, memory)
        for phase in ramp_phases:
            print("ramp " + show(phase), flush=True)
        print(f"saturation: {best:.0f} accepted/s sustained", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"kind": args.kind, "statements_per_request": statements,
             "phases": [asdict(p) for p in phases], "ramp": [asdict(p) for p in ramp_phases],
             "saturation_per_second": best}, indent=2))


if __name__ == "__main__":
    main()
