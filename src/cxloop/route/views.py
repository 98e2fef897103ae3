"""How a case is shown: the fields the API returns and the pages render, with its SLA timers
computed on the server (time left, or overdue) so every client shows the same clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cxloop.route.lifecycle import OPEN_STATES, CaseState

PUBLIC_FIELDS = (
    "id", "customer_id", "customer_name", "customer_tier", "origin_feedback_id", "team_id", "team",
    "assignee_user_id", "assignee_name", "subject", "status", "priority", "version", "channel", "language",
    "topic", "tags", "sla_policy", "rule_id", "created_at", "updated_at", "assigned_at",
    "first_response_due_at", "first_response_at", "first_response_breached_at", "resolution_due_at",
    "resolved_at", "resolution_breached_at", "closed_at", "reopen_count", "recontact_count", "fcr", "source",
)  # fmt: skip


def sla_timer(
    due: datetime | None, met_at: datetime | None, breached_at: datetime | None, *, running: bool, now: datetime
) -> dict[str, Any] | None:
    """One target's clock: `met`, `breached` (met late or still open past due), `running` or `paused`."""
    if due is None:
        return None
    if met_at is not None:
        state = "met" if met_at <= due else "breached"
        return {"due_at": due, "state": state, "seconds_left": None}
    seconds_left = int((due - now).total_seconds())
    if not running:
        return {"due_at": due, "state": "stopped", "seconds_left": None}
    state = "breached" if breached_at is not None or seconds_left < 0 else "running"
    return {"due_at": due, "state": state, "seconds_left": seconds_left}


def case_view(case: dict[str, Any], now: datetime) -> dict[str, Any]:
    view = {name: case.get(name) for name in PUBLIC_FIELDS}
    is_open = CaseState(case["status"]) in OPEN_STATES
    view["tags"] = list(case.get("tags") or [])
    view["sla"] = {
        "first_response": sla_timer(
            case.get("first_response_due_at"),
            case.get("first_response_at"),
            case.get("first_response_breached_at"),
            running=is_open,
            now=now,
        ),
        "resolution": sla_timer(
            case.get("resolution_due_at"),
            case.get("resolved_at"),
            case.get("resolution_breached_at"),
            running=is_open,
            now=now,
        ),
    }
    return view


def format_duration(seconds: int | None) -> str:
    """`2h 05m` / `3d 4h` for timers; negative values are shown by the caller as overdue."""
    if seconds is None:
        return ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m"
