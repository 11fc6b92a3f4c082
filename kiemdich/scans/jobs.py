"""The scans' jobs: partitions ahead, visits left open; a venue's day exported."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from kiemdich.jobs import tasks
from kiemdich.jobs.registry import periodic
from kiemdich.scans import partitions, services
from kiemdich.venues.services import owner_venue


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


VISITS_EXPORT = "scans.visits_export"


def visits_table(task: tasks.Task) -> tasks.Table:
    """A venue's visits of one day, masked as its owner sees them."""
    owner = task.owner
    assert owner is not None  # started from the owner's page (scans.views.visits)
    venue = owner_venue(owner, task.params["venue"])
    day = date.fromisoformat(task.params["day"])
    rows = services.venue_visits(venue, owner, day)
    return tasks.Table(f"luot-ra-vao-{venue.pk}-{day.isoformat()}",
                       [str(h) for h in services.VISIT_EXPORT_HEADERS],
                       services.visit_rows(rows), len(rows),
                       day.strftime("%d-%m-%Y"))


tasks.table_kind(VISITS_EXPORT, label=_("Xuất lượt ra vào trong ngày"), table=visits_table)
