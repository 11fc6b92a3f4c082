"""Two app servers, each with its own data directory, on one database: they start at the same
moment with no signing key yet and agree on one; a code issued by either scans at the other;
a key rotation while both serve a steady load of scans refuses none, and a code signed with the
new key by one server scans at once at the other, which has not reloaded its keys yet."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import httpx
import pytest

from tests.faults.harness import (
    MIGRATED,
    ApiServer,
    ScanLoad,
    World,
    build_world,
    manage,
    own_postgres,
    report,
    server_env,
)

pytestmark = pytest.mark.postgres_only


def issue(server: ApiServer, token: str) -> str:
    """The in-app code of this account's own person, as the app fetches it from `server`."""
    auth = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{server.url}/api/v1/people", headers=auth, timeout=10).json()[0]["id"]
    response = httpx.get(f"{server.url}/api/v1/people/{me}/qr", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["payload"]


def scan(server: ApiServer, world: World, code: str) -> int:
    response = httpx.post(f"{server.url}/api/v1/venues/{world.venue_id}/scans",
                          json={"code": code, "direction": "in"},
                          headers={"Authorization": f"Device {world.device_token}"},
                          timeout=10)
    return response.status_code


def kid(code: str) -> str:
    return code.split(".")[1]


def test_two_servers_share_their_keys_and_a_rotation_while_both_run(tmp_path):
    with own_postgres() as postgres:
        database = postgres.create_database("kiemdich", template=MIGRATED)
        env = server_env(database, tmp_path / "setup", SCAN_RATE_PER_MINUTE="1000000")
        world = build_world(env, people=12)
        # A fresh deployment: no key yet (the world's own codes are not used).
        postgres.sql("DELETE FROM people_signingkey", database="kiemdich")
        # A reloads its keys every second, B at the default minute.
        a = ApiServer({**env, "KIEMDICH_DATA_DIR": str(tmp_path / "a"),
                       "KEYRING_REFRESH_SECONDS": "1"})
        b = ApiServer({**env, "KIEMDICH_DATA_DIR": str(tmp_path / "b")})
        starters = [threading.Thread(target=s.start) for s in (a, b)]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join()
        try:
            # Both servers are asked for codes at the same moment, neither has a key yet.
            codes: list[str] = [""] * len(world.person_tokens)

            def fetch(index: int) -> None:
                codes[index] = issue((a, b)[index % 2], world.person_tokens[index])

            fetchers = [threading.Thread(target=fetch, args=(i,)) for i in range(len(codes))]
            for fetcher in fetchers:
                fetcher.start()
            for fetcher in fetchers:
                fetcher.join()
            keys_made = int(postgres.sql("SELECT count(*) FROM people_signingkey",
                                         database="kiemdich"))
            assert keys_made == 1 and len({kid(c) for c in codes}) == 1
            # Each code at the server that did not issue it.
            crossed = [scan((b, a)[i % 2], world, code) for i, code in enumerate(codes)]
            assert crossed == [201] * len(codes)

            old_kid = kid(codes[0])
            with ScanLoad(b.url, replace(world, codes=codes), rate=20) as load:
                time.sleep(1)
                rotated_at = time.monotonic()
                manage({**env, "KIEMDICH_DATA_DIR": str(tmp_path / "admin")},
                       "signing_keys", "rotate")
                fresh = issue(a, world.person_tokens[0])
                while kid(fresh) == old_kid:
                    assert time.monotonic() - rotated_at < 30, "A still signs with the old key"
                    time.sleep(0.2)
                    fresh = issue(a, world.person_tokens[0])
                a_signs_new_after = time.monotonic() - rotated_at
                # B loaded its keys before the rotation and would not reload for a minute.
                new_at_b = scan(b, world, fresh)
                old_at_a = scan(a, world, codes[1])
                time.sleep(1)
        finally:
            a.stop()
            b.stop()
    report("two servers, one database", keys_made=keys_made, crossed=len(crossed),
           answers_during_rotation=dict(sorted(load.statuses().items())),
           a_signs_new_key_after_s=round(a_signs_new_after, 2))
    assert (new_at_b, old_at_a) == (201, 201)
    assert load.answers and set(load.statuses()) == {201}
