"""The citizen's section of the home page: the account's people with their declaration of
today, and the health officer's open alerts. Declarations draws it (it stands above people),
so accounts' home page includes it without knowing either app."""

from __future__ import annotations

from django import template
from django.template import Context

from kiemdich.accounts import policy
from kiemdich.accounts.scopes import scope_of
from kiemdich.declarations.services import declared_today, open_alert_count
from kiemdich.people import services

register = template.Library()


@register.simple_tag(takes_context=True)
def citizen_home(context: Context) -> dict:
    """The account's people with today's status, and whether consent is still needed."""
    request = context["request"]
    user = request.user
    scope = scope_of(request)
    people = list(services.people_of(user))
    today = declared_today([p.pk for p in people])
    rows = [{"person": p, "complete": services.is_complete(p), "declared": today[p.pk][0],
             "sick": today[p.pk][1]} for p in people]
    return {
        "rows": rows,
        "needs_consent": not services.has_consent(user),
        "all_declared": bool(rows) and all(r["declared"] for r in rows),
        "may_add": len(rows) < services.MAX_PEOPLE_PER_ACCOUNT,
        "open_alerts": open_alert_count(scope) if scope.has(*policy.ALERTS) else None,
    }
