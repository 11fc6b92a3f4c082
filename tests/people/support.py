"""Helpers shared by the people and declarations tests: a citizen ready to declare."""

from __future__ import annotations

from kiemdich.people.services import CONSENT_VERSION

ALL_NO = {
    "visited_places": False, "visited_places_text": "",
    "fever": False, "cough": False, "shortness_of_breath": False, "pneumonia": False,
    "sore_throat": False, "fatigue": False, "other_symptoms": "",
    "contact_case": False, "contact_from_outbreak": False, "contact_symptomatic": False,
}


def answers(**changes) -> dict:
    return {**ALL_NO, **changes}


def ready(client, commune: str = "25993", name: str = "Trần Thị Lan") -> int:
    """Consent given and the self person named and placed; returns the self person's id."""
    assert client.post("/api/v1/consent", {"version": CONSENT_VERSION}).status_code == 201
    me = client.get("/api/v1/people").json()[0]
    response = client.patch(f"/api/v1/people/{me['id']}",
                            {"full_name": name, "area_code": commune})
    assert response.status_code == 200, response.content
    return me["id"]


def add_child(client, name: str = "Nguyễn Minh An", commune: str = "25993", **extra) -> dict:
    response = client.post("/api/v1/people", {"full_name": name, "birth_date": "2015-03-02",
                                              "gender": "male", "area_code": commune,
                                              "relationship": "con", **extra})
    assert response.status_code == 201, response.content
    return response.json()
