"""The tracing's long task: a case's report (PDF or XLSX) made by a worker."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.scopes import Scope
from kiemdich.jobs import tasks
from kiemdich.tracing import exports, services


@tasks.task_kind(exports.CASE_REPORT, label=_("Báo cáo truy vết ca bệnh"),
                 unit=_("người tiếp xúc"))
def case_report(run: tasks.Run) -> None:
    """The case as its starter may see it now (a case out of their reach fails the task).
    Made whole in one run (a PDF is not written in pieces); a run cut short starts again.
    Cancelling stops it between two chunks of contacts."""
    owner = run.task.owner
    if owner is None:
        raise tasks.Failed(gettext("Tài khoản đã yêu cầu báo cáo không còn tồn tại."))
    scope = Scope(owner)
    case = services.get_case(scope, run.task.params["case"])

    def progress(done: int, total: int) -> None:
        with run.chunk(resumable=False) as commit:
            commit(done=done, total=total, stage=tasks.Stage.WRITING)

    run.write_result(*exports.case_file(owner, scope, case, run.task.params["format"],
                                        progress))
