"""An indicator's trajectory as server-rendered SVG: one column per year, the target as a line.

No JavaScript and no style attribute (strict CSP); the page shows the same figures in a table
beside it, which is the accessible alternative. Labels are escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from consult.analysis.charts import (
    AXIS_FONT_SIZE,
    BAR_COLOUR,
    FONT_SIZE,
    GRID_COLOUR,
    PALETTE,
    TEXT_COLOUR,
    lang_attribute,
    nice_ceiling,
)

TARGET_COLOUR = PALETTE[1]


def trajectory_chart(
    points: Sequence[tuple[str, float, str]],
    title: str,
    chart_id: str,
    *,
    target: tuple[str, float, str] | None = None,
    width: int = 400,
    height: int = 260,
    title_lang: str | None = None,
) -> str:
    """Columns for (label, value, text) per year; a dashed line at the target, if any.
    `title_lang`: the language of a title people wrote (the indicator's)."""
    left, right, bottom, top_margin = 60, 12, 40, 30
    plot_width = width - left - right
    plot_height = height - bottom - top_margin
    highest = max([p[1] for p in points] + ([target[1]] if target else []) + [0])
    top = nice_ceiling(highest)
    slots = len(points) + (1 if target else 0) or 1
    slot = plot_width / slots
    title_id = f"{chart_id}-title"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--trajectory"'
        f' id="{escape(chart_id)}" viewBox="0 0 {width} {height}" width="100%" role="img"'
        f' aria-labelledby="{escape(title_id)}" preserveAspectRatio="xMinYMin meet"'
        f' font-family="sans-serif">',
        f'<title id="{escape(title_id)}"{lang_attribute(title_lang)}>{escape(title)}</title>',
    ]
    for fraction in (0, 0.5, 1):
        y = top_margin + plot_height * (1 - fraction)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"'
            f' stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        label = (
            f"{top * fraction:,.0f}".replace(",", "\u202f")
            if top >= 10
            else f"{top * fraction:g}".replace(".", ",")
        )
        out.append(
            f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle"'
            f' font-size="{AXIS_FONT_SIZE}" fill="{TEXT_COLOUR}">{escape(label)}</text>'
        )
    for index, (label, value, text) in enumerate(points):
        x = left + index * slot
        tall = max(0.0, value / top) * plot_height if top else 0
        y = top_margin + plot_height - tall
        out.append(
            f'<rect x="{x + slot * 0.2:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}"'
            f' height="{tall:.1f}" fill="{BAR_COLOUR}" class="chart-bar"/>'
        )
        out.append(
            f'<text x="{x + slot / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle"'
            f' font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}">{escape(text)}</text>'
        )
        out.append(
            f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle"'
            f' font-size="{AXIS_FONT_SIZE}" fill="{TEXT_COLOUR}">{escape(label)}</text>'
        )
    if target:
        label, value, text = target
        y = top_margin + plot_height - max(0.0, value / top) * plot_height
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"'
            f' stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        x = left + len(points) * slot
        out.append(
            f'<text x="{x + slot / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle"'
            f' font-size="{FONT_SIZE}" font-weight="bold"'
            f' fill="{TARGET_COLOUR}">{escape(text)}</text>'
        )
        out.append(
            f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle"'
            f' font-size="{AXIS_FONT_SIZE}" fill="{TARGET_COLOUR}">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
