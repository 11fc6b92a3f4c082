"""A logging filter that blanks phone and ID numbers before any handler writes them.

It cleans the message, the formatted traceback (exception texts such as a database's
"Key (phone)=(+84…) already exists") and the stack information, since a handler's formatter
would otherwise print those unfiltered.
"""

from __future__ import annotations

import logging
import re

# +84xxxxxxxxx, 0xxxxxxxxx (10–11 digits) and 9/12-digit ID numbers.
_PERSONAL_NUMBERS = re.compile(r"(?<![\w])(\+?84\d{9,10}|0\d{9,10}|\d{12}|\d{9})(?![\w])")
_FORMATTER = logging.Formatter()


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
        return True
