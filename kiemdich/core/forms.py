"""What every app's forms share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms


def set_choices(form: forms.BaseForm, name: str, choices: Iterable[Any]) -> None:
    """Give a choice field of `form` the choices known only per request (areas, sectors):
    `form.fields` is typed as plain fields, which have none."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    field.choices = choices
