"""Charts rendered on the server as SVG: no chart library, nothing to download, works offline."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


# --- Customer 360: a small line of scores over time (KPI history, sentiment trend) ---------------
def score_line(
    points: Sequence[tuple[str, float, str]], *, low: float, high: float, label: str, width: int = 360
) -> Markup:
    """Points (x label, value, tooltip) on a fixed scale from `low` to `high`, joined by a line."""
    height, left, right, top, bottom = 120, 34, 8, 8, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def y(value: float) -> float:
        share = (min(max(value, low), high) - low) / ((high - low) or 1)
        return top + plot_h * (1 - share)

    parts = [
        f'<svg class="chart spark" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for mark in (low, (low + high) / 2, high):
        parts.append(f'<line x1="{left}" y1="{y(mark):.1f}" x2="{width - right}" y2="{y(mark):.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y(mark) + 4:.1f}" class="axis" text-anchor="end">{mark:g}</text>')
    xy = [(left + i * step if len(points) > 1 else left + plot_w / 2, y(v)) for i, (_, v, _) in enumerate(points)]
    if len(xy) > 1:
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
        parts.append(f'<polyline points="{path}" class="line"/>')
    for (x, yy), (name, _, tip) in zip(xy, points, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3.5" class="point"><title>{escape(tip)}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{height - 5}" class="axis" text-anchor="middle">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value is escaped


def before_after_chart(series: Sequence[dict[str, object]], *, label: str, before: str, after: str) -> Markup:
    """Daily topic mentions (negative part in red) before and after an action shipped, split by a
    dashed line on the ship day; each bar has a tooltip with the day, mentions and negatives."""
    n = len(series)
    top = _nice_ceiling(max((int(str(d["mentions"])) for d in series), default=0))
    plot_w, plot_h = _W - _LEFT - 8, _H - _BOTTOM - _TOP
    slot = plot_w / max(n, 1)
    bar = max(1.0, slot * 0.8)
    parts = [
        f'<svg class="chart before-after" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for fraction in (0, 0.5, 1):
        y = _TOP + plot_h * (1 - fraction)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - 8}" y2="{y:.1f}" class="grid"/>')
        tick = int(top * fraction)
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">{tick}</text>')
    split = next((i for i, d in enumerate(series) if d["after"]), n)
    for i, day in enumerate(series):
        mentions, negative = int(str(day["mentions"])), int(str(day["negative"]))
        x = _LEFT + i * slot + (slot - bar) / 2
        base = float(_TOP + plot_h)
        tip = escape(f"{day['day']} · {mentions} / {negative}")
        side = "after" if day["after"] else "before"
        for value, kind in ((mentions - negative, f"ba-{side}"), (negative, "ba-negative")):
            if value:
                height = plot_h * value / top
                base -= height
                parts.append(
                    f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{height:.1f}" class="{kind}">'
                    f"<title>{tip}</title></rect>"
                )
        if n <= 14 or i % max(1, n // 7) == 0:
            centre, month_day = x + bar / 2, str(day["day"])[5:]
            parts.append(f'<text x="{centre:.1f}" y="{_H - 8}" class="axis" text-anchor="middle">{month_day}</text>')
    marker = _LEFT + split * slot
    parts.append(f'<line x1="{marker:.1f}" y1="{_TOP}" x2="{marker:.1f}" y2="{_TOP + plot_h}" class="ba-ship"/>')
    parts.append(f'<text x="{marker - 6:.1f}" y="{_TOP + 12}" class="axis" text-anchor="end">{escape(before)}</text>')
    parts.append(f'<text x="{marker + 6:.1f}" y="{_TOP + 12}" class="axis">{escape(after)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value is escaped
