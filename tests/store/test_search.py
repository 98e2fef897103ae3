"""Inbox text search treats the user's % and _ literally, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from cxloop.domain import new_id
from cxloop.store import inbox
from cxloop.store.engine import Store
from cxloop.store.search import contains_pattern
from cxloop.store.tables import feedback


def test_contains_pattern_escapes_wildcards() -> None:
    assert contains_pattern(" 50%_off ") == "%50\\%\\_off%"


def test_a_percent_sign_in_the_search_matches_only_itself(store: Store) -> None:
    texts = ["쿠폰 50% 할인 안 돼요", "쿠폰 500원 할인", "50_50 이벤트"]
    rows = [
        {
            "id": new_id(),
            "source": "t",
            "external_id": str(i),
            "channel": "chat",
            "occurred_at": datetime(2026, 6, 1),
            "occurred_utc_offset_minutes": 540,
            "text": text,
            "batch_id": "b",
            "ingested_at": datetime(2026, 6, 1),
        }
        for i, text in enumerate(texts)
    ]
    with store.write() as conn:
        store.dialect.bulk_insert(conn, feedback, rows)
    with store.read() as conn:
        percent = inbox.list_feedback(conn, inbox.InboxFilter(search="50%"), page=1, page_size=10)
        underscore = inbox.list_feedback(conn, inbox.InboxFilter(search="0_5"), page=1, page_size=10)
    assert [item["excerpt"] for item in percent["items"]] == ["쿠폰 50% 할인 안 돼요"]
    assert [item["excerpt"] for item in underscore["items"]] == ["50_50 이벤트"]
