"""Authority accounts managed by admins in the portal: made, given another role or area,
disabled (their sessions and API tokens ended at once), and imported from a roster.

An admin acts only within the areas of their admin grants (Scope.account_paths); every
change is written to the audit trail with its actor, target and before/after.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import ApiToken, Grant, Role, Sector, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.scopes import Scope
from kiemdich.accounts.services import grant_role
from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core import csvrows
from kiemdich.core.audit import record
from kiemdich.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from kiemdich.jobs import tasks

if TYPE_CHECKING:
    from kiemdich.jobs.models import Task

IMPORT_COLUMNS = ("phone", "role", "area_code")
IMPORT_OPTIONAL = ("sector", "display_name")


def is_account_admin(scope: Scope) -> bool:
    return bool(scope.account_paths())


def _require_admin(scope: Scope) -> None:
    if not is_account_admin(scope):
        raise NotFound(code="not_found")


def accounts(scope: Scope, phone: str = "") -> QuerySet[User]:
    """The authority accounts an admin sees, with their grants, newest first."""
    _require_admin(scope)
    qs = scope.managed_accounts().prefetch_related(
        Prefetch("grants", queryset=Grant.objects.select_related("area").order_by("pk")))
    if phone.strip():
        try:
            qs = qs.filter(phone=normalize_phone(phone))
        except DomainError:
            qs = qs.none()
    return qs.order_by("-date_joined", "-pk")


def account(scope: Scope, user_id: int) -> User:
    """One account in the admin's list (404 otherwise: an id outside it is not confirmed)."""
    user = accounts(scope).filter(pk=user_id).first()
    if user is None:
        raise NotFound(code="account_not_found")
    return user


def _managed(scope: Scope, user_id: int) -> User:
    user = account(scope, user_id)
    if scope.user is not None and user.pk == scope.user.pk:
        raise Forbidden(code="own_account")
    if not scope.may_manage_account(user, list(user.grants.all())):
        raise Forbidden(code="account_out_of_scope")
    return user


def _area(scope: Scope, code: str) -> Area | None:
    area = resolve_area(code) if (code or "").strip() else None
    if not scope.may_manage_area(area):
        raise Forbidden(code="area_out_of_scope", field="area_code")
    return area


def _check(role: str, sector: str) -> None:
    if role not in Role.values:
        raise Invalid(code="role_invalid", field="role")
    if sector and sector not in Sector.values:
        raise Invalid(code="sector_invalid", field="sector")


def describe(grant: Grant) -> str:
    """A grant as the audit trail reads it: role@area/sector."""
    return f"{grant.role}@{grant.area.code if grant.area else '*'}/{grant.sector or '*'}"


def _sync_admin_flags(user: User) -> None:
    """Admins are staff and superusers (accounts.services.grant_role); a changed or revoked
    admin grant takes that away when no admin grant is left."""
    is_admin = user.grants.filter(role=Role.ADMIN).exists()
    if user.is_superuser != is_admin or user.is_staff != is_admin:
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])


@transaction.atomic
def create(scope: Scope, phone: str, role: str, area_code: str = "", sector: str = "",
           display_name: str = "") -> Grant:
    """A role for a phone number (the account is made if new), as `create_officer` does."""
    _require_admin(scope)
    _check(role, sector)
    area = _area(scope, area_code)
    grant = grant_role(phone, role, area, sector, granted_by=scope.user)
    name = " ".join((display_name or "").split())[:120]
    if name and grant.user.display_name != name:
        grant.user.display_name = name
        grant.user.save(update_fields=["display_name"])
    return grant


@transaction.atomic
def change_grant(scope: Scope, grant_id: int, role: str, area_code: str = "",
                 sector: str = "") -> Grant:
    grant = Grant.objects.select_related("area", "user").filter(pk=grant_id).first()
    if grant is None:
        raise NotFound(code="grant_not_found")
    user = _managed(scope, grant.user_id)
    _check(role, sector)
    before = describe(grant)
    was_admin = grant.role == Role.ADMIN
    grant.role, grant.area, grant.sector = role, _area(scope, area_code), sector
    try:
        with transaction.atomic():
            grant.save(update_fields=["role", "area", "sector"])
    except IntegrityError:
        raise Conflict(code="grant_exists") from None
    if was_admin or role == Role.ADMIN:
        _sync_admin_flags(user)
    record(scope.user, "role_changed", target=user,
           reason=f"before={before} after={describe(grant)}")
    return grant


@transaction.atomic
def revoke_grant(scope: Scope, grant_id: int) -> User:
    grant = Grant.objects.select_related("area").filter(pk=grant_id).first()
    if grant is None:
        raise NotFound(code="grant_not_found")
    user = _managed(scope, grant.user_id)
    before = describe(grant)
    grant.delete()
    _sync_admin_flags(user)
    record(scope.user, "role_revoked", target=user, reason=f"before={before} after=-")
    return user


def _end_sessions(user: User) -> int:
    """End every portal session and API token of the account at once: a new (unusable)
    password hash changes the session's auth hash, so each session is refused on its next
    request, on every server; tokens are revoked in the database they are checked in."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


@transaction.atomic
def disable(scope: Scope, user_id: int) -> User:
    user = _managed(scope, user_id)
    if not user.is_active:
        raise Conflict(code="account_disabled")
    user.is_active = False
    user.save(update_fields=["is_active"])
    tokens = _end_sessions(user)
    record(scope.user, "account_disabled", target=user,
           reason=f"before=active after=disabled tokens_revoked={tokens}")
    return user


@transaction.atomic
def enable(scope: Scope, user_id: int) -> User:
    user = _managed(scope, user_id)
    if user.is_active:
        raise Conflict(code="account_active")
    user.is_active = True
    user.save(update_fields=["is_active"])
    record(scope.user, "account_enabled", target=user, reason="before=disabled after=active")
    return user


@transaction.atomic
def revoke_sessions(scope: Scope, user_id: int) -> int:
    """Log the account out everywhere (portal and apps) without disabling it."""
    user = _managed(scope, user_id)
    tokens = _end_sessions(user)
    record(scope.user, "sessions_revoked", target=user, reason=f"tokens_revoked={tokens}")
    return tokens


# Roster import ---------------------------------------------------------------------------
#
# A task of any size on the workers (kiemdich.jobs.tasks), followed on its page: every row is
# checked first, in chunks with a checkpoint (a bad row is listed with its line, and the
# task's error CSV has them all); one bad row and nothing is granted, so that the roster
# corrected and sent again is imported whole. Then the rows are granted in chunks (a row
# already granted is granted again as a no-op, so a run taken up again after a crash grants
# each row once).

ROSTER_TASK = "accounts.roster"
ROSTER_CHUNK_ROWS = 500


def start_roster_import(scope: Scope, user: User, pieces: Iterable[bytes],
                        filename: str = "") -> Task:
    """Store the roster (UTF-8, its columns checked now) and queue its import."""
    _require_admin(scope)
    return tasks.start(ROSTER_TASK, user, label=filename or str(_("Danh sách cán bộ")),
                       params={}, upload=csvrows.checked_upload(pieces, IMPORT_COLUMNS))


def roster_row(scope: Scope, row: dict | None) -> tuple[str, str, str, str, str]:
    """(phone, role, area_code, sector, display_name) of a good row; RowProblem otherwise
    (its reason never repeats the row: it holds a phone number)."""
    if row is None:
        raise RowProblem("", gettext("số cột không đúng"))
    value = {c: " ".join((row.get(c) or "").split()) for c in (*IMPORT_COLUMNS, *IMPORT_OPTIONAL)}
    try:
        phone = normalize_phone(value["phone"])
    except DomainError as exc:
        raise RowProblem("phone", str(exc.message)) from None
    try:
        _check(value["role"], value["sector"])
        _area(scope, value["area_code"])
    except DomainError as exc:
        raise RowProblem(exc.field or "", str(exc.message)) from None
    return phone, value["role"], value["area_code"], value["sector"], value["display_name"]


class RowProblem(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message
