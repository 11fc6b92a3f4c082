"""ID number keys with versions: a new ID_NUMBER_KEY (or SECRET_KEY) takes over while the old
one, among the fallbacks, still decrypts; `rotate_id_number_key` re-encrypts every stored
number and its digest (and the roster digests) under the new key, after which the old key can
go. Through the API as a citizen and a health officer see it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kiemdich.accounts.models import Role
from kiemdich.core.protect import current_version, id_digest
from kiemdich.people.models import Person
from kiemdich.privacy.models import AuditEntry
from kiemdich.reports.models import Organisation, RosterMember
from tests.people.support import add_child

pytestmark = pytest.mark.django_db

NUMBER = "079215012345"
OLD = "the-old-id-number-key-of-the-tests-0123456789"
NEW = "the-new-id-number-key-of-the-tests-0123456789"


def rotate() -> str:
    out = StringIO()
    call_command("rotate_id_number_key", "--batch", "2", stdout=out)
    return out.getvalue()


def seen(lan, health, person_id: int) -> tuple[str, list[int]]:
    """The number as its account reads it, and whom an officer finds by it."""
    number = lan.get(f"/api/v1/people/{person_id}").json()["id_number"]
    found = health.get("/api/v1/people/search", {"id_number": NUMBER}).json()
    return number, [p["id"] for p in found]


@pytest.fixture
def health(make_officer, areas):
    return make_officer("0912000077", Role.HEALTH_OFFICER, areas["25993"])


@pytest.mark.parametrize("through", ["id_number_key", "secret_key"])
def test_a_new_key_takes_over_and_rotation_re_encrypts_every_number(
        lan, health, areas, settings, through):
    old, new = {"id_number_key": ("ID_NUMBER_KEY", "ID_NUMBER_KEY_FALLBACKS"),
                "secret_key": ("SECRET_KEY", "SECRET_KEY_FALLBACKS")}[through]
    setattr(settings, old, OLD)
    children = [add_child(lan, id_number=NUMBER)["id"]] + [
        add_child(lan, name=f"Con {n}")["id"] for n in range(3)]
    child = children[0]
    old_version = current_version()
    organisation = Organisation.objects.create(name="Trường Tiểu học", area=areas["25993"],
                                               sector="education")
    member = RosterMember.objects.create(organisation=organisation, full_name="An",
                                         id_number_digest=id_digest(NUMBER))

    # The secret leaked: a new one, the old among the fallbacks. Nothing becomes unreadable.
    setattr(settings, old, NEW)
    setattr(settings, new, [OLD])
    assert current_version() != old_version
    assert seen(lan, health, child) == (NUMBER, [child])
    # Written from now on under the new key, found under either.
    later = add_child(lan, name="Em", id_number="079215012346")["id"]
    assert Person.objects.get(pk=later).id_number_cipher.startswith(current_version() + "$")

    assert "re-encrypted 1 ID numbers" in rotate()
    stored = Person.objects.get(pk=child)
    assert stored.id_number_cipher.startswith(current_version() + "$")
    assert stored.id_number_digest == id_digest(NUMBER)
    member.refresh_from_db()
    assert member.id_number_digest == id_digest(NUMBER)
    assert AuditEntry.objects.filter(action="id_number_key_rotated").exists()
    assert "re-encrypted 0 ID numbers" in rotate()  # done: a second run has nothing to do

    # The old key is gone for good: everything still reads and is still found.
    setattr(settings, new, [])
    assert seen(lan, health, child) == (NUMBER, [child])


def test_without_the_old_key_rotation_refuses_to_call_it_done(lan, health, areas, settings):
    settings.ID_NUMBER_KEY = OLD
    child = add_child(lan, id_number=NUMBER)["id"]
    settings.ID_NUMBER_KEY = NEW  # replaced, but the old one not kept among the fallbacks
    assert seen(lan, health, child) == ("", [])
    with pytest.raises(CommandError, match="1 ID numbers open with no configured key"):
        rotate()
    settings.ID_NUMBER_KEY_FALLBACKS = [OLD]  # put back: the next run finishes
    assert "re-encrypted 1 ID numbers" in rotate()
    settings.ID_NUMBER_KEY_FALLBACKS = []
    assert seen(lan, health, child) == (NUMBER, [child])


def test_numbers_stored_by_an_older_release_without_a_version_are_re_encrypted(
        lan, health, areas, settings):
    settings.ID_NUMBER_KEY = OLD
    child = add_child(lan, id_number=NUMBER)["id"]
    stored = Person.objects.get(pk=child)
    unversioned = stored.id_number_cipher.split("$", 1)[1]
    Person.objects.filter(pk=child).update(id_number_cipher=unversioned)
    assert seen(lan, health, child) == (NUMBER, [child])
    assert "re-encrypted 1 ID numbers" in rotate()
    assert Person.objects.get(pk=child).id_number_cipher.startswith(current_version() + "$")


@pytest.mark.parametrize(("fallbacks", "status"), [(True, 200), (False, 302)])
def test_portal_sessions_survive_a_new_secret_key_kept_among_the_fallbacks(
        lan, settings, fallbacks, status):
    lan.force_login(lan.user)
    assert lan.get("/people/my-data/").status_code == 200
    old = settings.SECRET_KEY
    settings.SECRET_KEY = NEW
    settings.SECRET_KEY_FALLBACKS = [old] if fallbacks else []
    # Without the old key among the fallbacks, every portal session ends (login page).
    assert lan.get("/people/my-data/").status_code == status
