"""Helpers for venue tests: a place's fields and registering it through the API."""

from __future__ import annotations

import pytest


def place(**overrides) -> dict:
    data = {"name": "Chợ Tân Phong", "venue_type": "market", "area_code": "25996",
            "street": "12 Đường Đồng Khởi"}
    data.update(overrides)
    return data


@pytest.fixture
def register(areas):
    """POST /api/v1/venues as `client`; asserts 201 unless told otherwise."""

    def do_register(client, expect: int = 201, **overrides) -> dict:
        response = client.post("/api/v1/venues", place(**overrides))
        assert response.status_code == expect, response.content
        return response.json()

    return do_register
