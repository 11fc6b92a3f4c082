"""Daily reports on a schedule: areas that asked for theirs get, each morning, the report of
the day before (PDF and XLSX) by e-mail, and every report made is kept in the portal's
archive. The job (reports.daily) is idempotent: a report is made once per area and day, and
a report already e-mailed is not sent again when the job runs a second time."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import User
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core import clock
from kiemdich.core.errors import DomainError, Invalid, NotFound
from kiemdich.reports import daily, rollups, stats
from kiemdich.reports.models import DailyReport, ReportSubscription

MAX_RECIPIENTS = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def subscriptions_for(scope: Scope) -> QuerySet[ReportSubscription]:
    return ReportSubscription.objects.filter(
        scope.area_filter("area", *policy.STATISTICS)).select_related("area").order_by(
        "area__path")


def reports_for(scope: Scope) -> QuerySet[DailyReport]:
    return DailyReport.objects.filter(scope.area_filter("area", *policy.STATISTICS)) \
        .select_related("area").defer("pdf", "xlsx").order_by("-day", "area__path")


def subscribe(scope: Scope, user: User, area_code: str, emails: str) -> ReportSubscription:
    """Ask for an area's daily report by e-mail (or change its addresses)."""
    try:
        area = resolve_area(area_code.strip())
    except DomainError:
        area = None
    if area is None or scope.sector_reach(area, *policy.STATISTICS) is None:
        raise NotFound(_("Không có địa bàn mã %(code)s.") % {"code": area_code},
                       code="area_unknown", field="area")
    addresses = [line.strip() for line in emails.replace(",", "\n").splitlines()
                 if line.strip()]
    if not addresses or len(addresses) > MAX_RECIPIENTS:
        raise Invalid(_("Nhập từ 1 đến %(n)s địa chỉ e-mail.") % {"n": MAX_RECIPIENTS},
                      code="emails_invalid", field="emails")
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise Invalid(_("Địa chỉ e-mail không hợp lệ: %(email)s") % {"email": address},
                          code="emails_invalid", field="emails") from None
    subscription, _created = ReportSubscription.objects.update_or_create(
        area=area, defaults={"emails": "\n".join(dict.fromkeys(addresses)),
                             "created_by": user})
    return subscription


def unsubscribe(scope: Scope, pk: int) -> None:
    deleted, _kinds = subscriptions_for(scope).filter(pk=pk).delete()
    if not deleted:
        raise NotFound(code="subscription_not_found")


def report_of(scope: Scope, pk: int) -> DailyReport:
    report = reports_for(scope).defer(None).filter(pk=pk).first()
    if report is None:
        raise NotFound(code="report_not_found")
    return report


def generate(area: Area, day: date) -> DailyReport:
    """The report of `area` for `day`, made once (the archive keeps the first one made)."""
    existing = DailyReport.objects.filter(area=area, day=day).first()
    if existing is not None:
        return existing
    document = daily.build(stats.compute(stats.StatsQuery(area, day, day, None)))
    report = DailyReport(area=area, day=day, pdf=daily.pdf(document),
                         xlsx=daily.xlsx(document))
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:  # another run made it meanwhile
        return DailyReport.objects.get(area=area, day=day)
    return report


def deliver(report: DailyReport, recipients: list[str]) -> None:
    with translation.override("vi"):
        day = report.day.strftime("%d/%m/%Y")
        subject = _("Báo cáo ngày %(day)s: %(area)s") % {"day": day, "area": report.area.name}
        body = _("Báo cáo phòng chống dịch của %(area)s ngày %(day)s đính kèm (PDF và "
                 "XLSX). Các báo cáo trước xem tại mục Thống kê của cổng thông tin.") % {
            "area": report.area.name, "day": day}
    message = EmailMessage(subject, body, to=recipients)
    stem = f"bao-cao-{report.area.code}-{report.day.isoformat()}"
    message.attach(f"{stem}.pdf", bytes(report.pdf), "application/pdf")
    message.attach(f"{stem}.xlsx", bytes(report.xlsx), XLSX)
    message.send()
    report.emailed_at = timezone.now()
    report.emailed_to = "\n".join(recipients)
    report.save(update_fields=["emailed_at", "emailed_to"])


def run_daily(day: date | None = None) -> tuple[int, int]:
    """For every area that asked: yesterday's report (its day's rollups refreshed first, for
    the late uploads), archived and e-mailed unless it was already. Returns (reports, sent)."""
    day = day or clock.today() - timedelta(days=1)
    subscriptions = list(ReportSubscription.objects.select_related("area"))
    if not subscriptions:
        return 0, 0
    rollups.refresh(since=day, until=day)
    sent = 0
    for subscription in subscriptions:
        report = generate(subscription.area, day)
        if report.emailed_at is None and subscription.recipients:
            deliver(report, subscription.recipients)
            sent += 1
    return len(subscriptions), sent
