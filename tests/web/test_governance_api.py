"""Governance API on both stores: audit search and verification, consent per customer, quality, retention."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.domain import TokenScope
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log
from governance.seed import add_customer
from support.helpers import make_token


@pytest.fixture
def admin(store: Store) -> dict[str, str]:
    return make_token(store, TokenScope.ADMIN)


def test_token_and_user_creation_are_audited_and_searchable(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post("/api/v1/tokens", json={"name": "callcenter", "scopes": "ingest"}, headers=admin)
    assert created.status_code == 201
    body = {"email": "Steward@Example.com", "password": "long-enough-password", "role": "data_steward"}
    assert client.post("/api/v1/users", json=body, headers=admin).status_code == 201
    assert client.delete("/api/v1/tokens/callcenter", headers=admin).status_code == 200

    found = client.get("/api/v1/audit", params={"action": "token"}, headers=admin).json()
    assert [e["action"] for e in found["entries"]] == ["token.revoke", "token.create"]
    assert found["entries"][1]["details"]["scopes"] == ["ingest"]
    assert found["entries"][1]["target_id"] == "callcenter"
    users = client.get("/api/v1/audit", params={"action": "user.create"}, headers=admin).json()
    assert users["total"] == 1
    assert users["entries"][0]["details"]["role"] == "data_steward"
    assert client.get("/api/v1/audit", params={"from": "2100-01-01"}, headers=admin).json()["total"] == 0
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True


def test_audit_rejects_bad_filters_and_reports_tampering(
    client: TestClient, store: Store, admin: dict[str, str]
) -> None:
    bad = client.get("/api/v1/audit", params={"from": "last tuesday"}, headers=admin)
    assert bad.status_code == 422
    assert "last tuesday" in bad.json()["error"]["message"]
    assert client.get("/api/v1/audit", params={"limit": 0}, headers=admin).status_code == 422
    client.post("/api/v1/tokens", json={"name": "a"}, headers=admin)
    client.post("/api/v1/tokens", json={"name": "b"}, headers=admin)
    with store.write() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 1).values(actor="nobody"))
    report = client.get("/api/v1/audit/verify", headers=admin).json()
    assert report["ok"] is False
    assert report["first_broken_seq"] == 1
    read_only = make_token(store, TokenScope.READ)
    assert client.get("/api/v1/audit", headers=read_only).status_code == 403


def test_consents_read_and_change(client: TestClient, store: Store, admin: dict[str, str]) -> None:
    customer = add_customer(store)
    url = f"/api/v1/customers/{customer}/consents"
    read_only = make_token(store, TokenScope.READ)
    empty = client.get(url, headers=read_only).json()
    assert empty["consents"] == dict.fromkeys(("analytics", "personalization", "marketing_contact", "model_training"))

    body = {"consents": {"marketing_contact": True, "analytics": False}, "source": "web_form", "evidence": "form #77"}
    assert client.put(url, json=body, headers=read_only).status_code == 403
    changed = client.put(url, json=body, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["consents"]["marketing_contact"]["granted"] is True
    view = client.get(url, headers=read_only).json()
    assert view["consents"]["analytics"]["granted"] is False
    assert len(view["history"]) == 2
    assert "evidence" not in view["history"][0]
    assert view["history"][0]["has_evidence"] is True

    unknown = client.put(url, json={"consents": {"newsletter": True}, "source": "web"}, headers=admin)
    assert unknown.status_code == 422
    assert "newsletter" in unknown.json()["error"]["message"]
    assert client.put(url, json={"consents": {}, "source": "web"}, headers=admin).status_code == 422
    assert client.put(url, json={"consents": {"analytics": "maybe"}, "source": "web"}, headers=admin).status_code == 422
    missing = client.get("/api/v1/customers/01NOSUCHCUSTOMER000000000/consents", headers=read_only)
    assert missing.status_code == 404
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one() == 1


def test_quality_and_retention_endpoints(client: TestClient, store: Store, admin: dict[str, str]) -> None:
    ingest = make_token(store, TokenScope.INGEST)
    record = {"source": "kiosk", "channel": "survey", "occurred_at": "2026-05-01T10:00:00+09:00"}
    batch = [{**record, "feedback_id": "K1", "survey_type": "nps", "score": 8}, {**record, "feedback_id": "K2"}]
    assert client.post("/api/v1/feedback", json=batch, headers=ingest).status_code == 202
    quality = client.get("/api/v1/quality", headers=make_token(store, TokenScope.READ)).json()
    rates = {r["check"]: r for r in quality["latest"]}
    assert rates["batch.rejection_rate"]["value"] == 0.5
    assert rates["batch.rejection_rate"]["status"] == "fail"
    assert client.post("/api/v1/quality/checks", headers=admin).status_code == 200

    dry = client.post("/api/v1/retention/run", headers=admin).json()
    assert dry["dry_run"] is True
    assert {r["kind"] for r in dry["results"]} >= {"events", "feedback_text.call"}
    policies = client.get("/api/v1/retention", headers=admin).json()
    assert policies["runs"][0]["dry_run"] is True
    assert {p["kind"]: p["days"] for p in policies["policies"]}["feedback_text.call"] == 365
