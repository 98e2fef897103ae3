"""Merging two customer profiles into one, and undoing it exactly. Functions take a connection, never commit.

A merge moves every row that belongs to the merged profile (identifiers, events, feedback, cases and
any other table with a `customer_id`) to the survivor, combines attributes by `ATTRIBUTE_POLICY`,
and leaves the merged profile in place with `merged_into` set, so its id keeps resolving. The merge
row's `snapshot` records which rows moved and which attributes changed; `unmerge` replays it backwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.errors import Conflict, InvalidInput, NotFound
from cxloop.store.tables import customer_merges, customers, match_candidates, metadata

#: How each attribute is combined: "keep" the survivor's value and fill gaps from the merged profile;
#: "newest" takes the value of the profile updated most recently; "earliest" the smaller value.
ATTRIBUTE_POLICY: dict[str, str] = {
    "name": "keep",
    "birth_date": "keep",
    "gender": "keep",
    "city": "newest",
    "tier": "newest",
    "customer_since": "earliest",
}
# Tables that refer to customers by other columns, and are themselves identity bookkeeping.
_NOT_MOVED = frozenset({"customers", "customer_merges", "match_candidates"})
_CHUNK = 500  # ids per UPDATE ... WHERE id IN (...): well under every driver's parameter limit


def referencing_tables() -> list[sa.Table]:
    """Every table whose rows belong to one customer through `customer_id`, keyed by `id`. Found from
    the schema, so tables added later (consents, predictions, …) follow merges without code here."""
    return [
        table
        for table in metadata.sorted_tables
        if "customer_id" in table.c and table.name not in _NOT_MOVED and [c.name for c in table.primary_key] == ["id"]
    ]


def _encode(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _decode(values: Mapping[str, Any]) -> dict[str, Any]:
    """Snapshot JSON back to column values, by the customers table's column types."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        column_type = customers.c[name].type
        if isinstance(value, str) and isinstance(column_type, sa.DateTime):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column_type, sa.Date):
            out[name] = date.fromisoformat(value)
        else:
            out[name] = value
    return out


def _customer(conn: sa.Connection, customer_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(customers).where(customers.c.id == customer_id)).mappings().first()
    if row is None:
        raise NotFound(f"no customer with id {customer_id}")
    return dict(row)


def require_live(conn: sa.Connection, customer_id: str) -> dict[str, Any]:
    row = _customer(conn, customer_id)
    if row["merged_into"] is not None:
        raise Conflict(
            f"customer {customer_id} was already merged into {row['merged_into']}; use that profile",
            details={"customer_id": customer_id, "merged_into": row["merged_into"]},
        )
    return row


def _reassign(conn: sa.Connection, table: sa.Table, ids: Sequence[str], *, to: str, only_from: str | None) -> None:
    values: dict[str, Any] = {"customer_id": to}
    if "customer_key" in table.c:  # events carry their customer's surrogate key too: it moves with the id
        values["customer_key"] = conn.execute(sa.select(customers.c.customer_key).where(customers.c.id == to)).scalar()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        condition: list[sa.ColumnElement[bool]] = [table.c.id.in_(chunk)]
        if only_from is not None:
            condition.append(table.c.customer_id == only_from)
        conn.execute(table.update().where(*condition).values(**values))


def combine_attributes(survivor: Mapping[str, Any], merged: Mapping[str, Any]) -> dict[str, Any]:
    """The survivor attributes that change when `merged` is folded into it, by `ATTRIBUTE_POLICY`."""
    changes: dict[str, Any] = {}
    merged_is_newer = merged["updated_at"] > survivor["updated_at"]
    for name, policy in ATTRIBUTE_POLICY.items():
        mine, theirs = survivor[name], merged[name]
        if theirs is None or mine == theirs:
            continue
        if mine is None or (policy == "newest" and merged_is_newer) or (policy == "earliest" and theirs < mine):
            changes[name] = theirs
    return changes


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def merge(
    conn: sa.Connection,
    survivor_id: str,
    merged_id: str,
    *,
    actor: str,
    rule: str,
    now: datetime,
    note: str | None = None,
    score: float | None = None,
    reasons: Iterable[str] = (),
) -> dict[str, Any]:
    """Fold `merged_id` into `survivor_id`; returns the merge row. Both must be live profiles."""
    if survivor_id == merged_id:
        raise InvalidInput("a customer cannot be merged with itself", details={"other_id": merged_id})
    survivor, merged = require_live(conn, survivor_id), require_live(conn, merged_id)
    moved: dict[str, list[str]] = {}
    for table in referencing_tables():
        ids = sorted(conn.execute(sa.select(table.c.id).where(table.c.customer_id == merged_id)).scalars())
        if ids:
            moved[table.name] = ids
            _reassign(conn, table, ids, to=survivor_id, only_from=None)
    changes = combine_attributes(survivor, merged)
    conn.execute(customers.update().where(customers.c.id == survivor_id).values(**changes, updated_at=now))
    conn.execute(customers.update().where(customers.c.id == merged_id).values(merged_into=survivor_id, updated_at=now))
    row = {
        "id": new_id(),
        "survivor_id": survivor_id,
        "merged_id": merged_id,
        "merged_by": actor,
        "rule": rule,
        "note": note,
        "score": score,
        "reasons": list(reasons),
        "snapshot": {
            "merged_customer": _encode(merged),
            "survivor_before": _encode({name: survivor[name] for name in changes}),
            "survivor_after": _encode(changes),
            "survivor_updated_at": survivor["updated_at"].isoformat(),
            "moved": moved,
        },
        "merged_at": now,
        "unmerged_at": None,
        "unmerged_by": None,
    }
    conn.execute(customer_merges.insert().values(**row))
    return row


def get_merge(conn: sa.Connection, merge_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(customer_merges).where(customer_merges.c.id == merge_id)).mappings().first()
    if row is None:
        raise NotFound(f"no merge with id {merge_id}")
    return dict(row)


def unmerge(conn: sa.Connection, merge_id: str, *, actor: str, now: datetime) -> dict[str, Any]:
    """Undo a merge: moved rows go back, overwritten attributes are restored, the profile lives again.

    An attribute changed again after the merge keeps its newer value. Records ingested after the merge
    stay with the survivor. The pair is remembered as rejected, so the matcher never re-merges it.
    """
    record = get_merge(conn, merge_id)
    if record["unmerged_at"] is not None:
        raise Conflict(f"merge {merge_id} was already undone at {record['unmerged_at']:%Y-%m-%d %H:%M} UTC")
    survivor_id, merged_id = record["survivor_id"], record["merged_id"]
    survivor = _customer(conn, survivor_id)
    if survivor["merged_into"] is not None:
        raise Conflict(
            f"customer {survivor_id} was merged into {survivor['merged_into']} afterwards; undo that merge first",
            details={"customer_id": survivor_id, "merged_into": survivor["merged_into"]},
        )
    snapshot = record["snapshot"]
    for table_name, ids in snapshot["moved"].items():
        table = metadata.tables.get(table_name)
        if table is not None:
            _reassign(conn, table, ids, to=merged_id, only_from=survivor_id)
    before, after = _decode(snapshot["survivor_before"]), _decode(snapshot["survivor_after"])
    restore = {name: value for name, value in before.items() if survivor[name] == after[name]}
    if survivor["updated_at"] == record["merged_at"] and len(restore) == len(before):
        restore["updated_at"] = datetime.fromisoformat(snapshot["survivor_updated_at"])  # untouched since
    else:
        restore["updated_at"] = now
    conn.execute(customers.update().where(customers.c.id == survivor_id).values(**restore))
    original = _decode({k: v for k, v in snapshot["merged_customer"].items() if k != "id"})
    conn.execute(customers.update().where(customers.c.id == merged_id).values(**original))
    conn.execute(
        customer_merges.update().where(customer_merges.c.id == merge_id).values(unmerged_at=now, unmerged_by=actor)
    )
    remember_rejection(conn, survivor_id, merged_id, actor=actor, now=now, reason="unmerged by a person")
    return get_merge(conn, merge_id)


def remember_rejection(conn: sa.Connection, a: str, b: str, *, actor: str, now: datetime, reason: str) -> None:
    """Mark the pair as different people, creating the candidate row when there is none."""
    left, right = _pair(a, b)
    pair = (match_candidates.c.left_customer_id == left, match_candidates.c.right_customer_id == right)
    # Select first: DuckDB does not report how many rows an UPDATE changed.
    if conn.execute(sa.select(match_candidates.c.id).where(*pair)).first() is not None:
        conn.execute(match_candidates.update().where(*pair).values(status="rejected", decided_by=actor, decided_at=now))
    else:
        conn.execute(
            match_candidates.insert().values(
                id=new_id(),
                left_customer_id=left,
                right_customer_id=right,
                probability=None,
                reasons=[reason],
                status="rejected",
                decided_by=actor,
                decided_at=now,
                created_at=now,
            )
        )


def live_customer_id(conn: sa.Connection, customer_id: str) -> str | None:
    """The live profile an id stands for today: itself, or the survivor its merges lead to."""
    seen: set[str] = set()
    current = customer_id
    while current not in seen:
        seen.add(current)
        target = conn.execute(sa.select(customers.c.merged_into).where(customers.c.id == current)).first()
        if target is None:
            return None
        if target[0] is None:
            return current
        current = str(target[0])
    return None  # a cycle cannot be built through `merge`; refuse to loop if the data says otherwise


def merge_history(conn: sa.Connection, customer_id: str) -> list[dict[str, Any]]:
    """Every merge this profile took part in, as survivor or as the merged one, newest first."""
    query = (
        sa.select(customer_merges, customers.c.name.label("merged_name"))
        .join(customers, customers.c.id == customer_merges.c.merged_id)
        .where(sa.or_(customer_merges.c.survivor_id == customer_id, customer_merges.c.merged_id == customer_id))
        .order_by(customer_merges.c.merged_at.desc(), customer_merges.c.id.desc())
    )
    history = []
    for row in conn.execute(query).mappings().all():
        item = {k: v for k, v in row.items() if k != "snapshot"}
        moved = row["snapshot"].get("moved", {})
        item["moved_counts"] = {table: len(ids) for table, ids in moved.items()}
        item["overwritten"] = sorted(row["snapshot"].get("survivor_after", {}))
        history.append(item)
    return history
