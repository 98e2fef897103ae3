"""Server-rendered SVG for KPIs: a line per slice over time, and the small trend line on a card."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from cxloop.web.charts import PALETTE

_W, _H, _LEFT, _BOTTOM, _TOP, _RIGHT = 720, 240, 56, 26, 10, 12


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def line_chart(
    buckets: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, label: str, target: float | None
) -> Markup:
    """One line per series over the buckets; gaps where a slice has no data (never drawn as zero)."""
    values = [v for _, vs in series for v in vs if v is not None]
    if target is not None:
        values.append(target)
    if not buckets or not values:
        return Markup("")
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _BOTTOM - _TOP
    step = plot_w / max(len(buckets) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return _LEFT + i * step, _TOP + plot_h * (1 - (v - low) / (high - low))

    parts = [
        f'<svg class="chart kpi-chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for fraction in (0, 0.5, 1):
        y = _TOP + plot_h * (1 - fraction)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
            f"{_fmt(low + (high - low) * fraction)}</text>"
        )
    if target is not None:
        y = xy(0, target)[1]
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" class="kpi-target"/>')
    for colour, (name, vs) in zip(PALETTE * 4, series, strict=False):
        segment: list[str] = []
        for i, v in enumerate([*vs, None]):
            if v is not None:
                segment.append("{:.1f},{:.1f}".format(*xy(i, v)))
                continue
            if len(segment) > 1:
                parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"/>')
            segment = []
        for i, v in enumerate(vs):
            if v is not None:
                x, y = xy(i, v)
                tip = escape(f"{buckets[i]} · {name}: {_fmt(v)}")
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{tip}</title></circle>')
    n = len(buckets)
    for i, bucket in enumerate(buckets):
        if n <= 14 or i % max(1, n // 7) == 0:
            parts.append(
                f'<text x="{xy(i, low)[0]:.1f}" y="{_H - 8}" class="axis" text-anchor="middle">{bucket[5:]}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - names and labels are escaped; the rest are numbers


def sparkline(values: Sequence[float | None], *, label: str) -> Markup:
    """A small trend line for a KPI card; empty days are gaps."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return Markup("")
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    w, h = 120, 28
    step = w / max(len(values) - 1, 1)
    points = [f"{i * step:.1f},{h - 2 - (h - 4) * (v - low) / span:.1f}" for i, v in enumerate(values) if v is not None]
    return Markup(  # noqa: S704 - the label is escaped; the rest are numbers
        f'<svg class="kpi-spark" viewBox="0 0 {w} {h}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><polyline points="{" ".join(points)}" fill="none" '
        f'stroke="{PALETTE[0]}" stroke-width="1.5"/></svg>'
    )
