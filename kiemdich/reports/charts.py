"""Chart geometry for server-rendered inline SVG: no chart library, no script, no CDN."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str
    y: float
    width: float


@dataclass(frozen=True)
class Series:
    name: str
    css: str
    points: str  # "x,y x,y …" for a <polyline>
    last: int


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    series: list[Series]
    maximum: int
    first_day: object
    last_day: object


TREND_W, TREND_H, PAD = 600, 180, 10
BAR_H, BAR_GAP, BAR_W = 18, 6, 300


def trend(days: list[dict], names: list[tuple[str, str, str]]) -> TrendChart | None:
    """One polyline per (key, label, css class) over the days, on a shared scale."""
    if not days:
        return None
    maximum = max([1, *(d[key] for d in days for key, _label, _css in names)])
    step = (TREND_W - 2 * PAD) / max(1, len(days) - 1)
    series = []
    for key, label, css in names:
        points = " ".join(
            f"{PAD + i * step:.1f},{TREND_H - PAD - (TREND_H - 2 * PAD) * d[key] / maximum:.1f}"
            for i, d in enumerate(days))
        series.append(Series(label, css, points, days[-1][key]))
    return TrendChart(TREND_W, TREND_H, series, maximum, days[0]["day"], days[-1]["day"])


def bars(items: list[tuple[str, int, str]]) -> tuple[list[Bar], int]:
    """Horizontal bars (label, value, link) scaled to the largest; returns bars and height."""
    maximum = max([1, *(value for _label, value, _href in items)])
    result = [Bar(label, value, href, i * (BAR_H + BAR_GAP), BAR_W * value / maximum)
              for i, (label, value, href) in enumerate(items)]
    return result, max(BAR_H, len(items) * (BAR_H + BAR_GAP))
