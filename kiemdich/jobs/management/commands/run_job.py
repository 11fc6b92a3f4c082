"""Run one job now, in this process: `python manage.py run_job NAME`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiemdich.jobs import registry, runner


class Command(BaseCommand):
    help = "Run a job now (periodic jobs take their lease: never beside a scheduled run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="the job's name (omit to list them)")
        parser.add_argument("--queue", action="store_true",
                            help="put it on the queue for a worker instead of running it here")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        if not name:
            for spec in sorted(registry.JOBS.values(), key=lambda s: s.name):
                when = spec.cron if spec.periodic else "on demand"
                self.stdout.write(f"{spec.name:<28} {when:<18} {spec.description}")
            return
        try:
            spec = registry.get(name)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        if not spec.periodic:
            raise CommandError(f"{name} takes arguments: the platform puts it on the queue")
        if options["queue"]:
            self.stdout.write(f"queued: {registry.enqueue(name)}")
            return
        try:
            result = runner.run_periodic(spec, trigger="command")
        except Exception as exc:
            raise CommandError(f"{name} failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"{name}: {result}"))
