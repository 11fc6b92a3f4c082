"""A roster import of many rows through a real worker: rows per second.

    .venv/bin/python bench/imports.py [--rows 1000000] [--database postgres|sqlite]

A roster CSV of --rows people (name and phone) is stored as an import's upload, as the page
stores it, then one `run_worker` (JOB_WORKERS=1, the production timeout) is started: the
time from its start to the task done counts the worker's start-up, the row count, every
chunk's check and upsert and its committed progress. A second import of the same file (every
row an update) is timed the same way. The database is made afresh (PostgreSQL: a database
`kiemdich_bench_imports` on BENCH_PG, default the local server; SQLite: a file under
var/bench-imports). Prints the figures and writes bench/results/imports-<time>.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))

from bench.jobs import _fresh_database, _stop, bench_env, save_results  # noqa: E402


def roster_pieces(rows: int, piece_rows: int = 20_000):
    yield b"full_name,phone,id_number\n"
    for start in range(0, rows, piece_rows):
        yield "".join(f"Nguyễn Văn {i},0913{i:06d},\n"
                      for i in range(start, min(rows, start + piece_rows))).encode()


def timed_import(env: dict[str, str], organisation, user, rows: int, log: Path) -> dict:
    from kiemdich.accounts.scopes import Scope
    from kiemdich.jobs.models import Task
    from kiemdich.reports import imports

    task = imports.start_import(Scope(user), user, "roster", roster_pieces(rows),
                                "bench.csv", False, organisation)
    started = time.monotonic()
    with open(log, "ab") as out:
        worker = subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=ROOT,
                                  env={**env, "JOB_WORKERS": "1"}, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not Task.objects.get(pk=task.pk).finished:
            time.sleep(0.2)
        seconds = time.monotonic() - started
    finally:
        _stop(worker)
    task.refresh_from_db()
    if task.status != Task.Status.DONE or task.done != rows:
        raise RuntimeError(f"import ended {task.status} at {task.done}: {task.message}")
    return {"rows": rows, "seconds": round(seconds, 1), "counts": task.counts,
            "rows_per_second": round(rows / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    data = ROOT / "var" / "bench-imports"
    data.mkdir(parents=True, exist_ok=True)
    if args.database == "postgres":
        url = _fresh_database(os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
                              "kiemdich_bench_imports")
    else:
        (data / "bench.sqlite3").unlink(missing_ok=True)
        url = f"sqlite:///{data / 'bench.sqlite3'}"
    env = bench_env(url, data)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kiemdich.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from kiemdich.accounts.scopes import Scope
    from kiemdich.accounts.services import grant_role
    from kiemdich.areas.models import Area
    from kiemdich.areas.services import file_tree, load_tree
    from kiemdich.reports import imports

    call_command("migrate", verbosity=0)
    load_tree(file_tree(ROOT / "tests" / "fixtures" / "areas-3level.json"))
    user = grant_role("0912000999", "officer", Area.objects.get(code="75")).user
    organisation = imports.organisation_for(Scope(user), user, "Công ty May", "25993",
                                            "labour")
    log = data / "worker.log"
    results = {"database": args.database}
    for name in ("first", "again"):
        results[name] = row = timed_import(env, organisation, user, args.rows, log)
        print(f"roster import ({name}, {args.database}): {row['rows']} rows in "
              f"{row['seconds']} s = {row['rows_per_second']} rows/s {row['counts']}",
              flush=True)
    save_results("imports", results)


if __name__ == "__main__":
    main()
