"""The scans' scheduled jobs."""

from django.utils.translation import gettext_lazy as _

from kiemdich.jobs.registry import periodic
from kiemdich.scans import partitions


# Nightly, and the week ahead is made each time: six missed nights still leave room.
@periodic("partitions.ahead", cron="5 0 * * *", timeout=600,
          description=_("Tạo trước phân vùng theo ngày của lượt quét, lượt ra vào"))
def partitions_ahead() -> str:
    return f"created {partitions.ensure_ahead()} partition(s)"
