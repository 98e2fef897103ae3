"""Recording alerts: the alert row, in-app notifications and the outbox deliveries, all in the caller's
transaction, so an alert exists exactly when the data that triggered it was committed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.notify.triggers import Alert
from cxloop.store import notifications as repo
from cxloop.store.dialects import StoreDialect


def alert_message(alert_id: str, alert: Alert, link_base: str) -> dict[str, Any]:
    """What webhooks and e-mails carry about one alert."""
    link_url = f"{link_base.rstrip('/')}{alert.link}" if link_base and alert.link else None
    return {
        "id": alert_id,
        "rule": alert.rule.name,
        "trigger": alert.rule.trigger,
        "title": alert.title,
        "occurred_at": alert.occurred_at.isoformat(),
        "link": alert.link,
        "link_url": link_url,
        "details": alert.details,
    }


def email_text(message: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body of an alert e-mail."""
    lines = [str(message["title"]), "", f"rule: {message['rule']} ({message['trigger']})"]
    lines += [f"{key}: {value}" for key, value in message["details"].items() if value not in (None, [], "")]
    if message.get("link_url"):
        lines += ["", str(message["link_url"])]
    return f"[cxloop] {message['title']}"[:200], "\n".join(lines)


def _delivery(
    alert_id: str, kind: str, target: str, event: str, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "alert_id": alert_id,
        "kind": kind,
        "target": target,
        "event": event,
        "payload": payload,
        "dedupe_key": f"{alert_id}:{kind}:{target}",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _subscribed(hook: Mapping[str, Any], trigger: str) -> bool:
    events = hook.get("events") or []
    return bool(hook.get("enabled")) and ("*" in events or trigger in events)


def record_alerts(
    conn: sa.Connection, dialect: StoreDialect, alerts: Sequence[Alert], now: datetime, *, link_base: str = ""
) -> list[str]:
    """Store the alerts that have not fired before and fan them out; returns the new alert ids."""
    if not alerts:
        return []
    ids = [new_id() for _ in alerts]
    rows = [
        {
            "id": alert_id,
            "rule_id": alert.rule.id,
            "trigger": alert.rule.trigger,
            "subject_key": alert.subject_key,
            "title": alert.title,
            "details": alert.details,
            "occurred_at": alert.occurred_at,
            "created_at": now,
        }
        for alert_id, alert in zip(ids, alerts, strict=True)
    ]
    inserted = repo.insert_alert_events(conn, dialect, rows)
    hooks = repo.list_webhooks(conn)
    in_app: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    recipients: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for alert_id, alert in zip(ids, alerts, strict=True):
        if alert_id not in inserted:
            continue  # fired before: the unique (rule, subject) key kept the first one
        rule = alert.rule
        teams = list(rule.teams)
        if rule.case_team and alert.details.get("team_id"):
            teams.append(str(alert.details["team_id"]))
        key = (tuple(rule.roles), tuple(sorted(teams)))
        if key not in recipients:  # one query per audience, not per alert: a batch can raise hundreds
            recipients[key] = repo.recipient_user_ids(conn, rule.roles, teams)
        for user_id in recipients[key]:
            in_app.append(
                {
                    "id": new_id(),
                    "user_id": user_id,
                    "alert_id": alert_id,
                    "title": alert.title,
                    "body": rule.trigger,
                    "link": alert.link,
                    "created_at": now,
                }
            )
        message = alert_message(alert_id, alert, link_base)
        if rule.to_webhooks:
            for hook in hooks:
                if _subscribed(hook, rule.trigger):
                    deliveries.append(_delivery(alert_id, "webhook", hook["id"], rule.trigger, message, now))
        for address in rule.emails:
            deliveries.append(_delivery(alert_id, "email", address, rule.trigger, message, now))
    repo.insert_notifications(conn, dialect, in_app)
    repo.insert_deliveries(conn, dialect, deliveries)
    return [i for i in ids if i in inserted]
