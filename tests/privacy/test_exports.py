"""CSV and XLSX exports: no text a spreadsheet would run as a formula, and text otherwise
kept exactly through a CSV reader and openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from kiemdich.core.exports import (
    FORMULA_START,
    csv_bytes,
    export_response,
    safe_cell,
    storable_text,
    xlsx_bytes,
)

DANGEROUS = st.sampled_from(list(FORMULA_START))
texts = st.text(max_size=40)
risky_texts = st.builds(lambda head, tail: head + tail, DANGEROUS, texts)
any_text = st.one_of(texts, risky_texts,
                     st.sampled_from(["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)",
                                      "+84912345678", "-2+3", "=cmd|' /C calc'!A0",
                                      "<script>alert(1)</script>", "Nguyễn Văn An"]))


def _expected(text: str) -> str:
    """The original text, with the apostrophe only where it had to be added."""
    return "'" + text if text.startswith(FORMULA_START) else text


@given(any_text)
def test_no_cell_starts_like_a_formula(text):
    cell = safe_cell(text)
    assert not cell.startswith(FORMULA_START)
    if text.startswith(FORMULA_START):
        assert cell == "'" + text


@given(any_text)
def test_safe_text_is_unchanged(text):
    if not text.startswith(FORMULA_START):
        assert safe_cell(text) == text


@given(st.lists(st.lists(any_text, min_size=1, max_size=4), max_size=5))
def test_csv_round_trip_keeps_every_text(rows):
    body = csv_bytes([f"h{i}" for i in range(4)], rows)
    assert body.startswith("\ufeff".encode())
    read = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert read[0] == ["h0", "h1", "h2", "h3"]
    for original, got in zip(rows, read[1:], strict=True):
        assert got == [_expected(c) for c in original]
        assert not any(c.startswith(FORMULA_START) for c in got)


# Text that holds a formula after a ";", the Vietnamese list separator.
semicolon_texts = st.builds(lambda head, tail: head + ";" + tail, texts, risky_texts)


@given(st.lists(st.lists(st.one_of(any_text, semicolon_texts), min_size=1, max_size=4),
                min_size=1, max_size=5))
def test_a_semicolon_spreadsheet_cannot_split_a_field_into_a_formula(rows):
    """Excel set to Vietnamese separates fields with ";": a neutralised `'=A1;=B1` written
    unquoted would come back as two cells, the second a formula. A spreadsheet splits only
    outside quotes, and there the file holds nothing but commas and line ends: every field
    starts with a quote, whichever separator the reader uses."""
    body = csv_bytes([f"h{i}" for i in range(4)], rows).decode("utf-8-sig")
    outside, quoted = [], False
    for char in body:
        if char == '"':
            quoted = not quoted  # a doubled quote inside a field toggles twice
        elif not quoted:
            outside.append(char)
    assert set(outside) <= {",", "\r", "\n"}, "".join(outside)


def test_every_field_is_quoted():
    body = csv_bytes(["Họ tên", "Số"], [["'=1;=2", 5], ["", None]]).decode("utf-8-sig")
    assert body == '"Họ tên","Số"\r\n"\'=1;=2","5"\r\n"",""\r\n'


@settings(max_examples=60, deadline=None)
@given(st.lists(any_text, min_size=1, max_size=6))
def test_xlsx_round_trip_keeps_text_and_never_a_formula(values):
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["a"], [[v] for v in values]))).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == len(values)
    for original, cell in zip(values, cells, strict=True):
        got = cell.value if cell.value is not None else ""
        assert cell.data_type == "s" or got == ""
        assert not str(got).startswith(FORMULA_START)
        assert got == _expected(storable_text(original))


def test_numbers_and_dates_stay_typed():
    sheet = load_workbook(io.BytesIO(xlsx_bytes(
        ["n", "d", "t"], [[-5, date(2021, 10, 1), datetime(2021, 10, 1, 8, 30)]]))).active
    n, d, t = (c.value for c in sheet[2])
    assert n == -5 and d.date() == date(2021, 10, 1) and t == datetime(2021, 10, 1, 8, 30)
    text = csv_bytes(["n", "d"], [[-5, date(2021, 10, 1)]]).decode("utf-8-sig")
    assert text.splitlines()[1] == '"-5","01/10/2021"'  # Excel reads quoted numbers as numbers


def test_the_response_is_an_attachment_of_the_right_type():
    csv_response = export_response("csv", "danh-sach", ["a"], [["=1"]])
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response["Content-Disposition"] == 'attachment; filename="danh-sach.csv"'
    xlsx_response = export_response("xlsx", "danh-sach", ["a"], [["=1"]])
    assert xlsx_response["Content-Disposition"].endswith('.xlsx"')
    assert export_response("exe", "x", ["a"], [])["Content-Disposition"].endswith('.csv"')
