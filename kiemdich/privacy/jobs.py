"""The privacy duties on a schedule: retention and deletion requests, the audit chain."""

from django.utils.translation import gettext_lazy as _

from kiemdich.jobs.registry import periodic
from kiemdich.privacy import audit, services


# Hourly: a deletion request is carried out well within its 72 hours.
@periodic("privacy.purge", cron="15 * * * *", timeout=1800,
          description=_("Xóa tài khoản theo yêu cầu, xóa dữ liệu hết hạn lưu trữ"), owner=True)
def purge() -> str:
    counts = services.purge()
    if counts is None:
        return "skipped: a purge_expired command is running"
    return ", ".join(f"{kind} {count}" for kind, count in counts.items() if count) or \
        "nothing to delete"


# Nightly. A trail not intact fails the run (the jobs page lists it) after the alert.
@periodic("audit.verify", cron="40 3 * * *", timeout=1800,
          description=_("Kiểm tra chuỗi băm và mốc neo của nhật ký truy cập"))
def verify_audit() -> str:
    verdict = audit.verify_and_alert()
    if not verdict.intact:
        raise RuntimeError("audit trail NOT intact: " + "; ".join(verdict.problems)
                           + " (admins and auditors alerted)")
    return f"audit trail intact: {verdict.checked} entries, {verdict.anchors} anchors"


# Every 5 minutes: no more than that many minutes of entries rest on the chain alone.
@periodic("audit.anchor", cron="*/5 * * * *", timeout=300,
          description=_("Neo đầu chuỗi nhật ký truy cập ra ngoài cơ sở dữ liệu"))
def anchor_audit() -> str:
    head = audit.anchor_head()
    return f"anchored entry id={head.pk}" if head else "audit trail empty"
