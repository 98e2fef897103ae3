"""The dialect strategies on both stores: bulk writes that skip known keys, bulk updates, queue claims."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.store.engine import Store
from cxloop.store.tables import intake_records

_RECEIVED = datetime(2026, 6, 3, 5, 0, 0)
_KEY = ("kind", "source", "external_id")


def _intake_row(external_id: str, *, row_id: str | None = None, status: str = "pending") -> dict[str, Any]:
    return {
        "id": row_id or new_id(),
        "batch_id": "B" * 26,
        "kind": "feedback",
        "source": "callcenter",
        "external_id": external_id,
        "payload": {"text": f"배송 문의 {external_id}", "nested": {"n": [1, 2]}},
        "received_at": _RECEIVED,
        "status": status,
        "attempts": 0,
    }


def _insert(store: Store, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    with store.write() as conn:
        return store.dialect.bulk_insert(
            conn, intake_records, rows, skip_conflicts_on=_KEY, returning=("source", "external_id")
        )


def _stored(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        query = sa.select(intake_records).order_by(intake_records.c.external_id)
        return [dict(r) for r in conn.execute(query).mappings()]


def test_bulk_insert_returns_only_the_new_keys(store: Store) -> None:
    first = _insert(store, [_intake_row("T-1"), _intake_row("T-2")])
    assert sorted(first) == [("callcenter", "T-1"), ("callcenter", "T-2")]
    # T-2 is already stored: only T-3 is new, and only T-3 comes back.
    second = _insert(store, [_intake_row("T-2"), _intake_row("T-3")])
    assert second == [("callcenter", "T-3")]
    stored = _stored(store)
    assert [r["external_id"] for r in stored] == ["T-1", "T-2", "T-3"]
    # JSON payloads survive the bulk path as structures, not as strings.
    assert stored[0]["payload"] == {"text": "배송 문의 T-1", "nested": {"n": [1, 2]}}


def test_bulk_insert_sending_a_stored_key_again_never_duplicates(store: Store) -> None:
    _insert(store, [_intake_row("T-1")])
    for _ in range(3):
        assert _insert(store, [_intake_row("T-1")]) == []
    assert [r["external_id"] for r in _stored(store)] == ["T-1"]


def test_bulk_insert_same_key_twice_in_one_call_stores_it_once(store: Store) -> None:
    # The contract says rows whose key is stored are left out; a key repeated within one call must
    # not become a duplicate (PostgreSQL) nor a constraint error (DuckDB) either.
    inserted = _insert(store, [_intake_row("T-9"), _intake_row("T-9"), _intake_row("T-10")])
    assert sorted(inserted) == [("callcenter", "T-10"), ("callcenter", "T-9")]
    assert [r["external_id"] for r in _stored(store)] == ["T-10", "T-9"]


def test_bulk_update_sets_per_row_values_and_constants(store: Store) -> None:
    rows = [_intake_row(f"T-{n}") for n in range(3)]
    _insert(store, rows)
    processed_at = datetime(2026, 6, 3, 6, 30, 0)
    changes = [
        {"id": rows[0]["id"], "record_id": "R" * 26, "attempts": 2},
        {"id": rows[1]["id"], "record_id": "S" * 26, "attempts": 5},
    ]
    with store.write() as conn:
        store.dialect.bulk_update(conn, intake_records, "id", changes, status="done", processed_at=processed_at)
    by_id = {r["id"]: r for r in _stored(store)}
    assert (by_id[rows[0]["id"]]["record_id"], by_id[rows[0]["id"]]["attempts"]) == ("R" * 26, 2)
    assert (by_id[rows[1]["id"]]["record_id"], by_id[rows[1]["id"]]["attempts"]) == ("S" * 26, 5)
    for changed in (rows[0]["id"], rows[1]["id"]):
        assert (by_id[changed]["status"], by_id[changed]["processed_at"]) == ("done", processed_at)
    untouched = by_id[rows[2]["id"]]
    assert (untouched["status"], untouched["record_id"], untouched["processed_at"]) == ("pending", None, None)


def test_claim_pending_returns_the_oldest_pending_first(store: Store) -> None:
    # Ids are ULIDs, so their order is their age. Insert in shuffled order with some rows not pending.
    ids = [f"01J{n:023d}" for n in range(12)]
    statuses = ["pending", "done", "pending", "failed"] * 3
    rows = [_intake_row(f"T-{n}", row_id=ids[n], status=statuses[n]) for n in range(12)]
    random.Random(42).shuffle(rows)
    _insert(store, rows)
    pending = [ids[n] for n in range(12) if statuses[n] == "pending"]
    with store.write() as conn:
        claimed = store.dialect.claim_pending(conn, intake_records, 4)
    assert [r.id for r in claimed] == pending[:4]
    assert all(r.status == "pending" for r in claimed)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_concurrent_claims_on_postgres_take_disjoint_rows(store: Store) -> None:
    _insert(store, [_intake_row(f"T-{n:02d}") for n in range(10)])
    first = store.engine.connect()
    second = store.engine.connect()
    third = store.engine.connect()
    try:
        first.begin()
        second.begin()
        third.begin()
        taken_first = {r.id for r in store.dialect.claim_pending(first, intake_records, 6)}
        # SKIP LOCKED: the second claim neither waits for nor repeats the first one's rows.
        taken_second = {r.id for r in store.dialect.claim_pending(second, intake_records, 6)}
        taken_third = {r.id for r in store.dialect.claim_pending(third, intake_records, 6)}
        assert len(taken_first) == 6
        assert len(taken_second) == 4
        assert taken_first.isdisjoint(taken_second)
        assert taken_third == set(), "every pending row is locked by the first two claims"
        # Once the first transaction ends, its rows are claimable again.
        first.rollback()
        taken_again = {r.id for r in store.dialect.claim_pending(third, intake_records, 10)}
        assert taken_again == taken_first
    finally:
        for conn in (first, second, third):
            conn.rollback()
            conn.close()
