"""A Sankey diagram rendered on the server as SVG: columns of nodes joined by bands as wide as the
customers that flow between them. No JS library, nothing to download, works offline."""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from cxloop.web.charts import PALETTE

_W, _H, _PAD, _NODE_W, _GAP, _LABEL = 760, 320, 12, 14, 10, 110


def colour_of(event: str) -> str:
    """A stable colour per event type, so the same event looks the same in every column."""
    return PALETTE[zlib.crc32(event.encode()) % len(PALETTE)]


def _layout(nodes: list[dict[str, Any]]) -> dict[str, tuple[float, float, float]]:
    """node id → (x, y, height); heights share one scale so bands line up across columns."""
    columns: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for node in nodes:
        columns[int(node["column"])].append(node)
    count = max(columns) + 1
    # The fullest column, with its gaps, must fit the height.
    most = max(sum(n["customers"] for n in c) for c in columns.values())
    crowded = max(len(c) for c in columns.values())
    scale = (_H - 2 * _PAD - _GAP * (crowded - 1)) / max(most, 1)
    step = (_W - 2 * _PAD - _NODE_W - _LABEL) / max(count - 1, 1)
    placed: dict[str, tuple[float, float, float]] = {}
    for index, column in columns.items():
        y = float(_PAD)
        for node in sorted(column, key=lambda n: (-n["customers"], n["event"])):
            height = max(node["customers"] * scale, 1.5)
            placed[node["id"]] = (_PAD + index * step, y, height)
            y += height + _GAP
    return placed


def sankey_svg(
    nodes: list[dict[str, Any]], links: list[dict[str, Any]], *, label: str, name: Callable[[str], str] = str
) -> Markup:
    """The diagram, or an empty Markup when there is nothing to draw."""
    if not nodes:
        return Markup("")
    placed = _layout(nodes)
    scale = {n["id"]: placed[n["id"]][2] / max(n["customers"], 1) for n in nodes}
    out_offset: dict[str, float] = defaultdict(float)
    in_offset: dict[str, float] = defaultdict(float)
    events = {n["id"]: n["event"] for n in nodes}
    parts = [
        f'<svg class="chart sankey" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" data-testid="sankey">'
    ]
    # Widest bands first, so thin ones stay visible on top of them.
    for link in sorted(links, key=lambda item: -item["customers"]):
        sx, sy, _ = placed[link["source"]]
        tx, ty, _ = placed[link["target"]]
        width = max(link["customers"] * scale[link["source"]], 1.0)
        y0 = sy + out_offset[link["source"]] + width / 2
        y1 = ty + in_offset[link["target"]] + width / 2
        out_offset[link["source"]] += width
        in_offset[link["target"]] += width
        x0, x1 = sx + _NODE_W, tx
        middle = (x0 + x1) / 2
        tip = escape(f"{name(events[link['source']])} → {name(events[link['target']])}: {link['customers']:,}")
        parts.append(
            f'<path class="band" d="M{x0:.1f},{y0:.1f} C{middle:.1f},{y0:.1f} {middle:.1f},{y1:.1f} {x1:.1f},{y1:.1f}" '
            f'stroke="{colour_of(events[link["source"]])}" stroke-width="{width:.1f}" fill="none" opacity="0.35">'
            f"<title>{tip}</title></path>"
        )
    for node in nodes:
        x, y, height = placed[node["id"]]
        text = escape(name(node["event"]))
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{_NODE_W}" height="{height:.1f}" fill="{colour_of(node["event"])}">'
            f"<title>{text}: {node['customers']:,}</title></rect>"
            f'<text x="{x + _NODE_W + 4:.1f}" y="{y + min(height / 2, 12) + 4:.1f}" class="axis">{text} '
            f"({node['customers']:,})</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value is escaped
