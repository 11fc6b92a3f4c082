from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.template import Context
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.scopes import scope_of

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

register = template.Library()


@register.simple_tag(takes_context=True)
def privacy_links(context: Context) -> list[tuple[str, StrOrPromise]]:
    """The privacy pages this visitor may open: their own data for everyone, the audit trail
    for admins and auditors, abuse flags for officers."""
    scope = scope_of(context["request"])
    links: list[tuple[str, StrOrPromise]] = [
        (reverse("privacy:my_data"), _("Dữ liệu của tôi và quyền riêng tư"))]
    if scope.has(*policy.ABUSE_FLAGS):
        links.append((reverse("privacy:flags"), _("Quét bất thường")))
    if scope.has(*policy.OVERSIGHT):
        links.append((reverse("privacy:audit"), _("Nhật ký truy cập")))
    return links
