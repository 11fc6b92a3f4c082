"""What the people app holds: the people an account manages or a venue scanned (name, birth
date, ID number, phone, address), their QR cards, and the consents an account gave."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from kiemdich.core.personal_data import Erasure, Export, Holder, Purge, Stage, register
from kiemdich.people.models import Credential, Person
from kiemdich.people.services import people_of, person_data

if TYPE_CHECKING:
    from kiemdich.accounts.models import User


def _people_of(account: User | None) -> Iterable[int]:
    return list(people_of(account).values_list("pk", flat=True)) if account else []


def _purge(run: Purge) -> None:
    # Last, once their records are gone: people known only from a scanned ID card or entered
    # by hand at a venue (or detached from a deleted account), whom nothing refers to any more.
    run.delete("people", _unreferenced_people(run, run.cutoff(settings.RETENTION_SCANS_DAYS)),
               run.held.person_ids)


def _unreferenced_people(run: Purge, before: datetime) -> QuerySet:
    people = Person.objects.filter(account__isnull=True, created_at__lt=before)
    for model in run.person_refs:
        people = people.exclude(Exists(model._default_manager.filter(person_id=OuterRef("pk"))))
    return people


def _erase(erasure: Erasure) -> None:
    if erasure.erase:
        Person.objects.filter(pk__in=erasure.erase).delete()
    if erasure.strip:
        # Kept for an open case: the person and the visits it holds, no more.
        Credential.objects.filter(person_id__in=erasure.strip).delete()
        # Detached from the account so that deleting the account does not cascade to them.
        Person.objects.filter(pk__in=erasure.strip).update(account=None, is_self=False)


def _export(export: Export) -> None:
    people = Person.objects.select_related("area").in_bulk(export.ids)
    for pk in export.ids:
        person = people[pk]
        export.profiles[pk] = {**person_data(person), "created_at": person.created_at}
    export.sections["consents"] = list(export.account.consents.order_by("given_at")
                                       .values("version", "given_at", "withdrawn_at"))
    export.add("credentials", Credential.objects.filter(person_id__in=export.ids)
               .order_by("issued_at").values("person_id", "serial", "issued_at",
                                             "expires_at", "revoked_at", "revoked_reason"))


register(Holder(
    app="people",
    stage=Stage.PEOPLE,
    models={
        "people.Person": "a person's identity; erased with the account (detached while an "
                         "open case holds it), purged when known only from expired records",
        "people.Credential": "QR cards of a person; go with the person, exported",
        "people.Consent": "consents an account gave; go with the account, exported",
    },
    people_of=_people_of, purge=_purge, erase=_erase, export=_export,
))
