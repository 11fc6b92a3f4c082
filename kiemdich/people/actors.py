"""How an account is named in the audit trail (its roles, with their areas, and for staff
its name), and what its summary says of its people. People knows both (the grants below it,
the self person here); the kernel's writer (`kiemdich.core.audit`) and accounts' summary ask
through the describer and the facet this app gives them at start-up."""

from __future__ import annotations

from django.db.models import Model, OuterRef, Subquery

from kiemdich.accounts.models import Grant, User
from kiemdich.accounts.scopes import Scope
from kiemdich.people.models import Person


def describe_actor(user: Model) -> tuple[str, str]:
    """(roles, name) of an account as the trail shows it: "admin, health_officer@79" and the
    display name (or the account's own person's name) of staff; "citizen" and no name for
    an account without a role."""
    # One query: every entry an officer's view writes (a case's contacts, a full record)
    # describes its actor, and the grants' rows carry the self person's name along.
    self_name = Person.objects.filter(account_id=OuterRef("user_id"), is_self=True) \
        .values("full_name")[:1]
    grants = list(Grant.objects.filter(user_id=user.pk).order_by("role", "pk")
                  .annotate(self_name=Subquery(self_name))
                  .values_list("role", "area__code", "self_name"))
    if not grants:
        return "citizen", ""
    roles = [f"{role}@{code}" if code is not None else role for role, code, _ in grants]
    name = getattr(user, "display_name", "") or grants[0][2] or ""
    return ", ".join(dict.fromkeys(roles))[:200], name[:120]


def people_facet(user: User, scope: Scope) -> dict:
    """What an account's summary (GET /me) says of its people (accounts.services)."""
    return {"people": list(Person.objects.filter(account=user).order_by("-is_self", "pk")
                           .values("id", "full_name", "is_self"))}
