"""The one way a page asks for an area: by name, never a typed statistical code.

`AreaField` offers the areas a form may use (a queryset its caller narrowed to the viewer's
scope) as a select whose options are indented under their parents, with a box above it
that narrows them by name as one types (accents and case ignored: "tan phong" finds
"Phường Tân Phong"; static/areas/picker.js). An option's value is the area's natural key,
`<depth>.<code>` (official codes repeat across levels: province 4 and ward 4), which
`areas.services.resolve_area` reads like a code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kiemdich.areas.models import Area

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Every area of a two-level country (34 provinces and 3,321 communes since 2025) fits.
MAX_OPTIONS = 5000
INDENT = "\u00a0\u00a0"


def area_key(area: Area) -> str:
    return f"{area.depth}.{area.code}"


def area_options(areas: QuerySet[Area], *, below: int = 2) -> list[tuple[str, str]]:
    """(key, indented name) for `areas` in tree order: the shallowest of them and `below`
    levels under it."""
    top = areas.order_by("depth").values_list("depth", flat=True).first()
    if top is None:
        return []
    rows = areas.filter(depth__lte=top + below).order_by("path")[:MAX_OPTIONS]
    return [(area_key(a), INDENT * (a.depth - top) + a.name) for a in rows]


def keyed(choices: Iterable[tuple[object, object]], value: str) -> str:
    """The option's key for a bare official code (the shallowest option with that code);
    a key, or a code no option has, as it is."""
    value = str(value or "").strip()
    if not value or "." in value:
        return value
    matches = sorted((str(k) for k, _label in choices if str(k).split(".", 1)[-1] == value),
                     key=lambda k: int(k.split(".", 1)[0]))
    return matches[0] if matches else value


class AreaPicker(forms.Select):
    """A select of areas with a name filter above it (the filter needs script; without
    it the select works alone)."""

    template_name = "areas/area_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None,
                 choices: Iterable[tuple[object, object]] = (),
                 filter_label: StrOrPromise | None = None) -> None:
        super().__init__(attrs, choices)
        self.filter_label = filter_label

    def format_value(self, value: object) -> list[str]:
        """A bare official code (a link's ?area=731, an earlier form) selects its area."""
        return [keyed(self.choices, v) for v in super().format_value(value)]

    def get_context(self, name: str, value: object, attrs: dict[str, Any] | None
                    ) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["filter_label"] = self.filter_label or _("Tìm theo tên")
        return context


class AreaField(forms.ChoiceField):
    """An area by name; cleans to the option's key (read by `resolve_area`). `blank` is the
    label of the empty choice (None: no empty choice)."""

    widget = AreaPicker

    def __init__(self, *, blank: StrOrPromise | None = None, **kwargs: Any) -> None:
        self.blank = blank
        super().__init__(**kwargs)

    def valid_value(self, value: object) -> bool:
        # The service that uses the area decides (unknown, out of scope) with its own error,
        # as it does for the API: a typed code the options lack reaches it too.
        return True

    def clean(self, value: object) -> str:
        # Django keeps the choices as the list of pairs `offer` set; the stubs' getter is
        # typed as everything the setter accepts (a mapping, a callable).
        choices = cast("list[tuple[str, object]]", self.choices)
        return keyed(choices, super().clean(value))

    def offer(self, areas: QuerySet[Area], *, below: int = 2,
              extra: list[tuple[str, Any]] | None = None) -> None:
        """Offer these areas (already narrowed to what the viewer may use)."""
        blank = [("", self.blank)] if self.blank is not None else []
        self.choices = [*blank, *(extra or []), *area_options(areas, below=below)]


def picker(name: str, areas: QuerySet[Area], value: str = "", *,
           blank: StrOrPromise | None = None,
           attrs: dict | None = None, below: int = 2) -> str:
    """The same picker outside a form (a list's filter toolbar): its HTML."""
    field = AreaField(blank=blank, required=False)
    field.offer(areas, below=below)
    widget: AreaPicker = field.widget  # type: ignore[assignment]
    return widget.render(name, value, attrs=attrs)
