"""`manage.py run_worker` with the tests' probe jobs declared too (tests/jobs/probes.py):
the real command in a real process, with jobs whose timing the tests control."""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
sys.argv = ["manage.py", "run_worker"]  # before the settings: they recognise the worker

import django  # noqa: E402

django.setup()

from django.core.management import execute_from_command_line  # noqa: E402

import tests.jobs.probes  # noqa: E402, F401  (declares the probe jobs)

execute_from_command_line(sys.argv)
