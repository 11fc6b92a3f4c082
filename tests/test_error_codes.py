"""One catalogue of error codes (kiemdich/core/error_codes.py): every code raised anywhere is
declared there with the status it is raised with, the API's error answers carry codes from
it, the OpenAPI document lists them, and a refused scan stores one of them in full."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import kiemdich
from kiemdich.core.error_codes import CATALOGUE
from kiemdich.core.errors import DomainError

SOURCES = Path(kiemdich.__file__).parent
# Helpers that answer with an error body: the code is their argument at this position.
ANSWERING = {"error_response": 2, "json_error": 1, "_refusal": 0}


def _module(path: Path):
    name = ".".join(path.relative_to(SOURCES.parent).with_suffix("").parts)
    return importlib.import_module(name)


def _resolve(module, node: ast.expr):
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolve(module, node.value)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _error_class(value) -> type[DomainError] | None:
    return value if isinstance(value, type) and issubclass(value, DomainError) else None


def raised_codes() -> list[tuple[str, int | None, str]]:
    """(code, status, where) for every code the sources raise or answer with: a DomainError
    made with `code=`, a DomainError class's own `code`, a `{"error": {"code": …}}` body and
    the code argument of the helpers that answer with one."""
    found: list[tuple[str, int | None, str]] = []
    for path in sorted(SOURCES.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        module = None
        for node in ast.walk(tree):
            where = f"{path.relative_to(SOURCES.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ClassDef):
                module = module or _module(path)
                cls = _error_class(getattr(module, node.name, None))
                if cls is not None and "code" in vars(cls):
                    found.append((cls.code, cls.status, where))
            elif isinstance(node, ast.Call):
                keywords = {k.arg: k.value for k in node.keywords}
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                code = keywords.get("code")
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    module = module or _module(path)
                    cls = _error_class(_resolve(module, node.func))
                    if cls is None:
                        continue  # a `code=` of something else (a query, a model)
                    status = keywords.get("status")
                    found.append((code.value, status.value if isinstance(status, ast.Constant)
                                  else cls.status, where))
                elif name in ANSWERING and len(node.args) > ANSWERING[name]:
                    argument = node.args[ANSWERING[name]]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        status = node.args[ANSWERING[name] - 1] if ANSWERING[name] else None
                        found.append((argument.value, status.value if isinstance(
                            status, ast.Constant) else None, where))
            elif isinstance(node, ast.Dict):
                entries = dict(zip([getattr(k, "value", None) for k in node.keys], node.values,
                                   strict=True))
                inner = entries.get("error")
                if isinstance(inner, ast.Dict):
                    for key, value in zip(inner.keys, inner.values, strict=True):
                        if getattr(key, "value", None) == "code" and \
                                isinstance(value, ast.Constant):
                            found.append((value.value, None, where))
    return found


def test_the_scan_finds_what_it_must():
    codes = {code for code, _status, _where in raised_codes()}
    assert {"code_expired", "venue_unknown", "account_owns_venues", "nonce_conflict",
            "body_too_large", "server_error", "invalid", "bad_request"} <= codes


def test_every_code_raised_anywhere_is_in_the_catalogue_with_its_status():
    missing = [(code, where) for code, _status, where in raised_codes() if code not in CATALOGUE]
    assert missing == []
    wrong = [(code, status, where) for code, status, where in raised_codes()
             if status is not None and status not in CATALOGUE[code].statuses]
    assert wrong == []


def test_every_declared_code_is_used():
    used = {code for code, _status, _where in raised_codes()}
    from kiemdich.failures import _CODES

    used |= set(_CODES.values())
    assert sorted(set(CATALOGUE) - used) == []


def test_the_failure_handlers_answer_catalogue_codes():
    from kiemdich.failures import _CODES

    for status, code in _CODES.items():
        assert status in CATALOGUE[code].statuses, code


@pytest.mark.django_db
def test_the_openapi_document_lists_every_code(anon):
    schema = anon.get("/api/v1/openapi.json").json()
    listed = {entry["code"]: entry for entry in schema["x-error-codes"]}
    assert set(listed) == set(CATALOGUE)
    assert listed["code_expired"]["status"] == 422 and listed["code_expired"]["message"]
    assert listed["area_unknown"]["statuses"] == [404, 422]
    bodies = [s for s in schema["components"]["schemas"].values()
              if set(s.get("properties", {})) >= {"code", "message"}]
    assert bodies and all(sorted(b["properties"]["code"]["enum"]) == sorted(CATALOGUE)
                          for b in bodies)


@pytest.mark.django_db
def test_the_api_error_answers_carry_codes_from_the_catalogue(anon, lan):
    answers = [
        anon.get("/api/v1/me"),  # no credentials
        lan.get("/api/v1/people/999999"),  # unknown id
        lan.post("/api/v1/people", {"full_name": 5}),  # schema validation
        lan.post("/api/v1/checkins", {"venue_code": "nope", "person_ids": [1],
                                      "direction": "in"}),
        lan.get("/api/v1/cases/1"),  # not a tracer: ids are no hints
        lan.get("/api/v1/audit"),  # not an auditor
        lan.get("/api/v1/me/delete"),  # no pending request
        anon.post("/api/v1/auth/otp", {"phone": "12"}),
    ]
    for response in answers:
        code = response.json()["error"]["code"]
        assert code in CATALOGUE, code
        assert response.status_code in CATALOGUE[code].statuses, (code, response.status_code)
    assert [r.status_code for r in answers] == [401, 404, 422, 404, 404, 403, 404, 422]
