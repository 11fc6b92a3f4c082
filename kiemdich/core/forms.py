"""What every app's forms share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from django import forms

F = TypeVar("F", bound=forms.Field)


def field_of(form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """A field of `form` as the kind it was declared (`form.fields` is typed as plain
    fields): for what only that kind has, set per request."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is not a {kind.__name__}")
    return field


def set_choices(form: forms.BaseForm, name: str, choices: Iterable[Any]) -> None:
    """Give a choice field of `form` the choices known only per request (areas, sectors)."""
    field_of(form, name, forms.ChoiceField).choices = choices


# Dates as people write them ---------------------------------------------------------------
#
# A native date input shows the browser's own format, not the page's: Chromium on a phone
# set to English shows mm/dd/yyyy whatever lang="vi" says (measured: lang="vi", a vi-VN
# context and --lang=vi-VN all still showed 12/02/2026 for 2 December). So the dates people
# type are text in dd/mm/yyyy, as written in Vietnam; the ISO form (a link, a test, the
# API's) is accepted as well.

DAY_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
DAY_PATTERN = r"\s*\d{1,2}[\/.\-]\d{1,2}[\/.\-]\d{4}\s*|\s*\d{4}-\d{2}-\d{2}\s*"


def parse_day(text: str) -> date:
    """dd/mm/yyyy (or with - or .) or yyyy-mm-dd → date; ValueError otherwise."""
    text = str(text or "").strip()
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class DayInput(forms.DateInput):
    """A date typed as dd/mm/yyyy, on every browser whatever its language."""

    input_type = "text"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__({"inputmode": "numeric", "placeholder": "dd/mm/yyyy",
                          "pattern": DAY_PATTERN, "autocomplete": "off",
                          "class": "day-input", **(attrs or {})}, format="%d/%m/%Y")


class DayField(forms.DateField):
    widget = DayInput
    input_formats = DAY_FORMATS


def day_input(name: str, value: object, element_id: str = "") -> str:
    """The same input outside a form (a list's filter toolbar)."""
    return DayInput().render(name, value, attrs={"id": element_id} if element_id else None)
