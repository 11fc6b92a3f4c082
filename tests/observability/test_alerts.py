"""The alert rules and the Prometheus configuration shipped in deploy/prometheus/, checked by
Prometheus's own tool: the rules load, each alert fires on the series of its failure and stays
quiet on a normal day (alerts.test.yml), and every alert names a runbook section that
docs/operations.md has."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.faults.harness import ROOT

PROMETHEUS = ROOT / "deploy" / "prometheus"
promtool = shutil.which("promtool")
pytestmark = pytest.mark.skipif(promtool is None, reason="promtool (Debian: prometheus) missing")


def run(*args: str, cwd: Path = PROMETHEUS) -> str:
    done = subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_rules_pass_their_unit_tests():
    assert "SUCCESS" in run("test", "rules", "alerts.test.yml")


def test_every_alert_is_tested_and_has_a_runbook_section():
    rules = [rule for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
             for rule in group["rules"]]
    tests = (PROMETHEUS / "alerts.test.yml").read_text()
    operations = (ROOT / "docs" / "operations.md").read_text()
    anchors = {re.sub(r"[^\w\- ]", "", heading.lower()).strip().replace(" ", "-")
               for heading in re.findall(r"^#+ (.+)$", operations, re.MULTILINE)}
    for rule in rules:
        assert f"alertname: {rule['alert']}" in tests, rule["alert"]
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"
        assert rule["alert"].lower() in anchors, f"no section for {rule['alert']}"


def test_the_configuration_loads_with_its_token_file(tmp_path):
    token = tmp_path / "token"
    token.write_text("scraper-token\n")
    config = (PROMETHEUS / "prometheus.yml").read_text().replace(
        "/etc/prometheus/kiemdich-metrics-token", str(token))
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path)
    assert "SUCCESS" in run("check", "config", "prometheus.yml", cwd=tmp_path)


def test_the_dashboard_queries_parse_and_name_the_platforms_metrics(tmp_path):
    """Each panel of deploy/grafana/kiemdich.json is valid PromQL (checked by promtool as a
    recording rule) and names only metrics kiemdich/core/metrics.py declares: an imported dashboard
    draws no empty panel for a typo."""
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "kiemdich.json").read_text())
    metrics = (ROOT / "kiemdich" / "core" / "metrics.py").read_text()
    declared = set(re.findall(r'"(kiemdich_\w+)"', metrics))
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    for query in queries:
        for name in re.findall(r"\b(kiemdich_\w+?)(?:_total|_bucket)?\b", query):
            assert name in declared, query
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{n}", "expr": query} for n, query in enumerate(queries)]}]}
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    assert "SUCCESS" in run("check", "rules", "dashboard.yml", cwd=tmp_path)
