"""What every app's forms share."""

from __future__ import annotations

from collections.abc import Iterable
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
