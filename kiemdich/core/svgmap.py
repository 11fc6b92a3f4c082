"""The projection of the maps drawn as SVG on the server (no tile server: they work offline
and leak nothing): equirectangular, scaled by cos(latitude), which is exact enough at the
size of a province."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from django.utils.html import escape
from django.utils.translation import gettext

WIDTH, HEIGHT, PAD = 640, 420, 48


def projection(points: Sequence[tuple[float, float]], width: int = WIDTH,
               height: int = HEIGHT, pad: int = PAD
               ) -> Callable[[float, float], tuple[float, float]]:
    """(latitude, longitude) → (x, y) fitting every point of `points` in the picture."""
    lats = [p[0] for p in points]
    lngs = [p[1] for p in points]
    mid_lat = math.radians((min(lats) + max(lats)) / 2)
    x_span = max((max(lngs) - min(lngs)) * math.cos(mid_lat), 1e-6)
    y_span = max(max(lats) - min(lats), 1e-6)
    scale = min((width - 2 * pad) / x_span, (height - 2 * pad) / y_span)
    x_off = (width - x_span * scale) / 2 if x_span > 1e-6 else width / 2
    y_off = (height - y_span * scale) / 2 if y_span > 1e-6 else height / 2

    def project(latitude: float, longitude: float) -> tuple[float, float]:
        x = x_off + (longitude - min(lngs)) * math.cos(mid_lat) * scale
        y = y_off + (max(lats) - latitude) * scale
        return x, y

    return project


def frame(css_class: str, label: str) -> list[str]:
    """The opening of a map: the svg element (labelled for screen readers) and its ground."""
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'role="img" class="{css_class}" aria-label="{escape(label)}">',
            f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#eef3f1" '
            f'stroke="#cfd6d3"/>']


def empty_map(css_class: str, label: str) -> str:
    """A map with nothing to place: says that no place has coordinates."""
    text = escape(gettext("Chưa có tọa độ địa điểm"))
    return "".join([*frame(css_class, label),
                    f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" '
                    f'fill="#4a5560" font-size="16">{text}</text></svg>'])


# A bold label's width is about this many times its font size per character (DejaVu Sans,
# the widest of the fonts a phone falls back to, measures 0.63 for Vietnamese names).
CHAR_WIDTH = 0.64
MARGIN = 6


def map_label(x: float, y: float, text: str, colour: str, size: int = 26) -> str:
    """A name near (x, y) that stays whole inside the picture: moved in from an edge, and
    smaller when even the whole width would not hold it."""
    width = len(text) * size * CHAR_WIDTH
    room = WIDTH - 2 * MARGIN
    squeeze = ""
    if width > room:
        size = max(12, int(size * room / width))
        width = len(text) * size * CHAR_WIDTH
        if width > room:  # longer than the map even small: fitted to its width
            width, squeeze = room, f' textLength="{room}" lengthAdjust="spacingAndGlyphs"'
    half = width / 2
    x = min(max(x, MARGIN + half), WIDTH - MARGIN - half)
    y = min(max(y, size + MARGIN), HEIGHT - MARGIN)
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="{size}" '
            f'font-weight="700" fill="{colour}"{squeeze}>{escape(text)}</text>')

