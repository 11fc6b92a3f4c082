"""Who sees a long task and who cancels it: the rule of the task pages and endpoints."""

from __future__ import annotations

from typing import Any

from kiemdich.accounts.scopes import Scope
from kiemdich.core.errors import Forbidden, NotFound
from kiemdich.jobs import tasks


def visible(user: Any, task_id: int) -> tasks.Task:
    """The task, if `user` started it or oversees the work of the account that did (an
    admin or auditor within whose reach lies every grant of that account,
    `Scope.may_oversee_account`): any other id is not found (never forbidden, so ids cannot
    be probed)."""
    task = tasks.Task.objects.select_related("owner").filter(pk=task_id).first() \
        if user.is_authenticated else None
    if task is None or (task.owner_id != user.pk
                        and not Scope(user).may_oversee_account(task.owner)):
        raise NotFound(code="task_not_found")
    return task


def of_owner(user: Any, task_id: int) -> tasks.Task:
    """The task to cancel: only its owner may; an overseer who sees it is refused."""
    task = visible(user, task_id)
    if task.owner_id != user.pk:
        raise Forbidden(code="task_not_owner")
    return task
