"""The privacy duties on a schedule: retention and deletion requests, the audit chain."""

from django.utils.translation import gettext_lazy as _

from kiemdich.jobs.registry import periodic
from kiemdich.privacy import audit, services


# Hourly: a deletion request is carried out well within its 72 hours.
@periodic("privacy.purge", cron="15 * * * *", timeout=1800,
          description=_("Xóa tài khoản theo yêu cầu, xóa dữ liệu hết hạn lưu trữ"))
def purge() -> str:
    counts = services.purge()
    if counts is None:
        return "skipped: a purge_expired command is running"
    return ", ".join(f"{kind} {count}" for kind, count in counts.items() if count) or \
        "nothing to delete"


# Nightly. A break fails the run (the jobs page lists it) after the alert has gone out.
@periodic("audit.verify", cron="40 3 * * *", timeout=1800,
          description=_("Kiểm tra chuỗi băm của nhật ký truy cập"))
def verify_audit() -> str:
    checked, broken = audit.verify_and_alert()
    if broken is not None:
        raise RuntimeError(f"audit chain broken at entry id={broken} (after {checked} intact "
                           "entries); admins and auditors alerted")
    return f"audit chain intact: {checked} entries"
