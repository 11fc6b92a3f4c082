"""Every answer under /api/ is the contract's JSON error shape when it is an error — a path
id that is not a number, an unknown path, a method an operation lacks, a body that is not
JSON, a bug in a view — with its status declared in the OpenAPI document; validation
messages speak the caller's language; and no answer that may hold personal data may be
cached (`Cache-Control: no-store`)."""

from __future__ import annotations

import pytest
from django.test import Client

from kiemdich.api import api
from tests.security.world import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(areas):
    return build(areas)


def _assert_error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


@pytest.mark.parametrize("path", [
    "/api/v1/venues/abc", "/api/v1/venues/1.5/poster.pdf", "/api/v1/venues/%C3%A9/staff",
    "/api/v1/venues/x/devices", "/api/v1/no-such-thing", "/api/v2/venues"])
def test_a_path_that_names_no_operation_answers_json_404(world, path):
    _assert_error_shape(world.clients["admin"].get(path), 404, "not_found")


def test_a_method_the_operation_lacks_answers_json_405(world):
    response = world.clients["admin"].put("/api/v1/health")
    _assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_body_that_is_not_json_answers_json_400(world):
    response = world.clients["citizen"].generic(
        "POST", "/api/v1/people", b"{not json", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.clients['citizen'].token}")
    _assert_error_shape(response, 400, "bad_request")


def test_an_unhandled_error_in_a_view_answers_json_500(world, monkeypatch):
    """A bug (here: a service that raises) is a JSON 500, never Django's HTML page."""
    from kiemdich.accounts import api as accounts_api

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(accounts_api, "account_summary", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer "
                          f"{world.clients['citizen'].token}")
    _assert_error_shape(response, 500, "server_error")


def test_a_page_that_does_not_exist_is_still_an_html_page(world):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("lang", "expected"), [
    ("vi", "direction: Phải là một trong: 'in', 'out'."),
    ("en", "direction: Must be one of: 'in', 'out'."),
])
def test_validation_messages_speak_the_callers_language(world, lang, expected):
    staff = world.clients["staff"]
    response = staff.post(f"/api/v1/venues/{world.ids['venue']}/scans",
                          {"code": "x", "direction": "sideways"},
                          HTTP_ACCEPT_LANGUAGE=lang)
    _assert_error_shape(response, 422, "invalid")
    assert response.json()["error"]["message"] == expected
    assert "Input should" not in response.content.decode()


@pytest.mark.parametrize(("body", "vi"), [
    ({"full_name": "x" * 300}, "full_name: Dài tối đa"),
    ({"full_name": 5}, "full_name: Cần một chuỗi ký tự."),
    ({"full_name": "Bé Na", "birth_date": "hôm qua"}, "birth_date: Cần ngày dạng YYYY-MM-DD."),
    ({}, "full_name: Trường này là bắt buộc."),
])
def test_each_kind_of_invalid_field_is_explained_in_vietnamese(world, body, vi):
    response = world.clients["citizen"].post("/api/v1/people", body)
    _assert_error_shape(response, 422, "invalid")
    assert response.json()["error"]["message"].startswith(vi), response.json()


def test_the_openapi_document_declares_the_errors_every_operation_can_answer():
    schema = api.get_openapi_schema()
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            needed = {400, 404, 422, 429, 503} | ({401} if operation.get("security") else set())
            declared = {int(status) for status in operation["responses"]}
            if needed - declared:
                missing.append(f"{method.upper()} {path}: {sorted(needed - declared)}")
            for status in needed:
                body = operation["responses"][status]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorOut"} or "$ref" in body
    assert not missing, missing


@pytest.mark.parametrize("persona,path", [
    ("citizen", "/api/v1/me"), ("citizen", "/api/v1/people"), ("citizen", "/api/v1/me/export"),
    ("health", "/api/v1/cases/{case}/exposures"), ("owner", "/api/v1/venues/{venue}/staff"),
    ("anon", "/api/v1/health")])
def test_api_answers_are_never_stored_by_a_cache(world, persona, path):
    response = world.clients[persona].get(path.format(**world.ids))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-store"


def test_a_scan_answer_and_a_login_token_are_never_stored(world, outbox):
    staff = world.clients["staff"]
    scan = staff.post(f"/api/v1/venues/{world.ids['venue']}/scans",
                      {"phone": "0912000001", "direction": "in"})
    assert scan.status_code == 201, scan.content
    assert scan["Cache-Control"] == "private, no-store"
    anon = world.clients["anon"]
    anon.post("/api/v1/auth/otp", {"phone": "0912000777"})
    token = anon.post("/api/v1/auth/token",
                      {"phone": "0912000777", "code": outbox.last_code("+84912000777")})
    assert token.status_code == 200 and token["Cache-Control"] == "private, no-store"


def test_pages_of_a_logged_in_person_are_never_stored_but_static_files_are(world):
    client = Client()
    client.force_login(world.clients["citizen"].user)
    page = client.get("/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    manifest = client.get("/manifest.webmanifest")
    assert "public" in manifest["Cache-Control"]
