"""Customer surrogate keys: given by intake, copied onto events, moved by merges, backfilled by the
migration that introduced them. Journeys group by them, so an event whose key disagrees with its
customer's would silently fall out of (or into) someone else's funnel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.jobs.intake import accept_records
from cxloop.jobs.worker import Worker
from cxloop.store import merges, migrate
from cxloop.store.customers import insert_customers
from cxloop.store.engine import Store
from cxloop.store.tables import customers, events
from support.identity_seed import rich_customer

NOW = datetime(2026, 6, 10, 12, 0)


def _event(event_id: str, customer: str, at: str = "2026-06-03T14:22:05+09:00", **fields: Any) -> dict[str, Any]:
    return {
        "source": "shop",
        "event_id": event_id,
        "type": "visit",
        "channel": "web",
        "occurred_at": at,
        **({"customer_external_id": customer} if customer else {}),
        **fields,
    }


def _keys(store: Store) -> tuple[dict[str, int | None], list[tuple[str | None, int | None]]]:
    """(customer id → key, [(event customer id, event key)])."""
    with store.read() as conn:
        by_customer = {str(i): k for i, k in conn.execute(sa.select(customers.c.id, customers.c.customer_key))}
        on_events = [tuple(r) for r in conn.execute(sa.select(events.c.customer_id, events.c.customer_key))]
    return by_customer, on_events  # type: ignore[return-value]


def test_intake_gives_every_profile_a_key_and_every_event_its_customers_key(store: Store, settings: Settings) -> None:
    people = [{"source": "shop", "external_id": f"C-{n}", "name": f"고객 {n}"} for n in range(3)]
    accept_records(store, settings, RecordKind.CUSTOMERS, list(enumerate(people)), origin="api")
    Worker(store, settings).run_until_idle()
    # Known customers, a customer first seen on an event (a new profile in the same batch), anonymous.
    batch = [_event(f"E-{n}", f"C-{n % 3}") for n in range(6)] + [_event("E-new", "C-9"), _event("E-anon", "")]
    accept_records(store, settings, RecordKind.EVENTS, list(enumerate(batch)), origin="api")
    Worker(store, settings).run_until_idle()

    by_customer, on_events = _keys(store)
    assert len(by_customer) == 4
    assert None not in by_customer.values()
    assert len(set(by_customer.values())) == 4, "keys must be unique"
    assert len(on_events) == 8
    for customer_id, key in on_events:
        assert key == (by_customer[customer_id] if customer_id else None)


def test_new_profiles_draw_keys_after_the_ones_taken(store: Store) -> None:
    at = datetime(2026, 6, 1)
    rows = [{"id": f"P{n:025d}", "created_at": at, "updated_at": at, "source": "crm"} for n in range(5)]
    with store.write() as conn:
        insert_customers(conn, store.dialect, rows[:2])
        insert_customers(conn, store.dialect, rows[2:])
    keys = sorted(k for k in _keys(store)[0].values() if k is not None)
    assert len(set(keys)) == 5
    assert keys[-1] - keys[0] == 4, "keys come from one sequence, one after another"


def test_a_merge_moves_the_key_with_the_events_and_an_unmerge_moves_it_back(store: Store) -> None:
    with store.write() as conn:
        survivor, merged = rich_customer(conn, "a"), rich_customer(conn, "b")
    before, events_before = _keys(store)
    with store.write() as conn:
        merge = merges.merge(conn, survivor, merged, actor="u1", rule="manual", now=NOW)
    _, on_events = _keys(store)
    assert [k for _, k in on_events] == [before[survivor]] * 4
    with store.write() as conn:
        merges.unmerge(conn, merge["id"], actor="u1", now=NOW)
    after, events_after = _keys(store)
    assert after == before
    assert sorted(events_after, key=str) == sorted(events_before, key=str)
    assert {before[c] for c, _ in events_after if c} == {before[survivor], before[merged]}


def test_the_migration_numbers_existing_customers_and_keys_their_events(settings: Settings) -> None:
    store = Store(settings.resolved_database_url)
    try:
        migrate.upgrade(store, "0009")
        at = datetime(2026, 6, 1)
        with store.write() as conn:
            for n, created in enumerate((3, 1, 2)):
                conn.execute(
                    sa.text("INSERT INTO customers (id, created_at, updated_at, source) VALUES (:id, :at, :at, 'crm')"),
                    {"id": f"M{n:025d}", "at": at.replace(day=created)},
                )
            for n, owner in enumerate(("M" + "0" * 25, "M" + "0" * 24 + "2", None)):
                conn.execute(
                    sa.text(
                        "INSERT INTO events (id, source, external_id, customer_id, type, channel, occurred_at, "
                        "occurred_utc_offset_minutes, batch_id, ingested_at) "
                        "VALUES (:id, 'shop', :id, :owner, 'visit', 'web', :at, 0, :id, :at)"
                    ),
                    {"id": f"V{n:025d}", "owner": owner, "at": at},
                )
        migrate.upgrade(store)
        by_customer, on_events = _keys(store)
        # Numbered in the order the profiles were created: M1 (1st), M2 (2nd), M0 (3rd).
        assert by_customer == {"M" + "0" * 24 + "1": 1, "M" + "0" * 24 + "2": 2, "M" + "0" * 25: 3}
        assert sorted(on_events, key=str) == sorted(
            [("M" + "0" * 25, 3), ("M" + "0" * 24 + "2", 2), (None, None)], key=str
        )
        with store.write() as conn:
            insert_customers(
                conn, store.dialect, [{"id": "N" * 26, "created_at": at, "updated_at": at, "source": "crm"}]
            )
        assert _keys(store)[0]["N" * 26] == 4, "the sequence starts after the numbered profiles"
    finally:
        store.dispose()
