"""Pausing exposure notices in an area: the kill switch, with a scope and a second person.

A health officer pauses the notices of an area they cover (a commune officer their commune; a
province officer the province or anything in it; only an admin or a national grant the whole
country), and must say why. A pause stops every notice to a person living in the area, or
exposed at a venue in it, or anywhere below it. Everyone it affects — the health officers of
the area, of the areas under it and of those above it — sees who paused it, when and why.
Turning notices back on needs another health officer covering the area: the one who paused
cannot undo it alone, so a single account (stolen, or misused) cannot both silence and quietly
restore notices, and a mistaken pause gets a second look.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import User
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.core.audit import record
from kiemdich.core.errors import Conflict, Forbidden, Invalid, NotFound
from kiemdich.core.masking import mask_phone
from kiemdich.tracing import services
from kiemdich.tracing.models import NoticePause

REASON_MAX = 500


def _in_force() -> QuerySet[NoticePause]:
    return (NoticePause.objects.filter(resumed_at__isnull=True)
            .select_related("area", "paused_by"))


def _path_ids(path: str) -> list[int]:
    """The ids of an area and its ancestors, read from its materialised path."""
    return [int(part) for part in path.strip("/").split("/") if part]


def pauses_over(areas: Iterable[Area | None]) -> list[NoticePause]:
    """The pauses in force that stop notices in any of these areas: one of the country, of
    the area itself or of an area above it."""
    ids = {i for area in areas if area is not None for i in _path_ids(area.path)}
    return list(_in_force().filter(Q(area__isnull=True) | Q(area__in=ids)))


def pauses_for(scope: Scope) -> list[NoticePause]:
    """The pauses in force that affect a health officer: of the country, of an area above
    their own, of their area or of one inside it."""
    services.require_tracer(scope)
    q = Q(area__isnull=True)
    for reach in scope.reaches(*policy.TRACING):
        if not reach.path:
            return list(_in_force())
        q |= Q(area__in=_path_ids(reach.path)) | Q(area__path__startswith=reach.path)
    return list(_in_force().filter(q))


def _may_pause(scope: Scope, area: Area | None) -> bool:
    return scope.covers(area, *policy.TRACING)


def _reason(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid(code="reason_required", field="reason")
    if len(text) > REASON_MAX:
        raise Invalid(code="reason_too_long", field="reason", params={"n": REASON_MAX})
    return text


def _where(area: Area | None) -> str:
    return area.code if area is not None else "*"


@transaction.atomic
def pause(actor: User, scope: Scope, area: Area | None, reason: str | None) -> NoticePause:
    """Pause notices in an area (None: the whole country) the officer covers."""
    services.require_tracer(scope)
    if not _may_pause(scope, area):
        raise Forbidden(code="pause_out_of_scope", field="area_code")
    text = _reason(reason)
    try:
        with transaction.atomic():
            paused = NoticePause.objects.create(area=area, reason=text, paused_by=actor)
    except IntegrityError:
        current = _in_force().filter(area=area).first()
        raise Conflict(code="already_paused",
                       extra={"pause": describe(current) if current else None}) from None
    record(actor, "notices_paused", target=paused, reason=f"area={_where(area)} why={text}")
    return paused


@transaction.atomic
def resume(actor: User, scope: Scope, pause_id: int, reason: str | None = "") -> NoticePause:
    """Turn notices back on: another health officer covering the paused area."""
    services.require_tracer(scope)
    visible = {p.pk for p in pauses_for(scope)}
    paused = NoticePause.objects.select_for_update().filter(pk=pause_id).first()
    if paused is None or not (paused.pk in visible or _may_pause(scope, paused.area)):
        raise NotFound(code="pause_not_found")
    if not paused.active:
        raise Conflict(code="not_paused")
    if not _may_pause(scope, paused.area):
        raise Forbidden(code="pause_out_of_scope")
    if paused.paused_by_id == actor.pk:
        raise Forbidden(code="self_resume")
    paused.resumed_by, paused.resumed_at = actor, timezone.now()
    paused.resume_reason = (reason or "").strip()[:REASON_MAX]
    paused.save(update_fields=["resumed_by", "resumed_at", "resume_reason"])
    record(actor, "notices_resumed", target=paused,
           reason=f"area={_where(paused.area)} paused_by={paused.paused_by_id or ''} "
                  f"why={paused.resume_reason}")
    return paused


def officer_label(user: User | None) -> str:
    """How an officer is shown to other officers: their name, else a masked phone."""
    if user is None:
        return ""
    return user.display_name or mask_phone(user.phone)


def describe(paused: NoticePause) -> dict:
    """The pause as every officer it affects reads it (also inside a refusal)."""
    return {"id": paused.pk, "area_code": paused.area.code if paused.area else None,
            "area_name": str(paused.area) if paused.area else str(_("Toàn quốc")),
            "reason": paused.reason, "paused_by": officer_label(paused.paused_by),
            "paused_at": paused.paused_at.isoformat(), "active": paused.active,
            "resumed_by": officer_label(paused.resumed_by),
            "resumed_at": paused.resumed_at.isoformat() if paused.resumed_at else None}


def refuse_if_paused(areas_by_person: dict[int, set[Area]]) -> None:
    """Refuse a send when any chosen contact lives in, or was exposed in, a paused area; the
    refusal names the pauses and the contacts they hold back, so the officer can send the
    others."""
    all_areas = {a for areas in areas_by_person.values() for a in areas}
    in_force = pauses_over(all_areas)
    if not in_force:
        return
    held = {person_id for person_id, areas in areas_by_person.items()
            if _stopped(in_force, areas)}
    raise Conflict(code="notices_paused",
                   extra={"pauses": [describe(p) for p in in_force],
                          "person_ids": sorted(held)})


def _stopped(in_force: list[NoticePause], areas: Iterable[Area]) -> bool:
    ids = {i for area in areas for i in _path_ids(area.path)}
    return any(p.area_id is None or p.area_id in ids for p in in_force)


# Choices on the portal page: the whole country for those who may pause it, then the areas
# the officer covers. A province lists a few hundred communes at most; a national reach lists
# the provinces (a smaller area is paused by its own officers, or through the API).
PAGE_AREAS = 800


def pausable_areas(scope: Scope) -> tuple[bool, list[Area]]:
    """(may pause the country, the areas offered) for a health officer."""
    services.require_tracer(scope)
    if _may_pause(scope, None):
        return True, list(Area.objects.filter(parent__isnull=True))
    return False, list(scope.visible_areas(*policy.TRACING)[:PAGE_AREAS])


def may_resume(scope: Scope, paused: NoticePause) -> bool:
    """Whether the page offers this officer to resume a pause."""
    return (paused.active and scope.user is not None and paused.paused_by_id != scope.user.pk
            and _may_pause(scope, paused.area))
