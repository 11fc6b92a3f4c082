"""What the declarations app holds: a person's health declarations (symptoms, places,
contacts), the alerts they raised and what officers did about them."""

from __future__ import annotations

from django.conf import settings

from kiemdich.core.personal_data import Erasure, Export, Holder, Purge, register
from kiemdich.declarations.models import AlertAction, Declaration, SymptomAlert


def _purge(run: Purge) -> None:
    # An F0's declarations (symptoms, onset) stay with the open case.
    run.delete("declarations", Declaration.objects.filter(
        created_at__lt=run.cutoff(settings.RETENTION_DECLARATIONS_DAYS))
        .exclude(person_id__in=run.held.f0_ids))


def _erase(erasure: Erasure) -> None:
    # Even of the people an open case holds: tracing reads their visits, not their health.
    people = erasure.erase + erasure.strip
    if people:
        Declaration.objects.filter(person_id__in=people).delete()


def _export(export: Export) -> None:
    export.add("declarations", Declaration.objects.filter(person_id__in=export.ids)
               .order_by("created_at")
               .values("id", "person_id", "created_at", "local_date", "language",
                       "visited_places", "visited_places_text", "fever", "cough",
                       "shortness_of_breath", "pneumonia", "sore_throat", "fatigue",
                       "other_symptoms", "contact_case", "contact_from_outbreak",
                       "contact_symptomatic", "has_symptoms", "has_exposure"))
    actions: dict[int, list[dict]] = {}
    for action in (AlertAction.objects.filter(alert__person_id__in=export.ids).order_by("at")
                   .values("alert_id", "status", "note", "at")):
        actions.setdefault(action["alert_id"], []).append(
            {"status": action["status"], "note": action["note"], "at": action["at"]})
    alerts: list[dict] = [dict(alert) for alert in SymptomAlert.objects.filter(
        person_id__in=export.ids).order_by("created_at")
        .values("id", "person_id", "declaration_id", "status", "created_at")]
    for alert in alerts:
        alert["actions"] = actions.get(alert["id"], [])
    export.add("alerts", alerts)


register(Holder(
    app="declarations",
    models={
        "declarations.Declaration": "a person's health declarations; purged after "
                                    "RETENTION_DECLARATIONS_DAYS (an open case's F0's kept), "
                                    "erased with the person, exported",
        "declarations.SymptomAlert": "alerts a declaration raised; go with the declaration",
        "declarations.AlertAction": "what officers did about an alert; go with the alert",
    },
    person_refs=("declarations.Declaration",),
    purge=_purge, erase=_erase, export=_export,
))
