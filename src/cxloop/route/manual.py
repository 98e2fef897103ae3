"""Cases opened by hand (API and UI), and which teams' cases a person may see and work."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.errors import InvalidInput
from cxloop.route.casework import CaseBatch, Staffing, load_case, open_case
from cxloop.route.lifecycle import parse_priority
from cxloop.route.ruleset import current_rule_set
from cxloop.route.slacheck import business_calendar
from cxloop.store import cases as case_repo
from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import customers, feedback


def visible_team_ids(conn: sa.Connection, user_id: str | None, *, sees_all: bool) -> set[str] | None:
    """None when every team's cases are visible (cases.manage, or an admin token); else the user's teams."""
    if sees_all or user_id is None:
        return None
    return case_repo.team_ids_of_user(conn, user_id)


def create_case_by_hand(
    conn: sa.Connection,
    dialect: StoreDialect,
    settings: Settings,
    body: Mapping[str, Any],
    *,
    actor: str | None,
    now: datetime,
    allowed_team_ids: set[str] | None,
) -> dict[str, Any]:
    """Open a case from {subject, team, priority?, customer_id?, feedback_id?, channel?, tags?}."""
    subject = body.get("subject")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 500:
        raise InvalidInput("subject: a subject of 1-500 characters is required")
    teams = {t["name"]: t["id"] for t in case_repo.list_teams(conn)}
    team = str(body.get("team") or "")
    if team not in teams:
        raise InvalidInput(f"team: {team!r} is not a team; teams: {', '.join(sorted(teams)) or '(none yet)'}")
    if allowed_team_ids is not None and teams[team] not in allowed_team_ids:
        raise InvalidInput(f"team: you can only open cases for your own teams, not {team!r}")
    priority = parse_priority(body.get("priority") or "normal")
    customer_id = body.get("customer_id")
    if (
        customer_id is not None
        and conn.execute(sa.select(customers.c.id).where(customers.c.id == customer_id)).first() is None
    ):
        raise InvalidInput(f"customer_id: no customer with id {customer_id!r}")
    feedback_id = body.get("feedback_id")
    channel = body.get("channel")
    if feedback_id is not None:
        found = conn.execute(
            sa.select(feedback.c.customer_id, feedback.c.channel, feedback.c.language).where(
                feedback.c.id == feedback_id
            )
        ).first()
        if found is None:
            raise InvalidInput(f"feedback_id: no feedback item with id {feedback_id!r}")
        customer_id = customer_id or found.customer_id
        channel = channel or found.channel
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in tags):
        raise InvalidInput("tags: expected a list of tags of 1-64 characters")
    rule_set = current_rule_set(conn)
    team_settings = rule_set.teams.get(team)
    strategy = team_settings.assignment if team_settings else None
    staffing = Staffing(conn, [teams[team]])
    batch = CaseBatch()
    row = open_case(
        batch,
        fields={
            "customer_id": customer_id,
            "subject": subject.strip(),
            "source": "manual",
            "channel": channel,
            "language": body.get("language"),
            "tags": tags,
        },
        team=(teams[team], team),
        priority=priority,
        sla_policy=priority.value,
        rule_set=rule_set,
        calendar=business_calendar(settings),
        now=now,
        actor=actor,
        assignee=staffing.pick(teams[team], strategy or settings.case_assignment, body.get("language"), now),
        feedback_id=feedback_id,
    )
    batch.write(conn, dialect)
    return load_case(conn, row["id"])
