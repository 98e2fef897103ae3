"""The audit log: a linear hash chain that reveals edits, deletions and insertions, on both stores."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime

import pytest
import sqlalchemy as sa

from cxloop.errors import InvalidInput
from cxloop.governance.audit import search_entries, verify_chain
from cxloop.store import audit
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log


def _append(store: Store, n: int, *, actor: str = "steward@example.com", action: str = "pii.view") -> None:
    for i in range(n):
        with store.write() as conn:
            audit.record(
                conn, store.dialect, actor=actor, action=action, target_kind="customer", target_id=f"C{i}",
                details={"fields": ["phone"], "at": datetime(2026, 5, 1, 9, i), "score": 0.1 * i},
            )  # fmt: skip


def _verify(store: Store):  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return verify_chain(conn)


def test_an_untouched_chain_verifies_and_reports_its_head(store: Store) -> None:
    assert _verify(store).ok
    assert _verify(store).checked == 0
    _append(store, 5)
    report = _verify(store)
    assert report.ok
    assert report.checked == 5
    assert report.head_seq == 5
    with store.read() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).mappings().all()
    assert rows[0]["prev_hash"] == audit.GENESIS_HASH
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(rows))
    assert report.head_hash == rows[-1]["hash"]


def test_editing_details_is_detected_at_that_entry(store: Store) -> None:
    _append(store, 6)
    with store.write() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 4).values(details={"fields": ["email"]}))
    report = _verify(store)
    assert not report.ok
    assert report.first_broken_seq == 4
    assert report.checked == 3
    assert "changed" in (report.reason or "")


def test_rewriting_an_entry_with_a_fresh_hash_breaks_the_next_link(store: Store) -> None:
    _append(store, 4)
    with store.write() as conn:
        row = dict(conn.execute(sa.select(audit_log).where(audit_log.c.seq == 2)).mappings().one())
        row["actor"] = "someone-else"
        new_hash = audit.chain_hash(row["prev_hash"], row)
        conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(actor="someone-else", hash=new_hash))
    report = _verify(store)
    assert (report.ok, report.first_broken_seq) == (False, 3)


def test_a_deleted_entry_is_reported_as_missing(store: Store) -> None:
    _append(store, 5)
    with store.write() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.seq == 3))
    report = _verify(store)
    assert (report.ok, report.first_broken_seq) == (False, 3)
    assert "missing" in (report.reason or "")


def test_search_filters_by_actor_action_family_target_and_time(store: Store) -> None:
    _append(store, 3, actor="steward@example.com", action="pii.view")
    _append(store, 2, actor="admin@example.com", action="token.create")
    with store.write() as conn:
        audit.record(conn, store.dialect, actor="cli", action="token.revoke", target_kind="token", target_id="ci")
    assert search_entries(store, actor="STEWARD")["total"] == 3
    assert search_entries(store, action="token")["total"] == 3  # the whole family
    assert search_entries(store, action="token.create")["total"] == 2
    assert search_entries(store, target="token:ci")["total"] == 1
    assert search_entries(store, target="C1")["total"] == 2
    assert search_entries(store, since=datetime(2100, 1, 1))["total"] == 0
    page = search_entries(store, limit=2)
    assert [e["seq"] for e in page["entries"]] == [6, 5]
    assert page["total"] == 6


def test_bad_action_names_are_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="audit action"), store.write() as conn:
        audit.record(conn, store.dialect, actor="x", action="Drop Table")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_concurrent_appends_on_postgres_keep_one_linear_chain(store: Store) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(15):
                with store.write() as conn:
                    # Work before the append widens the window in which two transactions could race.
                    conn.exec_driver_sql("SELECT pg_sleep(0.002)")
                    audit.record(conn, store.dialect, actor=f"writer-{n}", action="pii.view", target_id=str(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    report = _verify(store)
    assert report.ok
    assert report.checked == 90
    assert report.head_seq == 90
