"""Through a real nginx (Debian's package, configured by deploy/nginx/kiemdich.conf) in front
of the API server as deployed: two clients behind the proxy get separate per-address buckets,
a forged X-Forwarded-For gains nothing through the proxy, and one sent straight to the server
by a peer that is not the proxy is ignored."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.faults.harness import ROOT, ApiServer, manage, server_env
from tests.scans.servers import free_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


class Nginx:
    """nginx with the deployed site file, its upstream pointed at `api_port`."""

    def __init__(self, root: Path, api_port: int) -> None:
        self.root, self.port = root, free_port()
        site = (ROOT / "deploy" / "nginx" / "kiemdich.conf").read_text()
        assert "server 127.0.0.1:8000;" in site and "listen 80;" in site
        site = (site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{api_port};")
                .replace("listen 80;", f"listen 127.0.0.1:{self.port};"))
        temp = "".join(f"{kind}_temp_path {root}/{kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (root / "nginx.conf").write_text(
            f"worker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n"
            "events { worker_connections 64; }\n"
            f"http {{\naccess_log off;\n{temp}{site}\n}}\n")
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Nginx:
        self.process = subprocess.Popen(
            [NGINX, "-e", str(self.root / "error.log"), "-p", str(self.root),
             "-c", str(self.root / "nginx.conf"), "-g", "daemon off;"])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "error.log").read_text())
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _client(base: str, source: str) -> httpx.Client:
    """A client whose connections come from `source` (any 127.x address is this machine)."""
    return httpx.Client(base_url=base, timeout=15,
                        transport=httpx.HTTPTransport(local_address=source))


def test_clients_behind_nginx_get_their_own_buckets_and_forgeries_gain_nothing(tmp_path):
    if NGINX is None:
        pytest.skip("nginx is missing: apt-get install nginx (.ci/run installs it)")
    (tmp_path / "nginx").mkdir()
    env = server_env(f"sqlite:///{tmp_path}/db.sqlite3", tmp_path,
                     TRUSTED_PROXIES="127.0.0.1", OTP_SEND_PER_IP_PER_HOUR="2")
    manage(env, "migrate", "--noinput")
    phones = iter(f"09160{n:05d}" for n in range(100))

    def ask(client: httpx.Client, forged: str | None = None) -> int:
        headers = {"X-Forwarded-For": forged} if forged else {}
        return client.post("/api/v1/auth/otp", json={"phone": next(phones)},
                           headers=headers).status_code

    with ApiServer(env, workers=1) as api, Nginx(tmp_path / "nginx", api.port) as nginx:
        proxy = f"http://127.0.0.1:{nginx.port}"
        with _client(proxy, "127.0.0.2") as first, _client(proxy, "127.0.0.3") as second, \
                _client(api.url, "127.0.0.4") as direct:
            first_answers = [ask(first) for _ in range(3)]
            # A fresh forged address each time: the proxy appends the real one.
            second_answers = [ask(second, f"198.51.100.{n}") for n in range(3)]
            # Straight to the server, not through the proxy: the header is not read at all.
            direct_answers = [ask(direct, f"203.0.113.{n}") for n in range(3)]
    print(f"\nthrough nginx: first client {first_answers}, second (forging) {second_answers};"
          f" direct (forging) {direct_answers}")
    assert first_answers == [202, 202, 429]
    assert second_answers == [202, 202, 429]
    assert direct_answers == [202, 202, 429]
