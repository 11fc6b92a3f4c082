"""A logging filter that blanks phone and ID numbers before any handler writes them."""

from __future__ import annotations

import logging
import re

# +84xxxxxxxxx, 0xxxxxxxxx (10–11 digits) and 9/12-digit ID numbers.
_PERSONAL_NUMBERS = re.compile(r"(?<![\w])(\+?84\d{9,10}|0\d{9,10}|\d{12}|\d{9})(?![\w])")


def redact(text: str) -> str:
    return _PERSONAL_NUMBERS.sub("[redacted]", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
