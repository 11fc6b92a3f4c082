"""Every model that holds personal data is covered by an app's holder
(kiemdich/*/personal_data.py): the retention purge, the erasure of an account and the
own-data export walk the holders, so a model nobody declares would be forgotten by all three.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test.utils import isolate_apps

from kiemdich.core.personal_data import Stage, covered_models, holders

# Fields that name, reach or identify a person, whatever model they are on.
PERSONAL_FIELDS = ("phone", "full_name", "display_name", "id_number", "subject_name",
                   "person_id", "account_id", "emails")


def holds_personal_data(model: type[models.Model]) -> bool:
    """A link to an account or a person, or a field that names, reaches or identifies one."""
    person_models = {settings.AUTH_USER_MODEL.lower(), "people.person"}
    for field in model._meta.concrete_fields:
        target = field.remote_field.model if field.is_relation else None
        # A model declared outside the app registry (the test below) names its target.
        label = target if isinstance(target, str) else target and target._meta.label_lower
        if label and label.lower() in person_models:
            return True
        if any(part in field.name for part in PERSONAL_FIELDS):
            return True
    return False


def uncovered(candidates) -> list[str]:
    covered = covered_models()
    return sorted(model._meta.label for model in candidates
                  if holds_personal_data(model) and model._meta.label not in covered)


def test_every_model_holding_personal_data_is_covered_by_a_holder():
    assert uncovered(apps.get_models()) == []


def test_the_check_finds_the_models_it_must():
    flagged = {m._meta.label for m in apps.get_models() if holds_personal_data(m)}
    assert {"accounts.User", "people.Person", "scans.Scan", "declarations.Declaration",
            "accounts.OneTimeCode", "reports.RosterMember", "reports.DeclarantDay",
            "venues.VenueStaff"} <= flagged
    assert not {"areas.Area", "reports.DailyRollup", "people.SigningKey"} & flagged


@isolate_apps("kiemdich.people")
def test_a_new_model_that_stores_personal_data_and_is_not_declared_fails():
    class Wristband(models.Model):
        person = models.ForeignKey("people.Person", on_delete=models.CASCADE)

        class Meta:
            app_label = "people"

    class Visitor(models.Model):
        contact_phone = models.CharField(max_length=20)

        class Meta:
            app_label = "people"

    class Colour(models.Model):
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "people"

    assert uncovered([Wristband, Visitor, Colour]) == ["people.Visitor", "people.Wristband"]


def test_every_declared_model_exists_and_says_what_becomes_of_it():
    for holder in holders():
        for label, fate in holder.models.items():
            assert apps.get_model(label) is not None
            assert len(fate) > 20, label
        for label in holder.person_refs:
            assert label in holder.models


def test_records_go_before_their_people_and_people_before_accounts():
    stages = [holder.stage for holder in holders()]
    assert stages == sorted(stages)
    by_app = {holder.app: holder.stage for holder in holders()}
    assert by_app["scans"] == by_app["declarations"] == Stage.RECORDS
    assert (by_app["people"], by_app["accounts"]) == (Stage.PEOPLE, Stage.ACCOUNTS)


def test_privacy_reads_no_app_model_to_purge_erase_or_export():
    """The orchestrator walks the holders: its purge, erasure and export read no other
    app's models."""
    import inspect

    from kiemdich.privacy import own_data, retention, services

    for source in (inspect.getsource(retention), inspect.getsource(own_data._collect),
                   inspect.getsource(services._carry_out),
                   inspect.getsource(services.request_deletion)):
        assert [line for line in source.splitlines()
                if line.strip().startswith("from kiemdich.") and ".models import" in line] == []


pytestmark = pytest.mark.django_db
