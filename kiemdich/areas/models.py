"""Administrative areas: a tree of any depth, stored with a materialised path.

The path (`/<pk>/<pk>/…/`) makes "everything under this district" a single indexed prefix
query, which every scope check and every statistic relies on. Official codes are unique only
within a level (province 4 and ward 4 both exist), so (depth, code) is the natural key.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaQuerySet(models.QuerySet):
    def subtree(self, area: Area) -> AreaQuerySet:
        return self.filter(path__startswith=area.path)

    def leaves(self) -> AreaQuerySet:
        return self.filter(is_leaf=True)


class Area(models.Model):
    code = models.CharField(_("mã"), max_length=16)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại"), max_length=60, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    path = models.CharField(max_length=255, editable=False)
    is_leaf = models.BooleanField(default=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("địa bàn")
        verbose_name_plural = _("địa bàn")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["depth", "code"], name="area_unique_code_per_level")
        ]
        indexes = [models.Index(fields=["path"], name="area_path_prefix",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: Area) -> bool:
        """True when this area is `other` or lies under it."""
        return self.path.startswith(other.path)

    def ancestors(self) -> list[Area]:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        by_id = Area.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]

    def full_name(self) -> str:
        return ", ".join(a.name for a in reversed(self.ancestors()))
