"""An operation's answer rendered as django-ninja renders it, without its pydantic round trip
when that round trip provably changes nothing.

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
"""

from __future__ import annotations

import types
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

from ninja import Schema
from pydantic import TypeAdapter, ValidationError

Dump = Callable[[Any], Any]
_REQUIRED = object()
# A default the dump may hand out as it is (pydantic does not copy it either).
_PLAIN_DEFAULTS = (type(None), str, int, bool)
_DATETIME = TypeAdapter(datetime)


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
