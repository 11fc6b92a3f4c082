"""README's `manage.py` examples work as written, on a checkout set up by `make setup`,
without anything else in the environment (no DEBUG, no keys)."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.conf import settings

from tests.test_setup import ROOT, _env, _manage

# The examples that need more than a checkout: a PostgreSQL superuser (setup_db_roles) or a
# process that runs until stopped (run_worker).
NEEDS_MORE = ("setup_db_roles", "run_worker")


def _examples() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if "manage.py" in line and not line.startswith("#")
            and not any(name in line for name in NEEDS_MORE)]


def test_readme_shows_runnable_manage_py_examples():
    assert any("create_officer" in line for line in _examples())


@pytest.mark.skipif(settings.IS_POSTGRES, reason="the examples use make run's SQLite database")
def test_the_readme_examples_run_as_written(tmp_path):
    _manage(_env(tmp_path), "migrate", "--noinput")
    _manage(_env(tmp_path), "load_areas")
    env = {k: v for k, v in _env(tmp_path).items() if k not in (
        "DEBUG", "SECRET_KEY", "KEY_ENCRYPTION_KEY", "AUDIT_KEY", "SMS_BACKEND")}
    for example in _examples():
        result = subprocess.run(["bash", "-c", example], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, (example, result.stderr[-3000:])
        assert result.stdout.strip(), example
