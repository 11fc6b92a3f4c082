"""The API's shapes shared by every app: one error body, one person as a viewer sees them
(`kiemdich.core.masking.person_shape` builds it; full or masked), one line of typed text."""

from __future__ import annotations

import re
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Schema
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
