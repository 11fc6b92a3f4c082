"""Pausing exposure notices: a scope, a reason, shown to whom it affects, and a second person
to resume. Through the API and the portal page."""

from __future__ import annotations

import pytest
from django.test import Client

from kiemdich.accounts.models import Role
from kiemdich.privacy.models import AuditEntry
from kiemdich.tracing.models import Notice, NoticePause
from tests.tracing.conftest import at

pytestmark = pytest.mark.django_db

REASON = "Nghi ngờ kết quả xét nghiệm sai, đang kiểm tra lại"


def named(client, name: str):
    client.user.display_name = name
    client.user.save(update_fields=["display_name"])
    return client


@pytest.fixture
def xa(make_officer, areas):
    """A health officer of the commune Trảng Dài (25993), in district 731 of province 75."""
    return named(make_officer("0912000060", Role.HEALTH_OFFICER, areas["25993"]), "Cán bộ Xã A")


@pytest.fixture
def xa2(make_officer, areas):
    """Another health officer of the same commune."""
    return named(make_officer("0912000061", Role.HEALTH_OFFICER, areas["25993"]), "Cán bộ Xã A2")


@pytest.fixture
def xb(make_officer, areas):
    """A health officer of the neighbouring commune Tân Phong (25996)."""
    return named(make_officer("0912000062", Role.HEALTH_OFFICER, areas["25996"]), "Cán bộ Xã B")


@pytest.fixture
def case(world, mai):
    """An F0 who ate at a café in Trảng Dài and at a shop in Long Thành: one contact lives in
    Trảng Dài and met them there, one lives in Long Thành and met them in Long Thành."""
    f0 = world.person("F0", phone="+84912700000")
    cafe = world.venue("Quán Cà Phê Trảng Dài", commune="25993")
    shop = world.venue("Tiệm Tạp Hóa Long Thành", commune="26368")
    near = world.person("Người Trảng Dài", phone="+84912700001", commune="25993")
    far = world.person("Người Long Thành", phone="+84912700002", commune="26368")
    world.visit(f0, cafe, at(10, 10), at(10, 11))
    world.visit(f0, shop, at(11, 10), at(11, 11))
    world.visit(near, cafe, at(10, 10, 30), at(10, 11, 30))
    world.visit(far, shop, at(11, 10, 30), at(11, 11, 30))
    response = mai.post("/api/v1/cases", {"person": {"phone": "0912700000"},
                                          "confirmed_at": at(15, 12).isoformat()})
    assert response.status_code == 201, response.content
    return {"id": response.json()["id"], "near": near, "far": far}


def pause(client, area_code: str | None, reason: str | None = REASON):
    body = {"area_code": area_code} if reason is None else {"area_code": area_code,
                                                            "reason": reason}
    return client.post("/api/v1/tracing/pauses", body)


def code(response) -> str:
    return response.json()["error"]["code"]


def page_client(api_client) -> Client:
    client = Client()
    client.force_login(api_client.user)
    return client


def test_an_officer_pauses_only_their_own_area(xa, mai, khoa, lan, admin_client, areas):
    # A commune officer cannot stop the province, the country, or another province.
    for area in ("75", "731", "25996", "74", None):
        refused = pause(xa, area)
        assert refused.status_code == 403, (area, refused.content)
        assert code(refused) == "pause_out_of_scope"
    # A province officer pauses the province but not the country, nor another province.
    assert code(pause(mai, None)) == "pause_out_of_scope"
    assert code(pause(mai, "74")) == "pause_out_of_scope"
    assert code(pause(khoa, "25993")) == "pause_out_of_scope"
    # Citizens never.
    assert pause(lan, "25993").status_code == 403
    assert NoticePause.objects.count() == 0

    own = pause(xa, "25993")
    assert own.status_code == 201, own.content
    body = own.json()
    assert body["area_code"] == "25993" and body["area_name"] == "Phường Trảng Dài"
    assert body["reason"] == REASON and body["paused_by"] == "Cán bộ Xã A"
    assert body["active"] is True and body["resumed_at"] is None
    again = pause(mai, "25993")
    assert again.status_code == 409 and code(again) == "already_paused"
    assert again.json()["error"]["pause"]["paused_by"] == "Cán bộ Xã A"

    province = pause(mai, "75")
    assert province.status_code == 201
    country = pause(admin_client, None)
    assert country.status_code == 201 and country.json()["area_code"] is None
    assert country.json()["area_name"] == "Toàn quốc"
    assert code(pause(admin_client, None)) == "already_paused"

    entry = AuditEntry.objects.filter(action="notices_paused").order_by("id").first()
    assert entry.actor_id == xa.user.pk
    assert entry.target == f"tracing.noticepause:{body['id']}"
    assert entry.reason == f"area=25993 why={REASON}"


def test_a_reason_is_required(xa):
    for reason in (None, "", "   \n"):
        refused = pause(xa, "25993", reason)
        assert refused.status_code == 422 and code(refused) == "reason_required"
    too_long = pause(xa, "25993", "x" * 501)
    assert too_long.status_code == 422 and code(too_long) == "reason_too_long"
    unknown = pause(xa, "99999")
    assert unknown.status_code == 404 and code(unknown) == "area_unknown"
    assert pause(xa, "25993", "x" * 500).status_code == 201


def test_a_pause_stops_notices_to_people_and_visits_in_the_area_and_below(
        mai, thu, khoa, case, outbox, settings):
    named(mai, "Cán bộ Tỉnh")
    url = f"/api/v1/cases/{case['id']}/notice-batches"
    # Another province's pause changes nothing here.
    assert pause(khoa, "74").status_code == 201
    # A pause of the district 731 holds back the contact who lives and met the F0 there.
    paused = pause(mai, "731").json()
    refused = mai.post(url, {})
    assert refused.status_code == 409 and code(refused) == "notices_paused"
    error = refused.json()["error"]
    assert error["person_ids"] == [case["near"].pk]
    assert [(p["area_code"], p["reason"], p["paused_by"]) for p in error["pauses"]] == [
        ("731", REASON, "Cán bộ Tỉnh")]
    assert Notice.objects.count() == 0 and outbox.messages() == []

    # The others still go out.
    others = mai.post(url, {"person_ids": [case["far"].pk]})
    assert others.status_code == 201 and others.json()["status"] == "sent"
    assert [m["phone"] for m in outbox.messages()] == ["+84912700002"]

    # Resumed by a second officer: the held contact is warned.
    assert thu.post(f"/api/v1/tracing/pauses/{paused['id']}/resume", {}).status_code == 200
    assert mai.post(url, {}).json()["notices"] == 1
    assert Notice.objects.count() == 2


def test_a_pause_where_the_contact_lives_holds_them_even_when_met_elsewhere(
        world, mai, case, areas):
    # The Long Thành contact moves home to Tân Phong: a pause there holds them back, though
    # they met the F0 in Long Thành.
    far = case["far"]
    far.area = areas["25996"]
    far.save(update_fields=["area"])
    pause(mai, "25996")
    refused = mai.post(f"/api/v1/cases/{case['id']}/notice-batches", {})
    assert refused.json()["error"]["person_ids"] == [far.pk]


def test_a_batch_waiting_for_approval_cannot_go_out_while_paused(mai, thu, case, outbox,
                                                                  settings):
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 1
    batch = mai.post(f"/api/v1/cases/{case['id']}/notice-batches", {}).json()
    assert batch["status"] == "pending"
    pause(mai, "75")
    blocked = thu.post(f"/api/v1/notice-batches/{batch['id']}/approve")
    assert blocked.status_code == 409 and code(blocked) == "notices_paused"
    assert outbox.messages() == [] and Notice.objects.count() == 0


def test_who_paused_when_and_why_is_shown_to_everyone_it_affects(xa, xb, mai, khoa,
                                                                 admin_client, case):
    paused = pause(xa, "25993").json()
    for affected in (xa, mai, admin_client):  # the commune itself, above it, the country
        settings = affected.get("/api/v1/tracing/settings").json()
        assert settings["notices_enabled"] is False
        assert [(p["id"], p["reason"], p["paused_by"]) for p in settings["pauses"]] == [
            (paused["id"], REASON, "Cán bộ Xã A")]
        assert settings["pauses"][0]["paused_at"] == paused["paused_at"]
    for unaffected in (xb, khoa):  # the commune next door, another province
        assert unaffected.get("/api/v1/tracing/settings").json() == {
            "notices_enabled": True, "pauses": []}
    # A province's pause reaches the communes under it.
    pause(mai, "75")
    assert len(xb.get("/api/v1/tracing/settings").json()["pauses"]) == 1

    # The portal: the list and the case page of an officer of the province.
    listing = page_client(mai).get("/tracing/").content.decode()
    case_page = page_client(mai).get(f"/tracing/{case['id']}/").content.decode()
    for html in (listing, case_page):
        assert REASON in html and "Tạm dừng bởi Cán bộ Xã A lúc" in html
        assert "Phường Trảng Dài" in html
    assert REASON not in page_client(khoa).get("/tracing/").content.decode()


def test_resuming_needs_a_different_authorised_officer(xa, xa2, xb, mai, khoa):
    paused = pause(xa, "25993").json()
    url = f"/api/v1/tracing/pauses/{paused['id']}/resume"
    own = xa.post(url, {})
    assert own.status_code == 403 and code(own) == "self_resume"
    # Officers it does not concern do not even learn of it.
    for outsider in (xb, khoa):
        hidden = outsider.post(url, {})
        assert hidden.status_code == 404 and code(hidden) == "pause_not_found"
    assert mai.post("/api/v1/tracing/pauses/987654/resume", {}).status_code == 404
    assert NoticePause.objects.get().active

    resumed = xa2.post(url, {"reason": "Đã xác minh"})
    assert resumed.status_code == 200, resumed.content
    body = resumed.json()
    assert body["active"] is False and body["resumed_by"] == "Cán bộ Xã A2"
    assert body["resumed_at"]
    assert code(mai.post(url, {})) == "not_paused"
    entry = AuditEntry.objects.get(action="notices_resumed")
    assert entry.actor_id == xa2.user.pk
    assert entry.reason == f"area=25993 paused_by={xa.user.pk} why=Đã xác minh"

    # A commune officer sees the province's pause but cannot lift it.
    province = pause(mai, "75").json()
    above = xa.post(f"/api/v1/tracing/pauses/{province['id']}/resume", {})
    assert above.status_code == 403 and code(above) == "pause_out_of_scope"
    assert above.json()["error"]["message"] == \
        "Bạn chỉ có thể tạm dừng hay bật lại thông báo trong địa bàn mình phụ trách."


def test_the_portal_pauses_and_resumes(xa, xa2, areas):
    page = page_client(xa)
    # The choice offers the officer's own commune, not the province.
    form = page.get("/tracing/").content.decode()
    assert f'value="{areas["25993"].pk}"' in form
    assert f'value="{areas["75"].pk}"' not in form

    no_reason = page.post("/tracing/pauses/", {"area": areas["25993"].pk, "reason": " "},
                          follow=True)
    assert "Cho biết lý do tạm dừng thông báo." in no_reason.content.decode()
    out_of_scope = page.post("/tracing/pauses/", {"area": areas["75"].pk, "reason": REASON},
                             follow=True)
    assert "Bạn chỉ có thể tạm dừng hay bật lại thông báo trong địa bàn mình phụ trách." in \
        out_of_scope.content.decode()
    assert NoticePause.objects.count() == 0

    done = page.post("/tracing/pauses/", {"area": areas["25993"].pk, "reason": REASON},
                     follow=True).content.decode()
    assert "Đã tạm dừng thông báo ở địa bàn đã chọn." in done and REASON in done
    assert "Một cán bộ y tế khác phụ trách địa bàn này phải bật lại." in done
    paused = NoticePause.objects.get()

    own = page.post(f"/tracing/pauses/{paused.pk}/resume/", {}, follow=True).content.decode()
    assert "Cần một cán bộ y tế khác bật lại thông báo mà bạn đã tạm dừng." in own
    other = page_client(xa2)
    assert f"/tracing/pauses/{paused.pk}/resume/" in other.get("/tracing/").content.decode()
    resumed = other.post(f"/tracing/pauses/{paused.pk}/resume/", {"reason": "Đã xác minh"},
                         follow=True).content.decode()
    assert "Đã bật lại thông báo." in resumed and REASON not in resumed
    assert page.post("/tracing/pauses/", {"area": "987654", "reason": REASON}).status_code == 404
    again = other.post(f"/tracing/pauses/{paused.pk}/resume/", {"reason": "Đã xác minh"},
                       follow=True)
    assert again.redirect_chain == [("/tracing/#notice-switch", 302)]
    assert "Thông báo ở địa bàn này đã được bật lại." in again.content.decode()
    assert other.post("/tracing/pauses/987654/resume/", {"reason": "x"}).status_code == 404
