"""Working a case: opening it (from routing or by hand), assigning, moving it through its lifecycle,
notes and replies. Every change is written to `case_history`; edits are compare-and-set on `version`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.domain import new_id, new_ids
from cxloop.errors import Conflict, InvalidInput, NotFound
from cxloop.route.assignment import Candidate, choose_assignee, skills_languages
from cxloop.route.lifecycle import (
    DONE_STATES,
    CaseState,
    Priority,
    check_transition,
    is_reopen,
    parse_priority,
    parse_state,
)
from cxloop.route.rules import RuleSet
from cxloop.route.sla import BusinessCalendar
from cxloop.store import cases as case_repo
from cxloop.store.dialects import StoreDialect

MAX_TEXT = 20_000
# Feedback channels mapped to the event channels a reply goes out on.
_REPLY_CHANNEL = {"app_review": "app", "web_form": "web", "survey": "email"}


@dataclass(slots=True)
class CaseBatch:
    """Rows to write for a set of case changes; ids of history rows are handed out in order, so
    history entries made at the same moment keep the order they happened in."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self,
        case_id: str,
        action: str,
        changes: Mapping[str, Any],
        *,
        actor: str | None,
        at: datetime,
        note: str | None = None,
    ) -> None:
        self.history.append(
            {
                "case_id": case_id,
                "occurred_at": at,
                "actor_user_id": actor,
                "action": action,
                "changes": dict(changes),
                "note": note,
            }
        )

    def write(self, conn: sa.Connection, dialect: StoreDialect) -> None:
        for row, history_id in zip(self.history, sorted(new_ids(len(self.history))), strict=True):
            row["id"] = history_id
        case_repo.insert_cases(conn, dialect, self.cases)
        case_repo.insert_history(conn, dialect, self.history)
        case_repo.insert_case_feedback(conn, dialect, self.links)


class Staffing:
    """Team members and their load, loaded once per batch, updated as cases are handed out."""

    def __init__(self, conn: sa.Connection, team_ids: list[str]) -> None:
        members = case_repo.team_members_with_load(conn, team_ids)
        self.candidates = {
            team_id: [
                Candidate(str(m["user_id"]), skills_languages(m["skills"]), int(m["open_cases"]), m["last_assigned_at"])
                for m in rows
            ]
            for team_id, rows in members.items()
        }

    def pick(self, team_id: str, strategy: str, language: str | None, now: datetime) -> str | None:
        chosen = choose_assignee(self.candidates.get(team_id, []), strategy=strategy, language=language, now=now)
        return chosen.user_id if chosen else None


def open_case(
    batch: CaseBatch,
    *,
    fields: Mapping[str, Any],
    team: tuple[str, str],
    priority: Priority,
    sla_policy: str,
    rule_set: RuleSet,
    calendar: BusinessCalendar,
    now: datetime,
    actor: str | None,
    assignee: str | None,
    feedback_id: str | None = None,
) -> dict[str, Any]:
    """Add a new case (and its `created`, `assigned` history and feedback link) to `batch`."""
    team_id, team_name = team
    first_due, resolve_due = rule_set.policy(sla_policy).due_times(calendar, now)
    status = CaseState.ASSIGNED if assignee else CaseState.NEW
    case_id = new_id()
    row: dict[str, Any] = {
        "id": case_id,
        "customer_id": fields.get("customer_id"),
        "origin_feedback_id": feedback_id,
        "team_id": team_id,
        "assignee_user_id": assignee,
        "assigned_at": now if assignee else None,
        "subject": str(fields.get("subject") or "")[:500] or "(no subject)",
        "status": status.value,
        "priority": priority.value,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "source": fields.get("source") or "routing",
        "batch_id": fields.get("batch_id"),
        "channel": fields.get("channel"),
        "language": fields.get("language"),
        "topic": fields.get("topic"),
        "tags": list(fields.get("tags") or []),
        "sla_policy": sla_policy,
        "first_response_due_at": first_due,
        "resolution_due_at": resolve_due,
        "reopen_count": 0,
        "recontact_count": 0,
        "rule_id": fields.get("rule_id"),
    }
    batch.cases.append(row)
    created = {"status": [None, CaseState.NEW.value], "team": [None, team_name], "priority": [None, priority.value]}
    if feedback_id:
        created["feedback_id"] = [None, feedback_id]
        batch.links.append({"case_id": case_id, "feedback_id": feedback_id, "joined_at": now, "is_recontact": False})
    batch.record(case_id, "created", created, actor=actor, at=now)
    if assignee:
        changes = {"assignee_user_id": [None, assignee], "status": [CaseState.NEW.value, CaseState.ASSIGNED.value]}
        batch.record(case_id, "assigned", changes, actor=actor, at=now)
    return row


def load_case(conn: sa.Connection, case_id: str) -> dict[str, Any]:
    case = case_repo.get_case(conn, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    return case


def _stale(conn: sa.Connection, case_id: str, version: int) -> Conflict:
    current = load_case(conn, case_id)["version"]
    return Conflict(
        f"the case was changed by someone else (you edited version {version}, it is now at version {current}); "
        "reload it and apply your change again",
        details={"current_version": current, "your_version": version},
    )


def _status_change(case: dict[str, Any], target: CaseState, values: dict[str, Any], now: datetime) -> str:
    """Set the lifecycle columns a status change implies; returns the history action."""
    current = CaseState(case["status"])
    check_transition(current, target)
    values["status"] = target.value
    if is_reopen(current, target):
        values.update(reopen_count=(case["reopen_count"] or 0) + 1, resolved_at=None, closed_at=None, fcr=None)
        return "reopened"
    if target in DONE_STATES and current not in DONE_STATES:
        values["resolved_at"] = now
        values["fcr"] = not (case["recontact_count"] or 0) and not (case["reopen_count"] or 0)
    if target is CaseState.CLOSED:
        values["closed_at"] = now
    return "status_changed"


def change_case(
    conn: sa.Connection,
    dialect: StoreDialect,
    case_id: str,
    *,
    version: int,
    changes: Mapping[str, Any],
    actor: str | None,
    now: datetime,
    team_ids: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Apply a PATCH (status, assignee_user_id, priority, tags, team) if `version` is current.

    Raises `Conflict` (409) with the current version when someone changed the case first, and
    `InvalidTransition` (409) for a status the case cannot move to. `team_ids` maps team name to id
    when a team change is allowed for this caller.
    """
    case = load_case(conn, case_id)
    if case["version"] != version:
        raise _stale(conn, case_id, version)
    values: dict[str, Any] = {}
    batch = CaseBatch()

    def record(action: str, diff: dict[str, Any]) -> None:
        batch.record(case_id, action, diff, actor=actor, at=now)

    if "team" in changes and changes["team"] != case["team"]:
        if team_ids is None or changes["team"] not in team_ids:
            raise InvalidInput(f"team: {changes['team']!r} is not a team you may move cases to")
        values.update(team_id=team_ids[changes["team"]], assignee_user_id=None)
        record(
            "team_changed",
            {"team": [case["team"], changes["team"]], "assignee_user_id": [case["assignee_user_id"], None]},
        )
        case = {**case, "assignee_user_id": None}
    status_target = parse_state(changes["status"]) if changes.get("status") is not None else None
    if "assignee_user_id" in changes and changes["assignee_user_id"] != case["assignee_user_id"]:
        assignee = changes["assignee_user_id"]
        if assignee is not None:
            members = case_repo.team_members_with_load(conn, [values.get("team_id", case["team_id"])])
            if assignee not in {str(m["user_id"]) for rows in members.values() for m in rows}:
                raise InvalidInput(f"assignee_user_id: {assignee!r} is not an active member of the case's team")
        values.update(assignee_user_id=assignee, assigned_at=now if assignee else None)
        diff: dict[str, Any] = {"assignee_user_id": [case["assignee_user_id"], assignee]}
        if status_target is None and assignee and case["status"] == CaseState.NEW.value:
            values["status"] = CaseState.ASSIGNED.value
            diff["status"] = [case["status"], CaseState.ASSIGNED.value]
        elif status_target is None and not assignee and case["status"] == CaseState.ASSIGNED.value:
            values["status"] = CaseState.NEW.value
            diff["status"] = [case["status"], CaseState.NEW.value]
        record("assigned", diff)
    if status_target is not None and status_target.value != case["status"]:
        if status_target is CaseState.ASSIGNED and not values.get("assignee_user_id", case["assignee_user_id"]):
            raise InvalidInput("status: a case becomes assigned by giving it an assignee_user_id")
        action = _status_change(case, status_target, values, now)
        record(action, {"status": [case["status"], status_target.value]})
    if changes.get("priority") is not None and changes["priority"] != case["priority"]:
        priority = parse_priority(changes["priority"])
        values["priority"] = priority.value
        record("priority_changed", {"priority": [case["priority"], priority.value]})
    if "tags" in changes:
        tags = changes["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in tags):
            raise InvalidInput("tags: expected a list of tags of 1-64 characters")
        if sorted(tags) != sorted(case["tags"] or []):
            values["tags"] = list(dict.fromkeys(tags))
            record("tags_changed", {"tags": [case["tags"] or [], values["tags"]]})
    if not values:
        return case
    if not case_repo.update_case(conn, case_id, version, {**values, "updated_at": now}):
        raise _stale(conn, case_id, version)
    batch.write(conn, dialect)
    return load_case(conn, case_id)


def _clean_text(text: object, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"{what}: write some text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{what}: at most {MAX_TEXT:,} characters, got {len(text):,}")
    return text.strip()


def add_note(
    conn: sa.Connection, dialect: StoreDialect, case_id: str, text: object, *, actor: str | None, now: datetime
) -> dict[str, Any]:
    """An internal note: history only, the case itself does not change (no version bump)."""
    load_case(conn, case_id)
    batch = CaseBatch()
    batch.record(case_id, "note", {}, actor=actor, at=now, note=_clean_text(text, "note"))
    batch.write(conn, dialect)
    return batch.history[0]


def add_reply(
    conn: sa.Connection, dialect: StoreDialect, case_id: str, text: object, *, actor: str | None, now: datetime
) -> dict[str, Any]:
    """An outbound reply on the customer's channel: `replied` history and an `outbound_reply` event on
    the customer's timeline. The first reply is the first response."""
    body = _clean_text(text, "reply")
    case = load_case(conn, case_id)
    if case["status"] == CaseState.CLOSED.value:
        raise Conflict("the case is closed; reopen it before replying")
    batch = CaseBatch()
    channel = case["channel"] or "email"
    batch.record(case_id, "replied", {"channel": [None, channel]}, actor=actor, at=now, note=body)
    if case["first_response_at"] is None:
        values = {"first_response_at": now, "updated_at": now}
        if not case_repo.update_case(conn, case_id, case["version"], values):
            raise _stale(conn, case_id, case["version"])
    batch.write(conn, dialect)
    case_repo.insert_outbound_event(
        conn,
        dialect,
        {
            "id": new_id(),
            "source": "cxloop-cases",
            "external_id": batch.history[0]["id"],
            "customer_id": case["customer_id"],
            "type": "outbound_reply",
            "channel": _REPLY_CHANNEL.get(channel, channel),
            "occurred_at": now,
            "occurred_utc_offset_minutes": 0,
            "properties": {"case_id": case_id, "text": body[:2000], "agent_user_id": actor},
            "batch_id": case_id,
            "ingested_at": now,
        },
    )
    return batch.history[0]
