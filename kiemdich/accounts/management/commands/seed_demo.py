"""A demo province with accounts of every role (and, from each app's `demo` module, venues,
people, declarations and scans), so every page has something to show. Idempotent."""

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

# Each app may provide `kiemdich.<app>.demo.seed(out)`; they run in this order because
# later data (scans) stands on earlier data (venues, people).
DEMO_APPS = ["accounts", "venues", "people", "declarations", "scans", "reports", "tracing",
             "zones"]


class Command(BaseCommand):
    help = "Load demo data for the demo province (Đồng Nai). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        for app in DEMO_APPS:
            try:
                module = import_module(f"kiemdich.{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"kiemdich.{app}.demo":
                    raise
                continue
            module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready. Open {settings.PUBLIC_BASE_URL}/ and log in with a phone above."))
