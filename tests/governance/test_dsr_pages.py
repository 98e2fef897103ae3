"""Governance → Data-subject requests page: export download, typed confirmation for erasure, permission."""

from __future__ import annotations

import io
import re
import zipfile

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.domain import Role
from cxloop.store.engine import Store
from cxloop.store.tables import customers

from .seed import add_customer


def _sign_in(client: TestClient, store: Store, role: Role) -> str:
    from cxloop import access

    email = f"{role.value}@example.com"
    access.create_user(store, email, role.value, "long-enough-password-1", role, source="tests")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    form = {"email": email, "password": "long-enough-password-1", "csrf_token": token.group(1), "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    page = client.get("/governance/dsr")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def test_steward_exports_and_erases_with_confirmation(duckdb_client: TestClient, duckdb_store: Store) -> None:
    minsu = add_customer(duckdb_store, name="김민수", email="minsu@example.com")
    csrf = _sign_in(duckdb_client, duckdb_store, Role.ADMIN)
    assert 'href="/governance/dsr"' in duckdb_client.get("/governance/retention").text
    exported = duckdb_client.post("/governance/dsr/export", data={"customer": minsu, "csrf_token": csrf})
    assert exported.headers["content-type"] == "application/zip"
    assert "customer_identities.json" in zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    missing = duckdb_client.post("/governance/dsr/export", data={"customer": "NOPE", "csrf_token": csrf})
    assert missing.status_code == 422
    assert 'data-testid="dsr-error"' in missing.text
    unconfirmed = duckdb_client.post(
        "/governance/dsr/erase", data={"customer": minsu, "confirm": "x", "csrf_token": csrf}
    )
    assert unconfirmed.status_code == 422
    assert duckdb_client.post("/governance/dsr/erase", data={"customer": minsu, "confirm": minsu}).status_code == 403
    done = duckdb_client.post("/governance/dsr/erase", data={"customer": minsu, "confirm": minsu, "csrf_token": csrf})
    assert done.status_code == 200
    assert 'data-testid="dsr-erased"' in done.text
    with duckdb_store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(customers)).scalar() == 0


def test_analysts_cannot_open_the_page(duckdb_client: TestClient, duckdb_store: Store) -> None:
    _sign_in(duckdb_client, duckdb_store, Role.ANALYST)
    assert duckdb_client.get("/governance/dsr").status_code == 403
    assert 'href="/governance/dsr"' not in duckdb_client.get("/governance/audit").text
