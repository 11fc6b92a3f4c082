"""Page descriptions shared by posters and cards, and their PDF and PNG renderers.

A layout is built once as a list of shapes in PDF points with the origin at the top-left corner
(the natural direction for a top-down layout). reportlab draws it into PDFs, scaled to fit
smaller ISO paper sizes, and Pillow draws the very same shapes into PNGs, so the two outputs
cannot drift apart.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import segno
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.colors import HexColor
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from kiemdich.documents import fonts
from kiemdich.documents.text import printable, visual

INK = "#111111"
WHITE = "#ffffff"
# Pure black modules: scanners binarise by contrast, and printers render #000 as solid toner.
QR_DARK = "#000000"
ELLIPSIS = "…"

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Box:
    """A rectangle whose top-left corner is (x, y); a stroke is centred on the edge, as in PDF."""

    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 0.5


@dataclass(frozen=True)
class Text:
    """One line of text: `y` is the baseline, `x` the left, centre or right end per `align`."""

    x: float
    y: float
    text: str
    size: float
    bold: bool = False
    color: str = INK
    align: Align = "left"


@dataclass(frozen=True)
class QRSymbol:
    """A QR symbol without its quiet zone (the layout keeps that area blank)."""

    x: float
    y: float
    module: float
    # Horizontal runs of dark modules as (row, first column, length): far fewer shapes than
    # one square per module, and no hairline seams between neighbouring modules.
    runs: tuple[tuple[int, int, int], ...]


Shape = Box | Text | QRSymbol


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    shapes: Sequence[Shape]


def placed(page: Page, x: float, y: float, scale: float) -> list[Shape]:
    """`page`'s shapes scaled by `scale` with its top-left corner moved to (x, y): several
    small pages laid out on one sheet (A6 posters four to an A4 sheet)."""
    shapes: list[Shape] = []
    for shape in page.shapes:
        at_x, at_y = x + shape.x * scale, y + shape.y * scale
        match shape:
            case Box():
                shapes.append(replace(shape, x=at_x, y=at_y, w=shape.w * scale,
                                      h=shape.h * scale, stroke_width=shape.stroke_width * scale))
            case Text():
                shapes.append(replace(shape, x=at_x, y=at_y, size=shape.size * scale))
            case QRSymbol():
                shapes.append(replace(shape, x=at_x, y=at_y, module=shape.module * scale))
    return shapes


def make_qr(content: str, *, error: str, min_version: int) -> segno.QRCode:
    """Encode `content` with at least `min_version`.

    Short content gives few, large modules, and the 4-module quiet zone grows with them; a
    minimum version bounds the quiet zone so the layout can reserve a fixed space for it.
    """
    qr = segno.make_qr(content, error=error)
    if int(qr.version) < min_version:  # a number: make_qr makes no Micro QR ("M1"…)
        qr = segno.make_qr(content, error=error, version=min_version)
    return qr


def qr_symbol(qr: segno.QRCode, x: float, y: float, size: float) -> QRSymbol:
    """Place `qr` as a `size` × `size` square with its top-left corner at (x, y)."""
    width, _ = qr.symbol_size(border=0)
    runs: list[tuple[int, int, int]] = []
    for row, modules in enumerate(qr.matrix_iter(border=0)):
        start = None
        for col, dark in enumerate((*modules, 0)):  # the trailing 0 closes a run at the edge
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append((row, start, col - start))
                start = None
    return QRSymbol(x, y, size / width, tuple(runs))


def font_name(bold: bool) -> str:
    return fonts.BOLD if bold else fonts.REGULAR


def text_width(text: str, size: float, bold: bool = False) -> float:
    return stringWidth(text, font_name(bold), size)


def fit_lines(
    text: str,
    *,
    width: float,
    max_size: float,
    min_size: float,
    max_lines: int,
    bold: bool = False,
) -> tuple[float, list[str]]:
    """Wrap `text` into at most `max_lines` lines of `width`, at the largest size that fits.

    Sizes go down from `max_size` in 1 pt steps. If even `min_size` is too big, the text is cut
    and ends with an ellipsis: a long venue name must never overprint the QR code.
    """
    # Users' text as documents print it: precomposed letters (reportlab does not compose
    # combining marks, and some Vietnamese keyboards send them), no control characters.
    text = printable(text)
    fonts.register_fonts()  # reportlab measures text only with registered fonts
    name = font_name(bold)
    size = max_size
    while True:
        lines = simpleSplit(text, name, size, width)
        fits = all(text_width(line, size, bold) <= width for line in lines)
        if fits and len(lines) <= max_lines:
            return size, lines
        if size <= min_size:
            break
        size = max(size - 1, min_size)
    kept = lines[:max_lines]
    if len(lines) > max_lines:
        kept[-1] += ELLIPSIS  # marks the cut; _fit_line makes room for it if needed
    return size, [_fit_line(line, size, bold, width) for line in kept]


def _fit_line(line: str, size: float, bold: bool, width: float) -> str:
    """`line` itself if it fits `width`, else shortened to end with an ellipsis."""
    if text_width(line, size, bold) <= width:
        return line
    line = line.removesuffix(ELLIPSIS)
    while line and text_width(line + ELLIPSIS, size, bold) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def text_lines(
    lines: Sequence[str],
    x: float,
    first_baseline: float,
    size: float,
    leading: float,
    *,
    bold: bool = False,
    color: str = INK,
    align: Align = "left",
) -> list[Shape]:
    """One `Text` per line, `leading` points apart."""
    return [
        Text(x, first_baseline + i * leading, line, size, bold, color, align)
        for i, line in enumerate(lines)
    ]


def render_pdf(
    pages: Sequence[Page], *, title: str, page_size: tuple[float, float] | None = None
) -> bytes:
    """Draw `pages` into one PDF.

    With `page_size`, each page is scaled uniformly and centred to fit it: ISO A sizes share one
    aspect ratio (up to millimetre rounding), so an A4 layout prints on A5 or A6 with every
    element proportionally smaller.
    """
    fonts.register_fonts()
    buffer = io.BytesIO()
    # invariant: no timestamps or random IDs, so the same input gives the same bytes.
    canvas = Canvas(buffer, invariant=True)
    canvas.setTitle(printable(title))
    canvas.setCreator("Kiểm Dịch QR")
    for page in pages:
        out_w, out_h = page_size or (page.width, page.height)
        scale = min(out_w / page.width, out_h / page.height)
        canvas.setPageSize((out_w, out_h))
        canvas.translate((out_w - page.width * scale) / 2, (out_h - page.height * scale) / 2)
        canvas.scale(scale, scale)
        for shape in page.shapes:
            _draw_pdf(canvas, shape, page.height)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_pdf(canvas: Canvas, shape: Shape, page_height: float) -> None:
    # PDF's y axis points up from the bottom edge; the layout's points down from the top.
    match shape:
        case Box():
            if shape.fill:
                canvas.setFillColor(HexColor(shape.fill))
            if shape.stroke:
                canvas.setStrokeColor(HexColor(shape.stroke))
                canvas.setLineWidth(shape.stroke_width)
            bottom = page_height - shape.y - shape.h
            canvas.rect(
                shape.x, bottom, shape.w, shape.h, stroke=bool(shape.stroke), fill=bool(shape.fill)
            )
        case Text():
            canvas.setFont(font_name(shape.bold), shape.size)
            canvas.setFillColor(HexColor(shape.color))
            draw = {
                "left": canvas.drawString,
                "center": canvas.drawCentredString,
                "right": canvas.drawRightString,
            }[shape.align]
            # Pillow orders right-to-left runs itself (PNG); reportlab draws as given.
            draw(shape.x, page_height - shape.y, visual(shape.text))
        case QRSymbol():
            # One filled path for the whole symbol: viewers anti-alias a single fill without
            # the faint seams that separately filled, touching rectangles show on screen.
            path = canvas.beginPath()
            m = shape.module
            for row, col, length in shape.runs:
                path.rect(shape.x + col * m, page_height - shape.y - (row + 1) * m, length * m, m)
            canvas.setFillColor(HexColor(QR_DARK))
            canvas.drawPath(path, stroke=0, fill=1)


def render_png(page: Page, *, dpi: int) -> bytes:
    """Draw `page` into a PNG at `dpi` (the resolution is also stored in the file)."""
    scale = dpi / 72
    image = Image.new("RGB", (round(page.width * scale), round(page.height * scale)), WHITE)
    draw = ImageDraw.Draw(image)
    for shape in page.shapes:
        _draw_png(draw, shape, scale)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def _draw_png(draw: ImageDraw.ImageDraw, shape: Shape, scale: float) -> None:
    match shape:
        case Box():
            # Pillow strokes inside the rectangle; grow it by half the width to match PDF.
            half = shape.stroke_width / 2 if shape.stroke else 0
            left, top = round((shape.x - half) * scale), round((shape.y - half) * scale)
            right = round((shape.x + shape.w + half) * scale)
            bottom = round((shape.y + shape.h + half) * scale)
            draw.rectangle(
                (left, top, right - 1, bottom - 1),
                fill=shape.fill,
                outline=shape.stroke,
                width=max(1, round(shape.stroke_width * scale)) if shape.stroke else 0,
            )
        case Text():
            anchor = {"left": "ls", "center": "ms", "right": "rs"}[shape.align]
            draw.text(
                (shape.x * scale, shape.y * scale),
                shape.text,
                font=_pil_font(shape.bold, shape.size * scale),
                fill=shape.color,
                anchor=anchor,
            )
        case QRSymbol():
            m = shape.module
            for row, col, length in shape.runs:
                # Round the module edges, not the sizes, so neighbouring runs share exact pixel
                # boundaries: no gaps or overlaps that would confuse a decoder.
                left = round((shape.x + col * m) * scale)
                right = round((shape.x + (col + length) * m) * scale)
                top = round((shape.y + row * m) * scale)
                bottom = round((shape.y + (row + 1) * m) * scale)
                draw.rectangle((left, top, right - 1, bottom - 1), fill=QR_DARK)


@lru_cache(maxsize=64)
def _pil_font(bold: bool, size_px: float) -> ImageFont.FreeTypeFont:
    path = fonts.font_files()[font_name(bold)]
    return ImageFont.truetype(str(path), size_px)
