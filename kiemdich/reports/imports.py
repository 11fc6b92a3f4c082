"""CSV imports of the data coverage is measured against: population per commune, the
registry of establishments, rosters of people who must declare. Any size: the upload is
stored and a long task (kiemdich.jobs.tasks) reads it in chunks of CHUNK_ROWS rows, each
written with one upsert keyed by the row's natural key (a commune, a registration number,
an organisation's member by phone and ID digest) and committed with the progress.

Every row is checked and bad ones reported by line, column and reason (never echoing the row:
it may hold personal data). Good rows are saved unless the user chose all-or-nothing: then a
first pass checks the whole file and a second writes it only if no row is bad. A row whose
key repeats one above it is bad. A cancelled import keeps the chunks written before; a new
import of the same file updates them (nothing is duplicated).
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import Sector, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core import csvrows
from kiemdich.core.db import column_of, model_field
from kiemdich.core.errors import DomainError, Forbidden, Invalid, NotFound
from kiemdich.core.protect import id_digest
from kiemdich.jobs import tasks
from kiemdich.people.identity import validate_id_number
from kiemdich.reports.models import Establishment, Organisation, Population, RosterMember

KIND = "reports.import"
CHUNK_ROWS = 5000


class ImportKind(models.TextChoices):
    POPULATION = "population", _("Dân số theo địa bàn")
    ESTABLISHMENTS = "establishments", _("Danh sách cơ sở phải đăng ký")
    ROSTER = "roster", _("Danh sách người phải khai báo")


_REG_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]{0,31}")


class RowError(Exception):
    """One bad row: the column at fault ("" for the row as a whole) and why."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


class _Areas:
    """Communes by code, and whether the importer's scope covers them: looked up once per
    code (and sector) for the whole file, not once per row."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.areas: dict[str, Area | None] = {}
        self.covered: dict[tuple[str, str], bool] = {}

    def leaf(self, code: str, sector: str = "", column: str = "area_code") -> Area:
        code = (code or "").strip()
        if code not in self.areas:
            self.areas[code] = Area.objects.filter(code=code, is_leaf=True).first()
        area = self.areas[code]
        if area is None:
            raise RowError(column, gettext("mã xã/phường không tồn tại"))
        if (code, sector) not in self.covered:
            self.covered[code, sector] = self.scope.covers(area, *policy.IMPORTS, sector=sector)
        if not self.covered[code, sector]:
            raise RowError(column, gettext("địa bàn ngoài phạm vi của bạn"))
        return area


@dataclass(frozen=True)
class Layout:
    """What one kind of file holds, and the table its rows go to: a parsed row is a tuple
    of the values of `fields` (foreign keys as ids), written by one upsert per chunk on the
    `unique` fields."""

    columns: tuple[str, ...]  # of the file
    key_column: str  # named in the error of a repeated key
    model: type[models.Model]
    fields: tuple[str, ...]
    unique: tuple[str, ...]
    stamp: str | None  # a field set to the import's time (its task's start)
    parser: Callable[[tasks.Task, _Areas], Callable[[dict], tuple]]

    def key(self, values: tuple) -> tuple:
        return tuple(values[self.fields.index(name)] for name in self.unique)


SECTORS = frozenset(Sector.values)


def _population_parser(task: tasks.Task, areas: _Areas) -> Callable[[dict], tuple]:
    def parse(row: dict) -> tuple:
        area = areas.leaf(row["area_code"])
        text = (row["population"] or "").strip().replace(".", "").replace(" ", "")
        if not text.isascii() or not text.isdigit() or int(text) > 50_000_000:
            raise RowError("population", gettext("dân số phải là số nguyên không âm"))
        return area.pk, int(text)
    return parse


def _establishment_parser(task: tasks.Task, areas: _Areas) -> Callable[[dict], tuple]:
    def parse(row: dict) -> tuple:
        reg_no, name = (row["reg_no"] or "").strip(), (row["name"] or "").strip()
        sector = (row["sector"] or "").strip()
        if not _REG_NO.fullmatch(reg_no):
            raise RowError("reg_no", gettext("số đăng ký trống hoặc có ký tự không hợp lệ"))
        if not name or len(name) > 200:
            raise RowError("name", gettext("tên cơ sở trống hoặc quá dài"))
        if sector not in SECTORS:
            raise RowError("sector", gettext("lĩnh vực không hợp lệ"))
        return reg_no, name, areas.leaf(row["area_code"], sector).pk, sector
    return parse


def _roster_parser(task: tasks.Task, areas: _Areas) -> Callable[[dict], tuple]:
    organisation_id = task.params["organisation"]

    def parse(row: dict) -> tuple:
        name = (row["full_name"] or "").strip()
        if not name or len(name) > 120:
            raise RowError("full_name", gettext("họ tên trống hoặc quá dài"))
        phone_text, id_text = (row["phone"] or "").strip(), (row["id_number"] or "").strip()
        if not phone_text and not id_text:
            raise RowError("phone", gettext("cần số điện thoại hoặc số giấy tờ"))
        try:
            phone = normalize_phone(phone_text) if phone_text else ""
        except DomainError as exc:
            raise RowError("phone", str(exc.message)) from None
        try:
            digest = id_digest(validate_id_number(id_text)[1]) if id_text else ""
        except DomainError as exc:
            raise RowError("id_number", str(exc.message)) from None
        return organisation_id, name, phone, digest
    return parse


LAYOUTS: dict[str, Layout] = {
    ImportKind.POPULATION: Layout(
        ("area_code", "population"), "area_code", Population, ("area", "residents"),
        ("area",), "updated_at", _population_parser),
    ImportKind.ESTABLISHMENTS: Layout(
        ("reg_no", "name", "area_code", "sector"), "reg_no", Establishment,
        ("reg_no", "name", "area", "sector"), ("reg_no",), "imported_at",
        _establishment_parser),
    ImportKind.ROSTER: Layout(
        ("full_name", "phone", "id_number"), "phone", RosterMember,
        ("organisation", "full_name", "phone", "id_number_digest"),
        ("organisation", "phone", "id_number_digest"), "imported_at", _roster_parser),
}


# In the request: the upload checked and stored --------------------------------------------


def checked_pieces(pieces: Iterable[bytes], kind: str) -> Iterator[bytes]:
    """The upload's pieces, checked on the way to storage (core.csvrows.checked_upload):
    UTF-8 throughout and the kind's columns in its first line."""
    return csvrows.checked_upload(pieces, LAYOUTS[kind].columns)


def organisation_for(scope: Scope, user: User, name: str, area_code: str,
                     sector: str) -> Organisation:
    """The organisation a roster belongs to, made on first import (by name within a commune)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid(code="organisation_name", field="name")
    if sector not in Sector.values:
        raise Invalid(code="sector_invalid", field="sector")
    try:
        area = resolve_area(area_code, leaf=True) if (area_code or "").strip() else None
    except NotFound:
        area = None
    if area is None or not scope.covers(area, *policy.IMPORTS, sector=sector):
        raise NotFound(_("Không có địa bàn này trong phạm vi của bạn."), code="area_unknown",
                       field="area_code")
    organisation, _created = Organisation.objects.get_or_create(
        name=name, area=area, defaults={"sector": sector, "created_by": user})
    return organisation


def start_upload(scope: Scope, user: User, kind: str, upload: UploadedFile, *,
                 all_or_nothing: bool = False, organisation: str = "",
                 organisation_area: str = "", organisation_sector: str = "") -> tasks.Task:
    """An uploaded file's import, from the page's form or the API: the importer's role, the
    kind, a roster's organisation, the file's encoding and header are checked now (nothing
    is kept when one fails, not even the organisation), the rows by a worker."""
    if not scope.has(*policy.IMPORTS):
        raise Forbidden(code="import_forbidden")
    with transaction.atomic():
        chosen = None
        if kind == ImportKind.ROSTER:
            chosen = organisation_for(scope, user, organisation, organisation_area,
                                      organisation_sector)
        return start_import(scope, user, kind, upload.chunks(tasks.PIECE_BYTES), upload.name or "",
                            all_or_nothing, chosen)


def start_import(scope: Scope, user: User, kind: str, pieces: Iterable[bytes],
                 filename: str = "", all_or_nothing: bool = False,
                 organisation: Organisation | None = None) -> tasks.Task:
    """Store the file and queue its import; the task's page follows it."""
    if not scope.has(*policy.IMPORTS):
        raise Forbidden(code="import_forbidden")
    if kind not in LAYOUTS:
        raise Invalid(code="import_kind", field="kind")
    if kind == ImportKind.ROSTER and organisation is None:
        raise Invalid(code="organisation_required", field="organisation")
    return tasks.start(KIND, user, label=filename or str(ImportKind(kind).label), params={
        "kind": kind, "all_or_nothing": all_or_nothing,
        "organisation": organisation.pk if organisation else None,
    }, upload=checked_pieces(pieces, kind))


# On the worker: the file read and written in chunks -----------------------------------------


def _records(run: tasks.Run, layout: Layout) -> Iterator[tuple[int, dict | None]]:
    """(line number, row) of every record; a row with too few or too many cells comes as
    None. A file CSV cannot read fails the task, naming the line."""
    reader = csv.DictReader(run.input())
    try:
        reader.fieldnames = csvrows.header_of(reader.fieldnames, layout.columns)
        for row in reader:
            bad = None in row or any(v is None for v in row.values())
            yield reader.line_num, None if bad else row
    except Invalid as exc:
        raise tasks.Failed(str(exc.message)) from None
    except csv.Error:
        raise tasks.Failed(str(csvrows.malformed(reader.line_num).message)) from None
    except UnicodeDecodeError:
        raise tasks.Failed(str(csvrows.not_utf8().message)) from None


def _check(parse: Callable[[dict], tuple], layout: Layout, seen: set[tuple],
           line: int, row: dict | None) -> tuple:
    if row is None:
        raise RowError("", gettext("số cột không đúng"))
    item = parse(row)
    key = layout.key(item)
    if key in seen:
        raise RowError(layout.key_column, gettext("trùng với một dòng ở trên"))
    seen.add(key)
    return item


UPSERT_ROWS = 500  # rows per INSERT statement (SQLite takes up to 32,766 values)


def _write(layout: Layout, items: list[tuple], at: datetime) -> dict[str, int]:
    """Upsert the chunk in statements of UPSERT_ROWS rows (INSERT … ON CONFLICT DO UPDATE,
    which SQLite and PostgreSQL both speak; the ORM's bulk_create spent most of an import
    compiling the same statement); the keys stored before tell created from updated. `at`,
    the import's time, is the same for every chunk: one import's rows carry one stamp."""
    if not items:
        return {}
    meta = layout.model._meta
    attnames = [model_field(layout.model, name).attname for name in layout.unique]
    keys = {layout.key(item) for item in items}
    existing = set(layout.model._default_manager.filter(**{
        f"{attname}__in": {key[i] for key in keys} for i, attname in enumerate(attnames)
    }).values_list(*attnames)) & keys
    columns = [column_of(model_field(layout.model, name)) for name in layout.fields]
    tail: tuple = ()
    if layout.stamp:
        columns.append(column_of(model_field(layout.model, layout.stamp)))
        tail = (connection.ops.adapt_datetimefield_value(at),)
    quote = connection.ops.quote_name
    unique = sorted(column_of(model_field(layout.model, name)) for name in layout.unique)
    # Only the model's own table and column names are put in the text, quoted; the values
    # are parameters.
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in unique)
    statement = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                 f"VALUES {{values}} ON CONFLICT ({', '.join(map(quote, unique))}) "
                 f"DO UPDATE SET {updates}")
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(items), UPSERT_ROWS):
            batch = items[start:start + UPSERT_ROWS]
            cursor.execute(statement.format(values=", ".join([row] * len(batch))),
                           [value for item in batch for value in (*item, *tail)])
    return {"created": len(items) - len(existing), "updated": len(existing)}


def _roster_written(task: tasks.Task) -> None:
    """The import ran to its end: its organisation's roster is now what it wrote, and a
    member it did not write (gone from the file, or on a bad row) has left. A newer import
    that ended first stays the one that counts."""
    Organisation.objects.filter(
        Q(roster_imported_at__isnull=True) | Q(roster_imported_at__lt=task.created_at),
        pk=task.params["organisation"]).update(roster_imported_at=task.created_at)


def _describe(task: tasks.Task) -> str:
    return str(ImportKind(task.params["kind"]).label)


@tasks.task_kind(KIND, label=_("Nhập danh sách"), unit=_("dòng"), describe=_describe,
                 cancelled=_("Công việc đã bị hủy. Các phần đã ghi trước khi hủy vẫn được giữ; "
                             "nhập lại cùng tệp sẽ cập nhật chúng, không tạo bản trùng."))
def run_import(run: tasks.Run) -> None:
    task = run.task
    layout = LAYOUTS[task.params["kind"]]
    if task.owner is None:
        raise tasks.Failed(gettext("Tài khoản đã nhập tệp không còn tồn tại."))
    parse = layout.parser(task, _Areas(Scope(task.owner)))
    if task.total is None:
        with run.chunk() as commit:
            commit(total=sum(1 for _record in _records(run, layout)),
                   stage=tasks.Stage.CHECKING if task.params["all_or_nothing"]
                   else tasks.Stage.WRITING)
    phase = run.state.get("phase") or ("check" if task.params["all_or_nothing"] else "write")
    while True:
        _pass(run, layout, parse, phase)
        if phase == "write":
            if task.params["kind"] == ImportKind.ROSTER:
                _roster_written(task)
            return
        if task.error_count:
            raise tasks.Rejected(gettext(
                "Không dòng nào được nhập vì bạn đã chọn “chỉ nhập khi mọi dòng đều đúng”. "
                "Sửa các dòng lỗi rồi nhập lại."))
        phase = "write"
        with run.chunk() as commit:
            commit(done=0, state={"phase": phase, "row": 0}, stage=tasks.Stage.WRITING)


def _pass(run: tasks.Run, layout: Layout, parse: Callable[[dict], tuple],
          phase: str) -> None:
    """One pass over the file from the checkpoint: checking only, or writing."""
    done = run.state.get("row", 0) if run.state.get("phase", phase) == phase else 0
    records = _records(run, layout)
    seen: set[tuple] = set()
    if done:
        # Going on after an earlier run: the keys of the good rows it wrote, for the
        # repeated-key check of the rows to come.
        bad = run.error_rows()
        for line, row in itertools.islice(records, done):
            if line not in bad:
                with contextlib.suppress(RowError):
                    _check(parse, layout, seen, line, row)
    while chunk := list(itertools.islice(records, CHUNK_ROWS)):
        items, errors = [], []
        for line, row in chunk:
            try:
                items.append(_check(parse, layout, seen, line, row))
            except RowError as exc:
                errors.append((line, exc.column, exc.message))
        done += len(chunk)
        with run.chunk() as commit:
            counts = _write(layout, items, run.task.created_at) if phase == "write" else {}
            commit(done=done, state={"phase": phase, "row": done}, counts=counts,
                   errors=errors)
