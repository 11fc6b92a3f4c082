"""The production topology of deploy/cluster/ on one machine: `make cluster` (`up`) starts it,
`make cluster-down` (`down`) stops it, `status` prints who is the leader now.

    etcd ─ Patroni pg1, pg2, pg3 (PostgreSQL 15: leader, synchronous standby, async replica)
    HAProxy: public HTTP → api1, api2 (deploy/serve-api), live1, live2 (uvicorn)
             PostgreSQL :write → the leader (Patroni GET /primary), :read → replicas (/replica)
    worker1, worker2 (manage.py run_worker, one beside each API server: the jobs, the schedule)
    Redis (rate limits, the live feed), pgBackRest (WAL archive and backups)
    Prometheus scraping every member: the app servers and workers, Patroni, etcd, HAProxy,
    and PostgreSQL and Redis through their exporters (one beside each database member)

Every member runs from the configuration files an operator installs on real machines
(deploy/cluster/): only the addresses become local ports (PORT_BASE + the offsets below), the
data under var/cluster/, and PostgreSQL trusts 127.0.0.1 instead of asking for passwords.
PostgreSQL refuses to run as root, so when this runs as root Patroni (and with it PostgreSQL
and pgBackRest) runs as the `postgres` user and var/cluster/ is given to it.

`var/cluster/topology.json`: the public base URL, the application's environment, and for each
member its role, address and process id (`status` refreshes the roles and pids), so a test or
an operator's script can find and kill the leader.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "cluster"
PG_BIN = "/usr/lib/postgresql/15/bin"
POSTGRES_USER = "postgres"
LOCAL = "127.0.0.1"

# Port offsets from PORT_BASE (17000 for `make cluster`, another base for the tests).
ETCD, ETCD_PEER = 1, 2
PG, PATRONI_API = 10, 20  # + member number
HAPROXY_WRITE, HAPROXY_READ, PUBLIC, STATS = 30, 31, 40, 41
API, LIVE, WORKER = 50, 55, 65  # + server number (a worker's address: its metrics)
REDIS = 60
PROMETHEUS = 70
POSTGRES_EXPORTER, REDIS_EXPORTER = 80, 85  # + member number for PostgreSQL's


@dataclass
class Member:
    """One process of the cluster as topology.json records it."""

    name: str
    kind: str  # etcd, postgres, haproxy, redis, api, live, worker, prometheus, exporter
    address: str  # what clients connect to (PostgreSQL's port for a database member)
    pid: int | None = None
    # A database member's: leader, sync_standby, replica (Patroni's words), down; a job
    # worker's: jobs (it takes the queue's jobs and runs the schedule).
    role: str = ""
    patroni_pid: int | None = None
    patroni_api: str = ""
    data_dir: str = ""


class Cluster:
    def __init__(self, directory: Path, port_base: int = 17000, databases: int = 3,
                 app_servers: int = 2, app_settings: dict[str, str] | None = None) -> None:
        if not 2 <= databases <= 3 or not 1 <= app_servers <= 2:
            raise ValueError("2–3 database members and 1–2 app servers (deploy/cluster/ has "
                             "three and two)")
        self.dir = directory.resolve()
        self.base = port_base
        self.databases, self.app_servers = databases, app_servers
        self.app_settings = app_settings or {}  # more of the application's environment
        self.logs = self.dir / "logs"
        self.topology_file = self.dir / "topology.json"
        self.members: dict[str, Member] = {}
        if self.topology_file.exists():
            saved = json.loads(self.topology_file.read_text())
            self.members = {m["name"]: Member(**m) for m in saved["members"]}

    # ---- addresses -------------------------------------------------------------------------
    def port(self, offset: int) -> int:
        return self.base + offset

    def local(self, offset: int) -> str:
        return f"{LOCAL}:{self.port(offset)}"

    @property
    def base_url(self) -> str:
        return f"http://{self.local(PUBLIC)}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@{self.local(HAPROXY_WRITE)}/kiemdich"

    @property
    def replica_url(self) -> str:
        return f"postgres://postgres@{self.local(HAPROXY_READ)}/kiemdich"

    def address_map(self) -> dict[str, str]:
        """Each address of deploy/cluster/ → its local port. An address missing here (pg3
        with two database members) takes its configuration lines with it."""
        mapping = {"10.0.0.10:80": self.local(PUBLIC), "10.0.0.10:5000": self.local(HAPROXY_WRITE),
                   "10.0.0.10:5001": self.local(HAPROXY_READ), "10.0.0.10:7000": self.local(STATS)}
        for n in range(1, self.databases + 1):
            mapping[f"10.0.1.1{n}:5432"] = self.local(PG + n)
            mapping[f"10.0.1.1{n}:8008"] = self.local(PATRONI_API + n)
            mapping[f"10.0.1.1{n}:9187"] = self.local(POSTGRES_EXPORTER + n)
        mapping["10.0.2.31:9121"] = self.local(REDIS_EXPORTER)
        # One etcd here stands for the three of deploy/cluster/.
        mapping["10.0.1.11:2379"] = self.local(ETCD)
        for n in range(1, self.app_servers + 1):
            mapping[f"10.0.2.2{n}:8000"] = self.local(API + n)
            mapping[f"10.0.2.2{n}:8001"] = self.local(LIVE + n)
            mapping[f"10.0.2.2{n}:8002"] = self.local(WORKER + n)
        return mapping

    def localize(self, text: str) -> str:
        mapping = self.address_map()
        lines = []
        for line in text.splitlines():
            addresses = re.findall(r"\b10\.0\.\d+\.\d+:\d+", line)
            if any(a not in mapping for a in addresses):
                continue
            for address in addresses:
                line = line.replace(address, mapping[address])
                # HAProxy checks a database member on its Patroni API's port.
                if address.endswith(":5432"):
                    line = line.replace("port 8008",
                                        f"port {mapping[address.replace(':5432', ':8008')]}"
                                        .replace(f"{LOCAL}:", ""))
            lines.append(line)
        return "\n".join(lines) + "\n"

    # ---- configuration ---------------------------------------------------------------------
    def member_dir(self, name: str) -> Path:
        return self.dir / name

    def patroni_config(self, n: int) -> dict:
        """deploy/cluster/patroni/pgN.yml with local addresses, directories and trust."""
        name = f"pg{n}"
        home = self.member_dir(name)
        config = yaml.safe_load((DEPLOY / "patroni" / f"{name}.yml").read_text())
        config["restapi"]["listen"] = config["restapi"]["connect_address"] = \
            self.local(PATRONI_API + n)
        config["etcd3"]["hosts"] = self.local(ETCD)
        pg = config["postgresql"]
        pg["listen"] = pg["connect_address"] = self.local(PG + n)
        pg["data_dir"] = str(home / "data")
        pg["pgpass"] = str(home / "pgpass")
        pg["parameters"]["unix_socket_directories"] = str(home)
        # One machine, one operator: no passwords on the loopback.
        pg["pg_hba"] = ["local all all trust", f"host all all {LOCAL}/32 trust",
                        f"host replication all {LOCAL}/32 trust"]
        # The faults made here kill processes, never the machine: what PostgreSQL wrote is
        # in the page cache either way, and without fsync the cluster starts and fails over
        # in a fraction of the time. Never on a real machine.
        config["bootstrap"]["dcs"]["postgresql"]["parameters"]["fsync"] = "off"
        # No machine to reboot: one machine holds every member.
        config["watchdog"] = {"mode": "off"}
        return config

    def pgbackrest_config(self, n: int) -> str:
        """deploy/cluster/pgbackrest.conf for member n: its data, one repository for all."""
        home = self.member_dir(f"pg{n}")
        values = {"repo1-path": self.dir / "backup", "pg1-path": home / "data",
                  "pg1-port": self.port(PG + n), "pg1-socket-path": home}
        text = (DEPLOY / "pgbackrest.conf").read_text()
        for key, value in values.items():
            text = re.sub(rf"^{key}=.*$", f"{key}={value}", text, flags=re.M)
        # Logs and locks of each member beside its data (three members share this machine).
        return text.replace("[global]\n", f"[global]\nlog-path={home}\nlock-path={home}\n"
                                          f"spool-path={home}\n", 1)

    def app_env(self) -> dict[str, str]:
        """The application's environment (deploy/kiemdich.env.example on a server)."""
        keys = {}
        for name in ("secret-key", "key-encryption-key", "audit-key", "metrics-token"):
            key_file = self.dir / name
            if not key_file.exists():
                key_file.write_text(secrets.token_urlsafe(48))
            keys[name] = key_file.read_text().strip()
        return {"DEBUG": "0", "SECRET_KEY": keys["secret-key"],
                "KEY_ENCRYPTION_KEY": keys["key-encryption-key"],
                "AUDIT_KEY": keys["audit-key"],
                "DATABASE_URL": self.database_url, "DB_POOL": "1",
                "REDIS_URL": f"redis://{self.local(REDIS)}/0", "PUBSUB_BACKEND": "redis",
                "PUBLIC_BASE_URL": self.base_url, "ALLOWED_HOSTS": f"{LOCAL},localhost",
                "CSRF_TRUSTED_ORIGINS": self.base_url, "SECURE_COOKIES": "0",
                # HAProxy (option forwardfor) names the client; here it runs on this machine.
                "TRUSTED_PROXIES": LOCAL,
                "SMS_BACKEND": "file", "KIEMDICH_DATA_DIR": str(self.dir / "app"),
                "LOG_LEVEL": "WARNING", "METRICS_TOKEN": keys["metrics-token"],
                **self.app_settings}

    def process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE",
                            "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")}
        return {**env, **self.app_env(), "PYTHONPATH": str(ROOT)}

    def write_configs(self) -> None:
        for sub in ("logs", "app", "etcd", "redis", "metrics"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        for n in range(1, self.databases + 1):
            home = self.member_dir(f"pg{n}")
            home.mkdir(exist_ok=True)
            (home / "patroni.yml").write_text(yaml.safe_dump(self.patroni_config(n),
                                                             sort_keys=False))
            (home / "pgbackrest.conf").write_text(self.pgbackrest_config(n))
            self._give_to_postgres(home)
        (self.dir / "backup").mkdir(exist_ok=True)
        self._give_to_postgres(self.dir / "backup")
        haproxy = self.localize((DEPLOY / "haproxy.cfg").read_text())
        haproxy = haproxy.replace("/etc/haproxy/errors/", f"{DEPLOY}/errors/").replace(
            "Host kiemdich.example.vn", f"Host {LOCAL}")
        (self.dir / "haproxy.cfg").write_text(haproxy)
        prometheus = self.localize((DEPLOY / "prometheus.yml").read_text()).replace(
            "/etc/prometheus/kiemdich-metrics-token", str(self.dir / "metrics-token")).replace(
            "scrape_interval: 15s", "scrape_interval: 2s")  # the test waits for a scrape
        (self.dir / "prometheus").mkdir(exist_ok=True)
        (self.dir / "prometheus.yml").write_text(prometheus)
        shutil.copy(ROOT / "deploy" / "prometheus" / "alerts.yml", self.dir / "alerts.yml")
        (self.dir / "kiemdich.env").write_text(
            "".join(f"{k}={v}\n" for k, v in self.app_env().items()))

    @staticmethod
    def _give_to_postgres(path: Path) -> None:
        if os.geteuid() == 0:
            for sub in (path, *path.rglob("*")):
                shutil.chown(sub, POSTGRES_USER, POSTGRES_USER)

    # ---- processes -------------------------------------------------------------------------
    def spawn(self, member: Member, command: list[str], env: dict[str, str] | None = None,
              as_postgres: bool = False) -> None:
        """Start a member in its own session (it outlives this script; `down` stops it)."""
        user = {}
        if as_postgres and os.geteuid() == 0:
            user = {"user": POSTGRES_USER, "group": POSTGRES_USER, "extra_groups": []}
            env = {**(env or os.environ), "HOME": os.path.expanduser(f"~{POSTGRES_USER}"),
                   "USER": POSTGRES_USER}
        with open(self.logs / f"{member.name}.log", "ab") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True, **user)
        member.pid = process.pid
        if member.kind == "postgres":
            member.patroni_pid, member.pid = process.pid, None
        self.members[member.name] = member

    def start(self, name: str) -> None:
        """Start one member (again): after `kill -9`, or at `up`."""
        if name == "etcd":
            peer = f"http://{self.local(ETCD_PEER)}"
            client = f"http://{self.local(ETCD)}"
            self.spawn(Member("etcd", "etcd", self.local(ETCD)), [
                "etcd", "--name", "local", "--data-dir", str(self.dir / "etcd"),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"local={peer}", "--initial-cluster-token", "kiemdich"])
        elif name.startswith("pg"):
            n = int(name[2:])
            home = self.member_dir(name)
            env = {**os.environ, "PGBACKREST_CONFIG": str(home / "pgbackrest.conf")}
            self.spawn(Member(name, "postgres", self.local(PG + n),
                              patroni_api=self.local(PATRONI_API + n),
                              data_dir=str(home / "data")),
                       ["patroni", str(home / "patroni.yml")], env, as_postgres=True)
        elif name == "haproxy":
            self.spawn(Member("haproxy", "haproxy", self.local(PUBLIC)),
                       ["haproxy", "-db", "-f", str(self.dir / "haproxy.cfg")])
        elif name == "redis":
            self.spawn(Member("redis", "redis", self.local(REDIS)), [
                "redis-server", "--port", str(self.port(REDIS)), "--bind", LOCAL,
                "--save", "", "--appendonly", "no", "--dir", str(self.dir / "redis")])
        elif name.startswith("postgres-exporter"):
            n = int(name.removeprefix("postgres-exporter"))
            self.spawn(Member(name, "exporter", self.local(POSTGRES_EXPORTER + n)), [
                "prometheus-postgres-exporter",
                f"--web.listen-address={self.local(POSTGRES_EXPORTER + n)}"],
                {**os.environ, "DATA_SOURCE_NAME": f"postgresql://postgres@{self.local(PG + n)}"
                                                   "/postgres?sslmode=disable"})
        elif name == "redis-exporter":
            self.spawn(Member(name, "exporter", self.local(REDIS_EXPORTER)), [
                "prometheus-redis-exporter", f"-redis.addr=redis://{self.local(REDIS)}",
                f"-web.listen-address={self.local(REDIS_EXPORTER)}"])
        elif name == "prometheus":
            self.spawn(Member("prometheus", "prometheus", self.local(PROMETHEUS)), [
                "prometheus", f"--config.file={self.dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.dir / 'prometheus'}",
                f"--web.listen-address={self.local(PROMETHEUS)}"])
        elif name.startswith("api"):
            n = int(name[3:])
            env = {**self.process_env(), "PYTHON": sys.executable, "HOST": LOCAL,
                   "PORT": str(self.port(API + n)), "WORKERS": "1", "THREADS": "4"}
            self.spawn(Member(name, "api", self.local(API + n)),
                       [str(ROOT / "deploy" / "serve-api")], env)
        elif name.startswith("worker"):
            n = int(name[6:])
            # Its metrics (kiemdich/jobs/worker.py): each process of the worker writes them to
            # a directory of its own, emptied at each start, and it answers them on its port.
            metrics = self.dir / "metrics" / name
            shutil.rmtree(metrics, ignore_errors=True)
            metrics.mkdir(parents=True)
            self.spawn(Member(name, "worker", self.local(WORKER + n), role="jobs"),
                       [sys.executable, "manage.py", "run_worker"],
                       {**self.process_env(), "PROMETHEUS_MULTIPROC_DIR": str(metrics),
                        "JOB_METRICS_HOST": LOCAL, "JOB_METRICS_PORT": str(self.port(WORKER + n))})
        elif name.startswith("live"):
            n = int(name[4:])
            self.spawn(Member(name, "live", self.local(LIVE + n)), [
                sys.executable, "-m", "uvicorn", "kiemdich.asgi:application", "--host", LOCAL,
                "--port", str(self.port(LIVE + n)), "--no-access-log",
                "--timeout-graceful-shutdown", "5"], self.process_env())
        else:
            raise ValueError(f"no member {name!r}")
        self.write_topology()

    def up(self) -> None:
        if any(alive(m.pid) or alive(m.patroni_pid) for m in self.members.values()):
            raise SystemExit(f"already running ({self.topology_file}); `make cluster-down`")
        self.members = {}
        self.write_configs()
        self.start("etcd")
        wait_for(lambda: _get(f"http://{self.local(ETCD)}/health") == 200, "etcd")
        # All at once: one wins Patroni's initialize key and bootstraps, the others copy it.
        for n in range(1, self.databases + 1):
            self.start(f"pg{n}")
        wait_for(self.healthy_database, "a leader, its synchronous standby and the replicas",
                 seconds=120)
        self.start("haproxy")
        self.start("redis")
        # HAProxy takes every server for up until its checks say otherwise.
        wait_for(lambda: self.routed("postgres_write") == [self.leader().name],
                 "HAProxy's write port on the leader alone")
        if self.psql("SELECT count(*) FROM pg_database WHERE datname = 'kiemdich'",
                     "postgres") == "0":
            self.psql("CREATE DATABASE kiemdich", "postgres")
        self.pgbackrest("stanza-create")
        for command in (["migrate", "--noinput"], ["load_areas"],
                        ["collectstatic", "--noinput"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT,
                           env=self.process_env(), check=True, stdout=subprocess.DEVNULL)
        servers = [f"{kind}{n}" for n in range(1, self.app_servers + 1) for kind in ("api", "live")]
        for name in servers:
            self.start(name)
        for name in servers:
            wait_for(lambda name=name: _get(f"http://{self.members[name].address}"
                                            "/api/v1/health") == 200, name, seconds=60)
        wait_for(lambda: _get(self.base_url + "/api/v1/health") == 200, "the public URL")
        workers = [f"worker{n}" for n in range(1, self.app_servers + 1)]
        for name in workers:
            self.start(name)
        for name in workers:
            wait_for(lambda name=name: self.worker_started(name), name, seconds=60)
        exporters = [*(f"postgres-exporter{n}" for n in range(1, self.databases + 1)),
                     "redis-exporter"]
        for name in exporters:
            self.start(name)
        for name in exporters:
            wait_for(lambda name=name: _get(f"http://{self.members[name].address}/metrics")
                     == 200, name)
        self.start("prometheus")
        wait_for(lambda: _get(f"http://{self.local(PROMETHEUS)}/-/ready") == 200, "Prometheus")
        self.write_topology()

    # Stopped in this order: nothing writes any more when the databases stop, the replicas
    # stop before the leader (no failover on the way down), etcd last.
    STOP_ORDER = ("prometheus", "exporter", "worker", "api", "live", "haproxy", "redis",
                  "replica", "leader", "etcd")

    def down(self) -> None:
        if not self.topology_file.exists():
            return  # never started here
        self.refresh_roles()

        def rank(member: Member) -> int:
            kind = member.kind
            if kind == "postgres":
                kind = "leader" if member.role == "leader" else "replica"
            return self.STOP_ORDER.index(kind)

        for member in sorted(self.members.values(), key=rank):
            # A worker's group only while its main process is ours to stop: the number of a
            # group long gone may belong to another one by now.
            running_worker = member.kind == "worker" and alive(member.pid)
            for pid in (member.pid, member.patroni_pid) if member.kind != "postgres" \
                    else (member.patroni_pid, self.postmaster_pid(member)):
                _stop(pid)
            if running_worker:
                _kill_group(member.pid)  # what its main process left of its workers
            member.pid = member.patroni_pid = None
        self.write_topology()

    # ---- state -----------------------------------------------------------------------------
    def database_members(self) -> list[Member]:
        return [m for m in self.members.values() if m.kind == "postgres"]

    def patroni_cluster(self) -> list[dict]:
        """Patroni's view of the members (GET /cluster), from any member that answers."""
        for member in self.database_members():
            try:
                return httpx.get(f"http://{member.patroni_api}/cluster",
                                 timeout=1).json()["members"]
            except (httpx.HTTPError, ValueError, KeyError):
                continue
        return []

    def worker_started(self, name: str) -> bool:
        """The worker answers its metrics (kiemdich/jobs/worker.py)."""
        member = self.members[name]
        if not alive(member.pid):
            raise RuntimeError(f"{name} exited: {(self.logs / f'{name}.log').read_text()[-3000:]}")
        return _get(f"http://{member.address}/metrics", self.app_env()["METRICS_TOKEN"]) == 200

    def healthy_database(self) -> bool:
        members = self.patroni_cluster()
        roles = sorted(m["role"] for m in members)
        return (len(members) == self.databases
                and all(m["state"] in ("running", "streaming") for m in members)
                and roles.count("leader") == 1 and "sync_standby" in roles)

    @staticmethod
    def postmaster_pid(member: Member) -> int | None:
        try:
            return int((Path(member.data_dir) / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError, PermissionError):
            return None

    def refresh_roles(self) -> None:
        roles = {m["name"]: m["role"] for m in self.patroni_cluster()}
        for member in self.database_members():
            member.role = roles.get(member.name, "down")
            member.pid = self.postmaster_pid(member) if alive(member.patroni_pid) else None
            if not alive(member.pid):
                member.pid = None

    def write_topology(self) -> None:
        self.refresh_roles()
        topology = {"base_url": self.base_url, "database_url": self.database_url,
                    "replica_url": self.replica_url, "env": self.app_env(),
                    "members": [asdict(m) for m in self.members.values()]}
        self.topology_file.write_text(json.dumps(topology, indent=2, ensure_ascii=False))

    def leader(self) -> Member | None:
        self.refresh_roles()
        return next((m for m in self.database_members() if m.role == "leader"), None)

    # ---- tools -----------------------------------------------------------------------------
    def psql(self, statement: str, database: str = "kiemdich", address: str | None = None,
             timeout: float = 10) -> str:
        """One statement through HAProxy's write port (or at `address`), its output."""
        host, port = (address or self.local(HAPROXY_WRITE)).split(":")
        done = subprocess.run([f"{PG_BIN}/psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-h", host, "-p", port, "-U", "postgres", "-d", database,
                               "-c", statement],
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PGCONNECT_TIMEOUT": "2"})
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip())
        return done.stdout.strip()

    def routed(self, backend: str) -> list[str]:
        """The servers of a HAProxy backend it sends connections to now (its stats page)."""
        try:
            rows = httpx.get(f"http://{self.local(STATS)}/;csv", timeout=2).text
        except httpx.HTTPError:
            return []
        fields = [row.split(",") for row in rows.lstrip("# ").splitlines()]
        names = fields[0]
        # "UP 1/2": one check failed, not yet enough to take the server out — still routed.
        return [dict(zip(names, row, strict=False))["svname"] for row in fields[1:]
                if row[0] == backend
                and dict(zip(names, row, strict=False))["status"].split(" ")[0] == "UP"
                and row[1] not in ("FRONTEND", "BACKEND")]

    def try_psql(self, statement: str, address: str | None = None) -> str | None:
        try:
            return self.psql(statement, "postgres", address, timeout=5)
        except (RuntimeError, subprocess.TimeoutExpired):
            return None

    def pgbackrest(self, *args: str) -> str:
        """pgBackRest with the leader's configuration (backups run on the leader)."""
        leader = self.leader()
        assert leader is not None, "no leader"
        config = Path(leader.data_dir).parent / "pgbackrest.conf"
        command = ["pgbackrest", f"--config={config}", "--stanza=kiemdich", *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", POSTGRES_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"pgbackrest {' '.join(args)}: {done.stdout[-2000:]}"
                               f"{done.stderr[-2000:]}")
        return done.stdout


def free_port_base(first: int = 17100, last: int = 17900) -> int:
    """A base (a multiple of 100 in first–last) whose every port is free: a test or
    benchmark cluster beside `make cluster` and beside other runs on the same machine."""
    offsets = (ETCD, ETCD_PEER, *(PG + n for n in (1, 2, 3)),
               *(PATRONI_API + n for n in (1, 2, 3)), HAPROXY_WRITE, HAPROXY_READ, PUBLIC,
               STATS, *(API + n for n in (1, 2)), *(LIVE + n for n in (1, 2)),
               *(WORKER + n for n in (1, 2)), REDIS, PROMETHEUS,
               *(POSTGRES_EXPORTER + n for n in (1, 2, 3)), REDIS_EXPORTER)
    for base in range(first, last + 1, 100):
        try:
            for offset in offsets:
                with socket.socket() as probe:
                    probe.bind((LOCAL, base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no free ports between {first} and {last + 99}")


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of a session that no longer exists is reaped by init; a zombie is dead.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _stop(pid: int | None, seconds: float = 30) -> None:
    """SIGTERM (Patroni then stops its PostgreSQL; granian and uvicorn finish their
    requests), SIGKILL if it is still there after `seconds`."""
    if not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def _kill_group(pgid: int | None) -> None:
    """SIGKILL to what is left of a member's session (spawn starts each in its own)."""
    if pgid:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def _get(url: str, token: str = "") -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        return httpx.get(url, timeout=2, headers=headers).status_code
    except httpx.HTTPError:
        return 0


def wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise RuntimeError(f"timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "cluster")
    parser.add_argument("--port-base", type=int, default=17000)
    parser.add_argument("--databases", type=int, default=3)
    args = parser.parse_args()
    cluster = Cluster(args.dir, args.port_base, args.databases)
    if args.command == "up":
        cluster.up()
    elif args.command == "down":
        cluster.down()
        return
    cluster.write_topology()
    print(f"{cluster.base_url}  (topology: {cluster.topology_file})")
    for member in cluster.members.values():
        state = member.role if member.kind == "postgres" else \
            ("running" if alive(member.pid) else "down")
        print(f"  {member.name:18} {member.kind:10} {state:13} {member.address:16} "
              f"pid {member.pid}")


if __name__ == "__main__":
    main()
