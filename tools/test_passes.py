"""`make test`: the SQLite and the PostgreSQL passes of the suite at the same time.

Most of a pass's time is its tests waiting on the processes they start (job workers, API
servers, PostgreSQL and Redis of their own, Chromium), so two passes share two cores far
better than one pass leaves them: the suite ends in about the time of its longer pass. Each
pass writes its own log (var/test-logs/); while they run, one line a minute says how far each
is, and when both have ended each log is printed whole, one after the other, so the output
reads pass by pass. The exit status is non-zero when either pass failed.

    .venv/bin/python tools/test_passes.py   # make test PYTEST_ARGS=… reaches both passes
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "test-logs"
PASSES = {"SQLite": "test-sqlite", "PostgreSQL": "test-postgres"}
# pytest's progress: "[ 42%]" at the end of each line of dots.
_PROGRESS = re.compile(rb"\[\s*(\d+)%\]")


def _progress(log: Path) -> str:
    found = _PROGRESS.findall(log.read_bytes()[-4000:]) if log.exists() else []
    return f"{int(found[-1])} %" if found else "starting"


def main() -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    running: dict[str, tuple[subprocess.Popen, Path]] = {}
    for name, target in PASSES.items():
        log = LOGS / f"{target}.log"
        with log.open("wb") as out:
            running[name] = (subprocess.Popen(
                ["make", "--no-print-directory", target], cwd=ROOT, stdout=out,
                stderr=subprocess.STDOUT), log)
    print(f"make test: the {' and '.join(PASSES)} passes at once, logs in "
          f"{LOGS.relative_to(ROOT)}/", flush=True)
    started = next_line = time.monotonic()
    while any(process.poll() is None for process, _ in running.values()):
        time.sleep(1)
        if time.monotonic() >= next_line + 60:
            next_line += 60
            minutes = round((next_line - started) / 60)
            states = ", ".join(
                f"{name} {_progress(log) if process.poll() is None else 'ended'}"
                for name, (process, log) in running.items())
            print(f"[{minutes} min] {states}", flush=True)
    failed = []
    for name, (process, log) in running.items():
        print(f"\n===== {name} pass (exit {process.returncode}) =====", flush=True)
        sys.stdout.buffer.write(log.read_bytes())
        sys.stdout.flush()
        if process.returncode:
            failed.append(name)
    print(f"\nmake test: {'failed: ' + ', '.join(failed) if failed else 'both passes passed'} "
          f"in {round((time.monotonic() - started) / 60, 1)} min", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
