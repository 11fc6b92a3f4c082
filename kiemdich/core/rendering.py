"""An operation's answer rendered as django-ninja renders it, without its pydantic round trip:
the one place that writes an answer's bytes past ninja (`rendered`), for two kinds of body.

**A body proven unchanged by the round trip** (the reader's lane: `answer_dumper`).

django-ninja validates what an operation returns against the response schema of its status
(every value wrapped in its DjangoGetter), dumps the model back to Python values and renders
those as JSON. For a body of plain values that already are what the schema declares — a
`str` for a `str`, an `int` (not a `bool`) for an `int`, a `datetime` (or its ISO text, read
by pydantic's own datetime validation), one of a `Literal`'s values, a `dict` for a nested
schema, a `list` of them — validation keeps each value as it is and the dump gives it back
in the schema's field order, absent fields as their defaults and fields the schema does not
declare left out. `answer_dumper` builds that same dump for a schema made only of such
fields, and refuses (None) any schema that could do more: constraints, aliases, validators,
serializers, resolvers, computed fields, a configuration of its own. The dump itself gives up
(`Unprovable`) on any value of another type — a lazy translation, a string subclass, a
number as text — which ninja then renders.
tests/scans/test_lane.py compares the two renderings of the lane's answers.

**A large body built from data the operation controls** (tracing's contacts: `rendered`,
its moments written by `json_time`). ninja validates what an operation returns against its
response schema (a Python object per field) and then encodes it, calling the encoder back for
every datetime: for a page of contacts that was half the request's CPU, more than ranking
them. Such an operation builds its body from ints, strings and moments as JSON text, so the
bytes are those ninja would have sent; the schema stays the operation's documented answer
(tests/tracing/test_paging.py checks one against the other).
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin, overload

from django.http import HttpResponse
from ninja import Schema
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import TypeAdapter, ValidationError

Dump = Callable[[Any], Any]
_REQUIRED = object()
# A default the dump may hand out as it is (pydantic does not copy it either).
_PLAIN_DEFAULTS = (type(None), str, int, bool)
_DATETIME = TypeAdapter(datetime)


# As ninja's default renderer writes an answer (the API keeps it: `renders_like_ninja`).
_CONTENT_TYPE = f"{JSONRenderer.media_type}; charset={JSONRenderer.charset}"


def rendered(body: Any, status: int = 200) -> HttpResponse:
    """The JSON answer of `body` as ninja's default renderer writes it (its encoder for
    anything not plain JSON, e.g. a nested schema object), without validating it."""
    return HttpResponse(json.dumps(body, cls=NinjaJSONEncoder), status=status,
                        content_type=_CONTENT_TYPE)


def renders_like_ninja(renderer: object) -> bool:
    """Whether the API's renderer writes what `rendered` writes (ninja's own, unconfigured)."""
    return (type(renderer) is JSONRenderer and renderer.encoder_class is NinjaJSONEncoder
            and not renderer.json_dumps_params)


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


class Unprovable(Exception):  # noqa: N818 (a verdict, not an error)
    """A value pydantic might convert, refuse or call: ninja is to render the answer."""


def _exactly(kind: type) -> Dump:
    def dump(value: Any) -> Any:
        if type(value) is not kind:
            raise Unprovable
        return value

    return dump


def _one_of(values: tuple[Any, ...]) -> Dump:
    allowed = {(type(value), value) for value in values}

    def dump(value: Any) -> Any:
        if (type(value), value) not in allowed:
            raise Unprovable
        return value

    return dump


def _optional(inner: Dump) -> Dump:
    def dump(value: Any) -> Any:
        return None if value is None else inner(value)

    return dump


def _list_of(inner: Dump) -> Dump:
    def dump(value: Any) -> Any:
        if type(value) is not list:
            raise Unprovable
        return [inner(item) for item in value]

    return dump


def _datetime(value: Any) -> Any:
    if type(value) is datetime:
        return value
    if type(value) is not str:
        raise Unprovable
    # Text (a stored answer's ISO time) is read by pydantic's own datetime validation, as the
    # round trip would.
    try:
        return _DATETIME.validate_python(value)
    except ValidationError as exc:
        raise Unprovable from exc


def _value_dumper(annotation: Any) -> Dump | None:
    origin = get_origin(annotation)
    if annotation is datetime:
        return _datetime
    if annotation in (str, int, bool):
        return _exactly(annotation)
    if origin is Literal:
        return _one_of(get_args(annotation))
    if origin in (Union, types.UnionType):
        others = [arg for arg in get_args(annotation) if arg is not type(None)]
        inner = _value_dumper(others[0]) if len(others) == 1 else None
        return _optional(inner) if inner is not None else None
    if origin is list:
        inner = _value_dumper(get_args(annotation)[0])
        return _list_of(inner) if inner is not None else None
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        return answer_dumper(annotation)
    return None


def _plain(schema: type[Schema]) -> bool:
    """Nothing in the schema but its fields' types and defaults."""
    ours, base = schema.__pydantic_decorators__, Schema.__pydantic_decorators__
    kinds = ("validators", "field_validators", "root_validators", "field_serializers",
             "model_serializers", "model_validators", "computed_fields")
    return (schema.model_config == Schema.model_config
            and not getattr(schema, "_ninja_resolvers", None)
            and all(getattr(ours, kind).keys() == getattr(base, kind).keys() for kind in kinds))


def answer_dumper(schema: type[Schema]) -> Dump | None:
    """What ninja's validation and dump of a dict against `schema` give, or None when the
    schema could do more than keep its fields' values (see the module's docstring)."""
    if not _plain(schema):
        return None
    fields: list[tuple[str, Dump, Any]] = []
    for name, field in schema.model_fields.items():
        if field.metadata or field.alias or field.serialization_alias or \
                field.validation_alias or field.default_factory is not None or field.exclude:
            return None
        default = _REQUIRED if field.is_required() else field.default
        if default is not _REQUIRED and type(default) not in _PLAIN_DEFAULTS:
            return None
        dump = _value_dumper(field.annotation)
        if dump is None:
            return None
        fields.append((name, dump, default))

    def dump_schema(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise Unprovable
        dumped = {}
        for name, dump, default in fields:
            if name in value:
                dumped[name] = dump(value[name])
            elif default is _REQUIRED:
                raise Unprovable  # ninja answers its own error for it
            else:
                dumped[name] = default
        return dumped

    return dump_schema
