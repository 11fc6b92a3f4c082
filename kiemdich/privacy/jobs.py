"""The privacy duties on a schedule: retention and deletion requests, the audit chain; and
the audit trail exported, as a long task."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.scopes import Scope
from kiemdich.core.errors import Forbidden
from kiemdich.jobs import tasks
from kiemdich.jobs.registry import periodic
from kiemdich.privacy import audit, services
from kiemdich.privacy.forms import AuditSearchForm


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


AUDIT_EXPORT = "privacy.audit_export"
AUDIT_EXPORT_MAX_ROWS = 100_000


def audit_table(task: tasks.Task) -> tasks.Table:
    """The entries the audit page's search finds, newest first, at most
    AUDIT_EXPORT_MAX_ROWS; for admins and auditors only."""
    if not Scope(task.owner).has(*policy.OVERSIGHT):
        raise Forbidden(_("Chỉ quản trị viên và kiểm toán viên xem được nhật ký."),
                        code="forbidden")
    form = AuditSearchForm(task.params["query"] or None)
    entries = audit.search(**form.cleaned_data) if form.is_valid() else audit.search()
    if task.params.get("upto") is not None:
        entries = entries.filter(pk__lte=task.params["upto"])
    entries = entries[:AUDIT_EXPORT_MAX_ROWS]
    rows = ((e.pk, e.at, e.actor_id or e.actor_label, e.actor_name, e.actor_role, e.action,
             e.target, e.reason, e.ip) for e in entries.iterator(chunk_size=2000))
    return tasks.Table("audit", ["id", gettext("Thời điểm"), gettext("Người thực hiện"),
                                 gettext("Họ tên"), gettext("Vai trò"), gettext("Hành động"),
                                 gettext("Đối tượng"), gettext("Lý do"), "IP"],
                       rows, entries.count(), gettext("Nhật ký"))


tasks.table_kind(AUDIT_EXPORT, label=_("Xuất nhật ký truy cập"), table=audit_table)
