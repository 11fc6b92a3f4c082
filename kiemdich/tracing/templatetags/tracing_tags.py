from django import template

from kiemdich.tracing import notices

register = template.Library()


@register.simple_tag
def my_notices(user) -> list[dict]:
    """The latest exposure notices of the people this account manages, ready to show."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [{"id": n.pk, "message": notices.message(n), "advice": notices.advice(),
             "sent_at": n.sent_at, "read_at": n.read_at}
            for n in notices.notices_for(user)[:10]]
