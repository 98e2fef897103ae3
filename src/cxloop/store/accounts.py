"""Repository for users, teams and API tokens. Functions take a connection, never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.store.tables import api_tokens, team_members, teams, users


def find_user_by_email(conn: sa.Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.email == email)).mappings().first()
    return dict(row) if row else None


def find_user(conn: sa.Connection, user_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def insert_user(conn: sa.Connection, **values: Any) -> None:
    conn.execute(users.insert().values(**values))


def update_user(conn: sa.Connection, user_id: str, **values: Any) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(**values))


def count_users(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def insert_team(conn: sa.Connection, **values: Any) -> None:
    conn.execute(teams.insert().values(**values))


def find_team_by_name(conn: sa.Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(teams).where(teams.c.name == name)).mappings().first()
    return dict(row) if row else None


def add_team_member(conn: sa.Connection, team_id: str, user_id: str, skills: dict[str, Any] | None) -> None:
    conn.execute(team_members.insert().values(team_id=team_id, user_id=user_id, skills=skills))


def insert_token(conn: sa.Connection, **values: Any) -> None:
    conn.execute(api_tokens.insert().values(**values))


def find_token_by_hash(conn: sa.Connection, token_hash: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash)).mappings().first()
    return dict(row) if row else None


def list_tokens(conn: sa.Connection) -> list[dict[str, Any]]:
    query = sa.select(api_tokens).order_by(api_tokens.c.created_at)
    return [dict(r) for r in conn.execute(query).mappings()]


def revoke_token(conn: sa.Connection, name: str, at: datetime) -> int:
    # RETURNING rather than rowcount: DuckDB reports no rowcount for UPDATE.
    update = api_tokens.update().where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
    return len(conn.execute(update.values(revoked_at=at).returning(api_tokens.c.id)).all())


def touch_token(conn: sa.Connection, token_id: str, at: datetime) -> None:
    conn.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=at))
