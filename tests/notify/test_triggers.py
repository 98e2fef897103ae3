"""Alert triggers on both stores: VIP+negative, churn and legal threats from feedback ingested through
the API and processed by the worker; SLA breaches from case history; emerging issues; negative-share
spikes; rules switched off; and the consent check for customer follow-ups."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop import access
from cxloop.config import Settings
from cxloop.domain import Role, TokenScope, new_id
from cxloop.jobs.alerts import ensure_rules, scan_alerts
from cxloop.jobs.worker import Worker
from cxloop.notify.consent import customer_may_be_contacted
from cxloop.notify.triggers import headline
from cxloop.store import notifications as repo
from cxloop.store.engine import Store
from cxloop.store.tables import alert_events, case_history, cases, emerging_issues, feedback, team_members, teams
from support.helpers import make_token

NOW = datetime(2026, 11, 10, 12, 0)
VIP_TEXTS = {
    "F-CHURN": "배송이 2주째 안 와요. 너무 화가 나서 해지할게요.",
    "F-LEGAL": "계속 이러면 소비자원에 신고하고 소송하겠습니다. 정말 최악이에요.",
    "F-NEG": "상품 불량입니다 정말 실망이에요",
    "F-POS": "배송이 빨라서 좋아요",
}


def _alerts(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(alert_events).order_by(alert_events.c.subject_key)).mappings()]


def _ingest_vip_feedback(client: TestClient, store: Store, settings: Settings) -> dict[str, str]:
    headers = make_token(store, TokenScope.INGEST)
    customer = {"source": "crm", "external_id": "VIP-1", "name": "김민지", "email": "vip@example.com", "tier": "vip"}
    assert client.post("/api/v1/customers", json=[customer], headers=headers).status_code == 202
    Worker(store, settings).run_until_idle()
    items = [
        {"source": "chat", "feedback_id": key, "channel": "chat", "occurred_at": "2026-11-10T10:00:00+09:00",
         "email": "vip@example.com", "text": text}
        for key, text in VIP_TEXTS.items()
    ]  # fmt: skip
    assert client.post("/api/v1/feedback", json=items, headers=headers).status_code == 202
    Worker(store, settings).run_until_idle()
    with store.read() as conn:
        return {str(e): str(i) for e, i in conn.execute(sa.select(feedback.c.external_id, feedback.c.id))}


def test_vip_negative_churn_and_legal_feedback_alert_in_app_and_to_webhooks(
    client: TestClient, store: Store, settings: Settings
) -> None:
    manager = access.create_user(store, "lead@example.com", "팀장", "long-password-1", Role.MANAGER, source="tests")
    agent = access.create_user(store, "agent@example.com", "상담원", "long-password-2", Role.AGENT, source="tests")
    admin = make_token(store, TokenScope.ADMIN)
    hook = {"name": "ops", "url": "http://127.0.0.1:9/hook", "events": ["churn_intent", "legal_threat"]}
    assert client.post("/api/v1/webhooks", json=hook, headers=admin).status_code == 201
    ids = _ingest_vip_feedback(client, store, settings)
    fired = {(a["trigger"], a["subject_key"]) for a in _alerts(store)}
    assert fired == {
        ("vip_negative", f"feedback:{ids['F-CHURN']}"),
        ("vip_negative", f"feedback:{ids['F-LEGAL']}"),
        ("vip_negative", f"feedback:{ids['F-NEG']}"),
        ("churn_intent", f"feedback:{ids['F-CHURN']}"),
        ("legal_threat", f"feedback:{ids['F-LEGAL']}"),
    }
    with store.read() as conn:
        assert repo.unread_count(conn, manager) == 5  # default rules notify admins and managers
        assert repo.unread_count(conn, agent) == 0
        deliveries = repo.list_deliveries(conn)
    assert sorted(d["event"] for d in deliveries) == ["churn_intent", "legal_threat"]  # the hook's events only
    assert all(d["status"] == "pending" and d["kind"] == "webhook" for d in deliveries)
    churn = next(a for a in _alerts(store) if a["trigger"] == "churn_intent")
    assert churn["details"]["customer_id"] is not None
    assert "vip" in churn["details"]["flags"]


def test_a_disabled_rule_stays_quiet(client: TestClient, store: Store, settings: Settings) -> None:
    admin = make_token(store, TokenScope.ADMIN)
    rules = client.get("/api/v1/alert-rules", headers=admin).json()["rules"]
    for rule in rules:
        if rule["trigger"] != "legal_threat":
            body = {"version": rule["version"], "enabled": False}
            assert client.patch(f"/api/v1/alert-rules/{rule['id']}", json=body, headers=admin).status_code == 200
    _ingest_vip_feedback(client, store, settings)
    assert [a["trigger"] for a in _alerts(store)] == ["legal_threat"]


def _team_with_member(store: Store) -> tuple[str, str]:
    user = access.create_user(store, "billing@example.com", "빌링", "long-password-3", Role.AGENT, source="tests")
    team = new_id()
    with store.write() as conn:
        conn.execute(teams.insert().values(id=team, name="billing", created_at=NOW, source="tests"))
        conn.execute(team_members.insert().values(team_id=team, user_id=user))
    return team, user


def test_sla_breaches_in_case_history_alert_once(store: Store, settings: Settings) -> None:
    team, member = _team_with_member(store)
    case_id, history_id = new_id(), new_id()
    with store.write() as conn:
        conn.execute(
            cases.insert().values(id=case_id, team_id=team, subject="환불이 안 됐어요", status="assigned",
                                  priority="urgent", version=1, created_at=NOW, updated_at=NOW, source="tests")
        )  # fmt: skip
        conn.execute(
            case_history.insert().values(id=history_id, case_id=case_id, occurred_at=NOW - timedelta(minutes=5),
                                         action="sla_breached", changes={"target": "first_response"})
        )  # fmt: skip
    assert scan_alerts(store, settings, now=NOW) == 1
    assert scan_alerts(store, settings, now=NOW + timedelta(minutes=1)) == 0  # the same breach alerts once
    [alert] = _alerts(store)
    assert alert["trigger"] == "sla_breach"
    assert alert["subject_key"] == f"case_history:{history_id}"
    assert alert["details"]["target"] == "first_response"
    assert alert["details"]["priority"] == "urgent"
    with store.read() as conn:
        [note] = repo.list_notifications(conn, member)  # the case's own team hears about it
    assert note["link"] == f"/cases/{case_id}"


def test_new_emerging_issues_alert_and_closed_ones_do_not(store: Store, settings: Settings) -> None:
    rows = [
        {"id": new_id(), "kind": "topic_spike", "subject": "delivery", "day": NOW.date(), "observed": 40,
         "expected": 8.0, "lift": 5.0, "score": 6.1, "examples": ["F1"], "status": status, "detected_at": NOW}
        for status in ("open", "closed")
    ]  # fmt: skip
    rows[1]["subject"] = "refund"
    with store.write() as conn:
        conn.execute(emerging_issues.insert(), rows)
    assert scan_alerts(store, settings, now=NOW + timedelta(minutes=1)) == 1
    [alert] = _alerts(store)
    assert alert["trigger"] == "emerging_issue"
    assert alert["details"]["subject"] == "delivery"


def test_a_crowd_of_keyword_spikes_is_one_alert_per_day(store: Store, settings: Settings) -> None:
    """One incident lifts dozens of keywords: they alert once for the day, strongest first; a topic
    spike on the same day still alerts on its own."""
    day = NOW.date()
    rows = [
        {"id": new_id(), "kind": kind, "subject": subject, "day": day, "observed": 30, "expected": 3.0,
         "lift": 10.0, "score": score, "examples": [], "status": "open", "detected_at": NOW}
        for kind, subject, score in [("keyword_spike", f"kw{i}", float(i)) for i in range(12)]
        + [("topic_spike", "app_errors", 9.0)]
    ]  # fmt: skip
    with store.write() as conn:
        conn.execute(emerging_issues.insert(), rows)
    assert scan_alerts(store, settings, now=NOW + timedelta(minutes=1)) == 2
    topic, digest = sorted(_alerts(store), key=lambda a: a["subject_key"])
    assert digest["subject_key"] == f"emerging_issues:keyword_spike:{day}"
    assert digest["details"]["count"] == 12
    assert digest["details"]["subjects"][:3] == ["kw11", "kw10", "kw9"]
    assert "+4" in digest["title"]  # eight names, then how many more
    assert topic["details"]["subject"] == "app_errors"
    later = {**rows[0], "id": new_id(), "subject": "late", "detected_at": NOW + timedelta(hours=1)}
    with store.write() as conn:
        conn.execute(emerging_issues.insert(), [later])
    assert scan_alerts(store, settings, now=NOW + timedelta(hours=2)) == 0  # the day's digest has fired


def _seed_sentiment(store: Store, start: datetime, hours: float, total: int, negative: int) -> None:
    step = timedelta(hours=hours) / total
    rows = [
        {"id": new_id(), "source": "seed", "external_id": new_id(), "channel": "chat", "occurred_at": start + i * step,
         "occurred_utc_offset_minutes": 540, "sentiment_label": "negative" if i < negative else "neutral",
         "batch_id": "B", "ingested_at": start}
        for i in range(total)
    ]  # fmt: skip
    with store.write() as conn:
        store.dialect.bulk_insert(conn, feedback, rows)


def test_a_negative_share_spike_alerts_once_per_window(store: Store, settings: Settings) -> None:
    window_start = datetime(2026, 11, 10, 6, 0)  # the 6-hour window before NOW (12:00)
    _seed_sentiment(store, window_start - timedelta(days=7), 24 * 7, total=200, negative=20)  # 10 % baseline
    _seed_sentiment(store, window_start, 6, total=30, negative=21)  # 70 % in the last window
    assert scan_alerts(store, settings, now=NOW + timedelta(minutes=10)) == 1
    assert scan_alerts(store, settings, now=NOW + timedelta(minutes=20)) == 0
    [alert] = _alerts(store)
    assert alert["trigger"] == "negative_spike"
    assert (alert["details"]["recent_negative"], alert["details"]["recent_total"]) == (21, 30)
    assert alert["details"]["baseline_share"] == 0.1


def test_an_ordinary_window_does_not_spike(store: Store, settings: Settings) -> None:
    window_start = datetime(2026, 11, 10, 6, 0)
    _seed_sentiment(store, window_start - timedelta(days=7), 24 * 7, total=200, negative=40)
    _seed_sentiment(store, window_start, 6, total=30, negative=7)  # 23 % against 20 %
    assert scan_alerts(store, settings, now=NOW + timedelta(minutes=10)) == 0


def test_default_rules_are_stored_once(store: Store) -> None:
    with store.write() as conn:
        first = ensure_rules(conn, NOW)
    with store.write() as conn:
        second = ensure_rules(conn, NOW)
    assert [r.id for r in first] == [r.id for r in second]
    assert {r.trigger for r in first} == {
        "vip_negative", "churn_intent", "legal_threat", "sla_breach", "emerging_issue", "negative_spike"
    }  # fmt: skip


def test_nobody_may_be_contacted_without_a_recorded_consent(store: Store) -> None:
    customer = new_id()
    with store.read() as conn:
        assert customer_may_be_contacted(conn, customer) is False
        has_consents = sa.inspect(conn).has_table("consents")
    if not has_consents:
        return  # governance has not added its consent table yet: False is the whole behaviour
    from cxloop.store.tables import consents  # governance's table, when it exists

    def decide(granted: bool, at: datetime) -> None:
        with store.write() as conn:
            conn.execute(consents.insert().values(id=new_id(), customer_id=customer, purpose="marketing_contact",
                                                  granted=granted, source="web_form", recorded_at=at,
                                                  recorded_by="tests"))  # fmt: skip

    decide(True, NOW)
    with store.read() as conn:
        assert customer_may_be_contacted(conn, customer) is True
    decide(False, NOW + timedelta(days=1))  # withdrawn later: the newest decision wins
    with store.read() as conn:
        assert customer_may_be_contacted(conn, customer) is False


@pytest.mark.parametrize(
    ("trigger", "title", "shown"),
    [
        ("emerging_issue", "Emerging issue: delivery (topic_spike, 2026-06-01)", "delivery (topic_spike, 2026-06-01)"),
        ("sla_breach", "SLA breached (resolution): 배송 지연", "(resolution): 배송 지연"),
        ("churn_intent", "Customer intends to leave: 해지할게요", "해지할게요"),
        ("churn_intent", "Something else entirely", "Something else entirely"),  # not ours to trim
        (None, "Emerging issue: x", "Emerging issue: x"),
    ],
)
def test_pages_show_titles_without_the_english_trigger_name(trigger: str | None, title: str, shown: str) -> None:
    assert headline(trigger, title) == shown
