"""`python -m tests.cluster.replica_probe`, in the environment of a cluster with
DATABASE_REPLICA_URL set: an admin reads the dashboard, coverage and tracing pages and GET
/api/v1/stats, then writes (changes the page language) and reads the dashboard and the
statistics again. Prints, per visit, where its queries went and what the page or the answer
said about freshness, as one JSON line."""

from __future__ import annotations

import json
import os
import re

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kiemdich.accounts.models import Role  # noqa: E402
from kiemdich.accounts.services import grant_role  # noqa: E402

FRESHNESS = re.compile(r'<p class="freshness"[^>]*>([^<]*)</p>')


def visit(client: Client, path: str) -> dict:
    with CaptureQueriesContext(connections["replica"]) as replica, \
            CaptureQueriesContext(connections["default"]) as leader:
        response = client.get(path)
    if path.startswith("/api/"):
        freshness = response.json()["replica_lag_seconds"]
    else:
        found = FRESHNESS.search(response.content.decode())
        freshness = found.group(1).strip() if found else None
    return {"path": path, "status": response.status_code,
            "replica_queries": len(replica), "leader_queries": len(leader),
            "freshness": freshness}


def main() -> dict:
    admin = grant_role("0912000777", Role.ADMIN).user
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    reads = [visit(client, path) for path in ("/reports/", "/reports/coverage/",
                                              "/tracing/", "/api/v1/stats")]
    wrote = client.post("/i18n/setlang/", {"language": "vi", "next": "/"}).status_code
    return {"reads": reads, "write_status": wrote,
            "after_write": [visit(client, path) for path in ("/reports/", "/api/v1/stats")]}


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
