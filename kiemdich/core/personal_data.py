"""What each app holds about a person, and how it purges, erases and exports it.

Every app that stores personal data declares a `Holder` in its own `personal_data.py` (found
like the jobs' `jobs.py`): the models it covers, each with what becomes of its rows, and the
hooks privacy calls. Privacy, on top of the apps, is the orchestrator: the retention purge,
the erasure of an account and the own-data export walk the holders instead of importing
every app's models (the idea of pretix's data shredders: each plugin knows its own data).
A model that holds personal data and is covered by no holder fails
tests/privacy/test_personal_data.py.

Holders run in `Stage` order, then in the order the apps are installed: an app's records
go before the people they point at, the people before the accounts that manage them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Model, QuerySet
from django.utils.module_loading import autodiscover_modules


class Stage(enum.IntEnum):
    RECORDS = 0  # what points at a person: scans, declarations, notices, codes
    PEOPLE = 1  # the people themselves, once nothing that must go with them is left
    ACCOUNTS = 2  # the accounts, once their people are erased or detached


@dataclass
class Held:
    """The records open cases hold, by id: few enough to keep in memory (a case has tens of
    visits and at most thousands of contacts), and exact, unlike a time filter."""

    f0_ids: set[int] = field(default_factory=set)  # every person row of each F0
    person_ids: set[int] = field(default_factory=set)  # F0s, contacts, owners of held visits
    visit_ids: set[int] = field(default_factory=set)
    scan_ids: set[int] = field(default_factory=set)


Deleter = Callable[[str, QuerySet, "set[int] | frozenset[int]"], int]


@dataclass
class Purge:
    """One retention run, handed to every holder's `purge`: the time, what open cases hold,
    the batch deleter, and the counts per kind the run reports."""

    now: datetime
    held: Held
    deleter: Deleter
    # Models whose `person_id` keeps a person without an account (holders' `person_refs`).
    person_refs: list[type[Model]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def cutoff(self, days: int) -> datetime:
        return self.now - timedelta(days=days)

    def delete(self, kind: str, rows: QuerySet,
               keep: set[int] | frozenset[int] = frozenset()) -> None:
        """Delete `rows` but the ids in `keep`, in batches, counted under `kind`."""
        self.counts[kind] = self.deleter(kind, rows, keep)

    def count(self, kind: str, removed: int) -> None:
        self.counts[kind] = removed


@dataclass
class Erasure:
    """One account's erasure: the people to erase whole, the people an open case holds (kept
    with only what the case needs), and the account (None once it is gone)."""

    account: Any
    erase: list[int]
    strip: list[int]
    held: Held


@dataclass
class Export:
    """The own-data export being gathered for an account's people (ids, in the account's
    order): account-level sections, each person's profile, and per person the sections each
    holder adds."""

    account: Any
    ids: list[int]
    sections: dict[str, Any] = field(default_factory=dict)
    profiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    per_person: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, rows: Iterable[Mapping[str, Any]], key: str = "person_id",
            by: Callable[[int], Any] | None = None) -> None:
        """Section `name` of every person: the rows whose `key` is the person's id (or
        `by(id)`), in their order, without that key; an empty list for none."""
        grouped: dict[Any, list[dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault(row[key], []).append({k: v for k, v in row.items() if k != key})
        for pk in self.ids:
            self.per_person.setdefault(pk, {})[name] = grouped.get(by(pk) if by else pk, [])


@dataclass(frozen=True)
class Holder:
    app: str
    # Model label -> what it holds about a person and what becomes of its rows.
    models: Mapping[str, str]
    stage: Stage = Stage.RECORDS
    purge: Callable[[Purge], None] | None = None
    erase: Callable[[Erasure], None] | None = None
    export: Callable[[Export], None] | None = None
    # What open cases hold (tracing), then what held records pull with them (their scans).
    hold: Callable[[Held], None] | None = None
    hold_linked: Callable[[Held], None] | None = None
    # The person rows an account manages; a reason (a DomainError) not to erase it yet.
    people_of: Callable[[Any], Iterable[int]] | None = None
    refuse_erasure: Callable[[Any], Exception | None] | None = None
    # Models whose rows keep a person known only from them (no account) from the purge.
    person_refs: tuple[str, ...] = ()


_holders: dict[str, Holder] = {}
_discovered = False


def register(holder: Holder) -> Holder:
    _holders[holder.app] = holder
    return holder


def holders() -> list[Holder]:
    """Every registered holder, in stage order, then in the order of INSTALLED_APPS."""
    global _discovered
    if not _discovered:
        autodiscover_modules("personal_data")
        _discovered = True
    order = {config.label: index for index, config in enumerate(apps.get_app_configs())}
    return sorted(_holders.values(), key=lambda h: (h.stage, order.get(h.app, len(order))))


def covered_models() -> dict[str, str]:
    """Model label -> the app whose holder covers it."""
    return {label: holder.app for holder in holders() for label in holder.models}
