"""Every CSV or XLSX the platform writes goes through kiemdich/core/exports.py (or at
least its `safe_cell`): a static check over the code, so a new export cannot bypass it."""

from __future__ import annotations

import re
from pathlib import Path

import kiemdich

ROOT = Path(kiemdich.__file__).parent
WRITERS = re.compile(r"csv\.(writer|DictWriter)\(|\bWorkbook\(|\.to_excel\(|text/csv")
SAFE = re.compile(r"\bsafe_cell\b|\bexport_response\b|\bcsv_bytes\b|\bcsv_lines\b|\bxlsx_bytes\b")


def test_every_spreadsheet_writer_neutralises_formulas():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if path == ROOT / "core" / "exports.py" or "migrations" in path.parts:
            continue
        text = path.read_text("utf-8")
        if WRITERS.search(text) and not SAFE.search(text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"spreadsheets written without core.exports: {offenders}"
