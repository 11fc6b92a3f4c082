"""Who may follow and download a long task: the account that started it, and an admin or
auditor within whose reach lies every grant of that account (area and sector); nobody else,
not a colleague of the same area, not an admin of another district, not an auditor limited
to another sector, and nobody for a venue owner's file. Every download is in the audit
trail; only the starting account cancels. (Runs taken in this process: the worker's own
process is tested in test_exports.py.)"""

from __future__ import annotations

import pytest
from django.test import Client

from kiemdich.accounts.models import Role, User
from kiemdich.accounts.services import grant_role
from kiemdich.jobs.models import Task
from kiemdich.privacy.models import AuditEntry
from kiemdich.venues.models import Venue
from tests.conftest import officer, run_queued_tasks

pytestmark = pytest.mark.django_db


def portal(phone: str, role: str, area=None, sector: str = "") -> Client:
    client = Client()
    client.force_login(grant_role(phone, role, area, sector).user)
    return client


@pytest.fixture
def export(areas, make_client):
    """A finished directory export of an officer of district 731."""
    owner = make_client("0912000401").user
    Venue.objects.create(code="R1", name="Quán Một", venue_type="restaurant", sector="trade",
                         area=areas["25993"], street="1 Lê Lợi", place_key="r1", owner=owner,
                         default_stay_minutes=60, contact_phone="+84912000402")
    starter = portal("0912000411", Role.OFFICER, areas["731"])
    starter.post("/venues/directory/", {"format": "csv"})
    task = Task.objects.get()
    assert run_queued_tasks() == ["done"]
    return starter, task


def downloads(task: Task) -> list[tuple[int, str]]:
    return list(AuditEntry.objects.filter(action="export", target=f"task:{task.pk}")
                .order_by("id").values_list("actor_id", "reason"))


def test_the_owner_and_those_overseeing_them_download_each_time_audited(areas, export):
    starter, task = export
    file = b"".join(starter.get(f"/jobs/tasks/{task.pk}/result").streaming_content)
    assert "Quán Một" in file.decode("utf-8-sig")
    province_admin = portal("0912000412", Role.ADMIN, areas["75"])
    district_auditor = portal("0912000413", Role.AUDITOR, areas["731"])
    for client in (province_admin, district_auditor):
        page = client.get(f"/jobs/tasks/{task.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "data-task-download" in html and "data-task-cancel" not in html
        download = client.get(f"/jobs/tasks/{task.pk}/result")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == file
    admin_id, auditor_id = (User.objects.get(phone=phone).pk
                            for phone in ("+84912000412", "+84912000413"))
    assert downloads(task) == [
        (task.owner_id, "venues.directory_export dia-diem.csv"),
        (admin_id, f"venues.directory_export dia-diem.csv owner={task.owner_id}"),
        (auditor_id, f"venues.directory_export dia-diem.csv owner={task.owner_id}")]


def test_an_api_client_overseeing_the_owner_downloads_but_does_not_cancel(areas, export):
    _starter, task = export
    auditor = officer("0912000414", Role.AUDITOR, areas["75"])
    status = auditor.get(f"/api/v1/tasks/{task.pk}")
    assert status.status_code == 200 and status.json()["status"] == "done"
    assert status.json()["download_url"] == f"/api/v1/tasks/{task.pk}/result"
    download = auditor.get(status.json()["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="dia-diem.csv"'
    assert "Quán Một" in b"".join(download.streaming_content).decode("utf-8-sig")
    refused = auditor.post(f"/api/v1/tasks/{task.pk}/cancel")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "task_not_owner"


def test_on_the_page_only_the_owner_cancels_and_a_finished_task_says_so(areas, export):
    starter, task = export
    overseer = portal("0912000415", Role.ADMIN, areas["75"])
    refused = overseer.post(f"/jobs/tasks/{task.pk}/cancel")
    assert refused.status_code == 403
    unknown = starter.post(f"/jobs/tasks/{task.pk + 1000}/cancel")
    assert unknown.status_code == 404
    finished = starter.post(f"/jobs/tasks/{task.pk}/cancel", follow=True)
    assert finished.redirect_chain == [(f"/jobs/tasks/{task.pk}/", 302)]
    assert "Công việc đã kết thúc, không thể hủy." in finished.content.decode()
    task.refresh_from_db()
    assert (task.status, task.cancel_requested) == ("done", False)


def test_anyone_else_is_told_the_task_does_not_exist(areas, export):
    _starter, task = export
    before = downloads(task)
    refused = {
        "a colleague of the same district": (Role.OFFICER, areas["731"], ""),
        "an admin of another district": (Role.ADMIN, areas["740"], ""),
        "an auditor of another district": (Role.AUDITOR, areas["740"], ""),
        "an auditor of the health sector only": (Role.AUDITOR, areas["75"], "health"),
        "a health officer of the province": (Role.HEALTH_OFFICER, areas["75"], ""),
    }
    for n, (who, (role, area, sector)) in enumerate(refused.items()):
        client = officer(f"09120005{n:02d}", role, area, sector)
        for path in (f"/api/v1/tasks/{task.pk}", f"/api/v1/tasks/{task.pk}/result"):
            answer = client.get(path)
            assert (answer.status_code, answer.json()["error"]["code"]) == \
                (404, "task_not_found"), who
        page = portal(f"09120006{n:02d}", role, area, sector)
        for path in (f"/jobs/tasks/{task.pk}/", f"/jobs/tasks/{task.pk}/result"):
            assert page.get(path).status_code == 404, who
    assert downloads(task) == before


def test_an_account_holding_a_grant_elsewhere_is_overseen_only_from_above_both(areas):
    owner = grant_role("0912000421", Role.OFFICER, areas["731"]).user
    grant_role("0912000421", Role.OFFICER, areas["740"])
    task = Task.objects.create(kind="venues.directory_export", owner=owner)
    district_admin = officer("0912000422", Role.ADMIN, areas["731"])
    assert district_admin.get(f"/api/v1/tasks/{task.pk}").status_code == 404
    province_admin = officer("0912000423", Role.ADMIN, areas["75"])
    assert province_admin.get(f"/api/v1/tasks/{task.pk}").status_code == 200


def test_a_venue_owners_file_is_theirs_alone(areas, make_client):
    owner = make_client("0912000431")
    venue = Venue.objects.create(code="R2", name="Quán Hai", venue_type="restaurant",
                                 sector="trade", area=areas["25993"], street="2 Lê Lợi",
                                 place_key="r2", owner=owner.user, default_stay_minutes=60)
    browser = Client()
    browser.force_login(owner.user)
    started = browser.post(f"/scan/{venue.pk}/visits/", {"format": "csv"})
    task = Task.objects.get()
    assert started["Location"] == f"/jobs/tasks/{task.pk}/"
    assert run_queued_tasks() == ["done"]
    assert owner.get(f"/api/v1/tasks/{task.pk}/result").status_code == 200
    national = officer("0912000432", Role.ADMIN)
    national_auditor = officer("0912000433", Role.AUDITOR)
    for client in (national, national_auditor):
        assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 404
