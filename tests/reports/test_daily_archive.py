"""Daily reports on the schedule: an area asks for its report by e-mail in the portal; each
morning the job reports.daily makes yesterday's report, e-mails it (PDF and XLSX attached)
and keeps it in the archive, once, whoever runs the job again."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import grant_role
from kiemdich.core import clock
from kiemdich.reports.models import DailyReport, ReportSubscription

pytestmark = pytest.mark.django_db


def officer_page(phone: str, area) -> Client:
    client = Client()
    client.force_login(grant_role(phone, Role.OFFICER, area).user)
    return client


@pytest.fixture
def district(areas):
    return areas["731"]


def test_an_officer_subscribes_an_area_and_it_gets_yesterdays_report_once(district, areas):
    client = officer_page("0912000081", district)
    answer = client.post("/reports/daily/", {"area": "731",
                                             "emails": "ubnd@example.org\nyte@example.org"})
    assert answer.status_code == 302
    assert ReportSubscription.objects.get(area=district).recipients == [
        "ubnd@example.org", "yte@example.org"]

    out = StringIO()
    call_command("run_job", "reports.daily", stdout=out)
    assert "1 report(s), 1 e-mailed" in out.getvalue()
    yesterday = clock.today() - timedelta(days=1)
    [message] = mail.outbox
    assert message.to == ["ubnd@example.org", "yte@example.org"]
    assert district.name in message.subject
    assert [(name, kind) for name, _content, kind in message.attachments] == [
        (f"bao-cao-731-{yesterday.isoformat()}.pdf", "application/pdf"),
        (f"bao-cao-731-{yesterday.isoformat()}.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    assert message.attachments[0][1].startswith(b"%PDF")

    call_command("run_job", "reports.daily", stdout=(again := StringIO()))
    assert "1 report(s), 0 e-mailed" in again.getvalue()
    assert len(mail.outbox) == 1
    report = DailyReport.objects.get()
    assert (report.area, report.day) == (district, yesterday)

    html = client.get("/reports/daily/").content.decode()
    assert f'data-report="731-{yesterday.isoformat()}"' in html
    pdf = client.get(f"/reports/daily/{report.pk}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/reports/daily/{report.pk}.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")

    # Another district's officer sees neither the report nor the subscription.
    other = officer_page("0912000082", areas["740"])
    assert 'data-report="731-' not in other.get("/reports/daily/").content.decode()
    assert other.get(f"/reports/daily/{report.pk}.pdf").status_code == 404
    sub = ReportSubscription.objects.get()
    assert other.post(f"/reports/daily/{sub.pk}/unsubscribe").status_code == 404
    assert client.post(f"/reports/daily/{sub.pk}/unsubscribe").status_code == 302
    assert client.post(f"/reports/daily/{sub.pk}/unsubscribe").status_code == 404  # gone
    assert client.get(f"/reports/daily/{report.pk + 1000}.xlsx").status_code == 404
    assert not ReportSubscription.objects.exists()


def test_nothing_is_made_when_no_area_asked(areas):
    call_command("run_job", "reports.daily", stdout=(out := StringIO()))
    assert "0 report(s), 0 e-mailed" in out.getvalue()
    assert not DailyReport.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(("area", "emails", "error"), [
    ("731", "not-an-address", "Địa chỉ e-mail không hợp lệ: not-an-address"),
    ("731", ", ,", "Nhập từ 1 đến 20 địa chỉ e-mail."),
    ("731", "\n".join(f"a{n}@example.org" for n in range(21)), "Nhập từ 1 đến 20 địa chỉ"),
    ("740", "ubnd@example.org", "Không có địa bàn mã 740."),  # outside the officer's reach
    ("99999", "ubnd@example.org", "Không có địa bàn mã 99999."),
])
def test_bad_subscriptions_are_refused(district, area, emails, error):
    answer = officer_page("0912000083", district).post("/reports/daily/",
                                                       {"area": area, "emails": emails})
    assert answer.status_code == 422
    assert error in answer.content.decode()
    assert not ReportSubscription.objects.exists()


def test_citizens_have_no_archive(lan):
    client = Client()
    client.force_login(lan.user)
    assert client.get("/reports/daily/").status_code == 404
