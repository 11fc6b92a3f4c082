"""The count of unhandled symptom alerts shown beside the menu entry (one query a page, only
for health officers and admins)."""

from __future__ import annotations

from django import template

from kiemdich.accounts.scopes import scope_of

register = template.Library()


@register.simple_tag(takes_context=True)
def unhandled_alerts(context) -> int:
    from kiemdich.declarations.services import unhandled_alert_count

    return unhandled_alert_count(scope_of(context["request"]))
