"""The closed loop end to end through the API, on both stores: a VIP customer's negative message with
churn intent opens a case for the right team with SLA due times, alerts reach a webhook and an e-mail
inbox on loopback, the customer's second message joins that case, and resolving it records FCR."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from fastapi.testclient import TestClient

from cxloop.config import Settings
from cxloop.domain import TokenScope
from cxloop.jobs.alerts import scan_alerts
from cxloop.jobs.worker import Worker
from cxloop.notify import transport
from cxloop.notify.dispatch import dispatch_due
from cxloop.store.engine import Store
from notify.receivers import SmtpReceiver, WebhookReceiver
from support.helpers import make_token

VIP = {"source": "crm", "external_id": "VIP-77", "name": "정하나", "email": "hana.jung@example.com", "tier": "vip"}


def _message(key: str, text: str, when: str) -> dict[str, Any]:
    return {"source": "chat", "feedback_id": key, "channel": "chat", "occurred_at": when, "email": VIP["email"],
            "text": text}  # fmt: skip


def _ingest(client: TestClient, headers: dict[str, str], kind: str, records: list[dict[str, Any]]) -> None:
    response = client.post(f"/api/v1/{kind}", json=records, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["rejected"] == 0


def test_vip_churn_message_closes_the_loop(client: TestClient, store: Store, settings: Settings) -> None:
    admin, ingest = make_token(store, TokenScope.ADMIN), make_token(store, TokenScope.INGEST)
    worker = Worker(store, settings)
    with WebhookReceiver() as hook_server, SmtpReceiver() as smtp:
        delivery_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
        hook = client.post("/api/v1/webhooks", json={"name": "cx-ops", "url": hook_server.url, "events": ["*"]},
                           headers=admin)  # fmt: skip
        assert hook.status_code == 201
        secret = hook.json()["secret"]
        rules = client.get("/api/v1/alert-rules", headers=admin).json()["rules"]
        churn_rule = next(r for r in rules if r["trigger"] == "churn_intent")
        channels = {**churn_rule["channels"], "emails": ["retention-lead@example.com"]}
        change = {"version": churn_rule["version"], "channels": channels}
        patched = client.patch(f"/api/v1/alert-rules/{churn_rule['id']}", json=change, headers=admin)
        assert patched.status_code == 200, patched.text

        _ingest(client, ingest, "customers", [VIP])
        worker.run_until_idle()
        _ingest(client, ingest, "feedback", [
            _message("CH-1", "배송이 2주째 안 와요. 너무 화가 나서 해지할게요.", "2026-11-20T10:00:00+09:00"),
        ])  # fmt: skip
        assert worker.run_until_idle() == 1

        # A case for retention, urgent (the vip-churn rule), with both SLA clocks running.
        listing = client.get("/api/v1/cases", headers=admin).json()
        [case] = listing["items"]
        assert (case["team"], case["priority"], case["rule_id"]) == ("retention", "urgent", "vip-churn")
        assert case["customer_tier"] == "vip"
        created = datetime.fromisoformat(case["created_at"])
        first_due = datetime.fromisoformat(case["first_response_due_at"])
        resolution_due = datetime.fromisoformat(case["resolution_due_at"])
        assert created < first_due < resolution_due
        assert case["sla"]["first_response"]["state"] == "running"

        # The alerts went out: signed webhooks and an e-mail to the retention lead.
        scan_alerts(store, settings)  # nothing periodic is due, but a scan must not duplicate anything
        report = dispatch_due(store, delivery_settings)
        assert report.to_dict() == {"sent": 3, "failed": 0, "dead": 0}  # 2 webhooks + 1 e-mail
        events = set()
        for request in hook_server.requests:
            assert transport.verify(secret, request.body, request.headers["x-cxloop-signature"])
            body = orjson.loads(request.body)
            events.add(body["event"])
            assert body["alert"]["details"]["customer_id"] == case["customer_id"]
        assert events == {"vip_negative", "churn_intent"}
        smtp.wait_for(1)
        [(recipients, message)] = smtp.messages
        assert recipients == ["retention-lead@example.com"]
        assert "해지할게요" in message.get_payload(decode=True).decode()

        # The same customer writes again: it joins the open case instead of opening another.
        _ingest(client, ingest, "feedback", [
            _message("CH-2", "아직도 연락이 없네요. 정말 실망입니다.", "2026-11-20T15:00:00+09:00"),
        ])  # fmt: skip
        assert worker.run_until_idle() == 1
        assert client.get("/api/v1/cases", headers=admin).json()["total"] == 1
        detail = client.get(f"/api/v1/cases/{case['id']}", headers=admin).json()
        assert detail["recontact_count"] == 1
        assert len(detail["feedback"]) == 2
        assert "recontact" in [h["action"] for h in detail["history"]]

        # Resolving records the first-contact-resolution outcome: not FCR, the customer had to write again.
        reply = client.post(
            f"/api/v1/cases/{case['id']}/replies", json={"text": "불편을 드려 죄송합니다."}, headers=admin
        )
        assert reply.status_code == 201, reply.text
        current = client.get(f"/api/v1/cases/{case['id']}", headers=admin).json()
        resolve = {"version": current["version"], "status": "resolved"}
        resolved = client.patch(f"/api/v1/cases/{case['id']}", json=resolve, headers=admin)
        assert resolved.status_code == 200, resolved.text
        final = resolved.json()
        assert final["status"] == "resolved"
        assert final["resolved_at"] is not None
        assert final["fcr"] is False
        assert final["first_response_at"] is not None
