from __future__ import annotations

from django import template

from kiemdich.accounts.models import User
from kiemdich.tracing import notices

register = template.Library()


@register.simple_tag
def my_notices(user: object) -> list[dict]:
    """The latest exposure notices of the people this account manages, ready to show (the
    template's `user`: an account, Django's anonymous user, or nothing)."""
    if not isinstance(user, User):
        return []
    return [{"id": n.pk, "message": notices.message(n), "advice": notices.advice(),
             "sent_at": n.sent_at, "read_at": n.read_at}
            for n in notices.notices_for(user)[:10]]
