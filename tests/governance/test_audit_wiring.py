"""Audit entries written where the change happens: failed sign-ins and role changes (API and CLI)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cxloop import access
from cxloop.cli import main
from cxloop.config import Settings
from cxloop.domain import Role, TokenScope
from cxloop.errors import AuthenticationRequired
from cxloop.store import accounts
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log
from support.helpers import make_token

PASSWORD = "correct horse battery"


def _entries(store: Store, action: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        query = sa.select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.seq)
        return [dict(r) for r in conn.execute(query).mappings()]


def test_a_wrong_password_is_audited_with_the_counter_and_without_the_password(store: Store) -> None:
    user_id = access.create_user(store, "agent@example.com", "상담원", PASSWORD, Role.AGENT, source="tests")
    for attempt in (1, 2):
        with pytest.raises(AuthenticationRequired):
            access.authenticate_password(store, "Agent@Example.com", f"guess number {attempt}")
    with pytest.raises(AuthenticationRequired):  # unknown accounts: nothing to attach an entry to
        access.authenticate_password(store, "nobody@example.com", "whatever")
    entries = _entries(store, "login.failed")
    assert [(e["actor"], e["target_kind"], e["target_id"]) for e in entries] == [
        ("agent@example.com", "user", user_id)
    ] * 2
    assert [e["details"] for e in entries] == [{"attempt": 1, "locked": False}, {"attempt": 2, "locked": False}]
    assert "guess" not in str(entries)
    with store.read() as conn:
        assert accounts.find_user(conn, user_id)["failed_logins"] == 2  # type: ignore[index]
    access.authenticate_password(store, "agent@example.com", PASSWORD)
    assert len(_entries(store, "login.failed")) == 2  # success writes none


def test_patch_user_changes_role_and_activity_and_audits_before_and_after(client: TestClient, store: Store) -> None:
    user_id = access.create_user(store, "analyst@example.com", "분석가", PASSWORD, Role.ANALYST, source="tests")
    admin, reader = make_token(store, TokenScope.ADMIN), make_token(store, TokenScope.READ)
    url = f"/api/v1/users/{user_id}"
    changed = client.patch(url, json={"role": "manager"}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "manager"
    assert client.patch(url, json={"is_active": False}, headers=admin).json()["is_active"] is False
    with pytest.raises(AuthenticationRequired):  # deactivated users cannot sign in
        access.authenticate_password(store, "analyst@example.com", PASSWORD)
    entries = _entries(store, "role.change")
    assert [(e["target_id"], e["details"]["before"], e["details"]["after"]) for e in entries] == [
        (user_id, {"role": "analyst", "is_active": True}, {"role": "manager", "is_active": True}),
        (user_id, {"role": "manager", "is_active": True}, {"role": "manager", "is_active": False}),
    ]
    assert client.patch(url, json={"role": "manager"}, headers=admin).status_code == 200
    assert len(_entries(store, "role.change")) == 2  # no change, no entry

    assert client.patch(url, json={"role": "admin"}, headers=reader).status_code == 403
    assert client.patch(url, json={"role": "admin"}).status_code == 401
    assert client.patch(url, json={"role": "emperor"}, headers=admin).status_code == 422
    assert client.patch(url, json={}, headers=admin).status_code in (400, 422)
    missing = client.patch("/api/v1/users/01HZZZZZZZZZZZZZZZZZZZZZZZ", json={"role": "agent"}, headers=admin)
    assert missing.status_code == 404
    with store.read() as conn:
        assert accounts.find_user(conn, user_id)["role"] == "manager"  # type: ignore[index]


def test_cli_set_role_changes_the_role_and_audits_it(duckdb_store: Store, duckdb_settings: Settings) -> None:
    user_id = access.create_user(duckdb_store, "kim@example.com", "김", PASSWORD, Role.VIEWER, source="tests")
    env = {"CXLOOP_DATABASE_URL": duckdb_settings.database_url, "CXLOOP_ENVIRONMENT": "test"}
    base = ["--data-dir", str(duckdb_settings.data_dir), "user", "set-role"]
    result = CliRunner().invoke(main, [*base, "KIM@example.com", "data_steward"], env=env)
    assert result.exit_code == 0, result.output
    assert "kim@example.com is now data_steward" in result.output
    entries = _entries(duckdb_store, "role.change")
    assert [(e["actor"], e["target_id"], e["details"]["after"]["role"]) for e in entries] == [
        ("cli", user_id, "data_steward")
    ]
    unknown = CliRunner().invoke(main, [*base, "nobody@example.com", "agent"], env=env)
    assert unknown.exit_code != 0
    assert "no user nobody@example.com" in unknown.output
    bad_role = CliRunner().invoke(main, [*base, "kim@example.com", "emperor"], env=env)
    assert bad_role.exit_code == 2
