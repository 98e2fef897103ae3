"""Paths: the most common sequences of event types customers take from one event to another, shaped as
the nodes and links of a Sankey diagram.

Each customer contributes one path: from their first `from_event` to their first `to_event` after it
(or, without a target, the events that follow within the window). Repeats of the same event in a row
collapse into one step (three product views are one "product_view" step). Paths longer than `depth`
keep their first steps and end in "…" then the target, so long journeys still show where they end.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import ibis
from ibis import _

from cxloop.analytics.journeys._common import Period, Window, customer_events, within
from cxloop.analytics.warehouse import Warehouse
from cxloop.errors import InvalidInput

ELLIPSIS = "…"
MIN_DEPTH, MAX_DEPTH = 2, 8
#: Distinct raw paths read back before merging the truncated ones and keeping the top N.
_RAW_PATHS = 1000


def _spans(
    events: ibis.Table, from_event: str, to_event: str | None, window: Window, start: Any, end: Any
) -> ibis.Table:
    """customer_id → [ta, tb]: the stretch of time each customer's path covers."""
    starts = within(events.filter(_.type == from_event), "occurred_at", start, end)
    starts = starts.group_by(sid=_.customer_id).agg(ta=_.occurred_at.min())
    if to_event is None:
        return starts
    targets = events.filter(_.type == to_event).select(tid=_.customer_id, at=_.occurred_at)
    return (
        starts.join(targets, starts.sid == targets.tid)
        .filter(_.at > _.ta, _.at <= _.ta + window.interval)
        .group_by(["sid", "ta"])
        .agg(tb=_.at.min())
    )


def top_paths(
    wh: Warehouse,
    from_event: str,
    to_event: str | None,
    window: Window,
    *,
    depth: int = 5,
    limit: int = 10,
    period: Period | None = None,
    offset_minutes: int = 0,
) -> dict[str, Any]:
    if not MIN_DEPTH <= depth <= MAX_DEPTH:
        raise InvalidInput(f"depth must be between {MIN_DEPTH} and {MAX_DEPTH}", details={"field": "depth"})
    if not 1 <= limit <= 50:
        raise InvalidInput("limit must be between 1 and 50", details={"field": "limit"})
    start, end = (period or Period()).utc_bounds(offset_minutes)
    events = customer_events(wh.table("events"))
    spans = _spans(events, from_event, to_event, window, start, end)
    inside = events.join(spans, events.customer_id == spans.sid).filter(_.occurred_at >= _.ta)
    if to_event is None:
        inside = inside.filter(_.occurred_at <= _.ta + window.interval)
    else:
        inside = inside.filter(_.occurred_at <= _.tb)
    # Same-instant events are ordered by type so every engine draws the same path.
    order = [inside.occurred_at, inside.type]
    inside = inside.mutate(before=_.type.lag().over(group_by=_.customer_id, order_by=order))
    steps = inside.filter(_.before.isnull() | (_.before != _.type))
    steps = steps.mutate(pos=ibis.row_number().over(group_by=_.customer_id, order_by=[_.occurred_at, _.type]))
    keep = depth - 1 if to_event else depth  # with a target, the last node is always the target
    columns = {f"s{k}": steps.type.max(where=steps.pos == k) for k in range(keep)}
    per_customer = steps.group_by("customer_id").agg(length=steps.pos.max() + 1, **columns)
    grouped = per_customer.group_by([*columns, "length"]).agg(customers=_.customer_id.count())
    raw = wh.rows(grouped.order_by(ibis.desc("customers")).limit(_RAW_PATHS))
    paths = _merge(raw, keep, depth, to_event)
    ranked = sorted(paths.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    total = int(wh.scalar(spans.count()))
    top = [{"path": list(path), "customers": n, "share": n / total if total else None} for path, n in ranked]
    return {
        "from_event": from_event,
        "to_event": to_event,
        "window": window.text,
        "depth": depth,
        "customers": total,
        "paths": top,
        **sankey(top),
        "empty": total == 0,
    }


def _merge(raw: list[dict[str, Any]], keep: int, depth: int, to_event: str | None) -> Counter[tuple[str, ...]]:
    """Raw per-customer prefixes → displayed paths; truncated ones with the same prefix merge."""
    paths: Counter[tuple[str, ...]] = Counter()
    for row in raw:
        nodes = [row[f"s{k}"] for k in range(keep) if row[f"s{k}"] is not None]
        length = int(row["length"])
        if to_event is None:
            shown = nodes + ([ELLIPSIS] if length > depth else [])
        elif length <= depth:
            # A full path ends with the target, which then sits inside the prefix columns.
            shown = nodes if nodes and nodes[-1] == to_event and length == len(nodes) else [*nodes, to_event]
        else:
            shown = [*nodes, ELLIPSIS, to_event]
        paths[tuple(shown)] += int(row["customers"])
    return paths


def sankey(paths: list[dict[str, Any]]) -> dict[str, Any]:
    """Nodes keyed by (position, event) so the diagram flows left to right; links carry customers."""
    nodes: dict[tuple[int, str], int] = {}
    links: Counter[tuple[tuple[int, str], tuple[int, str]]] = Counter()
    for item in paths:
        keys = [(i, name) for i, name in enumerate(item["path"])]
        for key in keys:
            nodes[key] = nodes.get(key, 0) + item["customers"]
        for a, b in itertools.pairwise(keys):
            links[(a, b)] += item["customers"]
    ids = {key: f"{key[0]}:{key[1]}" for key in nodes}
    return {
        "nodes": [{"id": ids[k], "event": k[1], "column": k[0], "customers": v} for k, v in sorted(nodes.items())],
        "links": [{"source": ids[a], "target": ids[b], "customers": v} for (a, b), v in sorted(links.items())],
    }
