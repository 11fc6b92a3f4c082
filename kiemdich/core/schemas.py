"""The API's shapes shared by every app: one error body, one person as a viewer sees them
(`kiemdich.core.masking.person_shape` builds it; full or masked); and the rendering of a large
body without the schema's round trip (`json_time`, `rendered`)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, overload

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _without_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(_("Không được có ký tự điều khiển."))
    return value


# One line a person typed (a name, a phone, an ID number, an address): never a control
# character, which no keyboard field sends and PostgreSQL cannot store (NUL), so the body is
# refused alike on every database instead of stored on one and refused by the other.
LineText = Annotated[str, AfterValidator(_without_control)]


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class PersonShape(Schema):
    id: int | None = Field(None, description="only when the viewer sees the person in full "
                                             "(a special venue, a health officer); a masked "
                                             "person has no id")
    display_name: str
    phone: str
    id_number: str
    birth: str
    birth_text: str = Field(description="the birth date as people write it (dd/mm/yyyy), "
                                        "or the year alone when masked")
    masked: bool


# Large bodies ---------------------------------------------------------------------------
#
# django-ninja validates what an operation returns against its response schema (a Python
# object per field) and then encodes it, calling the encoder back for every datetime: for a
# page of tracing's contacts that was half the request's CPU, more than ranking them. An
# operation whose body is built from data it controls (ints, strings, moments) renders it with
# `rendered` instead, its moments written by `json_time` as the encoder writes them, so the
# bytes are those ninja would have sent; the schema stays the operation's documented answer
# (tests check one against the other).

@overload
def json_time(moment: datetime) -> str: ...
@overload
def json_time(moment: None) -> None: ...
def json_time(moment: datetime | None) -> str | None:
    """A moment as the API writes it (Django's JSON encoder: milliseconds at most, UTC as
    `Z`)."""
    if moment is None:
        return None
    text = moment.isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    return text


def rendered(body: dict[str, Any], status: int = 200) -> HttpResponse:
    """A JSON response of `body` as django-ninja renders one (its encoder for anything not
    plain JSON, e.g. a nested schema object), without validating it against a schema."""
    return HttpResponse(json.dumps(body, cls=NinjaJSONEncoder), status=status,
                        content_type="application/json; charset=utf-8")
