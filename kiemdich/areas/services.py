"""Loading and looking up administrative areas."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kiemdich.areas.models import Area
from kiemdich.core.errors import Invalid, NotFound

# The nested JSON shape of the vietnam-provinces package: each node has name, code,
# division_type and, below provinces, either "districts" (pre-2025) or "wards".
CHILD_KEYS = ("districts", "wards", "children")


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def package_tree() -> list[dict]:
    data = resources.files("vietnam_provinces") / "data" / "nested-divisions.json"
    return json.loads(data.read_text(encoding="utf-8"))


def file_tree(path: Path) -> list[dict]:
    try:
        tree = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid(_("Không đọc được tệp địa bàn: %(e)s") % {"e": exc}) from exc
    if not isinstance(tree, list):
        raise Invalid(_("Tệp địa bàn phải là một danh sách tỉnh/thành."))
    return tree


def _children(node: dict) -> list[dict]:
    for key in CHILD_KEYS:
        if isinstance(node.get(key), list):
            return node[key]
    return []


def count_nodes(tree: Iterable[dict]) -> int:
    return sum(1 + count_nodes(_children(node)) for node in tree)


@transaction.atomic
def load_tree(tree: list[dict], progress: Callable[[int], None] | None = None) -> LoadReport:
    """Create or update every node of `tree`; re-running never duplicates."""
    report = LoadReport()
    existing = {(a.depth, a.code): a for a in Area.objects.all()}

    def visit(node: dict, parent: Area | None, depth: int) -> None:
        code = str(node["code"]).strip()
        name = str(node["name"]).strip()
        kind = str(node.get("division_type", "")).strip()
        children = _children(node)
        is_leaf = not children
        area = existing.get((depth, code))
        if area is None:
            area = Area.objects.create(
                code=code, name=name, kind=kind, parent=parent, depth=depth, path="",
                is_leaf=is_leaf,
            )
            area.path = f"{parent.path if parent else '/'}{area.pk}/"
            area.save(update_fields=["path"])
            existing[(depth, code)] = area
            report.created += 1
        else:
            path = f"{parent.path if parent else '/'}{area.pk}/"
            changed = (area.name, area.kind, area.parent_id, area.path, area.is_leaf) != (
                name, kind, parent.pk if parent else None, path, is_leaf)
            if changed:
                area.name, area.kind, area.parent, area.path, area.is_leaf = (
                    name, kind, parent, path, is_leaf)
                area.save()
                report.updated += 1
            else:
                report.unchanged += 1
        if progress:
            progress(report.total)
        for child in children:
            visit(child, area, depth + 1)

    for province in tree:
        visit(province, None, 0)
    return report


def resolve_area(code: str, *, leaf: bool = False) -> Area:
    """The area with this official code.

    Codes repeat across levels, so a commune field asks for a leaf, and otherwise the
    shallowest level wins (a province before a ward with the same number).
    """
    code = str(code or "").strip()
    depth = None
    head, dot, tail = code.partition(".")
    if dot and head.isdigit() and len(head) <= 2:
        # The area picker's key, `<depth>.<code>` (areas/picker.py): codes repeat across
        # levels, the key names one area.
        depth, code = int(head), tail
    if not (code.isascii() and code.isalnum() and len(code) <= 16):
        # Not a code at all (a NUL byte, say): unknown, without troubling the database.
        raise NotFound(code="area_unknown", field="area_code")
    qs = Area.objects.filter(code=code)
    if depth is not None:
        qs = qs.filter(depth=depth)
    if leaf:
        qs = qs.filter(is_leaf=True)
    area = qs.order_by("depth").first()
    if area is None:
        raise NotFound(_("Không có địa bàn mã %(code)s.") % {"code": code}, code="area_unknown",
                       field="area_code")
    return area


def provinces() -> list[Area]:
    """The top-level areas by name, the deployment's home province (`HOME_AREA`) first."""
    home = settings.HOME_AREA
    return sorted(Area.objects.filter(parent__isnull=True).order_by("name"),
                  key=lambda a: a.code != home)


def home_province() -> Area | None:
    """`HOME_AREA`'s province, where forms and the progress page start; without it (or if
    the code is not a province), the first province by name."""
    return next(iter(provinces()), None)


@lru_cache(maxsize=4096)
def top_area_code(area_id: int) -> str:
    """The code of the top-level area (the province) that an area is in. An area never moves
    to another province, so a process asks the database once per area."""
    return Area.objects.get(pk=area_id).ancestors()[0].code
