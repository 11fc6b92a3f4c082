"""Reading an uploaded CSV file the same way for every import: UTF-8 (with or without BOM),
headers matched case-insensitively, required columns checked, a row limit, and refusals
with stable codes on the `file` field."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from kiemdich.core.errors import Invalid


def not_utf8() -> Invalid:
    return Invalid(code="csv_encoding", field="file")


def malformed(line: int) -> Invalid:
    return Invalid(code="csv_malformed", field="file", params={"n": line})


def header_of(fieldnames: Sequence[str] | None, columns: Iterable[str]) -> list[str]:
    """The header lower-cased; Invalid when a required column is missing."""
    header = [h.strip().lower() for h in (fieldnames or [])]
    missing = [c for c in columns if c not in header]
    if missing:
        raise Invalid(code="csv_columns", field="file", params={"cols": ", ".join(missing)})
    return header


def read_rows(data: bytes, columns: Iterable[str], max_rows: int) -> list[tuple[int, dict]]:
    """(line number, row) for each row, keys lower-cased; at most `max_rows` rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_utf8() from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    reader.fieldnames = header_of(reader.fieldnames, columns)
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
            if len(rows) > max_rows:
                raise Invalid(code="csv_too_large", field="file", params={"n": max_rows})
    except csv.Error:
        raise malformed(reader.line_num) from None
    return rows


def checked_upload(pieces: Iterable[bytes], columns: Sequence[str]) -> Iterator[bytes]:
    """An upload's pieces, checked on the way to storage (a task's input): UTF-8 throughout
    (decoded piece by piece, so a 1 M-row file is never whole in memory) and `columns` in
    its first line. Raises Invalid, which rolls the task's creation back."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    head: str | None = ""
    for piece in pieces:
        try:
            text = decoder.decode(piece)
        except UnicodeDecodeError:
            raise not_utf8() from None
        if head is not None:
            head += text
            if "\n" in head:
                header_of(next(csv.reader(io.StringIO(head.split("\n", 1)[0])), []), columns)
                head = None
        yield piece
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise not_utf8() from None
    if head is not None:
        header_of(next(csv.reader(io.StringIO(head)), []), columns)


def records(stream: io.TextIOBase, columns: Sequence[str]) -> Iterator[tuple[int, dict | None]]:
    """(line number, row) of every record of a task's input; a row with too few or too many
    cells comes as None. Raises Invalid for a file CSV cannot read, naming the line."""
    reader = csv.DictReader(stream)
    reader.fieldnames = header_of(reader.fieldnames, columns)
    try:
        for row in reader:
            bad = None in row or any(v is None for v in row.values())
            yield reader.line_num, None if bad else row
    except csv.Error:
        raise malformed(reader.line_num) from None
    except UnicodeDecodeError:
        raise not_utf8() from None
