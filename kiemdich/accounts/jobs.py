"""SMS delivery through the job queue (kiemdich.accounts.sms)."""

import itertools
from collections.abc import Iterator

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import officers, sms
from kiemdich.accounts.scopes import Scope
from kiemdich.core import csvrows
from kiemdich.core.errors import Invalid
from kiemdich.jobs import tasks
from kiemdich.jobs.registry import job, periodic


@job(sms.DELIVER_JOB, description=_("Gửi một tin nhắn SMS"), timeout=120)
def deliver(message_id: str) -> str:
    return sms.deliver(message_id)


# A delivery cut short (its worker killed) is taken up again within about two minutes,
# not only when the queue re-delivers its task (JOB_RETRY, half an hour).
@periodic("sms.stalled", cron="* * * * *", timeout=60,
          description=_("Gửi lại các tin nhắn SMS bị gián đoạn"))
def stalled() -> str:
    return f"{sms.requeue_stalled()} message(s) queued again"


# The officer roster, any size (kiemdich.accounts.officers) ------------------------------


def _rows(run: tasks.Run) -> Iterator[tuple[int, dict | None]]:
    try:
        yield from csvrows.records(run.input(), officers.IMPORT_COLUMNS)
    except Invalid as exc:
        raise tasks.Failed(str(exc.message)) from None


@tasks.task_kind(officers.ROSTER_TASK, label=_("Nhập danh sách cán bộ"), unit=_("dòng"))
def import_roster(run: tasks.Run) -> None:
    task = run.task
    if task.owner is None:
        raise tasks.Failed(gettext("Tài khoản đã nhập tệp không còn tồn tại."))
    # The scope of the admin who sent it, as it is now (a grant withdrawn meanwhile counts).
    scope = Scope(task.owner)
    if not officers.is_account_admin(scope):
        raise tasks.Failed(gettext("Tài khoản đã nhập tệp không còn quyền quản trị."))
    if task.total is None:
        with run.chunk() as commit:
            commit(total=sum(1 for _row in _rows(run)), stage=tasks.Stage.CHECKING)
    phase = run.state.get("phase", "check")
    if phase == "check":
        done = run.state.get("row", 0)
        records = _rows(run)
        seen: set[tuple] = set()
        bad = run.error_rows()
        for line, row in itertools.islice(records, done):  # the rows checked by a run before
            if line not in bad:
                seen.add(officers.roster_row(scope, row)[:4])
        while chunk := list(itertools.islice(records, officers.ROSTER_CHUNK_ROWS)):
            errors = []
            for line, row in chunk:
                try:
                    key = officers.roster_row(scope, row)[:4]
                except officers.RowProblem as exc:
                    errors.append((line, exc.column, exc.message))
                    continue
                if key in seen:
                    errors.append((line, "phone", gettext("trùng với một dòng ở trên")))
                seen.add(key)
            done += len(chunk)
            with run.chunk() as commit:
                commit(done=done, state={"phase": "check", "row": done}, errors=errors)
        if task.error_count:
            raise tasks.Rejected(gettext(
                "Không dòng nào được nhập: sửa các dòng lỗi rồi nhập lại cả tệp."))
        with run.chunk() as commit:
            commit(done=0, state={"phase": "write", "row": 0}, stage=tasks.Stage.WRITING)
    done = run.state.get("row", 0)
    records = _rows(run)
    list(itertools.islice(records, done))
    while chunk := list(itertools.islice(records, officers.ROSTER_CHUNK_ROWS)):
        done += len(chunk)
        with run.chunk() as commit:
            for _line, row in chunk:
                officers.create(scope, *officers.roster_row(scope, row))
            if done >= (task.total or 0):
                officers.record(task.owner, "officers_imported", target="accounts.roster",
                                reason=f"rows={done}")
            commit(done=done, state={"phase": "write", "row": done},
                   counts={"imported": len(chunk)})
