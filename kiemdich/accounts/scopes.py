"""Who may see and do what: the one place that answers it.

Roles come from grants (officer, health_officer, inspector, admin, auditor) over an area
subtree and optionally one sector; venue owners own venues; venue staff are phones a venue
authorised. Every view, endpoint and service asks here instead of re-deriving a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from kiemdich.accounts import policy
from kiemdich.accounts.models import Grant, Role, Sector, User
from kiemdich.areas.models import Area, AreaQuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Reach:
    """Where a role reaches: paths of area subtrees (empty path = everywhere) and sector."""

    path: str
    sector: str


class Scope:
    """The grants of one user, loaded once per request."""

    def __init__(self, user: User | None) -> None:
        self.user = user if user is not None and user.is_authenticated else None

    @cached_property
    def grants(self) -> list[Grant]:
        if self.user is None:
            return []
        return list(Grant.objects.filter(user=self.user).select_related("area"))

    @cached_property
    def roles(self) -> set[str]:
        roles = {g.role for g in self.grants}
        if self.user is not None and self.user.is_superuser:
            roles.add(Role.ADMIN)
        return roles

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def has(self, *roles: str) -> bool:
        return self.is_admin or bool(self.roles.intersection(roles))

    def sees_people_in_full(self) -> bool:
        """Unmasked names, phones and ID numbers (kiemdich.core.masking audits each view)."""
        return self.has(*policy.SEE_PEOPLE_IN_FULL)

    def reaches(self, *roles: str) -> list[Reach]:
        """The reaches of the given roles; an admin reaches everything."""
        if self.is_admin:
            return [Reach("", "")]
        return [Reach(g.area.path if g.area else "", g.sector)
                for g in self.grants if g.role in roles]

    def covers(self, area: Area | None, *roles: str, sector: str = "") -> bool:
        """May one of `roles` act on something in `area` (and `sector`, when it has one)?"""
        for reach in self.reaches(*roles):
            in_area = reach.path == "" or (area is not None and area.path.startswith(reach.path))
            in_sector = not reach.sector or not sector or reach.sector == sector
            if in_area and in_sector:
                return True
        return False

    def sector_reach(self, area: Area, *roles: str) -> frozenset[str] | None:
        """Which sectors the roles reach in `area`: None = the area is out of reach, an empty
        set = every sector, otherwise only those sectors (sector-limited grants)."""
        sectors: set[str] = set()
        covered = False
        for reach in self.reaches(*roles):
            if reach.path == "" or area.path.startswith(reach.path):
                if not reach.sector:
                    return frozenset()
                covered = True
                sectors.add(reach.sector)
        return frozenset(sectors) if covered else None

    def sector_choices(self, *roles: str) -> list[tuple[str, StrOrPromise]]:
        """The sectors a filter or form may offer these roles, as (value, label): every
        sector for a grant without one, otherwise only the grants' sectors (offering the
        others would only lead to a refusal)."""
        reaches = self.reaches(*roles)
        if any(not reach.sector for reach in reaches):
            return list(Sector.choices)
        mine = {reach.sector for reach in reaches}
        return [(value, label) for value, label in Sector.choices if value in mine]

    def area_filter(self, field: str, *roles: str, sector_field: str | None = None) -> Q:
        """A Q keeping rows whose `field` (an Area FK) lies within the roles' reach."""
        q = Q(pk__in=[])
        for reach in self.reaches(*roles):
            # Q(pk__isnull=False) stands for "everywhere": an empty Q() would vanish in the OR.
            part = Q(pk__isnull=False) if not reach.path \
                else Q(**{f"{field}__path__startswith": reach.path})
            if reach.sector and sector_field:
                part &= Q(**{sector_field: reach.sector})
            q |= part
        return q

    def visible_areas(self, *roles: str) -> AreaQuerySet:
        q = Q(pk__in=[])
        for reach in self.reaches(*roles):
            q |= Q(pk__isnull=False) if not reach.path else Q(path__startswith=reach.path)
        return Area.objects.filter(q)

    def root_areas(self, *roles: str) -> list[Area]:
        """The top areas of the user's reach: what a dashboard starts from."""
        if any(r.path == "" for r in self.reaches(*roles)):
            return list(Area.objects.filter(parent__isnull=True))
        return [g.area for g in self.grants if g.role in roles and g.area is not None]

    # Authority accounts ----------------------------------------------------------------

    def account_paths(self) -> list[str]:
        """Where an admin manages authority accounts: the areas of their admin grants ("" =
        everywhere; a superuser without any admin grant is a country-wide admin). Narrower
        than `reaches`: a province's admin sees everything for tracing, but manages only the
        accounts of that province."""
        if self.user is None:
            return []
        paths = [g.area.path if g.area else "" for g in self.grants if g.role == Role.ADMIN]
        if not paths and self.user.is_superuser:
            return [""]
        return paths

    def manageable_areas(self) -> QuerySet[Area]:
        """The areas this admin may grant roles over (a form's choices)."""
        q = Q(pk__in=[])
        for path in self.account_paths():
            q |= Q(pk__isnull=False) if not path else Q(path__startswith=path)
        return Area.objects.filter(q)

    def may_manage_area(self, area: Area | None) -> bool:
        """May this admin grant a role over `area` (None = the whole country)?"""
        return any(p == "" or (area is not None and area.path.startswith(p))
                   for p in self.account_paths())

    def managed_accounts(self) -> QuerySet[User]:
        """Accounts holding a grant within the admin's reach (listing). Acting on one needs
        `may_manage_account` as well: all of its grants must lie within reach."""
        paths = self.account_paths()
        if "" in paths:
            return User.objects.filter(grants__isnull=False).distinct()
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(grants__area__path__startswith=path)
        return User.objects.filter(q).distinct()

    def may_manage_account(self, user: User, grants: list[Grant] | None = None) -> bool:
        """Every grant of `user` lies within the admin's reach (a province's admin cannot
        change an account that also holds a grant elsewhere, nor a country-wide one), and
        it is not the admin's own account (nobody disables or demotes themselves)."""
        if self.user is None or user.pk == self.user.pk:
            return False
        held = grants if grants is not None else list(user.grants.select_related("area"))
        if user.is_superuser and not held:
            return "" in self.account_paths()
        return bool(held) and all(self.may_manage_area(g.area) for g in held)

    def oversight_reaches(self) -> list[Reach]:
        """Where this account oversees other authority accounts' work (their long tasks'
        progress and files): its admin grants' areas, as narrow as `account_paths`, and its
        auditor grants' areas, each with its sector."""
        if self.user is None:
            return []
        reaches = [Reach(g.area.path if g.area else "", g.sector) for g in self.grants
                   if g.role in policy.OVERSIGHT]
        if not reaches and self.user.is_superuser:
            return [Reach("", "")]
        return reaches

    def may_oversee_account(self, user: User | None) -> bool:
        """May this admin or auditor see the work `user` started? Only an authority account
        whose every grant lies within one of the oversight reaches (area and sector); never
        a citizen's or a venue owner's (no grant: their own places and visitors), nor an
        account that also holds a grant elsewhere."""
        reaches = self.oversight_reaches()
        if user is None or not reaches:
            return False
        held = list(user.grants.select_related("area"))
        if not held:
            return user.is_superuser and Reach("", "") in reaches

        def within(grant: Grant) -> bool:
            path = grant.area.path if grant.area else ""
            return any((r.path == "" or (grant.area is not None and path.startswith(r.path)))
                       and (not r.sector or r.sector == grant.sector) for r in reaches)

        return all(within(g) for g in held)


def holders_at(role: str, area: Area | None) -> QuerySet[User]:
    """The active accounts holding `role` with a grant on exactly `area` (None = the whole
    country): who answers for that level, e.g. the health officers a commune's alerts go to
    before they are escalated to the district's."""
    return User.objects.filter(is_active=True, grants__role=role,
                               grants__area=area).distinct().order_by("pk")


def holders_covering(area: Area | None, *roles: str) -> QuerySet[User]:
    """The active accounts holding one of `roles` with a grant on `area`, on one of its
    ancestors, or on the whole country: whom a matter in that area concerns (an alert's
    health officers)."""
    ancestors = [int(p) for p in area.path.strip("/").split("/") if p] if area else []
    return User.objects.filter(
        Q(grants__area__isnull=True) | Q(grants__area_id__in=ancestors),
        grants__role__in=roles, is_active=True,
    ).distinct()


def accounts_holding(*roles: str) -> QuerySet[User]:
    """The active accounts holding one of `roles` anywhere (superusers count as admins)."""
    holders = Q(pk__in=Grant.objects.filter(role__in=roles).values("user_id"))
    if Role.ADMIN in roles:
        holders |= Q(is_superuser=True)
    return User.objects.filter(holders, is_active=True).distinct()


def scope_of(request_or_user: HttpRequest | User | None) -> Scope:
    """The Scope for a request (cached on it) or a user."""
    if not isinstance(request_or_user, HttpRequest):
        return Scope(request_or_user)
    user = request_or_user.user if request_or_user.user.is_authenticated else None
    cached: Scope | None = getattr(request_or_user, "_kiemdich_scope", None)
    if cached is None or cached.user != user:
        cached = Scope(user)
        # Cached on the request itself (HttpRequest declares no such attribute).
        request_or_user._kiemdich_scope = cached  # type: ignore[attr-defined]
    return cached
