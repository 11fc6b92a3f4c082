"""The API's shapes shared by every app: one error body, one person as a viewer sees them
(`kiemdich.core.masking.person_shape` builds it; full or masked)."""

from __future__ import annotations

from ninja import Field, Schema


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
