"""The venues' long tasks: the officers' directory exported to a file, an owner's posters
printed in one PDF."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.scopes import Scope
from kiemdich.jobs import tasks
from kiemdich.venues import services


def directory_table(task: tasks.Task) -> tasks.Table:
    """The directory as the task's owner may see it now, with the page's filters."""
    venues = services.directory(Scope(task.owner),
                                services.directory_filters(task.params["query"]))
    headers, rows = services.directory_rows(venues.iterator(chunk_size=2000))
    return tasks.Table("dia-diem", headers, rows, venues.count(), gettext("Địa điểm"))


# Contact phones of the venues: personal data (every task's download is audited).
tasks.table_kind(services.DIRECTORY_EXPORT, label=_("Xuất danh bạ địa điểm"),
                 table=directory_table)


POSTER_PROGRESS_EVERY = 10


@tasks.task_kind(services.POSTERS_TASK, label=_("In mã QR hàng loạt"), unit=_("địa điểm"))
def batch_posters(run: tasks.Run) -> None:
    """Made whole in one run (a PDF is not written in pieces); a run cut short starts again."""
    owner, size = run.task.owner, run.task.params["size"]
    assert owner is not None  # started by its owner (services.start_batch_posters)
    total = len(services.batch_venues(owner))
    with run.chunk(resumable=False) as commit:
        commit(done=0, total=total, stage=tasks.Stage.WRITING)

    def laid_out(count: int) -> None:
        if count % POSTER_PROGRESS_EVERY == 0 or count == total:
            with run.chunk(resumable=False) as commit:
                commit(done=count)

    run.write_result(services.batch_posters_pdf(owner, size, laid_out),
                     f"ma-qr-{size}.pdf", "application/pdf")
