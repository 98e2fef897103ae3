"""Improvement actions: create them from a topic, an emerging issue or cases, link the feedback behind
them, ship them and verify the change with data (telling customers is in `cxloop.notify.followup`).

Functions take the caller's connection and never commit; the API, pages, CLI and jobs share them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.analytics.verification import Windows, daily_series, measure_topic
from cxloop.domain import new_id
from cxloop.errors import Conflict, InvalidInput, NotFound
from cxloop.store import actions as repo
from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import emerging_issues, teams, users

STATUSES = ("planned", "in_progress", "shipped", "verified", "not_verified")
OPEN_STATUSES = ("planned", "in_progress")  # the ones a person sets; the rest follow ship and verification
DEFAULT_WINDOW_DAYS = 28
WINDOW_LIMITS = (7, 365)
MAX_LINK = 50_000


def _bad(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", details=[{"field": field, "reason": reason}])


def _exists(conn: sa.Connection, table: sa.Table, key: str) -> bool:
    return conn.execute(sa.select(table.c.id).where(table.c.id == key)).first() is not None


def _window(value: int | None, field: str) -> int:
    if value is None:
        return DEFAULT_WINDOW_DAYS
    low, high = WINDOW_LIMITS
    if not low <= value <= high:
        raise _bad(field, f"must be {low}-{high} days")
    return value


def _check_people(conn: sa.Connection, owner_user_id: str | None, team_id: str | None) -> None:
    if owner_user_id and not _exists(conn, users, owner_user_id):
        raise _bad("owner_user_id", f"no user {owner_user_id!r}")
    if team_id and not _exists(conn, teams, team_id):
        raise _bad("team_id", f"no team {team_id!r}")


def _check_topic(topic: str | None, known_topics: Collection[str] | None) -> str | None:
    topic = (topic or "").strip() or None
    if topic and known_topics is not None and topic not in known_topics:
        raise _bad("topic", f"unknown topic {topic!r}; use a topic id from the taxonomy")
    return topic


def create_action(
    conn: sa.Connection,
    dialect: StoreDialect,
    *,
    title: str,
    now: datetime,
    description: str | None = None,
    topic: str | None = None,
    emerging_issue_id: str | None = None,
    case_ids: Sequence[str] = (),
    owner_user_id: str | None = None,
    team_id: str | None = None,
    due_date: date | None = None,
    status: str = "planned",
    before_days: int | None = None,
    after_days: int | None = None,
    created_by: str | None = None,
    known_topics: Collection[str] | None = None,
) -> dict[str, Any]:
    """Create an action. From an emerging issue it takes the issue's topic and example items; from
    cases it links their feedback and, without a topic given, measures their most common topic."""
    title = title.strip()
    if not 1 <= len(title) <= 300:
        raise _bad("title", "give a title of 1-300 characters")
    if status not in OPEN_STATUSES:
        raise _bad("status", f"a new action is {' or '.join(OPEN_STATUSES)}; ship it with /ship")
    topic = _check_topic(topic, known_topics)
    _check_people(conn, owner_user_id, team_id)
    feedback_ids: list[str] = []
    if emerging_issue_id:
        issue = conn.execute(sa.select(emerging_issues).where(emerging_issues.c.id == emerging_issue_id)).mappings()
        found = issue.first()
        if found is None:
            raise _bad("emerging_issue_id", f"no emerging issue {emerging_issue_id!r}")
        if topic is None and found["kind"] == "topic_spike":
            topic = str(found["subject"])
        feedback_ids += [str(f) for f in found["examples"] or []]
    if case_ids:
        existing, case_feedback = repo.case_feedback_ids(conn, case_ids)
        unknown = [c for c in case_ids if c not in existing]
        if unknown:
            raise _bad("case_ids", f"no such case(s): {', '.join(unknown[:20])}")
        feedback_ids += case_feedback
        topic = topic or repo.dominant_topic(conn, case_feedback)
    action_id = new_id()
    repo.insert_action(
        conn,
        id=action_id,
        title=title,
        description=(description or "").strip() or None,
        topic=topic,
        emerging_issue_id=emerging_issue_id,
        owner_user_id=owner_user_id,
        team_id=team_id,
        due_date=due_date,
        status=status,
        before_days=_window(before_days, "before_days"),
        after_days=_window(after_days, "after_days"),
        created_by=created_by,
        created_at=now,
        updated_at=now,
        version=1,
    )
    if case_ids:
        repo.link_cases(conn, dialect, action_id, case_ids)
    if feedback_ids:
        repo.link_feedback(conn, dialect, action_id, sorted(repo.existing_feedback(conn, feedback_ids)), now)
    return get_action(conn, action_id)


def get_action(conn: sa.Connection, action_id: str) -> dict[str, Any]:
    action = repo.find_action(conn, action_id)
    if action is None:
        raise NotFound(f"no improvement action {action_id!r}")
    action["linked"] = repo.linked_summary(conn, action_id)
    action["case_ids"] = repo.action_case_ids(conn, action_id)
    first_heard = action["linked"]["first_heard_at"]
    # VOC-to-action lead time: from the first linked voice to the change shipping.
    action["lead_time_days"] = (
        round((action["shipped_at"] - first_heard).total_seconds() / 86400, 1)
        if action["shipped_at"] and first_heard
        else None
    )
    return action


def update_action(
    conn: sa.Connection, action_id: str, changes: dict[str, Any], *, now: datetime, version: int | None = None,
    known_topics: Collection[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Change title, description, topic, owner, team, due date, windows or an open status."""
    action = get_action(conn, action_id)
    if version is not None and version != action["version"]:
        raise Conflict(f"the action changed meanwhile (version {action['version']}, you sent {version}); reload it")
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "title":
            if not isinstance(value, str) or not 1 <= len(value.strip()) <= 300:
                raise _bad("title", "give a title of 1-300 characters")
            values[key] = value.strip()
        elif key == "description":
            values[key] = (value or "").strip() or None
        elif key == "topic":
            values[key] = _check_topic(value, known_topics)
        elif key in ("owner_user_id", "team_id"):
            _check_people(conn, value if key == "owner_user_id" else None, value if key == "team_id" else None)
            values[key] = value or None
        elif key == "due_date":
            values[key] = value
        elif key in ("before_days", "after_days"):
            values[key] = _window(value, key)
        elif key == "status":
            if value not in OPEN_STATUSES:
                raise _bad("status", f"set {' or '.join(OPEN_STATUSES)} here; ship with /ship")
            if action["status"] not in OPEN_STATUSES:
                raise Conflict(f"the action is {action['status']}; a shipped action cannot go back to {value}")
            values[key] = value
        else:
            raise _bad(key, "cannot be changed")
    if values and not repo.update_action(conn, action_id, action["version"], updated_at=now, **values):
        raise Conflict("the action changed meanwhile; reload it")
    return get_action(conn, action_id)


def link_feedback(
    conn: sa.Connection,
    dialect: StoreDialect,
    action_id: str,
    *,
    now: datetime,
    feedback_ids: Sequence[str] = (),
    topic: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Link items by id (unknown ids are reported, the rest kept) or every item of a topic in
    [since, until)."""
    get_action(conn, action_id)
    if bool(feedback_ids) == bool(topic):
        raise InvalidInput("send either feedback_ids or topic (with since and until)")
    if topic:
        if since is None or until is None or since >= until:
            raise _bad("since", "give since < until to link a topic's feedback in that range")
        ids = repo.topic_feedback_ids(conn, topic, since, until)
        unknown: list[str] = []
    else:
        if len(feedback_ids) > MAX_LINK:
            raise _bad("feedback_ids", f"at most {MAX_LINK} ids per request")
        found = repo.existing_feedback(conn, feedback_ids)
        ids = [f for f in feedback_ids if f in found]
        unknown = [f for f in dict.fromkeys(feedback_ids) if f not in found]
    linked = repo.link_feedback(conn, dialect, action_id, ids, now)
    return {"linked": linked, "already_linked": len(set(ids)) - linked, "unknown": unknown}


def evaluate(conn: sa.Connection, action: dict[str, Any], *, now: datetime, offset_minutes: int) -> dict[str, Any]:
    """Measure a shipped action, store the verdict, and settle its status once the window is complete."""
    verdict = measure_topic(
        conn,
        action["topic"],
        shipped_at=action["shipped_at"],
        before_days=action["before_days"],
        after_days=action["after_days"],
        now=now,
        linked_customers=repo.linked_customer_ids(conn, action["id"]),
        offset_minutes=offset_minutes,
    )
    verdict["evaluated_at"] = now.isoformat()
    status = action["status"]
    if verdict["final"] and verdict["outcome"] in ("verified", "not_verified"):
        status = verdict["outcome"]
    if not repo.update_action(
        conn, action["id"], action["version"], verdict=verdict, evaluated_at=now, status=status, updated_at=now
    ):
        raise Conflict("the action changed meanwhile; reload it")
    return verdict


def ship_action(
    conn: sa.Connection, action_id: str, *, now: datetime, offset_minutes: int, shipped_at: datetime | None = None,
    before_days: int | None = None, after_days: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Mark the action shipped (at `shipped_at`, default now) and measure it right away."""
    action = get_action(conn, action_id)
    if action["status"] not in OPEN_STATUSES:
        raise Conflict(f"the action is already {action['status']}")
    shipped_at = shipped_at or now
    if shipped_at > now + timedelta(minutes=5):
        raise _bad("shipped_at", "cannot be in the future")
    values = {
        "status": "shipped",
        "shipped_at": shipped_at,
        "before_days": _window(before_days, "before_days") if before_days is not None else action["before_days"],
        "after_days": _window(after_days, "after_days") if after_days is not None else action["after_days"],
    }
    if not repo.update_action(conn, action_id, action["version"], updated_at=now, **values):
        raise Conflict("the action changed meanwhile; reload it")
    evaluate(conn, get_action(conn, action_id), now=now, offset_minutes=offset_minutes)
    return get_action(conn, action_id)


def action_series(
    conn: sa.Connection, action: dict[str, Any], *, now: datetime, offset_minutes: int
) -> list[dict[str, Any]]:
    """Daily mentions and negatives of the action's topic around its ship date (empty before shipping)."""
    if not action["topic"] or not action["shipped_at"]:
        return []
    windows = Windows.around(action["shipped_at"], action["before_days"], action["after_days"], now)
    return daily_series(conn, action["topic"], windows, offset_minutes)
