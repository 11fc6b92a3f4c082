"""CSV and XLSX exports that spreadsheet programs cannot be tricked into executing.

A cell starting with = + - @, a tab or a carriage return is read as a formula by Excel and
LibreOffice (and the full-width forms of = + - @ by some East Asian input settings); such cells
get a leading apostrophe. Every export of the platform goes through here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from kiemdich.core.audit import record

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Control characters XML 1.0 cannot hold: an XLSX cell drops them instead of failing the export.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def safe_cell(value: object) -> object:
    """Neutralise text that a spreadsheet would evaluate; numbers and dates pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        # A word whoever opens the file reads, in the language of the request.
        return gettext("Có") if value else gettext("Không")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) \
            else value
    if isinstance(value, date):
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def storable_text(text: str) -> str:
    """`text` as an XLSX cell keeps it: without the control characters XML forbids, and with
    line ends as XML reads them back (a lone CR becomes LF)."""
    return _NOT_IN_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _text(value: object) -> str:
    cell = safe_cell(value)
    if isinstance(cell, datetime):
        return cell.strftime("%d/%m/%Y %H:%M")
    if isinstance(cell, date):
        return cell.strftime("%d/%m/%Y")
    return str(cell)


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence[object]],
              per_piece: int = 2000) -> Iterator[bytes]:
    """The CSV file in pieces of `per_piece` rows, for a streamed download or a file written
    as it goes; the first piece starts with the BOM that makes Excel read UTF-8 Vietnamese
    text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([_text(h) for h in headers])
    for count, row in enumerate(rows, 1):
        writer.writerow([_text(v) for v in row])
        if count % per_piece == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    return b"".join(csv_lines(headers, rows))


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]],
               title: str = "Data") -> bytes:
    return xlsx_workbook([(title, headers, rows)])


def xlsx_workbook(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) \
        -> bytes:
    """A workbook of (title, headers, rows) sheets, every cell neutralised."""
    # openpyxl takes about 0.3 s to load: only a process that writes an XLSX file pays it.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    if workbook.active is not None:  # the sheet a new workbook starts with
        workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(storable_text(str(title))[:31])
        sheet.append([_xlsx_cell(str(h)) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                elif isinstance(cell.value, datetime):
                    cell.number_format = "DD/MM/YYYY HH:MM"
                elif isinstance(cell.value, date):
                    cell.number_format = "DD/MM/YYYY"
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(value: object) -> object:
    cell = safe_cell(value)
    if isinstance(cell, str):
        # Neutralise after cleaning, so removing a control character cannot expose a formula.
        return safe_cell(storable_text(cell))
    return cell


def export_response(fmt: str, filename: str, headers: Sequence[str],
                    rows: Iterable[Sequence[object]], title: str = "Data", *,
                    actor: object = None, reason: str = "") -> HttpResponse:
    """An attachment response in `fmt` ("csv" or "xlsx"). With an `actor`, the export is
    written to the audit trail (the file's name, never its content)."""
    if actor is not None:
        record(actor, "export", target=f"export:{filename}",
               reason=f"format={'xlsx' if fmt == 'xlsx' else 'csv'} {reason}".strip())
    if fmt == "xlsx":
        body = xlsx_bytes(headers, rows, title)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        fmt, body, content_type = "csv", csv_bytes(headers, rows), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
