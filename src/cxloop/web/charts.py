"""Charts rendered on the server as SVG: no chart library, nothing to download, works offline."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from cxloop.analytics.overview import VolumeChart

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#64748b")
_W, _H, _LEFT, _BOTTOM, _TOP = 720, 220, 44, 26, 8


def _nice_ceiling(value: int) -> int:
    if value <= 4:
        return 4  # keeps the middle gridline on a whole number
    magnitude: int = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 4, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def stacked_bars(chart: VolumeChart, *, label: str, name: Callable[[str], str] = str) -> Markup:
    """A stacked bar per time bucket, one colour per channel; each bar segment has a tooltip."""
    n = len(chart.buckets)
    totals = [sum(s.values[i] for s in chart.series) for i in range(n)]
    top = _nice_ceiling(max(totals, default=0))
    plot_w, plot_h = _W - _LEFT - 8, _H - _BOTTOM - _TOP
    slot = plot_w / max(n, 1)
    bar = max(1.0, slot * 0.8)
    parts = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for fraction in (0, 0.5, 1):
        y = _TOP + plot_h * (1 - fraction)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - 8}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">{int(top * fraction):,}</text>'
        )
    for i, day in enumerate(chart.buckets):
        x = _LEFT + i * slot + (slot - bar) / 2
        base = float(_TOP + plot_h)
        for colour, series in zip(PALETTE * 4, chart.series, strict=False):
            value = series.values[i]
            if not value:
                continue
            height = plot_h * value / top
            base -= height
            tip = escape(f"{day.isoformat()} · {name(series.name)}: {value:,}")
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{tip}</title></rect>"
            )
        if n <= 14 or i % max(1, n // 7) == 0:
            centre = x + bar / 2
            parts.append(f'<text x="{centre:.1f}" y="{_H - 8}" class="axis" text-anchor="middle">{day:%m-%d}</text>')
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch swatch-{i % len(PALETTE)}"></span>{escape(name(s.name))} '
        f'<span class="muted">{sum(s.values):,}</span></li>'
        for i, s in enumerate(chart.series)
    )
    return Markup("".join(parts) + f'<ul class="legend">{legend}</ul>')  # noqa: S704 - every value is escaped
