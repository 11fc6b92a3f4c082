"""DejaVu Sans for the printed documents.

The PDF core fonts (Helvetica…) only cover Latin-1, so Vietnamese text such as "Phường Long
Bình, Đồng Nai" would print as boxes. DejaVu Sans has every precomposed Vietnamese letter and
ships with Debian (`fonts-dejavu-core`), which CI and the production image install.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
ENV_VAR = "KIEMDICH_FONT_DIR"
SYSTEM_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

_FILE_NAMES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_register_lock = threading.Lock()


class FontNotFoundError(RuntimeError):
    """The DejaVu font files are in none of the searched folders."""


def font_files() -> dict[str, Path]:
    """Paths of the regular and bold TTF files, keyed by font name (`REGULAR`, `BOLD`).

    Searches `$KIEMDICH_FONT_DIR` first (for machines without the Debian package), then the
    Debian location. A folder counts only if it holds both files, so the regular and bold
    faces always come from the same DejaVu release.
    """
    folders = [Path(env)] if (env := os.environ.get(ENV_VAR)) else []
    folders.append(SYSTEM_FONT_DIR)
    for folder in folders:
        paths = {name: folder / file_name for name, file_name in _FILE_NAMES.items()}
        if all(path.is_file() for path in paths.values()):
            return paths
    searched = ", ".join(str(folder) for folder in folders)
    raise FontNotFoundError(
        f"DejaVuSans.ttf and DejaVuSans-Bold.ttf were not found in: {searched}. "
        f"Install the Debian package fonts-dejavu-core, or set {ENV_VAR} to a folder "
        "that contains both files."
    )


def register_fonts() -> None:
    """Register `REGULAR` and `BOLD` with reportlab; later calls do nothing.

    reportlab's font registry is process-global, and documents may be rendered from several
    request threads at once, hence the lock around the check-then-register.
    """
    with _register_lock:
        if {REGULAR, BOLD} <= set(pdfmetrics.getRegisteredFontNames()):
            return
        for name, path in font_files().items():
            pdfmetrics.registerFont(TTFont(name, str(path)))
