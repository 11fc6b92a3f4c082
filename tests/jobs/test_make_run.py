"""`make run` is one command for the server and a job worker: on a fresh SQLite database,
with no configuration, the site answers and the worker runs the schedule (today's
statistics are computed by it); Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
import urllib.request

import pytest
from django.conf import settings

from tests.faults.harness import ROOT
from tests.scans.servers import free_port


def _runs(database) -> list[tuple[str, str]]:
    if not database.exists():
        return []
    with sqlite3.connect(database) as conn:
        try:
            return conn.execute("SELECT name, status FROM jobs_jobrun").fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return []


@pytest.mark.skipif(settings.IS_POSTGRES, reason="make run uses SQLite: the SQLite pass runs it")
def test_make_run_serves_and_its_worker_runs_the_schedule(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in (
        "DATABASE_URL", "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE", "DEBUG",
        "SECRET_KEY", "SMS_BACKEND", "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")}
    port = free_port()
    env.update({"KIEMDICH_DATA_DIR": str(tmp_path), "PORT": str(port)})
    log = open(tmp_path / "make-run.log", "wb")  # noqa: SIM115 (kept open for the process)
    process = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    database = tmp_path / "kiemdich.sqlite3"
    try:
        deadline = time.monotonic() + 400
        status = None
        while status != 200 or ("stats.today", "ok") not in _runs(database):
            assert process.poll() is None, (tmp_path / "make-run.log").read_text()[-4000:]
            assert time.monotonic() < deadline, (tmp_path / "make-run.log").read_text()[-4000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:  # noqa: S310
                    status = answer.status
            except OSError:
                pass
            time.sleep(1)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole group
        process.wait(60)
        log.close()
    time.sleep(1)
    left = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True)
    assert left.stdout.strip() == "", (tmp_path / "make-run.log").read_text()[-4000:]
