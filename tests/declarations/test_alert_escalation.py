"""A symptom alert texts its commune's health officers (through the SMS outbox), shows as a
badge in their menu, and climbs one level (district, province, country) each time it stays
unhandled past ALERT_ESCALATION_MINUTES — once a level, never after someone acted on it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiemdich.accounts.models import SmsMessage
from kiemdich.declarations.models import SymptomAlert
from kiemdich.privacy.models import AuditEntry
from tests.people.support import answers, ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers(areas, make_officer):
    return {
        "commune": make_officer("0913100001", "health_officer", areas["25993"]),
        "commune2": make_officer("0913100011", "health_officer", areas["25993"]),
        "district": make_officer("0913100002", "health_officer", areas["731"]),
        "province": make_officer("0913100003", "health_officer", areas["75"]),
        "other_commune": make_officer("0913100005", "health_officer", areas["25996"]),
        "other_district": make_officer("0913100006", "health_officer", areas["740"]),
        "officer_same_commune": make_officer("0913100008", "officer", areas["25993"]),
    }


def _phones(officers, *names) -> list[str]:
    return sorted(officers[n].user.phone for n in names)


def _told(outbox) -> list[str]:
    return sorted(m["phone"] for m in outbox.messages() if "/alerts/" in m["text"])


def _declare_sick(lan) -> SymptomAlert:
    me = ready(lan)
    response = lan.post(f"/api/v1/people/{me}/declarations", answers(fever=True))
    assert response.status_code == 201 and response.json()["alert_raised"] is True
    return SymptomAlert.objects.get()


def _window_passes(alert: SymptomAlert) -> None:
    """The escalation window elapses (the time it is due moves into the past)."""
    SymptomAlert.objects.filter(pk=alert.pk).update(
        escalate_at=timezone.now() - timedelta(seconds=1))


def _run_escalation() -> str:
    out = StringIO()
    call_command("run_job", "alerts.escalate", stdout=out)
    return out.getvalue()


def test_a_symptom_texts_the_communes_health_officers_and_nobody_else(lan, officers, outbox):
    alert = _declare_sick(lan)
    assert _told(outbox) == _phones(officers, "commune", "commune2")
    text = outbox.messages()[-1]["text"]
    assert f"/alerts/{alert.pk}/" in text and "Phường Trảng Dài" in text
    assert "Trần Thị Lan" not in text and lan.user.phone not in text  # no personal data
    assert SmsMessage.objects.filter(purpose="alert", ref=str(alert.pk)).count() == 2
    assert AuditEntry.objects.filter(action="alert_notified",
                                     target=f"declarations.symptomalert:{alert.pk}").exists()

    # Answering "no symptoms" raises nothing and texts nobody.
    lan.post(f"/api/v1/people/{alert.person_id}/declarations", answers())
    assert len(_told(outbox)) == 2


def test_unhandled_past_the_window_goes_to_the_district_once_then_the_province(
        lan, officers, outbox, settings):
    settings.ALERT_ESCALATION_MINUTES = 90
    alert = _declare_sick(lan)
    before = _told(outbox)

    assert "0 alert(s) escalated" in _run_escalation()  # still within the window
    assert _told(outbox) == before

    _window_passes(alert)
    assert "1 alert(s) escalated" in _run_escalation()
    district = [m for m in outbox.messages() if m["phone"] == officers["district"].user.phone]
    assert len(district) == 1 and "90 phút" in district[0]["text"]
    assert _told(outbox) == sorted(before + _phones(officers, "district"))

    assert "0 alert(s) escalated" in _run_escalation()  # once per level
    assert _told(outbox) == sorted(before + _phones(officers, "district"))

    _window_passes(alert)
    _run_escalation()
    assert _told(outbox) == sorted(before + _phones(officers, "district", "province"))
    escalations = AuditEntry.objects.filter(action="alert_escalated",
                                            target=f"declarations.symptomalert:{alert.pk}")
    assert [e.reason.split()[1] for e in escalations.order_by("pk")] == ["area=731",
                                                                        "area=75"]
    # Nobody holds the whole country: the last check finds no one above and stops there.
    _window_passes(alert)
    assert "0 alert(s) escalated" in _run_escalation()
    assert SymptomAlert.objects.get().escalate_at is None
    assert len(escalations) == 2
    assert _phones(officers, "other_commune")[0] not in _told(outbox)
    assert _phones(officers, "other_district")[0] not in _told(outbox)


def test_a_handled_alert_is_not_escalated(lan, officers, outbox):
    alert = _declare_sick(lan)
    response = officers["commune"].post(f"/api/v1/alerts/{alert.pk}/actions",
                                        {"status": "called", "note": "đã gọi"})
    assert response.status_code == 201
    _window_passes(alert)
    assert "0 alert(s) escalated" in _run_escalation()
    assert officers["district"].user.phone not in _told(outbox)


def test_a_commune_without_health_officers_goes_straight_to_the_district(
        lan, areas, make_officer, outbox):
    district = make_officer("0913100022", "health_officer", areas["731"])
    alert = _declare_sick(lan)
    assert _told(outbox) == [district.user.phone]
    assert alert.notified_level == 1


def test_the_menu_badge_counts_unhandled_alerts_in_the_officers_reach(lan, officers, client):
    alert = _declare_sick(lan)
    client.force_login(officers["district"].user)
    assert 'data-unhandled-alerts="1"' in client.get("/alerts/").content.decode()
    client.force_login(officers["other_commune"].user)
    assert "data-unhandled-alerts" not in client.get("/alerts/").content.decode()
    officers["commune"].post(f"/api/v1/alerts/{alert.pk}/actions", {"status": "called"})
    client.force_login(officers["district"].user)
    assert "data-unhandled-alerts" not in client.get("/alerts/").content.decode()
