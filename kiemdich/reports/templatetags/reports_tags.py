"""Template helpers: URLs that keep the current filters, and the home-page links per role."""

from __future__ import annotations

from django import template
from django.template import Context
from django.urls import reverse
from django.utils.translation import gettext as _

from kiemdich.accounts import policy
from kiemdich.accounts.scopes import Scope

register = template.Library()


@register.simple_tag(takes_context=True)
def with_query(context: Context, **changes: object) -> str:
    """The current query string with some parameters changed ("" removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def sort_link(current: str, key: str) -> str:
    """The sort value a header link sets: descending first, then ascending."""
    return key if current == f"-{key}" else f"-{key}"


@register.simple_tag
def reports_links(scope: Scope | None) -> list[tuple[str, str]]:
    if scope is None or not scope.has(*policy.STATISTICS):
        return []
    links = [(reverse("reports:dashboard"), _("Thống kê theo địa bàn")),
             (reverse("reports:coverage"), _("Độ bao phủ so với chỉ tiêu")),
             (reverse("reports:compliance"), _("Danh sách chưa tuân thủ"))]
    if scope.has(*policy.INSPECTION_READ):
        links.append((reverse("reports:inspections"), _("Kiểm tra, xử phạt")))
    if scope.has(*policy.IMPORTS):
        links.append((reverse("reports:coverage") + "#import", _("Nhập dữ liệu CSV")))
    return links


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".replace(".", ",") + " %"
