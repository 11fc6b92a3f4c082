"""The privacy duties on a schedule: retention and deletion requests, the audit chain."""

from django.utils.translation import gettext_lazy as _

from kiemdich.jobs.registry import periodic
from kiemdich.privacy import services


# Hourly: a deletion request is carried out well within its 72 hours.
@periodic("privacy.purge", cron="15 * * * *", timeout=1800,
          description=_("Xóa tài khoản theo yêu cầu, xóa dữ liệu hết hạn lưu trữ"))
def purge() -> str:
    counts = services.purge()
    if counts is None:
        return "skipped: a purge_expired command is running"
    return ", ".join(f"{kind} {count}" for kind, count in counts.items() if count) or \
        "nothing to delete"
