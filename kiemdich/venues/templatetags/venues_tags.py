"""The venue part of the home page: the owner's places with today's figures, and the places
a staff phone may scan at."""

from __future__ import annotations

from django import template
from django.template import Context

from kiemdich.accounts import policy
from kiemdich.accounts.phones import national_form
from kiemdich.accounts.scopes import scope_of
from kiemdich.documents.posters import format_short_code
from kiemdich.venues import services

register = template.Library()


@register.simple_tag(takes_context=True)
def venue_home(context: Context) -> dict:
    user = context["request"].user
    owned = list(services.owned_venues(user))
    figures = services.today_figures(v.pk for v in owned)  # one query for all places
    return {"owned": [(v, figures[v.pk]) for v in owned],
            "staffed": list(services.staffed_venues(user)),
            "directory": scope_of(context["request"]).has(*policy.VENUE_DIRECTORY)}


@register.filter
def national(phone: str) -> str:
    """+84912345678 → 0912345678, as people read it."""
    return national_form(phone)


@register.filter
def short_code(code: str) -> str:
    """The code in blocks of four, as printed on the poster."""
    return format_short_code(code)
