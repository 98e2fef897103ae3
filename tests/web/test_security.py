"""Attacks a self-hosted VOC tool meets: session fixation, CSRF, stored XSS in names and file
names, SQL injection in every filter, and path traversal in imports, on DuckDB and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop import access
from cxloop.config import Settings
from cxloop.domain import Role, TokenScope
from cxloop.jobs.worker import Worker
from cxloop.store.engine import Store
from cxloop.store.tables import customers, feedback
from support.helpers import make_token

EMAIL, PASSWORD = "steward@example.com", "a-long-password-2026"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SCRIPT = '<script>alert("x")</script>'
INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE feedback; --",
    '" OR 1=1 --',
    "%' UNION SELECT password_hash FROM users --",
    "\\'; SELECT pg_sleep(1); --",
]


_ONE_ROW = b"feedback_id,source,channel,occurred_at,text\nU-1,web,chat,2026-05-01T10:00:00+09:00,hello\n"


def _csrf(client: TestClient, path: str) -> str:
    match = _CSRF.search(client.get(path).text)
    assert match is not None, f"no CSRF token on {path}"
    return match.group(1)


def _sign_in(client: TestClient, store: Store, role: Role = Role.ADMIN) -> None:
    access.create_user(store, EMAIL, "Steward", PASSWORD, role, source="tests")
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": _csrf(client, "/login"), "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def _seed(client: TestClient, store: Store, settings: Settings) -> None:
    headers = make_token(store, TokenScope.INGEST)
    people = [{"external_id": "C-1", "source": "crm", "name": SCRIPT, "email": "x@example.com"}]
    assert client.post("/api/v1/customers", json=people, headers=headers).status_code == 202
    items = [
        {"feedback_id": f"F-{i}", "source": "app", "channel": "chat", "occurred_at": "2026-05-01T10:00:00+09:00",
         "email": "x@example.com", "text": f"배송이 늦어요 {i} {SCRIPT}"}
        for i in range(3)
    ]  # fmt: skip
    assert client.post("/api/v1/feedback", json=items, headers=headers).status_code == 202
    Worker(store, settings).run_until_idle()


def test_signing_in_issues_a_fresh_session(client: TestClient, store: Store) -> None:
    """A session cookie planted before sign-in (session fixation) never becomes a signed-in one."""
    client.get("/login")
    planted = client.cookies.get("cxloop_session")
    planted_csrf = _csrf(client, "/login")
    _sign_in(client, store)
    assert client.cookies.get("cxloop_session") != planted
    assert _csrf(client, "/") != planted_csrf
    attacker = TestClient(client.app)
    attacker.cookies.set("cxloop_session", planted or "")
    assert attacker.get("/", follow_redirects=False).status_code == 303  # still anonymous


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_form_posts_without_the_sessions_csrf_token_change_nothing(
    client: TestClient, store: Store, settings: Settings, token: str | None
) -> None:
    _sign_in(client, store)
    before = client.get("/settings/taxonomy").text
    form: dict[str, Any] = {"taxonomy_yaml": "version: 9\ntopics: []\n"}
    if token is not None:
        form["csrf_token"] = token
    response = client.post("/settings/taxonomy", data=form, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/settings/taxonomy").text == before
    # Logging out is a POST with the token too; a cross-site request cannot sign the user out.
    assert client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200


def test_markup_in_names_texts_and_file_names_renders_inert(
    client: TestClient, store: Store, settings: Settings
) -> None:
    _seed(client, store, settings)
    _sign_in(client, store)
    with store.read() as conn:
        customer_id = conn.execute(sa.select(customers.c.id)).scalar_one()
        feedback_id = conn.execute(sa.select(feedback.c.id).limit(1)).scalar_one()
    for path in ("/customers", f"/customers/{customer_id}", "/feedback", f"/feedback/{feedback_id}"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text, path
        assert "&lt;script&gt;" in page.text, path
    upload = client.post(
        "/import",
        data={"kind": "feedback", "csrf_token": _csrf(client, "/import")},
        files={"file": (f"{SCRIPT}.csv", _ONE_ROW, "text/csv")},
    )
    assert SCRIPT not in upload.text
    assert "&lt;script&gt;" in upload.text


def _string_query_params(client: TestClient) -> list[tuple[str, str]]:
    """(path, parameter) for every string query parameter of every GET operation without path params."""
    spec = client.get("/openapi.json").json()
    found = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            schema = parameter.get("schema", {})
            types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if parameter["in"] == "query" and "string" in types and not schema.get("enum"):
                found.append((path, parameter["name"]))
    return found


def test_sql_injection_in_every_filter_is_just_text(client: TestClient, store: Store, settings: Settings) -> None:
    _seed(client, store, settings)
    headers = make_token(store, TokenScope.ADMIN)
    targets = _string_query_params(client)
    assert len(targets) >= 5
    for path, name in targets:
        for payload in INJECTIONS:
            response = client.get(path, params={name: payload}, headers=headers)
            assert response.status_code < 500, (path, name, payload, response.text)
    listed = client.get("/api/v1/feedback", params={"q": INJECTIONS[0]}, headers=headers).json()
    assert listed["total"] == 0  # the quote is searched for as text, not executed
    _sign_in(client, store)
    for page in ("/feedback", "/customers"):
        for payload in INJECTIONS:
            assert client.get(page, params={"q": payload}).status_code == 200
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(feedback)).scalar_one() == 3


def test_import_file_names_cannot_traverse_paths(client: TestClient, store: Store, settings: Settings) -> None:
    headers = make_token(store, TokenScope.INGEST)
    before = set(Path(settings.data_dir).rglob("*"))
    response = client.post(
        "/api/v1/imports",
        data={"kind": "feedback"},
        files={"file": ("../../../../tmp/evil.csv", b"external_id,source,channel,occurred_at,text\n", "text/csv")},
        headers=headers,
    )
    assert response.status_code < 500
    assert not Path("/tmp/evil.csv").exists()
    created = set(Path(settings.data_dir).rglob("*")) - before
    assert all(Path(settings.data_dir) in p.parents for p in created)


def test_ingestion_is_rate_limited_per_token(duckdb_settings: Settings, duckdb_store: Store) -> None:
    from cxloop.web.app import create_app

    limited = duckdb_settings.model_copy(update={"ingest_rate_limit_per_minute": 12})  # a burst of 2
    headers, other = make_token(duckdb_store, TokenScope.INGEST), make_token(duckdb_store, TokenScope.INGEST)
    item = {"source": "app", "channel": "chat", "occurred_at": "2026-05-01T10:00:00+09:00", "text": "배송 문의"}
    with TestClient(create_app(limited, store=duckdb_store, run_worker=False)) as client:
        statuses = [
            client.post("/api/v1/feedback", json={**item, "feedback_id": f"R-{i}"}, headers=headers).status_code
            for i in range(4)
        ]
        assert statuses[:2] == [202, 202]
        refused = client.post("/api/v1/feedback", json={**item, "feedback_id": "R-9"}, headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate.limited"
        assert int(refused.headers["Retry-After"]) >= 1
        # Another token has its own budget.
        assert client.post("/api/v1/feedback", json={**item, "feedback_id": "R-10"}, headers=other).status_code == 202
    assert 429 in statuses


def test_sign_in_attempts_are_rate_limited_per_client(duckdb_settings: Settings, duckdb_store: Store) -> None:
    from cxloop.web.app import create_app

    limited = duckdb_settings.model_copy(update={"login_rate_limit_per_minute": 6})
    with TestClient(create_app(limited, store=duckdb_store, run_worker=False)) as client:
        token = _csrf(client, "/login")
        form = {"email": "nobody@example.com", "password": "wrong", "csrf_token": token, "next": "/"}
        statuses = [client.post("/login", data=form, follow_redirects=False).status_code for _ in range(12)]
    assert statuses[0] == 401
    assert statuses[-1] == 429
