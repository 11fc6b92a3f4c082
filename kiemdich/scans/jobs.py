"""The scans' scheduled jobs."""

from django.utils.translation import gettext_lazy as _

from kiemdich.jobs.registry import periodic
from kiemdich.scans import partitions, services


# Nightly, and the week ahead is made each time: six missed nights still leave room.
@periodic("partitions.ahead", cron="5 0 * * *", timeout=600,
          description=_("Tạo trước phân vùng theo ngày của lượt quét, lượt ra vào"), owner=True)
def partitions_ahead() -> str:
    return f"created {partitions.ensure_ahead()} partition(s)"


# Hourly: soon after midnight the day's open visits are closed, and a late upload that opened
# one again (re-deriving its day) is closed within the hour.
@periodic("visits.check_out", cron="20 * * * *", timeout=600,
          description=_("Tự động kết thúc lượt ra vào không quét mã ra"))
def check_out_left_open() -> str:
    return f"closed {services.check_out_left_open()} visit(s)"
