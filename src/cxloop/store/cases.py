"""Repository for teams, cases, their history and linked feedback, and routing-rule versions.
Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.store.dialects import StoreDialect
from cxloop.store.interactions import insert_events
from cxloop.store.tables import (
    case_feedback,
    case_history,
    cases,
    customers,
    events,
    feedback,
    routing_rules,
    team_members,
    teams,
    users,
)

OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting_on_customer")
DONE_STATUSES = ("resolved", "closed")


# -- teams and members ----------------------------------------------------------------------------


def ensure_teams(conn: sa.Connection, names: Collection[str], now: datetime, source: str = "routing") -> dict[str, str]:
    """Team ids by name, creating the teams that a rule names for the first time."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    found = {
        str(n): str(i) for i, n in conn.execute(sa.select(teams.c.id, teams.c.name).where(teams.c.name.in_(wanted)))
    }
    for name in wanted:
        if name not in found:
            found[name] = new_id()
            conn.execute(teams.insert().values(id=found[name], name=name, created_at=now, source=source))
    return found


def list_teams(conn: sa.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(teams.c.id, teams.c.name).order_by(teams.c.name)).mappings()]


def team_ids_of_user(conn: sa.Connection, user_id: str) -> set[str]:
    return {
        str(t)
        for t in conn.execute(sa.select(team_members.c.team_id).where(team_members.c.user_id == user_id)).scalars()
    }


def team_members_with_load(conn: sa.Connection, team_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """Active members per team with their open cases in that team and when they were last given one."""
    if not team_ids:
        return {}
    load = (
        sa.select(
            cases.c.team_id,
            cases.c.assignee_user_id,
            sa.func.count().filter(cases.c.status.in_(OPEN_STATUSES)).label("open_cases"),
            sa.func.max(cases.c.assigned_at).label("last_assigned_at"),
        )
        .where(cases.c.team_id.in_(list(team_ids)), cases.c.assignee_user_id.is_not(None))
        .group_by(cases.c.team_id, cases.c.assignee_user_id)
        .subquery()
    )
    query = (
        sa.select(
            team_members.c.team_id,
            team_members.c.user_id,
            team_members.c.skills,
            sa.func.coalesce(load.c.open_cases, 0).label("open_cases"),
            load.c.last_assigned_at,
        )
        .join(users, users.c.id == team_members.c.user_id)
        .outerjoin(
            load, sa.and_(load.c.team_id == team_members.c.team_id, load.c.assignee_user_id == team_members.c.user_id)
        )
        .where(team_members.c.team_id.in_(list(team_ids)), users.c.is_active)
        .order_by(team_members.c.user_id)
    )
    members: dict[str, list[dict[str, Any]]] = {}
    for row in list(conn.execute(query).mappings()):
        members.setdefault(str(row["team_id"]), []).append(dict(row))
    return members


def user_id_by_email(conn: sa.Connection, email: str) -> str | None:
    value = conn.execute(sa.select(users.c.id).where(sa.func.lower(users.c.email) == email.lower())).scalar()
    return str(value) if value else None


# -- routing inputs -------------------------------------------------------------------------------


def customer_attributes(conn: sa.Connection, customer_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """Tier, city, name and value (the sum of the customer's event values) for routing."""
    if not customer_ids:
        return {}
    ids = list(customer_ids)
    value = (
        sa.select(events.c.customer_id, sa.func.sum(events.c.value).label("value"))
        .where(events.c.customer_id.in_(ids))
        .group_by(events.c.customer_id)
        .subquery()
    )
    query = (
        sa.select(customers.c.id, customers.c.name, customers.c.tier, customers.c.city, value.c.value)
        .outerjoin(value, value.c.customer_id == customers.c.id)
        .where(customers.c.id.in_(ids))
    )
    return {
        str(r["id"]): {**dict(r), "value": float(r["value"]) if r["value"] is not None else None}
        for r in list(conn.execute(query).mappings())
    }


def open_cases_of_customers(
    conn: sa.Connection, customer_ids: Collection[str], since: datetime
) -> dict[str, dict[str, Any]]:
    """The newest open case of each customer opened at or after `since` (the recontact window)."""
    if not customer_ids:
        return {}
    query = (
        sa.select(cases.c.id, cases.c.customer_id, cases.c.created_at, cases.c.status)
        .where(
            cases.c.customer_id.in_(list(customer_ids)), cases.c.status.in_(OPEN_STATUSES), cases.c.created_at >= since
        )
        .order_by(cases.c.created_at)
    )
    return {str(r["customer_id"]): dict(r) for r in list(conn.execute(query).mappings())}


def recently_done_cases_of_customers(
    conn: sa.Connection, customer_ids: Collection[str], since: datetime
) -> dict[str, dict[str, Any]]:
    """The newest resolved or closed case of each customer resolved at or after `since`: a related
    contact after it means the resolution did not hold, so it was no first-contact resolution."""
    if not customer_ids:
        return {}
    query = (
        sa.select(cases.c.id, cases.c.customer_id, cases.c.status, cases.c.resolved_at)
        .where(
            cases.c.customer_id.in_(list(customer_ids)),
            cases.c.status.in_(DONE_STATUSES),
            cases.c.resolved_at >= since,
        )
        .order_by(cases.c.resolved_at)
    )
    return {str(r["customer_id"]): dict(r) for r in list(conn.execute(query).mappings())}


# -- writing cases --------------------------------------------------------------------------------


def insert_cases(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, cases, rows)


def insert_history(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, case_history, rows)


def insert_case_feedback(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, case_feedback, rows, skip_conflicts_on=("case_id", "feedback_id"))


def add_recontacts(conn: sa.Connection, counts: Mapping[str, int], now: datetime) -> None:
    """Count recontacts on open cases; bumps the version, so a form opened before goes stale.

    One statement per distinct count (almost always 1-3 statements per batch), not one per case.
    """
    by_count: dict[int, list[str]] = {}
    for case_id, count in counts.items():
        by_count.setdefault(count, []).append(case_id)
    for count, case_ids in by_count.items():
        conn.execute(
            cases.update()
            .where(cases.c.id.in_(case_ids))
            .values(
                recontact_count=sa.func.coalesce(cases.c.recontact_count, 0) + count,
                version=cases.c.version + 1,
                updated_at=now,
            )
        )


def reopen_on_recontact(conn: sa.Connection, case_ids: Collection[str], now: datetime) -> list[str]:
    """Resolved cases the customer came back about go back to work (a reopen, like an agent's, so
    the case can no longer count as first-contact resolved). Returns the ids actually reopened: a case
    an agent closed meanwhile stays closed."""
    if not case_ids:
        return []
    statement = (
        cases.update()
        .where(cases.c.id.in_(list(case_ids)), cases.c.status == "resolved")
        .values(
            status="in_progress",
            reopen_count=sa.func.coalesce(cases.c.reopen_count, 0) + 1,
            resolved_at=None,
            fcr=None,
            version=cases.c.version + 1,
            updated_at=now,
        )
        .returning(cases.c.id)
    )
    return [str(r[0]) for r in conn.execute(statement)]


def unset_fcr(conn: sa.Connection, case_ids: Collection[str], now: datetime) -> None:
    """Closed cases stay closed when their customer comes back, but they were not resolved at first contact."""
    if case_ids:
        conn.execute(
            cases.update()
            .where(cases.c.id.in_(list(case_ids)), cases.c.status == "closed")
            .values(fcr=False, version=cases.c.version + 1, updated_at=now)
        )


def update_case(conn: sa.Connection, case_id: str, version: int, values: Mapping[str, Any]) -> bool:
    """Apply `values` only if the case is still at `version`, and move it to the next version.

    A compare-and-set in one statement: on PostgreSQL a concurrent writer waits for the row lock and
    then finds the version changed, on DuckDB writes are serialized; either way one of two edits of
    the same version wins and the other learns it lost. RETURNING because DuckDB reports no rowcount.
    """
    statement = (
        cases.update()
        .where(cases.c.id == case_id, cases.c.version == version)
        .values(**values, version=version + 1)
        .returning(cases.c.id)
    )
    return bool(conn.execute(statement).all())


def insert_outbound_event(conn: sa.Connection, dialect: StoreDialect, row: Mapping[str, Any]) -> None:
    insert_events(conn, dialect, [row])


# -- reading cases --------------------------------------------------------------------------------

_assignee = users.alias("assignee")


def _case_columns() -> list[Any]:
    return [
        *cases.c,
        teams.c.name.label("team"),
        _assignee.c.name.label("assignee_name"),
        customers.c.name.label("customer_name"),
        customers.c.tier.label("customer_tier"),
    ]


def _case_from() -> Any:
    return (
        cases.outerjoin(teams, teams.c.id == cases.c.team_id)
        .outerjoin(_assignee, _assignee.c.id == cases.c.assignee_user_id)
        .outerjoin(customers, customers.c.id == cases.c.customer_id)
    )


def get_case(conn: sa.Connection, case_id: str) -> dict[str, Any] | None:
    """One case with its team, assignee and customer names. Point lookups by primary key rather than
    the list's outer joins: on DuckDB those scan the customers and users tables for a single case."""
    found = conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
    if found is None:
        return None
    case = dict(found)
    case["team"] = conn.execute(sa.select(teams.c.name).where(teams.c.id == case["team_id"])).scalar()
    case["assignee_name"] = conn.execute(sa.select(users.c.name).where(users.c.id == case["assignee_user_id"])).scalar()
    customer = conn.execute(
        sa.select(customers.c.name, customers.c.tier).where(customers.c.id == case["customer_id"])
    ).first()
    case["customer_name"], case["customer_tier"] = customer if customer else (None, None)
    return case


def list_cases(
    conn: sa.Connection,
    *,
    filters: Mapping[str, Any],
    visible_team_ids: Collection[str] | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """Cases matching `filters` (team name, status, assignee id, priority, customer id); restricted to
    `visible_team_ids` unless that is None. Open cases first, the most urgent due time first."""
    conditions: list[Any] = []
    if visible_team_ids is not None:
        conditions.append(cases.c.team_id.in_(list(visible_team_ids) or [""]))
    if filters.get("team"):
        conditions.append(teams.c.name == filters["team"])
    if filters.get("status") == "open":
        conditions.append(cases.c.status.in_(OPEN_STATUSES))
    elif filters.get("status"):
        conditions.append(cases.c.status == filters["status"])
    if filters.get("assignee") == "none":
        conditions.append(cases.c.assignee_user_id.is_(None))
    elif filters.get("assignee"):
        conditions.append(cases.c.assignee_user_id == filters["assignee"])
    if filters.get("priority"):
        conditions.append(cases.c.priority == filters["priority"])
    if filters.get("customer"):
        conditions.append(cases.c.customer_id == filters["customer"])
    source = _case_from()
    total = conn.execute(sa.select(sa.func.count()).select_from(source).where(*conditions)).scalar_one()
    is_open = sa.case((cases.c.status.in_(OPEN_STATUSES), 0), else_=1)
    due = sa.func.coalesce(cases.c.resolution_due_at, cases.c.created_at)
    query = (
        sa.select(*_case_columns())
        .select_from(source)
        .where(*conditions)
        .order_by(is_open, due, cases.c.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    items = [dict(r) for r in list(conn.execute(query).mappings())]
    return {"items": items, "total": int(total), "page": page, "page_size": page_size}


def history_of(conn: sa.Connection, case_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(*case_history.c, users.c.name.label("actor_name"))
        .outerjoin(users, users.c.id == case_history.c.actor_user_id)
        .where(case_history.c.case_id == case_id)
        .order_by(case_history.c.occurred_at, case_history.c.id)
    )
    return [dict(r) for r in list(conn.execute(query).mappings())]


def feedback_of(conn: sa.Connection, case_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(
            feedback.c.id,
            feedback.c.channel,
            feedback.c.occurred_at,
            feedback.c.text,
            feedback.c.sentiment_label,
            feedback.c.flags,
            case_feedback.c.joined_at,
            case_feedback.c.is_recontact,
        )
        .join(case_feedback, case_feedback.c.feedback_id == feedback.c.id)
        .where(case_feedback.c.case_id == case_id)
        .order_by(feedback.c.occurred_at)
    )
    return [dict(r) for r in list(conn.execute(query).mappings())]


def open_cases_for_sla(conn: sa.Connection, now: datetime) -> list[dict[str, Any]]:
    """Open cases with an SLA target not yet breached whose clock has started."""
    query = (
        sa.select(*_case_columns())
        .select_from(_case_from())
        .where(
            cases.c.status.in_(OPEN_STATUSES),
            sa.or_(
                sa.and_(
                    cases.c.first_response_at.is_(None),
                    cases.c.first_response_breached_at.is_(None),
                    cases.c.first_response_due_at.is_not(None),
                ),
                sa.and_(cases.c.resolution_breached_at.is_(None), cases.c.resolution_due_at.is_not(None)),
            ),
            cases.c.created_at <= now,
        )
    )
    return [dict(r) for r in list(conn.execute(query).mappings())]


def targets_met_late(conn: sa.Connection, since: datetime) -> list[dict[str, Any]]:
    """Cases changed since `since` whose first response or resolution came after its due time with no
    breach recorded (the bound keeps the periodic pass off the whole history)."""
    query = sa.select(cases).where(
        cases.c.updated_at >= since,
        sa.or_(
            sa.and_(
                cases.c.first_response_breached_at.is_(None),
                cases.c.first_response_at > cases.c.first_response_due_at,
            ),
            sa.and_(cases.c.resolution_breached_at.is_(None), cases.c.resolved_at > cases.c.resolution_due_at),
        ),
    )
    return [dict(r) for r in list(conn.execute(query).mappings())]


def cases_to_work(conn: sa.Connection) -> list[dict[str, Any]]:
    """Open cases, oldest first: the queue an agent desk works through."""
    query = sa.select(cases).where(cases.c.status.in_(OPEN_STATUSES)).order_by(cases.c.created_at, cases.c.id)
    return [dict(r) for r in list(conn.execute(query).mappings())]


# -- routing rule versions ------------------------------------------------------------------------


def latest_rules(conn: sa.Connection) -> dict[str, Any] | None:
    query = sa.select(routing_rules).order_by(routing_rules.c.version.desc()).limit(1)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def latest_rules_id(conn: sa.Connection) -> str | None:
    """The id of the rule-set version in force (ids are unique across stores, versions are not)."""
    query = sa.select(routing_rules.c.id).order_by(routing_rules.c.version.desc()).limit(1)
    value = conn.execute(query).scalar()
    return str(value) if value else None


def latest_rules_version(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(routing_rules.c.version), 0))).scalar_one())


def insert_rules_version(
    conn: sa.Connection, document: Mapping[str, Any], source_text: str, created_by: str | None, now: datetime
) -> int:
    version = latest_rules_version(conn) + 1
    conn.execute(
        routing_rules.insert().values(
            id=new_id(),
            version=version,
            document=dict(document),
            source_text=source_text,
            created_at=now,
            created_by=created_by,
        )
    )
    return version


def rules_versions(conn: sa.Connection) -> list[dict[str, Any]]:
    query = sa.select(routing_rules.c.version, routing_rules.c.created_at, routing_rules.c.created_by).order_by(
        routing_rules.c.version.desc()
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def recent_feedback(conn: sa.Connection, limit: int) -> list[dict[str, Any]]:
    """The newest enriched feedback, for dry-runs of rules over the past."""
    query = (
        sa.select(
            feedback.c.id,
            feedback.c.customer_id,
            feedback.c.channel,
            feedback.c.language,
            feedback.c.text,
            feedback.c.topics,
            feedback.c.sentiment_label,
            feedback.c.sentiment_score,
            feedback.c.flags,
            feedback.c.priority,
            feedback.c.occurred_at,
        )
        .order_by(feedback.c.occurred_at.desc(), feedback.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in list(conn.execute(query).mappings())]


def users_named(conn: sa.Connection, user_ids: Collection[str]) -> list[dict[str, Any]]:
    if not user_ids:
        return []
    query = sa.select(users.c.id, users.c.name, users.c.email).where(users.c.id.in_(list(user_ids)))
    return [dict(r) for r in conn.execute(query).mappings()]


def set_team_member(
    conn: sa.Connection, team_name: str, user_id: str, languages: Sequence[str] | None, now: datetime
) -> str:
    """Put a user on a team (created if new) with their language skills; returns the team id."""
    team_id = ensure_teams(conn, [team_name], now, source="manual")[team_name]
    skills = {"languages": list(languages)} if languages else None
    conn.execute(team_members.delete().where(team_members.c.team_id == team_id, team_members.c.user_id == user_id))
    conn.execute(team_members.insert().values(team_id=team_id, user_id=user_id, skills=skills))
    return team_id
