"""What the jobs app holds about a person: who started a long task (its files are an
import's rows or an export's result)."""

from __future__ import annotations

from kiemdich.core.personal_data import Holder, register

register(Holder(
    app="jobs",
    models={"jobs.Task": "who started a task, its files (an import's rows) and row errors: "
                         "deleted TASKS_KEPT_DAYS after it finished (jobs.tasks.purge, its "
                         "own duty); the owner reference goes with the account"},
))
