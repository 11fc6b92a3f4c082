"""How an account is named in the audit trail (its roles, with their areas, and for staff
its name), and what its summary says of its people. People knows both (the grants below it,
the self person here); the kernel's writer (`kiemdich.core.audit`) and accounts' summary ask
through the describer and the facet this app gives them at start-up."""

from __future__ import annotations

from django.db.models import Model

from kiemdich.accounts.models import Grant, User
from kiemdich.accounts.scopes import Scope
from kiemdich.people.models import Person


def describe_actor(user: Model) -> tuple[str, str]:
    """(roles, name) of an account as the trail shows it: "health_officer@79, admin" and the
    display name (or the account's own person's name) of staff; "citizen" and no name for
    an account without a role."""
    grants = Grant.objects.filter(user_id=user.pk).select_related("area").order_by("role", "pk")
    roles = [f"{g.role}@{g.area.code}" if g.area is not None else g.role for g in grants]
    if not roles:
        return "citizen", ""
    name = getattr(user, "display_name", "") or (
        Person.objects.filter(account_id=user.pk, is_self=True)
        .values_list("full_name", flat=True).first() or "")
    return ", ".join(dict.fromkeys(roles))[:200], name[:120]


def people_facet(user: User, scope: Scope) -> dict:
    """What an account's summary (GET /me) says of its people (accounts.services)."""
    return {"people": list(Person.objects.filter(account=user).order_by("-is_self", "pk")
                           .values("id", "full_name", "is_self"))}
