"""Retention: a dry run counts without touching anything; a purge anonymizes, deletes and is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.errors import ConfigurationError
from cxloop.governance.retention import policies, recent_runs, run_retention
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log, events, feedback

from .seed import add_event, add_feedback

NOW = datetime(2026, 6, 1, 12, 0)


def _seed(store: Store) -> None:
    add_feedback(store, channel="call", occurred_at=NOW - timedelta(days=400), text_raw="010-1234-5678", rating=2)
    add_feedback(store, channel="call", occurred_at=NOW - timedelta(days=500))
    add_feedback(store, channel="call", occurred_at=NOW - timedelta(days=30))
    add_feedback(store, channel="chat", occurred_at=NOW - timedelta(days=400))  # chat keeps text 1095 days
    add_event(store, occurred_at=NOW - timedelta(days=800))
    add_event(store, occurred_at=NOW - timedelta(days=10))


def _by_kind(result: dict) -> dict:  # type: ignore[type-arg]
    return {r["kind"]: r for r in result["results"]}


def test_dry_run_counts_and_changes_nothing(store: Store, settings: Settings) -> None:
    _seed(store)
    result = _by_kind(run_retention(store, settings, dry_run=True, actor="steward", now=NOW))
    assert result["feedback_text.call"]["count"] == 2
    assert result["feedback_text.call"]["oldest"] == NOW - timedelta(days=500)
    assert result["feedback_text.chat"]["count"] == 0
    assert result["events"]["count"] == 1
    assert result["audit_log"]["action"] == "keep"
    with store.read() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(feedback).where(feedback.c.text.is_(None))).scalar()
            == 0
        )
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() == 0
    assert recent_runs(store)[0]["dry_run"] is True


def test_purge_anonymizes_old_text_keeps_scores_and_deletes_old_events(store: Store, settings: Settings) -> None:
    _seed(store)
    run_retention(store, settings, dry_run=False, actor="steward", now=NOW)
    with store.read() as conn:
        rows = conn.execute(sa.select(feedback).order_by(feedback.c.occurred_at, feedback.c.channel)).mappings().all()
        assert [(r["channel"], r["text"] is None) for r in rows] == [
            ("call", True), ("call", True), ("chat", False), ("call", False),
        ]  # fmt: skip
        assert rows[1]["text_raw"] is None
        assert rows[1]["rating"] == 2
        assert rows[1]["sentiment_label"] == "negative"
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar() == 1
        entry = conn.execute(sa.select(audit_log)).mappings().one()
    assert entry["action"] == "retention.purge"
    assert entry["details"]["purged"] == {"feedback_text.call": 2, "events": 1}
    again = _by_kind(run_retention(store, settings, dry_run=True, actor="steward", now=NOW))
    assert again["feedback_text.call"]["count"] == 0
    assert again["events"]["count"] == 0


def test_policies_follow_settings_and_reject_unknown_channels(settings: Settings) -> None:
    custom = settings.model_copy(update={"retention_text_days_by_channel": {"chat": 30}, "retention_event_days": 0})
    days = {p.kind: p.days for p in policies(custom)}
    assert days["feedback_text.chat"] == 30
    assert days["feedback_text.call"] == settings.retention_text_days
    assert days["events"] == 0
    with pytest.raises(ConfigurationError, match="unknown channels"):
        policies(settings.model_copy(update={"retention_text_days_by_channel": {"fax": 1}}))
