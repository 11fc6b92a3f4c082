"""A stored (E.164) phone number as people write it: 0912 345 678."""

from __future__ import annotations

from django import template

from kiemdich.accounts.phones import national_form

register = template.Library()


@register.filter
def national_phone(phone: str) -> str:
    return national_form(phone)
