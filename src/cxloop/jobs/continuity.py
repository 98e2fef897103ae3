"""Omnichannel continuity: a contact that follows up an earlier one of the same customer is linked to it.

"Still no refund" by chat two days after a call about the refund continues that call. The rule: same
customer, the earlier contact within `continuity_window_hours`, and a shared or related topic.
A contact continues the latest such earlier contact, so chains read call → chat → e-mail.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.domain import RecordKind
from cxloop.jobs.pipeline import PipelineItem, Stage, StageContext
from cxloop.store.tables import feedback

_CHUNK = 1000  # customers per query: keeps IN lists well inside every engine's limits

# Topics that are one matter seen from two sides (a late parcel is returned, then refunded).
RELATED_TOPICS: tuple[frozenset[str], ...] = (
    frozenset({"delivery", "packaging", "refund_return", "cancellation"}),
    frozenset({"payment", "price", "promotions", "refund_return", "cancellation"}),
    frozenset({"app_errors", "account_login"}),
    frozenset({"agent_service", "waiting_time"}),
)


def _topics(value: Any) -> set[str]:
    return {str(t["topic"]) for t in value or [] if isinstance(t, dict) and t.get("topic")}


def related(a: set[str], b: set[str]) -> bool:
    if a & b:
        return True
    return any(a & group and b & group for group in RELATED_TOPICS)


def link_continuations(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    """Set `continues_id` on this batch's feedback (already stored by the `store` stage).

    One query reads the earlier contacts of every customer in the batch, and one set-based update
    writes the links: per-customer queries made this the slowest stage of the pipeline.
    """
    window = timedelta(hours=ctx.settings.continuity_window_hours)
    mine = [
        i
        for i in batch
        if i.kind is RecordKind.FEEDBACK and i.customer_id and i.row.get("occurred_at") and _topics(i.row.get("topics"))
    ]
    if not mine:
        return batch
    customer_ids = sorted({str(i.customer_id) for i in mine})
    start = min(i.row["occurred_at"] for i in mine) - window
    end = max(i.row["occurred_at"] for i in mine)
    earlier: dict[str, list[Any]] = {}
    for chunk in range(0, len(customer_ids), _CHUNK):
        rows = ctx.conn.execute(
            sa.select(feedback.c.id, feedback.c.customer_id, feedback.c.occurred_at, feedback.c.topics)
            .where(
                feedback.c.customer_id.in_(customer_ids[chunk : chunk + _CHUNK]),
                feedback.c.occurred_at >= start,
                feedback.c.occurred_at <= end,
                feedback.c.duplicate_of.is_(None),
            )
            .order_by(feedback.c.occurred_at.desc(), feedback.c.id.desc())
        ).all()
        for row in rows:
            earlier.setdefault(str(row.customer_id), []).append(row)
    links = []
    for item in mine:
        at, topics = item.row["occurred_at"], _topics(item.row.get("topics"))
        previous = next(
            (
                row.id
                for row in earlier.get(str(item.customer_id), ())
                if row.id != item.record_id
                and at - window <= row.occurred_at < at
                and related(topics, _topics(row.topics))
            ),
            None,
        )
        if previous is not None:
            item.row["continues_id"] = previous
            links.append({"id": item.record_id, "continues_id": previous})
    ctx.dialect.bulk_update(ctx.conn, feedback, "id", links)
    return batch


CONTINUITY_STAGES = (Stage("store.continuity", "store", link_continuations),)

__all__ = ["CONTINUITY_STAGES", "link_continuations", "related"]
