"""A logging filter that blanks phone and ID numbers before any handler writes them.

It cleans the message, the formatted traceback (exception texts such as a database's
"Key (phone)=(+84…) already exists") and the stack information, since a handler's formatter
would otherwise print those unfiltered.
"""

from __future__ import annotations

import logging
import re

# Phone numbers in every form people and programs write them — 0912345678, +84912345678,
# 84 912 345 678, 0912.345.678, 091-234-5678, (+84) 912 345 678, 0084…, "+84 0912…" — with
# up to three separators (space, dot, dash, brackets, a URL's %20) between any two digits, a
# URL's %2B for the plus; and 9- or 12-digit ID numbers. The national number starts with
# 2–9 (mobile 9 digits, fixed 10), so dates such as 01-12-2026 are left alone.
_SEP = r"(?:[\s.\-()]|%20){0,3}"
_PHONE = (rf"(?:\(?(?:\+|%2[Bb]|00)?84\)?{_SEP}(?:0{_SEP})?|0)[2-9](?:{_SEP}\d){{8,9}}")
_PERSONAL_NUMBERS = re.compile(rf"(?<!\d)(?:{_PHONE}|\d{{12}}|\d{{9}})(?!\d)")
_FORMATTER = logging.Formatter()
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    return _PERSONAL_NUMBERS.sub("[redacted]", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        # Fields passed as `extra`, which a JSON formatter writes out one by one.
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, redact(value))
        return True
