"""Account actions that are not login itself: summaries and authority accounts."""

from __future__ import annotations

from django.db import transaction

from kiemdich.accounts.models import Grant, Role, Sector, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.scopes import Scope
from kiemdich.accounts.signals import account_created
from kiemdich.areas.models import Area
from kiemdich.core.errors import Invalid


def account_summary(user: User, scope: Scope) -> dict:
    from kiemdich.people.models import Person

    return {
        "id": user.pk,
        "phone": user.phone,
        "roles": sorted(scope.roles | _venue_roles(scope) | {"citizen"}),
        "grants": [
            {"role": g.role, "area_code": g.area.code if g.area else None,
             "area_name": g.area.name if g.area else None, "sector": g.sector}
            for g in scope.grants
        ],
        "venues_owned": list(scope.owned_venues().values_list("pk", flat=True)),
        "venues_staffed": list(scope.staffed_venues().values_list("pk", flat=True)),
        "people": list(Person.objects.filter(account=user).order_by("-is_self", "pk")
                       .values("id", "full_name", "is_self")),
    }


def _venue_roles(scope: Scope) -> set[str]:
    roles = set()
    if scope.owned_venues().exists():
        roles.add("venue_owner")
    if scope.staffed_venues().exists():
        roles.add("venue_staff")
    return roles


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
    from kiemdich.core.audit import record

    record(granted_by, "role_granted", target=user,
           reason=f"{role} area={area.code if area else '*'} sector={sector or '*'}")
    return grant
