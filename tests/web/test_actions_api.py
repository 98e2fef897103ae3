"""Actions, webhooks, dead letters and own notifications through the HTTP API, on both stores:
permissions, bad input answered with 4xx naming the field, and the verdict of a shipped action."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop import access
from cxloop.config import Settings
from cxloop.domain import Role, TokenScope, new_id
from cxloop.jobs.alerts import ensure_rules
from cxloop.notify.dispatch import dispatch_due
from cxloop.notify.outbox import record_alerts
from cxloop.notify.triggers import Alert
from cxloop.store.engine import Store
from cxloop.store.tables import customer_identities
from notify.receivers import SmtpReceiver
from notify.seed import seed_topic
from support.helpers import make_token

CUSTOMERS = [f"CUST{n:022d}" for n in range(30)]


def _shipped_at() -> datetime:
    # Relative to the real clock: the API measures up to "now".
    return (datetime.now() - timedelta(days=30)).replace(microsecond=0)


def test_actions_need_their_permissions(client: TestClient, store: Store) -> None:
    reader = make_token(store, TokenScope.READ)
    assert client.get("/api/v1/actions", headers=reader).status_code == 200
    response = client.post("/api/v1/actions", json={"title": "x"}, headers=reader)
    assert response.status_code == 403
    assert "actions.manage" in response.json()["error"]["message"]
    assert client.get("/api/v1/webhooks", headers=reader).status_code == 403
    assert client.get("/api/v1/actions").status_code == 401


def test_bad_action_input_names_the_field(client: TestClient, store: Store) -> None:
    admin = make_token(store, TokenScope.ADMIN)
    cases = [
        ({"title": ""}, "title"),
        ({"title": "x", "topic": "no_such_topic"}, "topic"),
        ({"title": "x", "case_ids": ["01NOSUCHCASE00000000000000"]}, "case_ids"),
        ({"title": "x", "owner_user_id": "nobody"}, "owner_user_id"),
        ({"title": "x", "due_date": "next tuesday"}, "due_date"),
        ({"title": "x", "status": "verified"}, "status"),
        ({"title": "x", "after_days": 2}, "after_days"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/actions", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["error"]["message"], (body, response.json())
    assert client.get("/api/v1/actions/01NOSUCHACTION000000000000", headers=admin).status_code == 404


def test_action_lifecycle_from_topic_to_verified(client: TestClient, store: Store) -> None:
    admin, reader = make_token(store, TokenScope.ADMIN), make_token(store, TokenScope.READ)
    shipped = _shipped_at()
    seed_topic(store, "delivery", start=shipped - timedelta(days=28), days=28, per_day=6, negative_per_day=3,
               customers=CUSTOMERS)  # fmt: skip
    seed_topic(store, "delivery", start=shipped, days=29, per_day=6, negative_per_day=1, customers=CUSTOMERS)
    created = client.post(
        "/api/v1/actions",
        json={"title": "새 택배사로 변경", "topic": "delivery", "due_date": "2026-12-31", "status": "in_progress"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    action = created.json()
    assert (action["status"], action["version"], action["before_days"], action["after_days"]) == (
        "in_progress",
        1,
        28,
        28,
    )
    stale = client.patch(f"/api/v1/actions/{action['id']}", json={"version": 0, "title": "y"}, headers=admin)
    assert stale.status_code == 409
    renamed = client.patch(
        f"/api/v1/actions/{action['id']}", json={"version": 1, "title": "택배사 변경"}, headers=admin
    )
    assert renamed.json()["version"] == 2
    link = {"topic": "delivery", "since": (shipped - timedelta(days=7)).isoformat(), "until": shipped.isoformat()}
    linked = client.post(f"/api/v1/actions/{action['id']}/feedback", json=link, headers=admin).json()
    assert linked == {"linked": 42, "already_linked": 0, "unknown": []}
    by_id = {"feedback_ids": ["01NOSUCHFEEDBACK0000000000"]}
    assert (
        client.post(f"/api/v1/actions/{action['id']}/feedback", json=by_id, headers=admin).json()["unknown"]
        == by_id["feedback_ids"]
    )
    ship = client.post(f"/api/v1/actions/{action['id']}/ship", json={"shipped_at": shipped.isoformat()}, headers=admin)
    assert ship.status_code == 200, ship.text
    assert ship.json()["status"] == "verified"
    assert client.post(f"/api/v1/actions/{action['id']}/ship", json={}, headers=admin).status_code == 409
    detail = client.get(f"/api/v1/actions/{action['id']}", headers=reader).json()
    verdict = detail["verdict"]
    assert verdict["outcome"] == "verified"
    assert verdict["before"]["negative_share"] == 0.5
    assert verdict["negative_share_test"]["p_value"] < 0.05
    assert detail["linked"]["items"] == 42
    assert detail["lead_time_days"] == 7.0  # the first linked voice was heard a week before shipping
    assert len(detail["series"]) >= 56
    assert {d["after"] for d in detail["series"]} == {False, True}
    listed = client.get("/api/v1/actions?status=verified", headers=reader).json()
    assert [a["id"] for a in listed] == [action["id"]]
    assert listed[0]["linked_feedback"] == 42


def test_followups_go_only_to_consenting_customers_by_email(
    client: TestClient, store: Store, settings: Settings
) -> None:
    admin = make_token(store, TokenScope.ADMIN)
    shipped = _shipped_at()
    ids = seed_topic(store, "refund_return", start=shipped - timedelta(days=3), days=2, per_day=2, negative_per_day=2,
                     customers=CUSTOMERS[:2])  # fmt: skip
    with store.write() as conn:
        for n, customer in enumerate(CUSTOMERS[:2]):
            conn.execute(customer_identities.insert().values(
                id=new_id(), customer_id=customer, kind="email", namespace="", value=f"c{n}@example.com",
                raw_value=f"c{n}@example.com", is_valid=True, link_key=f"email::c{n}@example.com",
                created_at=shipped, source="tests",
            ))  # fmt: skip
        has_consents = sa.inspect(conn).has_table("consents")
        if has_consents:
            from cxloop.store.tables import consents

            conn.execute(consents.insert().values(id=new_id(), customer_id=CUSTOMERS[0], purpose="marketing_contact",
                                                  granted=True, source="web_form", recorded_at=shipped,
                                                  recorded_by="tests"))  # fmt: skip
    action = client.post(
        "/api/v1/actions", json={"title": "환불 자동화", "topic": "refund_return"}, headers=admin
    ).json()
    client.post(f"/api/v1/actions/{action['id']}/feedback", json={"feedback_ids": ids}, headers=admin)
    early = client.post(f"/api/v1/actions/{action['id']}/follow-up", json={}, headers=admin)
    assert early.status_code == 409  # not shipped yet
    client.post(f"/api/v1/actions/{action['id']}/ship", json={"shipped_at": shipped.isoformat()}, headers=admin)
    result = client.post(f"/api/v1/actions/{action['id']}/follow-up", json={}, headers=admin).json()
    allowed = 1 if has_consents else 0
    assert result == {"customers": 2, "may_be_contacted": allowed, "queued": allowed, "already_told": 0,
                      "without_consent": 2 - allowed}  # fmt: skip
    again = client.post(f"/api/v1/actions/{action['id']}/follow-up", json={}, headers=admin).json()
    assert again["queued"] == 0
    with SmtpReceiver() as smtp:
        smtp_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
        assert dispatch_due(store, smtp_settings).sent == allowed
        smtp.wait_for(allowed)
    assert [r for rcpts, _ in smtp.messages for r in rcpts] == (["c0@example.com"] if has_consents else [])


def test_webhooks_api_hides_secrets_and_rejects_bad_input(client: TestClient, store: Store) -> None:
    admin = make_token(store, TokenScope.ADMIN)
    hook = {"name": "slack", "url": "https://hooks.example.com/x", "kind": "slack", "events": ["sla_breach"]}
    created = client.post("/api/v1/webhooks", json=hook, headers=admin)
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert len(secret) >= 16
    listed = client.get("/api/v1/webhooks", headers=admin).json()
    assert "secret" not in listed[0]
    assert secret not in str(listed)
    for body, field in [
        ({"name": "x", "url": "ftp://example.com"}, "url"),
        ({"name": "x", "url": "https://example.com", "events": ["everything"]}, "events"),
        ({"name": "x", "url": "https://example.com", "secret": "short"}, "secret"),
        ({"name": "x", "url": "https://example.com", "kind": "teams"}, "kind"),
    ]:
        response = client.post("/api/v1/webhooks", json=body, headers=admin)
        assert response.status_code == 422, body
        assert field in response.json()["error"]["message"]
    hook_id = created.json()["id"]
    patched = client.patch(f"/api/v1/webhooks/{hook_id}", json={"enabled": False}, headers=admin).json()
    assert patched["enabled"] is False
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=admin).status_code == 404


def test_alert_rules_are_validated_when_replaced(client: TestClient, store: Store) -> None:
    admin = make_token(store, TokenScope.ADMIN)
    rules = client.get("/api/v1/alert-rules", headers=admin).json()["rules"]
    assert len(rules) == 6
    bad = [{"name": "x", "trigger": "vip_negative", "channels": {"in_app": {"roles": ["boss"]}}}]
    response = client.put("/api/v1/alert-rules", json=bad, headers=admin)
    assert response.status_code == 422
    assert "rules[0].channels.in_app.roles" in response.json()["error"]["message"]
    keep = [
        {k: r[k] for k in ("name", "trigger", "params", "channels")} for r in rules if r["trigger"] != "negative_spike"
    ]
    keep[0]["channels"]["emails"] = ["ops@example.com"]
    replaced = client.put("/api/v1/alert-rules", json=keep, headers=admin).json()["rules"]
    assert len(replaced) == 5
    assert {r["id"] for r in replaced} < {r["id"] for r in rules}  # kept by name, with their ids


def test_dead_letters_can_be_listed_and_retried(client: TestClient, store: Store, settings: Settings) -> None:
    admin = make_token(store, TokenScope.ADMIN)
    client.post("/api/v1/webhooks", json={"name": "down", "url": "http://127.0.0.1:9/hook"}, headers=admin)
    with store.write() as conn:
        rule = next(r for r in ensure_rules(conn, datetime(2026, 1, 1)) if r.trigger == "churn_intent")
        record_alerts(
            conn, store.dialect, [Alert(rule, "feedback:X", "해지", datetime(2026, 1, 1))], datetime(2026, 1, 1)
        )
    dispatch_due(store, settings.model_copy(update={"notify_max_attempts": 1}))
    [dead] = client.get("/api/v1/dead-letters", headers=admin).json()
    assert dead["status"] == "dead"
    retried = client.post(f"/api/v1/notification-deliveries/{dead['id']}/retry", headers=admin)
    assert retried.json()["status"] == "pending"
    assert client.post(f"/api/v1/notification-deliveries/{dead['id']}/retry", headers=admin).status_code == 409
    assert client.post("/api/v1/notification-deliveries/nope/retry", headers=admin).status_code == 404
    counts = client.get("/api/v1/notification-deliveries", headers=admin).json()["counts"]
    assert counts == {"pending": 1, "sent": 0, "failed": 0, "dead": 0}


def _sign_in(client: TestClient, email: str, password: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"email": email, "password": password, "csrf_token": token.group(1), "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_own_notifications_need_a_session_and_can_be_marked_read(client: TestClient, store: Store) -> None:
    assert client.get("/api/v1/notifications").status_code == 401
    access.create_user(store, "boss@example.com", "Boss", "long-password-9", Role.MANAGER, source="tests")
    with store.write() as conn:
        rule = next(r for r in ensure_rules(conn, datetime(2026, 1, 1)) if r.trigger == "legal_threat")
        alerts = [Alert(rule, f"feedback:{n}", f"소송 {n}", datetime(2026, 1, 1)) for n in range(3)]
        record_alerts(conn, store.dialect, alerts, datetime(2026, 1, 1))
    _sign_in(client, "boss@example.com", "long-password-9")
    mine = client.get("/api/v1/notifications").json()
    assert mine["unread"] == 3
    first = mine["items"][0]["id"]
    assert client.post("/api/v1/notifications/read", json={"ids": [first]}).json() == {"marked": 1, "unread": 2}
    assert client.post("/api/v1/notifications/read", json={}).json() == {"marked": 2, "unread": 0}
    assert client.get("/api/v1/notifications?unread=true").json()["items"] == []
    # A token belongs to no person: it names the user, and needs a scope that may read.
    reader = make_token(store, TokenScope.READ)
    assert client.get("/api/v1/notifications", headers=reader).status_code == 422
    by_token = client.get("/api/v1/notifications?user=boss@example.com", headers=reader).json()
    assert len(by_token["items"]) == 3
    ingest = make_token(store, TokenScope.INGEST)
    assert client.get("/api/v1/notifications?user=boss@example.com", headers=ingest).status_code == 403
    assert client.get("/api/v1/notifications?user=nobody@example.com", headers=reader).status_code == 404


def test_actions_from_an_emerging_issue_and_from_cases_link_their_feedback(client: TestClient, store: Store) -> None:
    from cxloop.store.tables import case_feedback, cases, emerging_issues

    admin = make_token(store, TokenScope.ADMIN)
    moment = datetime(2026, 10, 1, 3, 0)
    ids = seed_topic(store, "payment", start=moment, days=1, per_day=4, negative_per_day=4, customers=CUSTOMERS)
    issue_id, case_id = new_id(), new_id()
    with store.write() as conn:
        conn.execute(emerging_issues.insert().values(
            id=issue_id, kind="topic_spike", subject="payment", day=moment.date(), observed=4, expected=1.0, lift=4.0,
            score=3.2, examples=ids[:2], status="open", detected_at=moment,
        ))  # fmt: skip
        conn.execute(cases.insert().values(
            id=case_id, origin_feedback_id=ids[2], subject="결제 오류", status="new", priority="high", version=1,
            created_at=moment, updated_at=moment, source="tests",
        ))  # fmt: skip
        conn.execute(case_feedback.insert().values(case_id=case_id, feedback_id=ids[3], joined_at=moment,
                                                   is_recontact=True))  # fmt: skip
    from_issue = client.post(
        "/api/v1/actions", json={"title": "PG사 이중화", "emerging_issue_id": issue_id}, headers=admin
    )
    assert from_issue.status_code == 201, from_issue.text
    assert from_issue.json()["topic"] == "payment"
    assert from_issue.json()["linked"]["items"] == 2
    from_cases = client.post("/api/v1/actions", json={"title": "결제 재시도", "case_ids": [case_id]}, headers=admin)
    assert from_cases.status_code == 201, from_cases.text
    body = from_cases.json()
    assert body["topic"] == "payment"  # the cases' most common topic
    assert body["case_ids"] == [case_id]
    assert body["linked"]["items"] == 2  # the case's first item and the one that joined it
    missing = client.post("/api/v1/actions", json={"title": "x", "emerging_issue_id": new_id()}, headers=admin)
    assert missing.status_code == 422
    assert "emerging_issue_id" in missing.json()["error"]["message"]
