"""feedback.text_raw is sealed by the pipeline, shown only to pii.view users, and each view is audited."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.config import Settings
from cxloop.domain import Role, TokenScope
from cxloop.governance.keys import encrypted_columns, key_usage
from cxloop.jobs.worker import Worker
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log, feedback
from support.helpers import make_token


def _sign_in(client: TestClient, store: Store, role: Role) -> None:
    from cxloop import access

    email = f"{role.value}@example.com"
    access.create_user(store, email, role.value, "long-enough-password-1", role, source="tests")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    form = {"email": email, "password": "long-enough-password-1", "csrf_token": token.group(1), "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_original_text_is_sealed_and_its_views_are_audited(
    client: TestClient, store: Store, settings: Settings
) -> None:
    record = {"feedback_id": "F-1", "source": "chat", "channel": "chat", "occurred_at": "2026-06-01T10:00:00+09:00",
              "text": "배송이 늦어요. 010-4444-9876으로 연락 주세요"}  # fmt: skip
    headers = make_token(store, TokenScope.INGEST)
    assert client.post("/api/v1/feedback", json=[record], headers=headers).status_code == 202
    assert Worker(store, settings).run_until_idle() == 1
    with store.read() as conn:
        feedback_id, text, sealed = conn.execute(sa.select(feedback.c.id, feedback.c.text, feedback.c.text_raw)).one()
        usage = key_usage(conn, encrypted_columns())
    assert sealed.startswith("cx1:")
    assert "4444" not in sealed
    assert "4444" not in text
    assert "plaintext" not in usage["feedback.text_raw"]

    _sign_in(client, store, Role.ANALYST)
    assert 'data-testid="show-original"' not in client.get(f"/feedback/{feedback_id}").text
    assert client.get(f"/feedback/{feedback_id}/original").status_code == 403
    client.cookies.clear()
    _sign_in(client, store, Role.ADMIN)
    assert 'data-testid="show-original"' in client.get(f"/feedback/{feedback_id}").text
    page = client.get(f"/feedback/{feedback_id}/original")
    assert page.status_code == 200
    assert "010-4444-9876" in page.text
    assert client.get("/feedback/NOPE/original").status_code == 404
    with store.read() as conn:
        views = conn.execute(sa.select(audit_log.c.target_id).where(audit_log.c.action == "pii.view")).scalars().all()
    assert views == [feedback_id]
