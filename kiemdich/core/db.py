"""Prepared statements for the hot paths (PostgreSQL).

Django's cursors bind parameters on the client, so PostgreSQL parses and plans every
statement anew; on the scan and check-in paths that planning took several times longer than
running the statements. A cursor from `prepared_cursor` binds on the server: psycopg prepares
a statement after `prepare_threshold` runs on a connection (settings.py), or on its first with
`at_once`, and PostgreSQL keeps one generic plan for it. Such statements are SQL written
once, with parameters only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def prepared_cursor(*, at_once: bool = False) -> CursorWrapper:
    """A Django cursor (queries logged, errors wrapped) that binds on the server.

    `at_once`: for a statement too costly to plan five times over (the threshold's runs are
    each parsed and planned), prepared on its first run on the connection, with every integer
    sent as int8 so that one statement is prepared whatever the values (psycopg sends each
    integer as the smallest type that holds it, and types are part of a prepared statement's
    key: ids on either side of 32,767 made a second statement, planned anew)."""
    connection.ensure_connection()
    cursor = _cursor_class(at_once)(connection.connection)
    if at_once:
        # PostgreSQL only, as the cursor class: a SQLite deployment never loads psycopg.
        from psycopg.types.numeric import Int8Dumper

        cursor.adapters.register_dumper(int, Int8Dumper)
    # Django's own private wrapping (what `connection.cursor()` does with its default cursor
    # class); the stubs declare neither it nor psycopg's cursor constructor.
    return connection._prepare_cursor(cursor)  # type: ignore[attr-defined]


@functools.cache
def _cursor_class(at_once: bool) -> Any:
    # PostgreSQL only: a SQLite deployment never loads Django's PostgreSQL backend.
    from django.db.backends.postgresql.base import ServerBindingCursor

    if not at_once:
        return ServerBindingCursor

    class PreparedAtOnce(ServerBindingCursor):
        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                    binary: bool | None = None) -> Any:
            # psycopg's Cursor.execute; the stubs give Django's cursor class no base.
            return super().execute(  # type: ignore[misc]
                query, params, prepare=True, binary=binary)

    return PreparedAtOnce


def execute(cursor: CursorWrapper, sql: str, params: Any) -> None:
    cursor.execute(sql, params)
    log = connection.queries_log
    if connection.queries_logged and log and log[-1]["sql"] is None:
        # psycopg keeps no text of a prepared statement's run for Django's query log.
        log[-1]["sql"] = sql


def column_of(field: Field) -> str:
    """A concrete field's column (the stubs allow None, which only a field without a column
    of its own, never a concrete one, has)."""
    if field.column is None:
        raise TypeError(f"{field!r} has no column")
    return field.column


def model_field(model: type[Model], name: str) -> Field:
    """A field of the model itself (`_meta.get_field` may also answer a reverse relation)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is a relation to it, not a field of it")
    return field


def max_length_of(model: type[Model], name: str) -> int:
    """The declared length of a text column."""
    length = model_field(model, name).max_length
    if length is None:
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length


def instance_from_row(model: type[M], row: Sequence[Any]) -> tuple[M, Sequence[Any]]:
    """A model instance from a row that starts with its concrete fields (SQL written once
    selects them in `_meta.concrete_fields` order), and the rest of the row."""
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, row[:len(names)]), row[len(names):]
