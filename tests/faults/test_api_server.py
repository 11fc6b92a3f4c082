"""The API server's own processes failing, as deployed: granian through `deploy/serve-api`,
reloaded with the systemd unit's ExecReload, on a PostgreSQL of the test's own, under a steady
load of reader scans. A worker killed with SIGKILL is replaced while the others answer; a
reload refuses no request (a restart, as before, refuses them for a second or two); photo
bombs are refused without the server's memory growing, and it goes on answering."""

from __future__ import annotations

import io
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import httpx
import pytest
import segno
from PIL import Image

from tests.faults.harness import (
    MIGRATED,
    ROOT,
    ApiServer,
    ScanLoad,
    World,
    build_world,
    own_postgres,
    report,
    server_env,
)

pytestmark = pytest.mark.postgres_only

WORKERS = 2


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> tuple[dict[str, str], World, object]:
    with own_postgres() as postgres:
        # The load is well above one reader's scan limit: the limit is not what is tested.
        env = server_env(postgres.create_database("kiemdich", template=MIGRATED),
                         tmp_path_factory.mktemp("data"), SCAN_RATE_PER_MINUTE="1000000")
        yield env, build_world(env, people=20), postgres


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {seconds} s")
        time.sleep(0.05)


def unit_reload(server: ApiServer) -> None:
    """`systemctl reload kiemdich-api`: the unit's ExecReload, with the server's main PID."""
    unit = (ROOT / "deploy" / "kiemdich-api.service").read_text()
    command = next(line.split("=", 1)[1] for line in unit.splitlines()
                   if line.startswith("ExecReload="))
    assert server.process is not None
    subprocess.run(shlex.split(command.replace("$MAINPID", str(server.process.pid))),
                   check=True)


def lost(postgres, load: ScanLoad) -> set[str]:
    """The nonces of acknowledged scans that the database does not hold."""
    stored = set(postgres.sql("SELECT nonce FROM scans_scan", database="kiemdich").split())
    return {a.nonce for a in load.acknowledged()} - stored


def figures(load: ScanLoad) -> dict[str, object]:
    return {"answers": dict(sorted(load.statuses().items())),
            "seconds_without_service": round(load.longest_gap(), 2)}


def test_a_killed_worker_is_replaced_while_the_others_go_on_answering(deployment):
    env, world, postgres = deployment
    with ApiServer(env, workers=WORKERS) as server, ScanLoad(server.url, world) as load:
        time.sleep(2)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_until(lambda: victim not in server.worker_pids()
                   and len(server.worker_pids()) == WORKERS)
        replaced_after = time.monotonic() - killed_at
        time.sleep(4)
        workers_now = server.worker_pids()
        assert server.process.poll() is None, "the server shut down"
    report("worker killed", **figures(load), replaced_after_s=round(replaced_after, 2))
    assert len(workers_now) == WORKERS and victim not in workers_now
    # Only a scan the killed worker was answering may go unanswered (the reader sends it
    # again); from two seconds after the kill on, every scan is acknowledged.
    later = [a for a in load.answers if a.at >= killed_at + 2]
    assert later and {a.status for a in later} == {201}
    assert lost(postgres, load) == set()


def test_a_reload_under_load_refuses_no_request_where_a_restart_did(deployment):
    """As operations.md asks, the interval between a new worker's start and its predecessor's
    stop is set well above the time a worker takes to start — here measured on this machine,
    which may be running the rest of the suite."""
    env, world, postgres = deployment
    with ApiServer(env, workers=WORKERS) as probe:
        interval = max(10, round(4 * probe.started_in))
    server = ApiServer({**env, "RESPAWN_INTERVAL": str(interval)}, workers=WORKERS)
    server.start()
    try:
        # Before: a new release was put in service by restarting the server.
        with ScanLoad(server.url, world) as restart:
            time.sleep(2)
            server.stop()
            server.start()
            time.sleep(2)
        # Now: `systemctl reload`, workers replaced one by one.
        old_workers = set(server.worker_pids())
        with ScanLoad(server.url, world) as reload:
            time.sleep(2)
            unit_reload(server)
            wait_until(lambda: not old_workers & set(server.worker_pids())
                       and len(server.worker_pids()) == WORKERS, WORKERS * interval + 60)
            time.sleep(2)
    finally:
        server.stop()
    failed = {"restart": sum(a.status != 201 for a in restart.answers),
              "reload": sum(a.status != 201 for a in reload.answers)}
    report("restart (before)", **figures(restart), failed=failed["restart"])
    report("reload (after)", **figures(reload), failed=failed["reload"],
           respawn_interval_s=interval)
    assert failed["reload"] == 0, [a for a in reload.answers if a.status != 201][:5]
    assert len(reload.answers) > 100  # the load went on for the whole reload
    assert lost(postgres, reload) == set()


def photo_bomb(text: str) -> bytes:
    """A 6300×6300 RGB PNG of a QR code on white: about 130 KB that decode to 160 MB."""
    picture = io.BytesIO()
    segno.make(text, error="m").save(picture, kind="png", scale=40, border=4)
    page = Image.new("RGB", (6300, 6300), "white")
    page.paste(Image.open(io.BytesIO(picture.getvalue())), (100, 100))
    out = io.BytesIO()
    page.save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_photo_bombs_leave_the_servers_memory_bounded_and_it_goes_on_answering(deployment):
    env, world, _postgres = deployment
    bomb = photo_bomb(world.codes[0])
    small = io.BytesIO()
    segno.make(world.codes[1], error="m").save(small, kind="png", scale=8, border=4)
    headers = {"Authorization": f"Device {world.device_token}"}
    answers: list[httpx.Response] = []

    with ApiServer(env, workers=WORKERS) as server:
        url = f"{server.url}/api/v1/venues/{world.venue_id}/scans/decode-photo"

        def send(data: bytes) -> httpx.Response:
            return httpx.post(url, files={"photo": ("photo.png", data, "image/png")},
                              headers=headers, timeout=60)

        for _ in range(2 * WORKERS):  # every worker has decoded a photo: libraries loaded
            assert send(small.getvalue()).status_code == 200
        before = server.rss_mib()
        with ScanLoad(server.url, world) as load:
            time.sleep(1)
            senders = [threading.Thread(target=lambda: answers.append(send(bomb)))
                       for _ in range(8)]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join(120)
            after = server.rss_mib()
            time.sleep(1)
        decoded = send(small.getvalue())
    report("8 photo bombs", bomb_bytes=len(bomb), rss_before_mib=before, rss_after_mib=after,
           **figures(load))
    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == (
        [(413, "photo_too_large")] * 8)
    # Decoded, the eight would take more than a gigabyte.
    assert after - before < 64
    assert load.answers and {a.status for a in load.answers} == {201}
    assert decoded.json() == {"text": world.codes[1]}
