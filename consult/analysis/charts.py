"""SVG charts and word clouds as pure functions: no JavaScript, no CDN, strict-CSP friendly.

Each function returns SVG markup (a string) with a <title>, role="img" and only presentation
attributes (no style attribute), so it can be inlined in a page under a strict Content Security
Policy and printed. Every label is escaped here. Pages show the same figures in a table beside the
chart: the chart is for the eye, the table is the accessible alternative.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

#: dark colours, each with a contrast of at least 4.5:1 on white
PALETTE = ("#1f4e79", "#8a1c3d", "#2e6b30", "#5b2a86", "#7a3e0e", "#1a5c5c")
BAR_COLOUR = PALETTE[0]
MUTED_COLOUR = "#6b6b6b"
TEXT_COLOUR = "#1a1a1a"
GRID_COLOUR = "#c8c8c8"
#: Charts are drawn 400 units wide and shown at most about that wide (consult.css), so that text
#: of 15 units stays near 13 px on a 390 px phone and is not blown up on a wide screen.
CHART_WIDTH = 400
FONT_SIZE = 15
AXIS_FONT_SIZE = 14


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _attr(value: object) -> str:
    """Escape a value for XML text or attribute, dropping characters XML cannot hold."""
    return escape(_NOT_XML.sub("", str(value)), quote=True)


def text_width(text: str, size: float) -> float:
    """Approximate rendered width of a text in a sans-serif font (for layout, not typesetting)."""
    width = 0.0
    for ch in text:
        if ch in "il.,;:'’|!ìíîïj ":
            width += 0.3
        elif ch in "ftrI-()":
            width += 0.38
        elif ch in "mwMW@":
            width += 0.85
        elif ch.isupper():
            width += 0.68
        else:
            width += 0.56
    return width * size


def _clip(text: str, size: float, room: float) -> str:
    """Shorten a label with "…" so it fits the room available."""
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def lang_attribute(lang: str | None) -> str:
    """The attribute marking a text people wrote (a region, a word of the answers) with its
    language, so that an English page reads it in French; nothing for the interface's text."""
    return f' lang="{_attr(lang)}"' if lang else ""


def _open(width: float, height: float, title: str, chart_id: str, css: str) -> list[str]:
    """Start an SVG document that scales to its container and announces its title."""
    title_id = f"{chart_id}-title"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" id="{_attr(chart_id)}"'
        f' viewBox="0 0 {width:g} {height:g}" width="100%" role="img"'
        f' aria-labelledby="{_attr(title_id)}" preserveAspectRatio="xMinYMin meet"'
        f' font-family="sans-serif">',
        f'<title id="{_attr(title_id)}">{_attr(title)}</title>',
    ]


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, the text written after it, and whether to grey it out."""

    label: str
    value: float
    text: str = ""
    #: drawn in grey, e.g. a group too small to compare
    muted: bool = False
    #: the language of a label people wrote (consult.core.i18n.content_language); None for the
    #: interface's own words ("Not specified"), numbers and dates
    lang: str | None = None


def bar_chart(
    bars: Sequence[Bar],
    title: str,
    chart_id: str,
    *,
    maximum: float | None = None,
    width: int = CHART_WIDTH,
    row_height: int = 32,
) -> str:
    """Horizontal bars, one row per label, value written after each bar."""
    label_room = min(220, width * 0.38)
    value_room = 80
    bar_room = width - label_room - value_room - 10
    top = maximum if maximum else max((bar.value for bar in bars), default=0) or 1
    height = max(1, len(bars)) * row_height + 10
    out = _open(width, height, title, chart_id, "chart--bars")
    for index, bar in enumerate(bars):
        y = 5 + index * row_height
        length = max(0.0, min(1.0, bar.value / top)) * bar_room
        colour = MUTED_COLOUR if bar.muted else BAR_COLOUR
        label = _clip(bar.label, FONT_SIZE, label_room - 8)
        middle = y + row_height / 2
        out.append(
            f'<text x="{label_room - 8:g}" y="{middle:g}" text-anchor="end"'
            f' dominant-baseline="middle" font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}"'
            f"{lang_attribute(bar.lang)}>{_attr(label)}</text>"
        )
        out.append(
            f'<rect x="{label_room:g}" y="{y + 4:g}" width="{length:.1f}"'
            f' height="{row_height - 8}" fill="{colour}" class="chart-bar"/>'
        )
        out.append(
            f'<text x="{label_room + length + 6:.1f}" y="{middle:g}" dominant-baseline="middle"'
            f' font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}">{_attr(bar.text or _number(bar.value))}'
            "</text>"
        )
    out.append("</svg>")
    return "".join(out)


def column_chart(
    columns: Sequence[Bar],
    title: str,
    chart_id: str,
    *,
    width: int = CHART_WIDTH,
    height: int = 260,
    tick: Callable[[int], bool] | None = None,
) -> str:
    """Vertical columns over time (one per day), a few labels under the axis, a scale at left
    that ends at the first step above the highest column (300 → 300, 301 → 400)."""
    left, bottom, top_margin = 44, 40, 12
    plot_width = width - left - 8
    plot_height = height - bottom - top_margin
    values = [column.value for column in columns]
    top, step = axis_scale(max(values, default=0), whole=all(float(v).is_integer() for v in values))
    count = max(1, len(columns))
    slot = plot_width / count
    every = max(1, math.ceil(count / 5))
    show_tick = tick or (lambda index: index % every == 0)
    out = _open(width, height, title, chart_id, "chart--columns")
    steps = round(top / step)
    for index in range(steps + 1):
        y = top_margin + plot_height * (1 - index / steps)
        out.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}"'
            f' stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle"'
            f' font-size="{AXIS_FONT_SIZE}" fill="{TEXT_COLOUR}">{_attr(_number(step * index))}'
            "</text>"
        )
    for index, column in enumerate(columns):
        x = left + index * slot
        tall = max(0.0, column.value / top) * plot_height
        colour = MUTED_COLOUR if column.muted else BAR_COLOUR
        out.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{top_margin + plot_height - tall:.1f}"'
            f' width="{max(1.0, slot * 0.8):.1f}" height="{tall:.1f}" fill="{colour}"'
            f' class="chart-bar"/>'
        )
        if show_tick(index):
            out.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle"'
                f' font-size="{AXIS_FONT_SIZE}" fill="{TEXT_COLOUR}"{lang_attribute(column.lang)}>'
                f"{_attr(column.label)}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def axis_scale(value: float, *, whole: bool = False) -> tuple[float, float]:
    """The top of a value axis and its step: about five steps of 1, 2 or 5 times a power of
    ten, the top being the first step at or above `value` (300 → 300 by 100, 301 → 400).
    `whole` keeps steps of at least 1 (counts)."""
    if not value >= sys.float_info.min or math.isinf(value):
        # zero, or below the smallest normal float (a fifth of it would be 0): the bar has no
        # height on any axis, so the axis of zero
        return 1, 1
    raw = value / 5
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if raw <= m * power * (1 + 1e-9))
    if whole:
        step = max(1.0, round(step))
    return math.ceil(value / step - 1e-9) * step, step


def nice_ceiling(value: float) -> float:
    """Round a scale's top up to 1, 2, 2.5 or 5 times a power of ten (470 → 500, 0 → 1)."""
    if not value > 0 or math.isinf(value):
        return 1
    power = 10.0 ** math.floor(math.log10(value))
    if power == 0:  # below the smallest normal float: nothing to round
        return value
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9 * power:
            return step * power
    return 10 * power  # pragma: no cover


def _number(value: float) -> str:
    """Write a number the French way with a thin space between thousands (12 345; 2,5)."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


@dataclass(frozen=True)
class PlacedWord:
    """A word of the cloud with its position (centre of the baseline) and font size."""

    text: str
    x: float
    y: float
    size: float
    colour: str


def layout_cloud(
    words: Sequence[tuple[str, float]],
    width: int = 640,
    height: int = 360,
    *,
    smallest: float = 12,
    largest: float = 56,
) -> list[PlacedWord]:
    """Place words on a spiral from the centre, largest first, without overlaps.

    Font size grows with the square root of the weight (areas then follow the counts). Words
    that no longer fit are left out; the table beside the cloud lists every word anyway.
    """
    ranked = sorted(
        ((text, weight) for text, weight in words if weight > 0), key=lambda w: (-w[1], w[0])
    )
    if not ranked:
        return []
    high, low = ranked[0][1], ranked[-1][1]
    spread = (high - low) or 1
    boxes: list[tuple[float, float, float, float]] = []
    placed: list[PlacedWord] = []
    for index, (text, weight) in enumerate(ranked):
        size = smallest + (largest - smallest) * math.sqrt((weight - low) / spread)
        if len(ranked) == 1:
            size = largest
        box_width = text_width(text, size) + 4
        box_height = size * 1.15
        if box_width > width:
            continue
        start = index * 2.4  # a different start angle per word spreads the cloud
        for step in range(2400):
            angle = start + step * 0.12
            radius = 1.6 * step * 0.12
            x = width / 2 + radius * math.cos(angle) * width / height - box_width / 2
            y = height / 2 + radius * math.sin(angle) - box_height / 2
            if x < 0 or y < 0 or x + box_width > width or y + box_height > height:
                if radius > width:
                    break
                continue
            box = (x, y, x + box_width, y + box_height)
            if all(_apart(box, other) for other in boxes):
                boxes.append(box)
                placed.append(
                    PlacedWord(
                        text=text,
                        x=x + box_width / 2,
                        y=y + size * 0.92,
                        size=round(size, 1),
                        colour=PALETTE[index % len(PALETTE)],
                    )
                )
                break
    return placed


def _apart(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Two boxes (x0, y0, x1, y1) do not overlap."""
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def word_cloud(
    words: Sequence[tuple[str, float]],
    title: str,
    chart_id: str,
    *,
    width: int = CHART_WIDTH,
    height: int = 300,
    lang: str | None = None,
) -> str:
    """A word cloud as SVG: bigger words are more frequent; `lang` is the words' language."""
    out = _open(width, height, title, chart_id, "chart--cloud")
    for word in layout_cloud(words, width, height, smallest=FONT_SIZE, largest=44):
        out.append(
            f'<text x="{word.x:.1f}" y="{word.y:.1f}" text-anchor="middle"'
            f' font-size="{word.size:g}" fill="{word.colour}"{lang_attribute(lang)}>'
            f"{_attr(word.text)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
