"""The reports' jobs: the statistics kept current, the daily report; and the report pages'
exports as long tasks."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.scopes import Scope
from kiemdich.core import clock
from kiemdich.core.errors import Forbidden
from kiemdich.jobs import tasks
from kiemdich.jobs.registry import periodic
from kiemdich.reports import archive, inspections, lists, rollups


# Every 20 seconds (the scheduler looks every 15): a scan is in GET /api/v1/stats and on the
# dashboard well within a minute. Only today: the cost stays one day's GROUP BY.
@periodic("stats.today", cron="* * * * * */20", timeout=300,
          description=_("Thống kê hôm nay"))
def refresh_today() -> str:
    today = clock.today()
    rollups.refresh(since=today, until=today)
    return f"refreshed {today.isoformat()}"


# Offline readers upload scans up to SCAN_MAX_AGE_HOURS late: the earlier days of that window
# are recomputed every ten minutes.
@periodic("stats.late_scans", cron="*/10 * * * *", timeout=1200,
          description=_("Thống kê các ngày có lượt quét gửi muộn"))
def refresh_late_window() -> str:
    days = rollups.refresh()
    return f"refreshed {days} day(s)"


# Each morning, before the offices open: yesterday's report of every area that asked for it.
@periodic("reports.daily", cron="30 6 * * *", timeout=1800,
          description=_("Báo cáo ngày gửi qua e-mail cho các địa bàn đã đăng ký"))
def daily_reports() -> str:
    reports, sent = archive.run_daily()
    return f"{reports} report(s), {sent} e-mailed"


# The report pages' exports, as long tasks: each list made again by the worker, from the
# page's filters and its owner's scope at that time, in the page's order.

COVERAGE_EXPORT = "reports.coverage_export"
COMPLIANCE_EXPORT = "reports.compliance_export"
INSPECTIONS_EXPORT = "reports.inspections_export"


def coverage_table(task: tasks.Task) -> tasks.Table:
    query = lists.query_of(Scope(task.owner), task.params["query"])
    headers, cells = lists.coverage_cells(
        lists.coverage_rows(query, task.params["query"].get("sort", "")))
    return tasks.Table(f"bao-phu-{query.area.code}-{query.date_to.isoformat()}", headers,
                       cells, len(cells), "coverage")


def compliance_table(task: tasks.Task) -> tasks.Table:
    owner = task.owner
    assert owner is not None  # started from an officer's page (reports.views.compliance)
    query = lists.query_of(Scope(owner), task.params["query"])
    today = clock.local_day(task.created_at)
    listing = lists.compliance_listing(owner, query, task.params["query"], today)
    return tasks.Table(f"{listing.kind}-{query.area.code}-{today.isoformat()}",
                       listing.headers, listing.rows, len(listing.rows), listing.title)


def inspections_table(task: tasks.Task) -> tasks.Table:
    scope = Scope(task.owner)
    if not scope.has(*policy.INSPECTION_READ):
        raise Forbidden(_("Bạn không còn quyền xem các lần kiểm tra."), code="forbidden")
    found = inspections.visible(scope, lists.inspection_filter(task.params["query"]))
    return tasks.Table(f"kiem-tra-{clock.local_day(task.created_at).isoformat()}",
                       lists.inspection_headers(),
                       (lists.inspection_row(i) for i in found.iterator(chunk_size=2000)),
                       found.count(), gettext("Các lần kiểm tra"))


tasks.table_kind(COVERAGE_EXPORT, label=_("Xuất bảng độ bao phủ"), table=coverage_table)
tasks.table_kind(COMPLIANCE_EXPORT, label=_("Xuất danh sách chưa tuân thủ"),
                 table=compliance_table)
tasks.table_kind(INSPECTIONS_EXPORT, label=_("Xuất danh sách kiểm tra"), table=inspections_table)
