"""The OpenAPI document describes every venue endpoint of the contract with its schemas."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_contracts_venue_endpoints_are_documented(anon):
    doc = anon.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    expected = {
        "/api/v1/venues": {"get", "post"},
        "/api/v1/venues/{id}": {"get", "patch"},
        "/api/v1/venues/{id}/rotate": {"post"},
        "/api/v1/venues/{id}/poster.pdf": {"get"},
        "/api/v1/venues/{id}/poster.png": {"get"},
        "/api/v1/venues/{id}/staff": {"get", "post"},
        "/api/v1/venues/{id}/staff/{phone}": {"delete"},
        "/api/v1/venues/{id}/devices": {"get", "post"},
        "/api/v1/venues/{id}/devices/{device_id}": {"delete"},
        "/api/v1/venues/{id}/special": {"post"},
        "/api/v1/venues/directory": {"get"},
        "/api/v1/venue-types": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    created = paths["/api/v1/venues"]["post"]
    assert "requestBody" in created
    schema = created["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    fields = doc["components"]["schemas"][schema.rsplit("/", 1)[1]]["properties"]
    assert {"id", "code", "checkin_url", "poster_pdf_url", "poster_png_url"} <= set(fields)
    device = paths["/api/v1/venues/{id}/devices"]["post"]["responses"]["201"]
    ref = device["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"id", "token"} <= set(doc["components"]["schemas"][ref]["properties"])
