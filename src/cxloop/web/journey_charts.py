"""Journey charts as server-rendered SVG: funnel bars with drop-off, and the emotion line per stage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

_W, _ROW, _LEFT = 720, 34, 150


def funnel_bars(steps: list[dict[str, Any]], *, label: str, name: Callable[[str], str] = str) -> Markup:
    """One bar per step, as wide as its customers against step 1; the faded rest is the drop-off."""
    if not steps:
        return Markup("")
    top = max(steps[0]["customers"], 1)
    plot = _W - _LEFT - 90
    height = _ROW * len(steps) + 8
    parts = [
        f'<svg class="chart funnel" viewBox="0 0 {_W} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" data-testid="funnel-chart">'
    ]
    for i, step in enumerate(steps):
        y = 4 + i * _ROW
        width = plot * step["customers"] / top
        share = "—" if step["conversion"] is None else f"{step['conversion']:.0%}"
        title = escape(f"{step['step']}. {name(step['event'])}: {step['customers']:,} ({share})")
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + 20}" class="axis" text-anchor="end">{escape(name(step["event"]))}</text>'
            f'<rect x="{_LEFT}" y="{y + 4}" width="{plot}" height="{_ROW - 10}" class="funnel-track"/>'
            f'<rect x="{_LEFT}" y="{y + 4}" width="{width:.1f}" height="{_ROW - 10}" class="funnel-bar">'
            f"<title>{title}</title></rect>"
            f'<text x="{_LEFT + plot + 8}" y="{y + 20}" class="axis">{step["customers"]:,} · {share}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value is escaped


def emotion_line(stages: list[dict[str, Any]], *, label: str, name: Callable[[str], str] = str) -> Markup:
    """Sentiment index (-100…100) per stage in journey order; the turning point is drawn in red."""
    height, top, bottom = 200, 16, 40
    plot_h = height - top - bottom
    slot = (_W - 60) / max(len(stages), 1)

    def y_of(value: float) -> float:
        return top + plot_h * (100 - value) / 200

    parts = [
        f'<svg class="chart emotion" viewBox="0 0 {_W} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" data-testid="emotion-chart">',
        f'<line x1="40" y1="{y_of(0):.1f}" x2="{_W - 10}" y2="{y_of(0):.1f}" class="grid"/>',
        f'<text x="34" y="{y_of(100) + 4:.1f}" class="axis" text-anchor="end">100</text>',
        f'<text x="34" y="{y_of(0) + 4:.1f}" class="axis" text-anchor="end">0</text>',
        f'<text x="34" y="{y_of(-100) + 4:.1f}" class="axis" text-anchor="end">-100</text>',
    ]
    points = []
    for i, stage in enumerate(stages):
        x = 50 + slot * i + slot / 2
        caption = escape(name(stage["stage"]))
        parts.append(f'<text x="{x:.1f}" y="{height - 16}" class="axis" text-anchor="middle">{caption}</text>')
        if stage["sentiment_index"] is None:
            continue
        y = y_of(float(stage["sentiment_index"]))
        points.append(f"{x:.1f},{y:.1f}")
        kind = "turning" if stage.get("turning_point") else "bad" if stage["sentiment_index"] < 0 else "good"
        tip = escape(f"{name(stage['stage'])}: {stage['sentiment_index']:+.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" class="emotion-{kind}"><title>{tip}</title></circle>')
    if len(points) > 1:
        parts.insert(5, f'<polyline points="{" ".join(points)}" class="emotion-line" fill="none"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value is escaped
