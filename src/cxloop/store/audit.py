"""Repository for the append-only, hash-chained audit log. Functions take a connection, never commit.

Anyone who changes something a steward must be able to account for calls `record(...)` inside the
same transaction as the change, so the trail and the change commit or roll back together:

    from cxloop.store import audit
    audit.record(conn, store.dialect, actor=user["email"], action=audit.AuditAction.MERGE,
                 target_kind="customer", target_id=survivor_id, details={"merged": loser_id})
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.errors import InvalidInput
from cxloop.store.dialects import StoreDialect
from cxloop.store.intake import utc_now
from cxloop.store.tables import audit_log

GENESIS_HASH = "0" * 64
# One advisory lock key for the whole chain: appends are rare next to everything else a transaction does.
_AUDIT_LOCK_KEY = 7_310_000
_ACTION = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)*$")


class AuditAction(StrEnum):
    """The actions the audit trail knows by name; other modules may record further dotted names."""

    PII_VIEW = "pii.view"
    EXPORT = "export"
    ERASE = "erase"
    ROLE_CHANGE = "role.change"
    PERMISSION_CHANGE = "permission.change"
    RULE_EDIT = "rule.edit"
    MERGE = "merge"
    UNMERGE = "unmerge"
    CONSENT_CHANGE = "consent.change"
    TOKEN_CREATE = "token.create"  # noqa: S105 - an action name, not a secret
    TOKEN_REVOKE = "token.revoke"  # noqa: S105 - an action name, not a secret
    USER_CREATE = "user.create"
    LOGIN_FAILED = "login.failed"
    KEY_ROTATE = "key.rotate"
    KEY_RETIRE = "key.retire"
    RETENTION_PURGE = "retention.purge"


def _normalized(details: Any) -> dict[str, Any]:
    """Details as they will read back from a JSON column (dates as text), so the hash is stable."""
    value = orjson.loads(orjson.dumps(details or {}, default=str, option=orjson.OPT_NON_STR_KEYS))
    if not isinstance(value, dict):
        raise InvalidInput("audit details must be a JSON object")
    return value


def canonical_entry(entry: dict[str, Any]) -> bytes:
    """The bytes an entry's hash covers: every field but the hashes, as sorted compact JSON."""
    body = {
        "seq": int(entry["seq"]),
        "occurred_at": entry["occurred_at"].isoformat(timespec="microseconds"),
        "actor": entry["actor"],
        "action": entry["action"],
        "target_kind": entry["target_kind"],
        "target_id": entry["target_id"],
        "details": entry["details"],
    }
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def chain_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical_entry(entry)).hexdigest()


def record(
    conn: sa.Connection,
    dialect: StoreDialect,
    *,
    actor: str,
    action: str,
    target_kind: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Append one entry to the chain and return it. Appends are serialized so the chain stays linear:
    on PostgreSQL by a transaction-scoped advisory lock, on DuckDB by the store's single writer."""
    if not _ACTION.match(action) or len(action) > 64:
        raise InvalidInput(f"{action!r} is not an audit action name (dotted lower-case words)")
    if not dialect.single_process:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(key)s)", {"key": _AUDIT_LOCK_KEY})
    last = conn.execute(sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    entry: dict[str, Any] = {
        "id": new_id(),
        "seq": (int(last.seq) + 1) if last else 1,
        "occurred_at": at or utc_now(),
        "actor": (actor or "unknown")[:200],
        "action": str(action),
        "target_kind": target_kind[:64] if target_kind else None,
        "target_id": str(target_id)[:200] if target_id is not None else None,
        "details": _normalized(details),
        "prev_hash": str(last.hash) if last else GENESIS_HASH,
    }
    entry["hash"] = chain_hash(entry["prev_hash"], entry)
    conn.execute(audit_log.insert().values(**entry))
    return entry


def iter_entries(conn: sa.Connection, *, page_size: int = 5000) -> Iterator[dict[str, Any]]:
    """Every entry in chain order, read in pages so a long log never sits in memory at once."""
    after = 0
    while True:
        query = sa.select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq).limit(page_size)
        rows = [dict(r) for r in conn.execute(query).mappings()]
        yield from rows
        if len(rows) < page_size:
            return
        after = int(rows[-1]["seq"])


def search(
    conn: sa.Connection,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Entries matching every given filter, newest first, and how many match in all. `actor` matches
    a substring; `action` an exact name or a family (`token` finds token.create and token.revoke);
    `target` the target id, or `kind:id`."""
    conditions: list[sa.ColumnElement[bool]] = []
    if actor:
        conditions.append(sa.func.lower(audit_log.c.actor).contains(actor.lower(), autoescape=True))
    if action:
        conditions.append(sa.or_(audit_log.c.action == action, audit_log.c.action.startswith(action + ".")))
    if target:
        kind, sep, target_id = target.partition(":")
        if sep and target_id:
            conditions += [audit_log.c.target_kind == kind, audit_log.c.target_id == target_id]
        else:
            conditions.append(audit_log.c.target_id == target)
    if since:
        conditions.append(audit_log.c.occurred_at >= since)
    if until:
        conditions.append(audit_log.c.occurred_at < until)
    where = sa.and_(sa.true(), *conditions)
    total = int(conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(where)).scalar_one())
    query = sa.select(audit_log).where(where).order_by(audit_log.c.seq.desc()).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(query).mappings()], total
