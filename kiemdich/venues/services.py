"""Venue actions: registration under the one-code-per-place rule, code rotation, posters,
staff phones, dedicated readers, special status and the officers' directory.

Every refusal is a domain error with a stable code and, for bad input, the field it concerns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.accounts import policy, ratelimit
from kiemdich.accounts.models import Sector, User
from kiemdich.accounts.phones import PhoneInvalid, national_form, normalize_phone
from kiemdich.accounts.scopes import Scope
from kiemdich.accounts.sms import plain_name, send_sms
from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core.audit import pseudonym, record
from kiemdich.core.caching import ProcessCache
from kiemdich.core.db import max_length_of, model_field
from kiemdich.core.errors import Conflict, Forbidden, Invalid, NotFound
from kiemdich.core.tokens import digest
from kiemdich.documents import posters
from kiemdich.documents.posters import PosterInfo
from kiemdich.jobs import tasks
from kiemdich.venues import access as venue_access
from kiemdich.venues import codes, devices
from kiemdich.venues.models import Device, RetiredCode, Venue, VenueStaff
from kiemdich.venues.types import VENUE_TYPES, VenueType

if TYPE_CHECKING:
    from kiemdich.documents.posters import PaperSize

logger = logging.getLogger(__name__)

# Officers who may grant full-data visibility; who may browse the directory.
MAX_STAFF_PER_VENUE = 200
MAX_DEVICES_PER_VENUE = 50
MAX_BATCH_POSTERS = 500
# Long tasks (kiemdich/venues/jobs.py).
DIRECTORY_EXPORT = "venues.directory_export"
POSTERS_TASK = "venues.posters"
POSTER_SIZES: tuple[PaperSize, ...] = ("A4", "A5", "A6")
MAX_STAY_MINUTES = 7 * 24 * 60
# Vietnam's mainland and islands, generously: catches swapped or zero coordinates.
_LAT_RANGE, _LON_RANGE = (7.0, 24.0), (102.0, 118.0)
_BUSINESS_REG_NO = re.compile(r"^[0-9A-Z][0-9A-Z\-/.]{3,31}$")
_PLATE = re.compile(r"^\d{2}[A-Z]{1,2}\d?\d{4,5}$")

EDITABLE_FIELDS = ("name", "venue_type", "area_code", "street", "latitude", "longitude",
                   "business_reg_no", "contact_phone", "default_stay_minutes", "opening_hours",
                   "vehicle_plate", "vehicle_route")


# Input -----------------------------------------------------------------------------------


def _text(data: Mapping, field: str, *, required: bool) -> str:
    value = data.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_("%(field)s phải là chuỗi ký tự.") % {"field": field}, field=field)
    value = " ".join(value.split())
    limit = max_length_of(Venue, field)
    if required and not value:
        raise Invalid(_("Vui lòng nhập %(label)s.") % {"label": _label(field)},
                      code="required", field=field)
    if len(value) > limit:
        raise Invalid(code="too_long", field=field, params={"label": _label(field), "n": limit})
    return value


def _label(field: str) -> str:
    return str(model_field(Venue, field).verbose_name)


def _venue_type(value: object) -> VenueType:
    if not isinstance(value, str) or value not in VENUE_TYPES:
        raise Invalid(code="venue_type_unknown", field="venue_type")
    return VENUE_TYPES[value]


def _commune(code: object) -> Area:
    if not isinstance(code, (str, int)) or not str(code).strip():
        raise Invalid(_("Vui lòng chọn xã/phường."), code="required", field="area_code")
    try:
        return resolve_area(str(code), leaf=True)
    except NotFound as exc:
        # For an input field, an unknown code is bad input (422), not a missing object.
        raise Invalid(exc.message, code="area_unknown", field="area_code") from exc


def _number(data: Mapping, field: str) -> float | None:
    value = data.get(field)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Invalid(code="gps_invalid", field=field) from None


def _gps(data: Mapping) -> tuple[float | None, float | None]:
    lat, lon = _number(data, "latitude"), _number(data, "longitude")
    if (lat is None) != (lon is None):
        field = "longitude" if lon is None else "latitude"
        raise Invalid(_("Cần cả vĩ độ và kinh độ."), code="gps_invalid", field=field)
    if lat is not None and not (_LAT_RANGE[0] <= lat <= _LAT_RANGE[1]):
        raise Invalid(_("Vĩ độ nằm ngoài lãnh thổ Việt Nam."), code="gps_invalid",
                      field="latitude")
    if lon is not None and not (_LON_RANGE[0] <= lon <= _LON_RANGE[1]):
        raise Invalid(_("Kinh độ nằm ngoài lãnh thổ Việt Nam."), code="gps_invalid",
                      field="longitude")
    return lat, lon


def _stay(value: object, kind: VenueType) -> int:
    if value in (None, ""):
        return kind.default_stay_minutes
    if isinstance(value, bool) or not isinstance(value, (int, str)) \
            or not str(value).strip().isdigit():
        raise Invalid(_("Thời gian lưu lại phải là số phút."), field="default_stay_minutes")
    minutes = int(str(value).strip())
    if not 1 <= minutes <= MAX_STAY_MINUTES:
        raise Invalid(_("Thời gian lưu lại phải từ 1 đến %(n)s phút.") % {"n": MAX_STAY_MINUTES},
                      field="default_stay_minutes")
    return minutes


def _contact_phone(phone: str) -> str:
    try:
        return normalize_phone(phone) if phone else ""
    except PhoneInvalid as exc:
        raise Invalid(exc.message, code=exc.code, field="contact_phone") from None


def _clean(data: Mapping) -> dict:
    """Model values for a complete set of venue fields, or the first error found."""
    kind = _venue_type(data.get("venue_type"))
    values: dict[str, Any] = {
        "name": _text(data, "name", required=True),
        "venue_type": kind.key,
        "sector": kind.sector,
        "area": _commune(data.get("area_code")),
        "street": _text(data, "street", required=not kind.is_vehicle),
        "opening_hours": _text(data, "opening_hours", required=False),
        "vehicle_plate": _text(data, "vehicle_plate", required=kind.is_vehicle),
        "vehicle_route": _text(data, "vehicle_route", required=kind.is_vehicle),
        "default_stay_minutes": _stay(data.get("default_stay_minutes"), kind),
    }
    values["latitude"], values["longitude"] = _gps(data)
    reg_no = _text(data, "business_reg_no", required=False).upper().replace(" ", "")
    if reg_no and not _BUSINESS_REG_NO.match(reg_no):
        raise Invalid(_("Mã số doanh nghiệp không hợp lệ."), field="business_reg_no")
    values["business_reg_no"] = reg_no
    values["contact_phone"] = _contact_phone(_text(data, "contact_phone", required=False))
    if not kind.is_vehicle:
        values["vehicle_plate"] = values["vehicle_route"] = ""
    elif not _PLATE.match(codes.normalize_plate(values["vehicle_plate"])):
        raise Invalid(_("Biển số xe không hợp lệ (ví dụ 51B-123.45)."), field="vehicle_plate")
    else:
        values["vehicle_plate"] = codes.normalize_plate(values["vehicle_plate"])
    values["address_key"] = codes.address_key(values["area"].pk, values["street"],
                                              values["vehicle_plate"])
    values["place_key"] = codes.place_key(values["address_key"], values["name"],
                                          is_vehicle=kind.is_vehicle)
    return values


def _as_input(venue: Venue) -> dict:
    """A venue's current values in the input shape, so an update can merge a partial change."""
    data = {f: getattr(venue, f) for f in EDITABLE_FIELDS if f != "area_code"}
    data["area_code"] = venue.area.code
    data["contact_phone"] = national_form(venue.contact_phone) if venue.contact_phone else ""
    return data


# The one-code-per-place rule -------------------------------------------------------------


def _existing_registration(values: Mapping, exclude: int | None = None) -> Venue | None:
    same = Q(place_key=values["place_key"])
    if values["business_reg_no"]:
        same |= Q(business_reg_no=values["business_reg_no"], address_key=values["address_key"])
    qs = Venue.objects.filter(same, status=Venue.Status.ACTIVE)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.first()


def _duplicate(existing: Venue, owner: User) -> Conflict:
    """The refusal names the registration that holds the place (its id only for its owner)."""
    described: dict[str, object] = {
        "name": existing.name, "street": existing.street or existing.vehicle_plate,
        "registered_at": timezone.localtime(existing.created_at).strftime("%d/%m/%Y")}
    if existing.owner_id == owner.pk:
        described["id"] = existing.pk
    return Conflict(
        _("Địa điểm này đã được đăng ký: “%(name)s”, %(street)s (ngày %(registered_at)s). "
          "Mỗi địa điểm chỉ có một mã QR; các lối vào dùng chung mã đó.") % described,
        code="venue_duplicate", extra={"existing": described})


def _save_unique(venue: Venue, owner: User) -> Venue:
    """Save, turning a lost race on the database's uniqueness into the same clear refusal."""
    try:
        with transaction.atomic():
            venue.save()
    except IntegrityError:
        existing = _existing_registration(vars(venue), exclude=venue.pk)
        if existing is not None:
            raise _duplicate(existing, owner) from None
        raise
    return venue


def _fresh_code() -> str:
    # 65 random bits: a clash is practically impossible, but a retired code must never
    # come back, so both tables are checked.
    while True:
        code = codes.new_code()
        if not (Venue.objects.filter(code=code).exists()
                or RetiredCode.objects.filter(code=code).exists()):
            return code


# Owners ----------------------------------------------------------------------------------


def register_venue(owner: User, data: Mapping) -> Venue:
    """Register a place of `owner` with a fresh code."""
    values = _clean(data)
    existing = _existing_registration(values)
    if existing is not None:
        raise _duplicate(existing, owner)
    venue = _save_unique(Venue(owner=owner, code=_fresh_code(), **values), owner)
    record(owner, "venue_registered", target=venue)
    return venue


def update_venue(venue: Venue, actor: User, data: Mapping) -> Venue:
    """Change some fields (and/or `status`); the place rule is checked again."""
    unknown = set(data) - set(EDITABLE_FIELDS) - {"status"}
    if unknown:
        field = sorted(unknown)[0]
        raise Invalid(_("Không sửa được trường %(field)s.") % {"field": field}, field=field)
    merged = {**_as_input(venue), **{k: v for k, v in data.items() if k != "status"}}
    values = _clean(merged)
    status = data.get("status", venue.status)
    if status not in Venue.Status.values:
        raise Invalid(_("Trạng thái không hợp lệ."), field="status")
    values["status"] = status
    if status != venue.status:
        values["closed_at"] = timezone.now() if status == Venue.Status.CLOSED else None
    if status == Venue.Status.ACTIVE:
        existing = _existing_registration(values, exclude=venue.pk)
        if existing is not None:
            raise _duplicate(existing, actor)
    for field, value in values.items():
        setattr(venue, field, value)
    _save_unique(venue, actor)
    record(actor, "venue_updated", target=venue, reason=",".join(sorted(data)))
    return venue


@transaction.atomic
def rotate_code(venue: Venue, actor: User) -> Venue:
    """Give the venue a new code; the old one keeps answering "no longer valid"."""
    RetiredCode.objects.create(code=venue.code, venue=venue)
    venue.code = _fresh_code()
    venue.save(update_fields=["code"])
    record(actor, "venue_code_rotated", target=venue)
    return venue


def owner_venue(user: User, venue_id: int) -> Venue:
    """The owner's venue, or 404 for anyone else (staff included)."""
    venue = venue_access.owned_venues(Scope(user)).select_related("area").filter(pk=venue_id) \
        .first() if user is not None and user.is_authenticated else None
    if venue is None:
        raise NotFound(code="venue_unknown")
    return venue


def device_venue(device: Device, venue_id: int) -> Venue:
    """A reader acts for its one venue; any other id is unknown to it."""
    if device.venue_id != venue_id:
        raise NotFound(code="venue_unknown")
    return device.venue


def owned_venues(user: User) -> QuerySet[Venue]:
    return venue_access.owned_venues(Scope(user)).select_related("area").order_by("name", "pk")


def staffed_venues(user: User) -> QuerySet[Venue]:
    return venue_access.staffed_venues(Scope(user)).select_related("area").order_by("name", "pk")


# Every poster check-in names its venue by code: active venues are kept in-process for
# VENUE_CODE_CACHE_SECONDS. Saving a venue (a rotated code, a closure) clears the caches of
# every server process at once (kiemdich.core.invalidation).
VENUE_CODE_CACHE_SECONDS = 30.0
_by_code: ProcessCache[Venue] = ProcessCache(VENUE_CODE_CACHE_SECONDS, max_entries=50_000)


def typed_code(raw: str) -> str:
    """The canonical code for the poster's printed code typed by hand ("Mã nhập tay": any
    case, with or without its dashes and spaces); a refusal that says what a code looks like
    for anything that cannot be one."""
    code = codes.normalize_code(raw)
    if code is None:
        raise Invalid(code="venue_code_invalid", field="venue_code")
    return code


def venue_by_code(raw: str) -> Venue:
    """The active venue a poster's code names; refusals say why (unknown, rotated, closed)."""
    code = codes.normalize_code(raw)
    cached = _by_code.get(code) if code else None
    if cached is not None:
        return cached
    venue = Venue.objects.select_related("area").filter(code=code).first() if code else None
    if venue is not None:
        if venue.status != Venue.Status.ACTIVE:
            raise Invalid(code="venue_closed")
        _by_code.put(code, venue)
        return venue
    if code and RetiredCode.objects.filter(code=code).exists():
        raise Invalid(code="venue_code_retired")
    raise NotFound(_("Không có địa điểm với mã này."), code="venue_unknown")


# Staff phones ----------------------------------------------------------------------------


def list_staff(venue: Venue) -> QuerySet[VenueStaff]:
    return venue.staff.order_by("created_at", "pk")


def add_staff(venue: Venue, actor: User, phone: object) -> tuple[VenueStaff, bool]:
    """Authorise a phone to scan here and tell it by SMS; answers the staff row and whether
    the invitation was sent (see `_invite`)."""
    e164 = normalize_phone(phone)
    if e164 == venue.owner.phone:
        raise Invalid(code="staff_is_owner", field="phone")
    if venue.staff.filter(phone=e164).exists():
        raise Conflict(code="staff_exists")
    if venue.staff.count() >= MAX_STAFF_PER_VENUE:
        raise Invalid(code="staff_limit", field="phone", params={"n": MAX_STAFF_PER_VENUE})
    try:
        with transaction.atomic():
            staff = VenueStaff.objects.create(venue=venue, phone=e164, added_by=actor)
    except IntegrityError:
        raise Conflict(code="staff_exists") from None
    record(actor, "venue_staff_added", target=venue, reason=pseudonym(e164))
    return staff, _invite(venue, actor, e164)


def _invite(venue: Venue, actor: User, phone: str) -> bool:
    """SMS the new staff member, unless the owner or the phone had their day's invitations
    (sliding 24 hours): adding and removing one phone in a loop, or many owners adding the
    same victim, cannot turn invitations into a flood. The authorisation stands either way;
    the owner is told to let the person know. The only text of the owner's in the message
    is the venue's name made plain (no link can survive it)."""
    day = 24 * 3600
    if not (ratelimit.take(f"staff-invite-owner:{actor.pk}",
                           settings.STAFF_INVITES_PER_OWNER_PER_DAY, day).granted
            and ratelimit.take(f"staff-invite-phone:{phone}",
                               settings.STAFF_INVITES_PER_PHONE_PER_DAY, day).granted):
        return False
    name = plain_name(venue.name)
    url = f"{settings.PUBLIC_BASE_URL}/accounts/login/"
    if name:
        text = _("Kiểm Dịch QR: bạn được phép quét mã ra vào tại “%(venue)s”. Đăng nhập "
                 "%(url)s bằng số điện thoại này để mở màn hình quét.") % {
            "venue": name, "url": url}
    else:
        text = _("Kiểm Dịch QR: bạn được phép quét mã ra vào tại một địa điểm. Đăng nhập "
                 "%(url)s bằng số điện thoại này để mở màn hình quét.") % {"url": url}
    send_sms(phone, text, purpose="staff", ref=str(venue.pk))
    return True


def remove_staff(venue: Venue, actor: User, phone: object) -> None:
    e164 = normalize_phone(phone)
    deleted, _rows = venue.staff.filter(phone=e164).delete()
    if not deleted:
        raise NotFound(code="staff_unknown")
    record(actor, "venue_staff_removed", target=venue, reason=pseudonym(e164))


# Dedicated readers -----------------------------------------------------------------------


def list_devices(venue: Venue) -> QuerySet[Device]:
    # Active readers first (NULL ordering differs between SQLite and PostgreSQL).
    return venue.devices.order_by(F("revoked_at").asc(nulls_first=True), "-created_at")


def add_device(venue: Venue, actor: User, name: object) -> tuple[Device, str]:
    """A new reader token for the venue: returned once, kept hashed."""
    if not isinstance(name, str) or not name.strip():
        raise Invalid(_("Vui lòng đặt tên cho máy quét."), code="required", field="name")
    name = " ".join(name.split())
    limit = max_length_of(Device, "name")
    if len(name) > limit:
        raise Invalid(code="too_long", field="name",
                      params={"label": _("Tên máy quét"), "n": limit})
    _check_device_limit(venue)
    device, token = devices.create_device(venue, name)
    record(actor, "venue_device_created", target=device)
    return device, token


def device_active(device: Device) -> bool:
    """Not revoked, and for a kiosk its shift not over."""
    return device.revoked_at is None and (device.expires_at is None
                                          or device.expires_at > timezone.now())


def _check_device_limit(venue: Venue) -> None:
    """At most MAX_DEVICES_PER_VENUE working devices; a kiosk whose shift ended is none."""
    working = venue.devices.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    if working.count() >= MAX_DEVICES_PER_VENUE:
        raise Invalid(code="device_limit", field="name", params={"n": MAX_DEVICES_PER_VENUE})


def enroll_kiosk(venue: Venue, actor: User, previous_token: str | None = None
                 ) -> tuple[Device, str]:
    """A staff phone signs in as the venue's kiosk for one shift (KIOSK_SHIFT_HOURS): a device
    token kept on the phone, so the kiosk scans whatever becomes of the portal session. It is
    listed with the venue's readers and revocable like them. The phone's previous kiosk token
    at this venue, if it sends one, is revoked: one kiosk a phone."""
    _check_device_limit(venue)
    with transaction.atomic():
        # Saved one by one: a save tells every server to forget the token at once.
        for previous in venue.devices.filter(
                token_hash=digest(previous_token or ""), kind=Device.Kind.KIOSK,
                revoked_at__isnull=True) if previous_token else ():
            previous.revoked_at = timezone.now()
            previous.save(update_fields=["revoked_at"])
        name = _("Kiosk của %(phone)s") % {"phone": national_form(actor.phone)}
        device, token = devices.create_device(
            venue, name, kind=Device.Kind.KIOSK, enrolled_by=actor,
            expires_at=timezone.now() + timedelta(hours=settings.KIOSK_SHIFT_HOURS))
        record(actor, "venue_kiosk_enrolled", target=device)
    return device, token


def revoke_device(venue: Venue, actor: User, device_id: int) -> Device:
    device = venue.devices.filter(pk=device_id).first()
    if device is None:
        raise NotFound(code="device_unknown")
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        record(actor, "venue_device_revoked", target=device)
    return device


# Special status --------------------------------------------------------------------------


def _supervised(venue_id: int, officer: User, *roles: str) -> Venue:
    """The venue if the officer's area covers it; 404 if they may not even see it."""
    scope = Scope(officer)
    venue = Venue.objects.select_related("area").filter(pk=venue_id).first()
    if venue is None or not venue_access.may_supervise_venue(scope, venue, *policy.VENUE_DIRECTORY):
        raise NotFound(code="venue_unknown")
    if not venue_access.may_supervise_venue(scope, venue, *roles):
        raise Forbidden(_("Chỉ cán bộ địa bàn hoặc cán bộ y tế phụ trách mới cấp quyền này."))
    return venue


def supervised_venue(officer: User, venue_id: int) -> Venue:
    """A venue in the officer's directory (any directory role), or 404."""
    return _supervised(venue_id, officer, *policy.VENUE_DIRECTORY)


SPECIAL_REASON_MAX = 500


def _reason(reason: object) -> str:
    """The officer's reason, optional as the public contract has it (the portal's form asks
    for one); whitespace runs folded, at most SPECIAL_REASON_MAX characters."""
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if len(text) > SPECIAL_REASON_MAX:
        raise Invalid(code="too_long", field="reason",
                      params={"label": _("Lý do"), "n": SPECIAL_REASON_MAX})
    return text


def set_special(venue: Venue, officer: User, special: bool, reason: object = "") -> Venue:
    """Grant or revoke full-data visibility; only an officer covering the venue."""
    venue = _supervised(venue.pk, officer, *policy.SPECIAL_VENUES)
    text = _reason(reason)
    venue.is_special = special
    venue.special_reason = text if special else ""
    venue.special_granted_by = officer if special else None
    venue.save(update_fields=["is_special", "special_reason", "special_granted_by"])
    record(officer, "venue_special_granted" if special else "venue_special_revoked",
           target=venue, reason=text)
    return venue


# Officers' directory ---------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilters:
    sector: str = ""
    venue_type: str = ""
    area: str = ""
    status: str = ""
    special: bool | None = None
    q: str = ""


def directory_filters(data: Mapping) -> DirectoryFilters:
    """Checked filters from query parameters; a wrong value names its field."""
    sector = str(data.get("sector") or "")
    if sector and sector not in Sector.values:
        raise Invalid(_("Lĩnh vực không hợp lệ."), field="sector")
    venue_type = str(data.get("venue_type") or "")
    if venue_type:
        _venue_type(venue_type)
    status = str(data.get("status") or "")
    if status and status not in Venue.Status.values:
        raise Invalid(_("Trạng thái không hợp lệ."), field="status")
    special = data.get("special")
    if special in (None, ""):
        special = None
    elif str(special).lower() in ("1", "true", "yes"):
        special = True
    elif str(special).lower() in ("0", "false", "no"):
        special = False
    else:
        raise Invalid(_("Giá trị không hợp lệ."), field="special")
    area = str(data.get("area") or "").strip()
    if area and not Area.objects.filter(code=area).exists():
        raise Invalid(_("Không có địa bàn mã %(code)s.") % {"code": area}, code="area_unknown",
                      field="area")
    q = str(data.get("q") or "").strip()[:100]
    return DirectoryFilters(sector, venue_type, area, status, special, q)


def directory(scope: Scope, filters: DirectoryFilters) -> QuerySet[Venue]:
    """Venues of the officer's area (and sector), filtered; refuses non-officers."""
    if not scope.has(*policy.VENUE_DIRECTORY):
        raise Forbidden(_("Danh bạ địa điểm dành cho cán bộ quản lý."))
    qs = venue_access.supervised_venues(scope, *policy.VENUE_DIRECTORY)
    if filters.sector:
        qs = qs.filter(sector=filters.sector)
    if filters.venue_type:
        qs = qs.filter(venue_type=filters.venue_type)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.special is not None:
        qs = qs.filter(is_special=filters.special)
    if filters.area:
        paths = Area.objects.filter(code=filters.area).values_list("path", flat=True)
        in_area = Q(pk__in=[])
        for path in paths:
            in_area |= Q(area__path__startswith=path)
        qs = qs.filter(in_area)
    if filters.q:
        qs = qs.filter(_matching(filters.q))
    return qs.select_related("area", "area__parent").order_by("area__path", "name", "pk")


def _matching(q: str) -> Q:
    """Venues that `q` names: every word of the name or address (accents and case ignored:
    "truong long thanh" finds "Trường THCS Long Thành"), the business number, the plate, the
    code (as typed from a poster, or the poster's whole check-in URL as a scanner reads it)."""
    q = q.strip()
    if "/v/" in q:
        q = q.rsplit("/v/", 1)[1].strip("/")
    words = codes.fold(q).split()
    match = Q(business_reg_no=q.upper().replace(" ", "")) | Q(name__icontains=q)
    if plate := codes.normalize_plate(q):
        match |= Q(vehicle_plate__contains=plate)
    if words:
        match |= Q(*[Q(place_key__contains=w) for w in words])
    if code := codes.normalize_code(q):
        match |= Q(code=code)
    return match


def search_supervised(scope: Scope, q: str, *roles: str, limit: int = 20) -> list[Venue]:
    """Active venues within the roles' area (and sector) that `q` names, for an inspector
    choosing the place of an inspection; nothing for fewer than two characters."""
    q = str(q or "").strip()[:100]
    if len(q) < 2:
        return []
    return list(venue_access.supervised_venues(scope, *roles)
                .filter(_matching(q), status=Venue.Status.ACTIVE)
                .select_related("area").order_by("name", "pk")[:limit])


def directory_rows(venues: Iterable[Venue]) -> tuple[list[str], Iterable[list]]:
    """Headers and rows for the export (through core.exports, safe from formulas)."""
    headers = [_("Mã"), _("Tên địa điểm"), _("Loại hình"), _("Lĩnh vực"), _("Xã/phường"),
               _("Địa chỉ"), _("Biển số"), _("Tuyến"), _("Mã số doanh nghiệp"),
               _("Điện thoại liên hệ"), _("Trạng thái"), _("Đặc biệt"), _("Ngày đăng ký")]

    def rows() -> Iterator[list]:
        for v in venues:
            yield [v.code, v.name, v.get_venue_type_display(), v.get_sector_display(),
                   v.area.name, v.street, v.vehicle_plate, v.vehicle_route, v.business_reg_no,
                   national_form(v.contact_phone) if v.contact_phone else "",
                   v.get_status_display(), v.is_special, v.created_at]

    return headers, rows()


# Figures and posters ---------------------------------------------------------------------


# Today's accepted scans in and out of each venue, for the owner's and officers' pages. The
# scans are the scans app's, on the floor above venues: it gives the count at start-up
# (ScansConfig.ready()), one query for all the venues asked.
FiguresCounter = Callable[[list[int]], Mapping[int, Mapping[str, int]]]
_figures_counters: list[FiguresCounter] = []


def count_figures_with(counter: FiguresCounter) -> None:
    """How today's accepted scans in ("in") and out ("out") are counted per venue, given by
    scans at start-up."""
    _figures_counters[:] = [counter]


def today_figures(venue_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Accepted scans in and out today (local time) per venue (0 for none), in one query."""
    ids = list(venue_ids)
    figures = {pk: {"in": 0, "out": 0} for pk in ids}
    if ids and _figures_counters:
        for pk, counted in _figures_counters[0](ids).items():
            figures[pk].update(counted)
    return figures


def area_labels(areas: Iterable[Area]) -> dict[int, str]:
    """"Commune, District, Province" for each area, with one query for all ancestors."""
    areas = list({a.pk: a for a in areas}.values())
    ids = {int(p) for a in areas for p in a.path.strip("/").split("/") if p}
    names = dict(Area.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {a.pk: ", ".join(names.get(int(p), "") for p in reversed(a.path.strip("/").split("/"))
                            if p) for a in areas}


def venue_address(venue: Venue) -> str:
    """One venue's address line, its area named in full."""
    return address_line(venue, area_labels([venue.area]))


def address_line(venue: Venue, labels: Mapping[int, str]) -> str:
    if venue.is_vehicle:
        return " · ".join(part for part in (venue.vehicle_plate, venue.vehicle_route,
                                            labels[venue.area_id]) if part)
    return ", ".join(part for part in (venue.street, labels[venue.area_id]) if part)


def _poster_infos(venues: list[Venue]) -> list[PosterInfo]:
    labels = area_labels(v.area for v in venues)
    return [PosterInfo(name=v.name, address=address_line(v, labels), code=v.code,
                       checkin_url=v.checkin_url,
                       venue_type_label=str(VENUE_TYPES[v.venue_type].label))
            for v in venues]


def _size(size: object) -> PaperSize:
    value = str(size or "A4").upper()
    for known in POSTER_SIZES:
        if value == known:
            return known
    raise Invalid(code="poster_size_invalid", field="size")


def poster_pdf(venue: Venue, size: object = "A4") -> bytes:
    return posters.poster_pdf(_poster_infos([venue])[0], _size(size))


def poster_png(venue: Venue) -> bytes:
    return posters.poster_png(_poster_infos([venue])[0], dpi=150)


def batch_venues(owner: User) -> list[Venue]:
    """The places of a batch of posters: the owner's active ones, at most MAX_BATCH_POSTERS."""
    venues = list(owned_venues(owner).filter(status=Venue.Status.ACTIVE)[:MAX_BATCH_POSTERS])
    if not venues:
        raise NotFound(code="no_active_venues")
    return venues


def batch_posters_pdf(owner: User, size: object = "A4",
                      progress: Callable[[int], None] | None = None) -> bytes:
    """All of an owner's active places in one PDF, one poster per page (four to a sheet on
    A6); `progress(n)` is told each poster laid out."""
    size = _size(size)
    venues = batch_venues(owner)

    return posters.posters_pdf(_poster_infos(venues), size, progress)


def start_batch_posters(owner: User, size: object) -> tasks.Task:
    """The batch as a long task (the owner's page): checked now, made by a worker."""
    size = _size(size)
    batch_venues(owner)
    return tasks.start(POSTERS_TASK, owner, label=_("Mã QR khổ %(size)s") % {"size": size},
                       params={"size": size})


def venue_types() -> list[dict]:
    return [{"key": t.key, "sector": t.sector, "label": str(t.label),
             "sector_label": str(Sector(t.sector).label),
             "default_stay_minutes": t.default_stay_minutes, "is_vehicle": t.is_vehicle}
            for t in VENUE_TYPES.values()]
