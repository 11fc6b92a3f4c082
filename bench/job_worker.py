"""`manage.py run_worker` with the benchmark's no-op job declared too (bench/jobs.py): the
real worker, measuring what the queue itself costs per job."""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
sys.argv = ["manage.py", "run_worker"]  # before the settings: they recognise the worker

import django  # noqa: E402

django.setup()

from django.core.management import execute_from_command_line  # noqa: E402

from bench.jobs import declare  # noqa: E402

declare()

execute_from_command_line(sys.argv)
