"""One small world for the security suite: every role, each owning something, and the other
side of each relation (another citizen, another owner, an officer of another area).

Lan (citizen) manages herself and a child; Nam is another citizen; Minh owns the café in
district 731 where Hoa is staff and a reader is installed; Bình owns a shop in province 74;
officers of district 731 (inside) and 740 (outside); a health officer of province 75; an admin.
Nam tested positive: his case lists Lan's child as a contact at the café.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role
from kiemdich.declarations.models import Declaration, SymptomAlert
from kiemdich.jobs.models import Task
from kiemdich.people.models import Credential, Person
from kiemdich.tracing.models import Case, CaseRequest, Notice, NoticeBatch, NoticePause
from kiemdich.venues.devices import create_device
from kiemdich.venues.models import VenueStaff
from kiemdich.zones.models import Zone
from tests.conftest import ApiClient, client_for
from tests.privacy.factories import venue, visit

PERSONAS = ("anon", "citizen", "other_citizen", "owner", "other_owner", "staff", "officer",
            "officer_out", "health", "admin", "device")


@dataclass
class World:
    clients: dict[str, ApiClient] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)


def build(areas) -> World:
    world = World()
    c = world.clients
    c["anon"] = ApiClient()
    c["citizen"] = client_for("0912000001")
    c["other_citizen"] = client_for("0912000011")
    c["owner"] = client_for("0912000002")
    c["other_owner"] = client_for("0912000003")
    c["staff"] = client_for("0912000004")
    for name, phone, role, area in (("officer", "0912000020", Role.OFFICER, areas["731"]),
                                    ("officer_out", "0912000021", Role.OFFICER, areas["740"]),
                                    ("health", "0912000022", Role.HEALTH_OFFICER, areas["75"]),
                                    ("admin", "0912000099", Role.ADMIN, None)):
        grant_role(phone, role, area)
        c[name] = client_for(phone)

    cafe = venue(c["owner"].user, areas["25993"], "Quán cà phê Hòa Bình",
                 latitude=10.77, longitude=106.69)
    shop = venue(c["other_owner"].user, areas["25741"], "Tiệm tạp hóa")
    VenueStaff.objects.create(venue=cafe, phone=c["staff"].user.phone)
    device, token = create_device(cafe, "Cổng chính")
    c["device"] = ApiClient()
    c["device"].defaults["HTTP_AUTHORIZATION"] = f"Device {token}"

    lan = Person.objects.get_or_create(account=c["citizen"].user, is_self=True)[0]
    Person.objects.filter(pk=lan.pk).update(full_name="Trần Thị Lan", area=areas["25993"],
                                            phone=c["citizen"].user.phone)
    child = Person.objects.create(account=c["citizen"].user, full_name="Trần Bảo An",
                                  relationship="con", area=areas["25993"])
    nam = Person.objects.get_or_create(account=c["other_citizen"].user, is_self=True)[0]
    Person.objects.filter(pk=nam.pk).update(full_name="Lê Văn Nam", area=areas["25993"])
    card = Credential.objects.create(person=lan, serial=900001,
                                     expires_at=timezone.now() + timedelta(days=90))
    now = timezone.now()
    declaration = Declaration.objects.create(person=lan, created_at=now, fever=True,
                                             has_symptoms=True, area=areas["25993"],
                                             local_date=timezone.localdate(now))
    alert = SymptomAlert.objects.create(declaration=declaration, person=lan,
                                        area=areas["25993"])
    stay = now - timedelta(days=2)
    visit(cafe, nam, stay)
    visit(cafe, child, stay + timedelta(minutes=20))
    case = Case.objects.create(person=nam, area=areas["25993"], confirmed_at=now,
                               window_start=now - timedelta(days=14), window_end=now,
                               margin_minutes=60, created_by=c["health"].user)
    batch = NoticeBatch.objects.create(case=case, person_ids=[child.pk], needs_approval=True,
                                       status=NoticeBatch.Status.PENDING,
                                       created_by=c["health"].user)
    sent = NoticeBatch.objects.create(case=case, person_ids=[lan.pk], needs_approval=False,
                                      status=NoticeBatch.Status.SENT,
                                      created_by=c["health"].user)
    notice = Notice.objects.create(case=case, batch=sent, person=lan, account=c["citizen"].user,
                                   venue=cafe, exposed_from=stay, exposed_until=stay, sent_at=now)
    # Paused by an account since removed, so any health officer of the province may resume it.
    pause = NoticePause.objects.create(area=areas["740"], reason="Kiểm tra lại", paused_by=None)
    # Asked by a health officer of another province: Nam lives in the health persona's.
    asker = grant_role("0912000030", Role.HEALTH_OFFICER, areas["74"]).user
    case_request = CaseRequest.objects.create(
        requested_by=asker, person=nam, area=areas["25993"], confirmed_at=now,
        window_start=now - timedelta(days=14), window_end=now, margin_minutes=60)
    # An import the officer started, waiting for a worker.
    task = Task.objects.create(kind="reports.import", owner=c["officer"].user, label="ds.csv",
                               params={"kind": "establishments", "all_or_nothing": False,
                                       "organisation": None})
    # A lockdown drawn by the district's officer on one of its communes.
    zone = Zone.objects.create(kind=Zone.Kind.LOCKDOWN, area=areas["25993"],
                               starts_on=timezone.localdate(),
                               ends_on=timezone.localdate() + timedelta(days=14),
                               created_by=c["officer"].user)
    world.ids.update(
        task=task.pk, zone=zone.pk, request=case_request.pk, pause=pause.pk, notice=notice.pk,
        person=lan.pk,
        child=child.pk, other_person=nam.pk, venue=cafe.pk, venue_code=cafe.code,
        other_venue=shop.pk, device=device.pk, staff_phone=c["staff"].user.phone,
        serial=card.serial, alert=alert.pk, case=case.pk, batch=batch.pk,
    )
    return world
