"""A contact recorded without a name (a phone typed in at the gate) is labelled as such on
the case page, in the API and in the file, never shown as a number or an empty cell."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from kiemdich.people.models import Person
from tests.conftest import case_report
from tests.tracing.conftest import at

pytestmark = pytest.mark.django_db


def test_an_unnamed_contact_is_labelled(mai, world, client):
    f0 = world.person("Phạm Văn Tâm", phone="+84912400011")
    nameless = Person.objects.create(full_name="", phone="+84912400012", source="manual",
                                     area=world.areas["25993"])
    cafe = world.venue("Quán cà phê Sáng")
    world.visit(f0, cafe, at(10, 10), at(10, 11))
    world.visit(nameless, cafe, at(10, 10, 15), at(10, 10, 45))
    case = mai.post("/api/v1/cases", {"person": {"phone": "0912400011"},
                                      "confirmed_at": at(15, 12).isoformat()})
    assert case.status_code == 201, case.content
    case_id = case.json()["id"]

    client.force_login(mai.user)
    html = client.get(f"/tracing/{case_id}/").content.decode()
    row = html.split(f'data-person="{nameless.pk}"')[1].split("</tr>")[0]
    assert "(chưa có tên)" in row and "0912400012" in row
    assert f"<td>{nameless.pk}</td>" not in row

    sheet = load_workbook(io.BytesIO(
        case_report(mai, case_id, "xlsx").content)).active
    names = [r[2].value for r in sheet.iter_rows(min_row=2)]
    assert names == ["(chưa có tên)"]
