"""Account actions that are not login itself: summaries and authority accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from kiemdich.accounts.models import Grant, Role, Sector, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.scopes import Scope
from kiemdich.accounts.signals import account_created
from kiemdich.areas.models import Area
from kiemdich.core.audit import record
from kiemdich.core.errors import Invalid

AccountFacet = Callable[[User, Scope], dict[str, Any]]
_facets: list[AccountFacet] = []


def summarise_accounts_with(facet: AccountFacet) -> None:
    """An app above accounts adds what it holds of an account to its summary (GET /me):
    venues its places and venue roles, people its people. Given at start-up (ready())."""
    if facet not in _facets:
        _facets.append(facet)


def account_summary(user: User, scope: Scope) -> dict[str, Any]:
    roles = set(scope.roles) | {"citizen"}
    summary: dict[str, Any] = {
        "id": user.pk,
        "phone": user.phone,
        "grants": [
            {"role": g.role, "area_code": g.area.code if g.area else None,
             "area_name": g.area.name if g.area else None, "sector": g.sector}
            for g in scope.grants
        ],
    }
    for facet in _facets:
        part = dict(facet(user, scope))
        roles |= part.pop("roles", set())
        summary.update(part)
    summary["roles"] = sorted(roles)
    return summary


def account_for_phone(phone: str) -> User:
    """The account of a phone number, made (with its own person) when new."""
    user, created = User.objects.get_or_create(phone=normalize_phone(phone))
    if created:
        account_created.send(sender=User, user=user)
    return user


@transaction.atomic
def grant_role(phone: str, role: str, area: Area | None = None, sector: str = "",
               granted_by: User | None = None) -> Grant:
    """Give an account (made if new) a role over an area subtree and optionally a sector."""
    if role not in Role.values:
        raise Invalid(f"Unknown role {role!r}", field="role")
    if sector and sector not in Sector.values:
        raise Invalid(f"Unknown sector {sector!r}", field="sector")
    user = account_for_phone(phone)
    grant, created = Grant.objects.get_or_create(user=user, role=role, area=area, sector=sector,
                                                 defaults={"granted_by": granted_by})
    if not created:
        return grant
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])

    record(granted_by, "role_granted", target=user,
           reason=f"{role} area={area.code if area else '*'} sector={sector or '*'}")
    return grant
