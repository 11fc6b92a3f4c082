"""Who may act where: role × scope × object, table-driven."""

import pytest

from kiemdich.accounts.models import Role, User
from kiemdich.accounts.scopes import Scope
from kiemdich.accounts.services import grant_role
from kiemdich.venues import access as venue_access

pytestmark = pytest.mark.django_db

# (role, grant area code or None for the country, grant sector, object commune, object sector,
#  expected)
CASES = [
    (Role.OFFICER, "75", "", "25993", "trade", True),      # province covers its commune
    (Role.OFFICER, "731", "", "25993", "trade", True),     # district covers its commune
    (Role.OFFICER, "731", "", "26368", "trade", False),    # another district
    (Role.OFFICER, "25993", "", "25993", "health", True),  # the commune itself
    (Role.OFFICER, "25993", "", "25996", "health", False),  # the neighbouring commune
    (Role.OFFICER, "75", "trade", "25993", "trade", True),  # sector grant, same sector
    (Role.OFFICER, "75", "trade", "25993", "health", False),  # sector grant, other sector
    (Role.OFFICER, "74", "", "25993", "trade", False),     # another province
    (Role.OFFICER, None, "", "25741", "trade", True),      # the whole country
    (Role.HEALTH_OFFICER, "740", "", "26389", "other", True),
    (Role.HEALTH_OFFICER, "740", "", "25993", "other", False),
    (Role.ADMIN, "74", "", "25993", "other", True),        # admins reach everything
]


@pytest.mark.parametrize(("role", "grant_area", "grant_sector", "commune", "sector", "expected"),
                         CASES)
def test_covers(areas, role, grant_area, grant_sector, commune, sector, expected):
    grant = grant_role("0912000050", role, areas[grant_area] if grant_area else None,
                       grant_sector)
    scope = Scope(grant.user)
    assert scope.covers(areas[commune], role, sector=sector) is expected


@pytest.mark.parametrize(("role", "grant_area", "grant_sector", "commune", "sector", "expected"),
                         CASES)
def test_area_filter_agrees_with_covers(areas, role, grant_area, grant_sector, commune, sector,
                                        expected):
    from kiemdich.venues.models import Venue

    owner = User.objects.create_user("0912000051")
    venue = Venue.objects.create(name="Chợ", venue_type="market", sector=sector,
                                 area=areas[commune], street="1", place_key="k", code="C1",
                                 default_stay_minutes=60, owner=owner)
    grant = grant_role("0912000050", role, areas[grant_area] if grant_area else None,
                       grant_sector)
    visible = venue_access.supervised_venues(Scope(grant.user), role)
    assert (venue in visible) is expected


def test_a_role_does_not_lend_its_reach_to_another(areas):
    grant = grant_role("0912000050", Role.INSPECTOR, areas["75"])
    scope = Scope(grant.user)
    assert scope.covers(areas["25993"], Role.INSPECTOR)
    assert not scope.covers(areas["25993"], Role.HEALTH_OFFICER)
    assert not scope.has(Role.OFFICER)


def test_a_citizen_has_no_authority(areas):
    scope = Scope(User.objects.create_user("0912000052"))
    assert scope.roles == set()
    assert not scope.covers(areas["25993"], Role.OFFICER)
    assert list(scope.visible_areas(Role.OFFICER)) == []


def test_create_officer_command_grants_a_scoped_role(areas, capsys):
    from django.core.management import call_command

    call_command("create_officer", phone="0912 000 053", role="officer", area="731",
                 sector="trade")
    user = User.objects.get(phone="+84912000053")
    scope = Scope(user)
    assert scope.covers(areas["25993"], Role.OFFICER, sector="trade")
    assert not scope.covers(areas["26368"], Role.OFFICER, sector="trade")
    assert "officer" in capsys.readouterr().out
