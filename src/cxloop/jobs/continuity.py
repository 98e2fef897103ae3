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
    """Set `continues_id` on this batch's feedback (already stored by the `store` stage)."""
    window = timedelta(hours=ctx.settings.continuity_window_hours)
    mine = [i for i in batch if i.kind is RecordKind.FEEDBACK and i.customer_id and i.row.get("occurred_at")]
    by_customer: dict[str, list[PipelineItem]] = {}
    for item in mine:
        by_customer.setdefault(str(item.customer_id), []).append(item)
    for customer_id, items in by_customer.items():
        start = min(i.row["occurred_at"] for i in items) - window
        end = max(i.row["occurred_at"] for i in items)
        earlier = ctx.conn.execute(
            sa.select(feedback.c.id, feedback.c.occurred_at, feedback.c.topics)
            .where(
                feedback.c.customer_id == customer_id,
                feedback.c.occurred_at >= start,
                feedback.c.occurred_at <= end,
                feedback.c.duplicate_of.is_(None),
            )
            .order_by(feedback.c.occurred_at.desc(), feedback.c.id.desc())
        ).all()
        for item in items:
            at, topics = item.row["occurred_at"], _topics(item.row.get("topics"))
            if not topics:
                continue  # without a topic there is no evidence it is the same matter
            previous = next(
                (
                    row.id
                    for row in earlier
                    if row.id != item.record_id
                    and at - window <= row.occurred_at < at
                    and related(topics, _topics(row.topics))
                ),
                None,
            )
            if previous is not None:
                item.row["continues_id"] = previous
                ctx.conn.execute(feedback.update().where(feedback.c.id == item.record_id).values(continues_id=previous))
    return batch


CONTINUITY_STAGES = (Stage("store.continuity", "store", link_continuations),)

__all__ = ["CONTINUITY_STAGES", "link_continuations", "related"]
