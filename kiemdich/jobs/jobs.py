"""The jobs app's own jobs: running the long tasks people start, and forgetting old ones."""

from django.utils.translation import gettext_lazy as _

from kiemdich.jobs import tasks
from kiemdich.jobs.registry import job, periodic


@job("tasks.run", description=_("Công việc dài (nhập, xuất, in hàng loạt)"))
def run_task(task_id: int) -> str:
    return tasks.execute(task_id)


@periodic("tasks.abandoned", cron="*/10 * * * *", timeout=300,
          description=_("Báo lỗi công việc dài không còn lần chạy nào tiếp tục"))
def fail_abandoned_tasks() -> str:
    return f"{tasks.fail_abandoned()} task(s) failed"


@periodic("tasks.purge", cron="50 2 * * *", timeout=1800,
          description=_("Xóa công việc dài đã kết thúc quá 7 ngày và tệp của chúng"))
def purge_tasks() -> str:
    return f"{tasks.purge()} task(s) deleted"
