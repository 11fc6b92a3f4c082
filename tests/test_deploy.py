"""The systemd units of deploy/: valid for systemd, and the API unit starts and reloads the
server the way the fault tests (tests/faults/test_api_server.py) start and reload it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "deploy").glob("kiemdich-*.service"))
INSTALLED_AT = "/srv/kiemdich"


def unit_settings(unit: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in unit.read_text("utf-8").splitlines()
                if "=" in line and not line.startswith("#"))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_units_are_valid_for_systemd(tmp_path):
    """Installed in this checkout (their commands must exist), with the example environment."""
    for unit in UNITS:
        text = unit.read_text("utf-8").replace(INSTALLED_AT, str(ROOT)).replace(
            "/etc/kiemdich/kiemdich.env", str(ROOT / "deploy" / "kiemdich.env.example"))
        (tmp_path / unit.name).write_text(text, "utf-8")
    done = subprocess.run(["systemd-analyze", "verify", *sorted(tmp_path.glob("*.service"))],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert [u.name for u in UNITS] == ["kiemdich-api.service", "kiemdich-live.service",
                                       "kiemdich-worker.service"]


def test_each_unit_restarts_its_process_when_it_dies():
    assert {unit.name: unit_settings(unit)["Restart"] for unit in UNITS} == {
        unit.name: "always" for unit in UNITS}


def test_the_api_unit_runs_and_reloads_the_server_as_the_fault_tests_do():
    api = unit_settings(ROOT / "deploy" / "kiemdich-api.service")
    assert api["ExecStart"] == f"{INSTALLED_AT}/deploy/serve-api"
    assert api["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert unit_settings(ROOT / "deploy" / "kiemdich-worker.service")["ExecStart"] == (
        f"{INSTALLED_AT}/.venv/bin/python manage.py run_worker")


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs haproxy")
def test_the_cluster_configuration_is_valid_as_deployed_and_on_one_machine(tmp_path):
    """deploy/cluster/haproxy.cfg as installed, and as `make cluster` runs it."""
    from tools.cluster import DEPLOY, Cluster

    deployed = (DEPLOY / "haproxy.cfg").read_text().replace("/etc/haproxy/errors/",
                                                           f"{DEPLOY}/errors/")
    (tmp_path / "deployed.cfg").write_text(deployed)
    cluster = Cluster(tmp_path / "cluster")
    (tmp_path / "cluster").mkdir()
    (tmp_path / "cluster" / "local.cfg").write_text(
        cluster.localize((tmp_path / "deployed.cfg").read_text()))
    for config in (tmp_path / "deployed.cfg", tmp_path / "cluster" / "local.cfg"):
        done = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr
    local = (tmp_path / "cluster" / "local.cfg").read_text().splitlines()
    assert not [line for line in local if "10.0." in line and not line.lstrip().startswith("#")]


def test_the_three_database_members_differ_only_in_name_and_addresses():
    import yaml

    from tools.cluster import DEPLOY

    configs = [yaml.safe_load((DEPLOY / "patroni" / f"pg{n}.yml").read_text())
               for n in (1, 2, 3)]
    for n, config in enumerate(configs, start=1):
        assert config["name"] == f"pg{n}"
        assert config["postgresql"]["listen"] == f"10.0.1.1{n}:5432"
        assert config["restapi"]["connect_address"] == f"10.0.1.1{n}:8008"
        config.pop("name")
        config["postgresql"].pop("listen")
        config["postgresql"].pop("connect_address")
        config.pop("restapi")
    assert configs[0] == configs[1] == configs[2]
    dcs = configs[0]["bootstrap"]["dcs"]
    assert dcs["synchronous_mode"] is True and dcs["postgresql"]["use_pg_rewind"] is True
