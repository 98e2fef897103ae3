"""Telling customers what their feedback led to: one `customer_followup` delivery per linked customer
who may be contacted, queued in the caller's transaction and sent by the dispatcher by e-mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.errors import Conflict
from cxloop.notify.actions import OPEN_STATUSES, get_action
from cxloop.notify.consent import customer_may_be_contacted
from cxloop.store import actions as repo
from cxloop.store import notifications as notify_repo
from cxloop.store.dialects import StoreDialect

FOLLOWUP_SUBJECT = "[cxloop] 고객님의 의견으로 개선되었습니다 / Your feedback led to a change"


def follow_up_customers(
    conn: sa.Connection, dialect: StoreDialect, action_id: str, *, now: datetime, message: str | None = None
) -> dict[str, Any]:
    """Queue a `customer_followup` delivery for each customer whose linked feedback led to the shipped
    action and who may be contacted (see `cxloop.notify.consent`); each customer is told once."""
    action = get_action(conn, action_id)
    if action["status"] in OPEN_STATUSES:
        raise Conflict("tell customers once the change has shipped")
    text = (message or "").strip() or (
        f"고객님께서 보내주신 의견을 바탕으로 다음을 개선했습니다: {action['title']}\n\n"
        f"Thanks to your feedback we made this change: {action['title']}"
    )
    customers = repo.linked_customer_ids(conn, action_id)
    allowed = [c for c in customers if customer_may_be_contacted(conn, c)]
    rows = [
        {
            "id": new_id(),
            "alert_id": None,
            "kind": "customer_followup",
            "target": customer_id,
            "event": "action_shipped",
            "payload": {"action_id": action_id, "subject": FOLLOWUP_SUBJECT, "body": text},
            "dedupe_key": f"followup:{action_id}:{customer_id}",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for customer_id in allowed
    ]
    queued = notify_repo.insert_deliveries(conn, dialect, rows)
    return {
        "customers": len(customers),
        "may_be_contacted": len(allowed),
        "queued": queued,
        "already_told": len(allowed) - queued,
        "without_consent": len(customers) - len(allowed),
    }
