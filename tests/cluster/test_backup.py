"""pgBackRest as configured for the cluster (deploy/cluster/pgbackrest.conf, the WAL of
whichever member leads archived by `archive_command`): a full backup of the leader, then a
restore to a point in time between two writes, into a PostgreSQL of its own — the first
write is there, the second is not."""

from __future__ import annotations

import shutil
import subprocess
import time

from tests.faults.harness import _as_postgres, _pg_bin, report
from tests.scans.servers import free_port
from tools.cluster import POSTGRES_USER, wait_for


def test_a_backup_restores_to_a_point_in_time(cluster, world):
    started = time.monotonic()
    cluster.pgbackrest("backup", "--type=full")
    backed_up = time.monotonic() - started
    # pgBackRest keeps a backup's stop time in whole seconds and restores to a time only
    # from a backup that stopped before it: the target must be a second past the backup.
    time.sleep(1.1)
    cluster.psql("CREATE TABLE IF NOT EXISTS restore_probe (note text)")
    cluster.psql("INSERT INTO restore_probe VALUES ('before the target')")
    target = cluster.psql("SELECT now()::text")
    time.sleep(1)
    cluster.psql("INSERT INTO restore_probe VALUES ('after the target')")
    # The WAL holding both writes, archived.
    segment = cluster.psql("SELECT pg_walfile_name(pg_current_wal_lsn())")
    cluster.psql("SELECT pg_switch_wal()")
    wait_for(lambda: cluster.psql("SELECT last_archived_wal FROM pg_stat_archiver")
             >= segment, "the WAL archived")

    restore = cluster.dir / "restore"
    shutil.rmtree(restore, ignore_errors=True)
    restore.mkdir()
    shutil.chown(restore, POSTGRES_USER, POSTGRES_USER)
    started = time.monotonic()
    cluster.pgbackrest("restore", f"--pg1-path={restore / 'data'}", "--type=time",
                       f"--target={target}", "--target-action=promote")
    port = free_port()
    # The restored configuration is a cluster member's: on a port, a socket directory and
    # without archiving or a synchronous standby of its own.
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={restore}"
               f" -c hba_file={restore / 'data' / 'pg_hba.conf'}"
               " -c archive_mode=off -c synchronous_standby_names=''")
    subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(restore / "data"), "-w",
                                 "-t", "120", "-l", str(restore / "server.log"), "-o", options,
                                 "start"]), check=True, capture_output=True, timeout=180)
    restored_server = f"127.0.0.1:{port}"
    try:
        # It answers read-only queries as soon as it is consistent, long before it has
        # replayed the archive up to the target; then it promotes itself.
        wait_for(lambda: cluster.try_psql("SELECT pg_is_in_recovery()", restored_server) == "f",
                 "the restore to reach its target", seconds=120)
        restored = cluster.psql("SELECT string_agg(note, ',') FROM restore_probe",
                                address=restored_server)
        restored_in = time.monotonic() - started
    finally:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(restore / "data"), "-w",
                                     "-m", "fast", "stop"]), check=False, capture_output=True,
                       timeout=60)
        shutil.rmtree(restore, ignore_errors=True)
    report("point-in-time restore", backup_seconds=round(backed_up, 1),
           restore_seconds=round(restored_in, 1))
    assert restored == "before the target"
