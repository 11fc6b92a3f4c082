from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kiemdich.areas.services import count_nodes, file_tree, load_tree, package_tree


class Command(BaseCommand):
    help = "Load the administrative areas (current map by default, or a nested JSON file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path,
                            help="nested JSON of provinces (the pre-2025 shape too)")

    def handle(self, *args: Any, **options: Any) -> None:
        tree = file_tree(options["file"]) if options["file"] else package_tree()
        total = count_nodes(tree)
        step = max(1, total // 20)

        def progress(done: int) -> None:
            if done % step == 0 or done == total:
                self.stdout.write(f"\r  {done}/{total} ({100 * done // total}%)", ending="")
                self.stdout.flush()

        report = load_tree(tree, progress)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(
            f"Areas: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged."))
