"""Topic trends and emerging-issue recording over the store, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.analytics.trends import daily_counts, list_emerging_issues, topic_trends
from cxloop.domain import new_id
from cxloop.jobs.emerging import detect_days
from cxloop.store.engine import Store
from cxloop.store.tables import emerging_issues, feedback, feedback_topics

START = datetime(2026, 5, 1, 3, 0)  # 12:00 in Seoul


def _seed(store: Store, per_day: dict[str, Any]) -> None:
    """Feedback rows with one topic each: per_day maps topic → function(day index) → (count, negative)."""
    feedback_rows, topic_rows = [], []
    for day_index in range(70):
        moment = START + timedelta(days=day_index)
        for topic, shape in per_day.items():
            count, negative = shape(day_index, moment)
            for i in range(count):
                fid = new_id()
                sentiment = "negative" if i < negative else "positive"
                feedback_rows.append(
                    {
                        "id": fid,
                        "source": "t",
                        "external_id": fid,
                        "channel": "chat",
                        "occurred_at": moment,
                        "occurred_utc_offset_minutes": 540,
                        "text": f"{topic} {day_index} {i}",
                        "batch_id": fid,
                        "ingested_at": moment,
                    }
                )
                topic_rows.append(
                    {
                        "feedback_id": fid,
                        "topic": topic,
                        "sentiment": sentiment,
                        "score": -0.5 if sentiment == "negative" else 0.5,
                        "occurred_at": moment,
                        "channel": "chat",
                    }
                )
    with store.write() as conn:
        store.dialect.bulk_insert(conn, feedback, feedback_rows)
        store.dialect.bulk_insert(conn, feedback_topics, topic_rows)


def _weekday_pattern(day_index: int, moment: datetime) -> tuple[int, int]:
    return (12 if moment.weekday() >= 5 else 6), 1


SPIKE_DAY_INDEX = 65


def _login_spike(day_index: int, moment: datetime) -> tuple[int, int]:
    return (40, 35) if day_index == SPIKE_DAY_INDEX else (2, 1)


def test_trends_count_local_days_and_negative_share(store: Store) -> None:
    _seed(store, {"delivery": _weekday_pattern, "account_login": _login_spike})
    with store.read() as conn:
        counts = daily_counts(conn, "topic", START - timedelta(days=1), START + timedelta(days=80))
        trends = topic_trends(conn, days=30)
    assert counts["delivery"][date(2026, 5, 2)] == 12  # a Saturday, counted on the Seoul calendar day
    login = next(t for t in trends["topics"] if t["topic"] == "account_login")
    assert login["volume"] == 40 + 2 * 29
    assert abs(login["negative_share"] - (35 + 29) / login["volume"]) < 1e-9
    assert sum(sum(s.values) for s in trends["chart"].series) == sum(t["volume"] for t in trends["topics"])
    assert login["previous_volume"] == 2 * 30  # the 30 days before are fully covered by the data
    with store.read() as conn:
        longer = topic_trends(conn, days=60)  # the 60 days before reach past the first record
    assert all(t["previous_volume"] is None for t in longer["topics"])


def test_a_spike_is_recorded_once_with_examples_and_a_steady_weekly_pattern_is_not(store: Store) -> None:
    _seed(store, {"delivery": _weekday_pattern, "account_login": _login_spike})
    spike_day = (START + timedelta(days=SPIKE_DAY_INDEX, hours=9)).date()
    recorded = detect_days(store, [spike_day, spike_day - timedelta(days=3)])
    assert [(r["kind"], r["subject"], r["day"]) for r in recorded] == [("topic_spike", "account_login", spike_day)]
    assert detect_days(store, [spike_day]) == []  # already recorded: nothing twice
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(emerging_issues)).scalar_one() == 1
        issues = list_emerging_issues(conn)
    assert len(issues[0]["example_items"]) == 3
    assert all("account_login 65" in ex["excerpt"] for ex in issues[0]["example_items"])


def test_the_trends_page_shows_topics_and_the_emerging_issue(duckdb_client: Any, duckdb_store: Store) -> None:
    import re

    from cxloop.access import create_user
    from cxloop.domain import Role

    _seed(duckdb_store, {"delivery": _weekday_pattern, "account_login": _login_spike})
    spike_day = (START + timedelta(days=SPIKE_DAY_INDEX, hours=9)).date()
    detect_days(duckdb_store, [spike_day])
    create_user(duckdb_store, "analyst@example.com", "Analyst", "a-long-password", Role.ANALYST, source="tests")
    login_page = duckdb_client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert csrf is not None
    duckdb_client.post(
        "/login",
        data={"email": "analyst@example.com", "password": "a-long-password", "csrf_token": csrf.group(1), "next": "/"},
    )
    page = duckdb_client.get("/trends?days=90", headers={"Accept-Language": "ko"})
    assert page.status_code == 200
    assert "회원·로그인" in page.text  # the taxonomy's Korean topic name, not the id
    assert 'data-testid="emerging-issues"' in page.text
    assert str(spike_day) in page.text
    # The newest detection shows its example items; the rest fold them away under a count.
    folded = r'<details class="issue-examples" open><summary>예시 \d건</summary>\s*<ul class="examples"><li><a href="/'
    assert re.search(folded, page.text)
