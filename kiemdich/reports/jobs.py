"""The reports' scheduled jobs: the statistics kept current."""

from django.utils.translation import gettext_lazy as _

from kiemdich.core import clock
from kiemdich.jobs.registry import periodic
from kiemdich.reports import archive, rollups


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
