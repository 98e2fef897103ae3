"""Merging and unmerging customer profiles, and the review queue, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from cxloop.errors import Conflict, InvalidInput, NotFound
from cxloop.store import match_review, merges
from cxloop.store.engine import Store
from cxloop.store.tables import cases, customer_identities, customers, events, feedback, match_candidates
from support.identity_seed import T0, add_customer, rich_customer, state

NOW = datetime(2026, 6, 1, 12, 0)


def _owners(store: Store, table: sa.Table, customer_id: str) -> int:
    with store.read() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.customer_id == customer_id)
            ).scalar_one()
        )


def test_merge_moves_every_row_and_unmerge_restores_the_exact_previous_state(store: Store) -> None:
    with store.write() as conn:
        survivor = rich_customer(
            conn, "a", name="김민수", city="서울", tier="silver", customer_since=datetime(2024, 1, 1)
        )
        merged = rich_customer(
            conn, "b", created_at=T0 + timedelta(days=1), name=None, city="부산", tier="gold",
            birth_date=date(1990, 4, 2), customer_since=datetime(2021, 6, 1),
        )  # fmt: skip
        bystander = rich_customer(conn, "c")
    before = state(store)

    with store.write() as conn:
        merge = merges.merge(
            conn, survivor, merged, actor="u1", rule="manual", now=NOW, note="same person", reasons=["same phone"]
        )
    for table in (customer_identities, events, feedback, cases):
        assert _owners(store, table, merged) == 0, f"{table.name} rows were left on the merged profile"
        assert _owners(store, table, survivor) == 2 * _owners(store, table, bystander)
    with store.read() as conn:
        rows = {r["id"]: r for r in conn.execute(sa.select(customers)).mappings()}
        # Policy: keep the survivor's name, fill the gap (birth date), newest wins for city and tier
        # (the merged profile was updated later), earliest customer_since.
        assert rows[survivor]["name"] == "김민수"
        assert rows[survivor]["birth_date"] == date(1990, 4, 2)
        assert (rows[survivor]["city"], rows[survivor]["tier"]) == ("부산", "gold")
        assert rows[survivor]["customer_since"] == datetime(2021, 6, 1)
        assert rows[merged]["merged_into"] == survivor
        assert merges.live_customer_id(conn, merged) == survivor
        assert merges.live_customer_id(conn, survivor) == survivor
        assert merges.live_customer_id(conn, "01NOSUCH000000000000000000") is None
        history = merges.merge_history(conn, survivor)
        assert [h["id"] for h in history] == [merge["id"]]
        assert history[0]["moved_counts"] == {"cases": 1, "customer_identities": 2, "events": 2, "feedback": 2}
        assert history[0]["reasons"] == ["same phone"]
        assert history[0]["note"] == "same person"
        assert merges.merge_history(conn, merged)[0]["id"] == merge["id"]

    with store.write() as conn:
        undone = merges.unmerge(conn, merge["id"], actor="u2", now=NOW + timedelta(hours=1))
    assert (undone["unmerged_by"], undone["unmerged_at"]) == ("u2", NOW + timedelta(hours=1))
    after = state(store)
    for name in before:
        assert after[name] == before[name], f"{name} differs after the unmerge"
    with store.read() as conn:
        rejected = conn.execute(sa.select(match_candidates.c.status)).scalars().all()
        assert rejected == ["rejected"], "an unmerged pair must not be proposed again"
        assert merges.merge_history(conn, survivor)[0]["unmerged_by"] == "u2"


def test_merge_and_unmerge_refuse_what_cannot_be_done(store: Store) -> None:
    with store.write() as conn:
        a, b, c = (add_customer(conn, name=n, email=f"{n}@example.com") for n in ("a", "b", "c"))
    with store.write() as conn, pytest.raises(InvalidInput):
        merges.merge(conn, a, a, actor="u", rule="manual", now=NOW)
    with store.write() as conn, pytest.raises(NotFound):
        merges.merge(conn, a, "01NOSUCH000000000000000000", actor="u", rule="manual", now=NOW)
    with store.write() as conn:
        first = merges.merge(conn, b, a, actor="u", rule="manual", now=NOW)
    with store.write() as conn, pytest.raises(Conflict, match="already merged"):
        merges.merge(conn, c, a, actor="u", rule="manual", now=NOW)
    with store.write() as conn:
        second = merges.merge(conn, c, b, actor="u", rule="manual", now=NOW + timedelta(minutes=1))
        assert merges.live_customer_id(conn, a) == c  # a → b → c
        assert _owners_in(conn, c) == 3
    with store.write() as conn, pytest.raises(Conflict, match="undo that merge first"):
        merges.unmerge(conn, first["id"], actor="u", now=NOW)
    with store.write() as conn:
        merges.unmerge(conn, second["id"], actor="u", now=NOW)
        merges.unmerge(conn, first["id"], actor="u", now=NOW)
    with store.write() as conn, pytest.raises(Conflict, match="already undone"):
        merges.unmerge(conn, first["id"], actor="u", now=NOW)
    with store.write() as conn, pytest.raises(NotFound):
        merges.unmerge(conn, "01NOSUCH000000000000000000", actor="u", now=NOW)
    with store.read() as conn:
        for customer_id in (a, b, c):
            assert _owners_in(conn, customer_id) == 1
            assert merges.live_customer_id(conn, customer_id) == customer_id


def _owners_in(conn: sa.Connection, customer_id: str) -> int:
    query = sa.select(sa.func.count()).where(customer_identities.c.customer_id == customer_id)
    return int(conn.execute(query).scalar_one())


def test_review_queue_accept_merges_and_reject_is_remembered(store: Store) -> None:
    with store.write() as conn:
        old = add_customer(conn, name="이서연", email="seoyeon@example.com")
        new = add_customer(conn, name="이 서연", phone="+821023456789", created_at=T0 + timedelta(days=3))
        other = add_customer(conn, name="이서윤", email="seoyun@example.com")
        pairs = [
            match_review.CandidatePair(new, old, 0.82, ("similar name (0.93)",)),
            match_review.CandidatePair(old, other, 0.55, ("similar name (0.80)",)),
        ]
        assert match_review.propose(conn, pairs, now=NOW) == {"proposed": 2, "updated": 0, "skipped": 0}
        queue = match_review.list_candidates(conn, status="open", page=1, page_size=10)
    assert [i["probability"] for i in queue["items"]] == pytest.approx([0.82, 0.55])  # REAL on DuckDB
    top = queue["items"][0]
    assert {top["left"]["name"], top["right"]["name"]} == {"이서연", "이 서연"}
    assert any(i["kind"] == "phone" for side in ("left", "right") for i in top[side]["identities"])

    with store.write() as conn:
        accepted = match_review.decide(conn, top["id"], "accept", actor="steward", now=NOW)
        rejected = match_review.decide(conn, queue["items"][1]["id"], "reject", actor="steward", now=NOW)
    assert accepted["status"] == "accepted"
    assert accepted["merge_id"]
    assert rejected["status"] == "rejected"
    with store.read() as conn:
        assert merges.live_customer_id(conn, new) == old, "the older profile survives"
        assert merges.merge_history(conn, old)[0]["rule"] == "review"
        assert match_review.list_candidates(conn, status="open", page=1, page_size=10)["total"] == 0
    with store.write() as conn:
        again = match_review.propose(conn, [match_review.CandidatePair(other, old, 0.9)], now=NOW)
        assert again == {"proposed": 0, "updated": 0, "skipped": 1}
        assert (old, other) in match_review.decided_pairs(conn) or (other, old) in match_review.decided_pairs(conn)
    with store.write() as conn, pytest.raises(Conflict, match="already accepted"):
        match_review.decide(conn, top["id"], "reject", actor="x", now=NOW)
    with store.write() as conn, pytest.raises(InvalidInput):
        match_review.decide(conn, top["id"], "maybe", actor="x", now=NOW)
    # A person may flag a rejected pair again: it reopens for review.
    with store.write() as conn:
        reopened = match_review.flag(conn, other, old, actor="agent", note="same birthday", now=NOW)
    assert reopened["status"] == "open"
    assert reopened["probability"] is not None
