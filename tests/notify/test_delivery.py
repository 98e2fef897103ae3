"""The outbox and the dispatcher on both stores: signed webhooks to a loopback receiver, Slack format,
retries with exponential backoff, dead letters and their retry, and e-mail to a loopback SMTP server."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest

from cxloop.config import Settings
from cxloop.domain import new_id
from cxloop.governance.crypto import load_key_ring
from cxloop.jobs.alerts import ensure_rules
from cxloop.notify import transport
from cxloop.notify import webhooks as hooks
from cxloop.notify.dispatch import dispatch_due, retry_dead
from cxloop.notify.outbox import record_alerts
from cxloop.notify.rules import AlertRule
from cxloop.notify.triggers import Alert
from cxloop.store import notifications as repo
from cxloop.store.engine import Store
from notify.receivers import SmtpReceiver, WebhookReceiver

T0 = datetime(2026, 11, 1, 9, 0, 0)
SECRET = "whsec-test-0123456789"


def _add_webhook(store: Store, url: str, *, kind: str = "generic", events: list[str] | None = None) -> str:
    hook_id = new_id()
    with store.write() as conn:
        repo.insert_webhook(
            conn, id=hook_id, name=f"hook-{kind}", url=url, secret=SECRET, kind=kind, events=events or ["*"],
            enabled=True, created_at=T0, updated_at=T0,
        )  # fmt: skip
    return hook_id


def _rule(store: Store, trigger: str, **channel_changes: Any) -> AlertRule:
    with store.write() as conn:
        rule = next(r for r in ensure_rules(conn, T0) if r.trigger == trigger)
    channels = {**rule.channels, **channel_changes}
    return AlertRule(rule.id, rule.name, rule.trigger, rule.params, channels, True)


def _fire(store: Store, rule: AlertRule, subject: str = "feedback:F1") -> list[str]:
    alert = Alert(rule, subject, "Customer intends to leave: 해지할게요", T0, "/feedback/F1", {"feedback_id": "F1"})
    with store.write() as conn:
        return record_alerts(conn, store.dialect, [alert], T0)


def _deliveries(store: Store, **filters: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return repo.list_deliveries(conn, **filters)


def test_a_signed_webhook_reaches_the_receiver_and_its_hmac_verifies(store: Store, settings: Settings) -> None:
    with WebhookReceiver() as receiver:
        _add_webhook(store, receiver.url)
        alert_ids = _fire(store, _rule(store, "churn_intent"))
        assert len(alert_ids) == 1
        assert _fire(store, _rule(store, "churn_intent")) == []  # same rule and subject: alerts once
        assert [d["status"] for d in _deliveries(store)] == ["pending"]
        report = dispatch_due(store, settings, now=T0)
    assert report.to_dict() == {"sent": 1, "failed": 0, "dead": 0}
    [request] = receiver.requests
    signature = request.headers["x-cxloop-signature"]
    assert signature.startswith("sha256=")
    assert transport.verify(SECRET, request.body, signature)
    assert not transport.verify("another-secret", request.body, signature)
    assert not transport.verify(SECRET, request.body + b" ", signature)
    assert int(request.headers["x-cxloop-timestamp"]) == int((T0 - datetime(1970, 1, 1)).total_seconds())
    body = orjson.loads(request.body)
    assert body["event"] == "churn_intent"
    assert body["alert"]["id"] == alert_ids[0]
    assert body["alert"]["details"] == {"feedback_id": "F1"}
    [delivery] = _deliveries(store)
    assert delivery["status"] == "sent"
    assert delivery["attempts"] == 1
    assert delivery["sent_at"] is not None


def test_webhook_secrets_are_stored_sealed_and_still_sign(store: Store, settings: Settings) -> None:
    ring = load_key_ring(settings)
    with WebhookReceiver() as receiver:
        with store.write() as conn:
            created = hooks.create_webhook(conn, ring, name="crm", url=receiver.url, kind="generic", events=["*"],
                                           now=T0)  # fmt: skip
        with store.read() as conn:
            [stored] = repo.list_webhooks(conn)
            assert stored["secret"].startswith("cx1:")
            assert created["secret"] not in stored["secret"]
            listed = hooks.public_webhook(stored, ring)
        assert "secret" not in listed
        assert listed["secret_hint"] == created["secret"][:4] + "…"
        _fire(store, _rule(store, "churn_intent"))
        dispatch_due(store, settings, now=T0)
    [request] = receiver.requests
    assert transport.verify(created["secret"], request.body, request.headers["x-cxloop-signature"])
    with store.write() as conn:
        changed = hooks.update_webhook(conn, ring, created["id"], {"secret": "a-new-secret-0123456789"}, T0)
        assert changed["secret_hint"] == "a-ne…"
        [stored] = repo.list_webhooks(conn)
    assert hooks.open_secret(ring, stored["secret"]) == "a-new-secret-0123456789"


def test_slack_webhooks_get_a_text_payload(store: Store, settings: Settings) -> None:
    with WebhookReceiver() as receiver:
        _add_webhook(store, receiver.url, kind="slack", events=["legal_threat"])
        _add_webhook(store, receiver.url + "/other", events=["sla_breach"])  # not subscribed: gets nothing
        _fire(store, _rule(store, "legal_threat"))
        dispatch_due(store, settings, now=T0)
    [request] = receiver.requests
    assert orjson.loads(request.body) == {"text": "*[cxloop] Customer intends to leave: 해지할게요*"}


def test_failures_back_off_exponentially_then_succeed(store: Store, settings: Settings) -> None:
    settings = settings.model_copy(update={"notify_backoff_seconds": 30.0})
    with WebhookReceiver(statuses=[500, 503]) as receiver:
        _add_webhook(store, receiver.url)
        _fire(store, _rule(store, "churn_intent"))
        assert dispatch_due(store, settings, now=T0).failed == 1
        [delivery] = _deliveries(store)
        assert delivery["status"] == "failed"
        assert "HTTP 500" in delivery["last_error"]
        assert delivery["next_attempt_at"] == T0 + timedelta(seconds=30)
        assert dispatch_due(store, settings, now=T0 + timedelta(seconds=29)).to_dict() == {
            "sent": 0,
            "failed": 0,
            "dead": 0,
        }
        assert dispatch_due(store, settings, now=T0 + timedelta(seconds=30)).failed == 1
        [delivery] = _deliveries(store)
        assert delivery["next_attempt_at"] == T0 + timedelta(seconds=30 + 60)  # doubled
        assert dispatch_due(store, settings, now=T0 + timedelta(seconds=90)).sent == 1
    assert len(receiver.requests) == 3
    [delivery] = _deliveries(store)
    assert delivery["status"] == "sent"
    assert delivery["attempts"] == 3
    assert delivery["last_error"] is None


def test_dead_letter_after_max_attempts_and_retry_from_the_list(store: Store, settings: Settings) -> None:
    settings = settings.model_copy(update={"notify_backoff_seconds": 0.0, "notify_max_attempts": 3})
    with WebhookReceiver(statuses=[500, 500, 500]) as receiver:
        _add_webhook(store, receiver.url)
        _fire(store, _rule(store, "churn_intent"))
        outcomes = [dispatch_due(store, settings, now=T0 + timedelta(seconds=i)).to_dict() for i in range(4)]
        assert outcomes == [
            {"sent": 0, "failed": 1, "dead": 0},
            {"sent": 0, "failed": 1, "dead": 0},
            {"sent": 0, "failed": 0, "dead": 1},
            {"sent": 0, "failed": 0, "dead": 0},  # dead letters are not sent again by themselves
        ]
        [dead] = _deliveries(store, status="dead")
        assert dead["attempts"] == 3
        assert "HTTP 500" in dead["last_error"]
        with store.write() as conn:
            retry_dead(conn, dead["id"], T0 + timedelta(minutes=1))
        assert dispatch_due(store, settings, now=T0 + timedelta(minutes=1)).sent == 1
    assert len(receiver.requests) == 4
    assert _deliveries(store, status="dead") == []
    with store.read() as conn:
        assert repo.delivery_counts(conn) == {"pending": 0, "sent": 1, "failed": 0, "dead": 0}


def test_an_unreachable_receiver_is_a_failure_not_a_crash(store: Store, settings: Settings) -> None:
    _add_webhook(store, "http://127.0.0.1:9/hook")  # the discard port: nothing listens
    _fire(store, _rule(store, "churn_intent"))
    assert dispatch_due(store, settings, now=T0).failed == 1
    [delivery] = _deliveries(store)
    assert delivery["status"] == "failed"
    assert delivery["last_error"]


def test_alert_emails_reach_a_local_smtp_server(store: Store, settings: Settings) -> None:
    with SmtpReceiver() as smtp:
        settings = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_from": "alerts@cxloop.test",
                    "notify_link_base_url": "https://cx.example.com"}
        )  # fmt: skip
        rule = _rule(store, "churn_intent", emails=["cx-leads@example.com", "ops@example.com"])
        alert = Alert(
            rule, "feedback:F9", "Customer intends to leave: 해지할게요", T0, "/feedback/F9", {"feedback_id": "F9"}
        )
        with store.write() as conn:
            record_alerts(conn, store.dialect, [alert], T0, link_base=settings.notify_link_base_url)
        assert dispatch_due(store, settings, now=T0).sent == 2
        smtp.wait_for(2)
    recipients = sorted(r for rcpts, _ in smtp.messages for r in rcpts)
    assert recipients == ["cx-leads@example.com", "ops@example.com"]
    message = smtp.messages[0][1]
    assert message["From"] == "alerts@cxloop.test"
    assert "해지할게요" in str(email_header(message["Subject"]))
    body = message.get_payload(decode=True).decode()
    assert "https://cx.example.com/feedback/F9" in body
    assert "feedback_id: F9" in body


def test_email_without_smtp_settings_fails_with_a_clear_reason(store: Store, settings: Settings) -> None:
    _fire(store, _rule(store, "churn_intent", emails=["ops@example.com"], webhooks=False))
    assert dispatch_due(store, settings.model_copy(update={"smtp_host": ""}), now=T0).failed == 1
    [delivery] = _deliveries(store)
    assert "CXLOOP_SMTP_HOST" in delivery["last_error"]


def email_header(value: str) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(value)))


@pytest.mark.parametrize(("attempts", "expected"), [(1, 30), (2, 60), (3, 120), (20, 3600)])
def test_backoff_doubles_and_is_capped(attempts: int, expected: int) -> None:
    assert transport.backoff(attempts, 30).total_seconds() == expected
