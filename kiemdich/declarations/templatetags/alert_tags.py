"""The count of unhandled symptom alerts shown beside the menu entry (one query a page, only
for health officers and admins)."""

from __future__ import annotations

from django import template
from django.template import Context

from kiemdich.accounts.scopes import scope_of
from kiemdich.declarations.services import unhandled_alert_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unhandled_alerts(context: Context) -> int:
    return unhandled_alert_count(scope_of(context["request"]))
