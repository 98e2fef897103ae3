"""People and access: users, team membership and API tokens."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata

users = sa.Table(
    "users",
    metadata,
    id_column(primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("locale", sa.String(8)),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime),
    sa.Column("last_login_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
)

team_members = sa.Table(
    "team_members",
    metadata,
    id_column("team_id", primary_key=True),
    id_column("user_id", primary_key=True),
    sa.Column("skills", sa.JSON),  # e.g. {"languages": ["ko", "en"]}
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    id_column(primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex of the secret
    sa.Column("prefix", sa.String(16), nullable=False),  # shown in listings to recognise a token
    sa.Column("scopes", sa.String(200), nullable=False),  # comma-separated TokenScope values
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("created_by", sa.String(200)),
)
