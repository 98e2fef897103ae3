"""The audit trail as stewards use it: verify the hash chain, search it, record CLI-side changes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.store import audit
from cxloop.store.engine import Store


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of walking the chain: where it first breaks, if it does, and its head."""

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    head_seq: int | None = None
    head_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify_chain(conn: sa.Connection) -> ChainReport:
    """Recompute every hash in order. An edited entry fails its own hash; a deleted or inserted one
    breaks the sequence or the next entry's link. Deleting the newest entries leaves a shorter valid
    chain: compare `head_seq`/`head_hash` with a value noted earlier to catch that."""
    expected_seq, prev_hash, checked = 1, audit.GENESIS_HASH, 0
    for entry in audit.iter_entries(conn):
        seq = int(entry["seq"])
        if seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing (next is {seq})")
        if entry["prev_hash"] != prev_hash:
            return ChainReport(False, checked, seq, "its link to the previous entry does not match")
        if audit.chain_hash(prev_hash, entry) != entry["hash"]:
            return ChainReport(False, checked, seq, "its content was changed after it was written")
        prev_hash, expected_seq, checked = entry["hash"], seq + 1, checked + 1
    return ChainReport(True, checked, head_seq=expected_seq - 1 or None, head_hash=prev_hash if checked else None)


def search_entries(
    store: Store,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """One page of matching entries, newest first, for the API and the audit page alike."""
    with store.read() as conn:
        entries, total = audit.search(
            conn, actor=actor, action=action, target=target, since=since, until=until, limit=limit, offset=offset
        )
    return {"total": total, "limit": limit, "offset": offset, "entries": entries}


def record_now(
    store: Store,
    *,
    actor: str,
    action: str,
    target_kind: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record in a transaction of its own: for changes made by code that owns no open transaction
    (the admin API and CLI around `cxloop.access`). Prefer `audit.record` inside the change's own."""
    with store.write() as conn:
        audit.record(
            conn,
            store.dialect,
            actor=actor,
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            details=details,
        )


def record_if_local(gateway: object, **entry: Any) -> None:
    """Record a CLI change when the CLI wrote the store itself. Through a running server the API
    route has recorded it already (as `local-cli`), so nothing is written twice."""
    store = getattr(gateway, "store", None)
    if isinstance(store, Store):
        record_now(store, **entry)
