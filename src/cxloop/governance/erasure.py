"""Erasure (the right to be forgotten): remove or irreversibly anonymize a customer everywhere.

What happens, table by table (found from the schema, so later tables are covered by convention):
- Rows that exist only because of the customer are deleted: the profile and every profile merged
  into it, identifiers, events, consents, merges and review-queue pairs, intake records (payloads
  hold the raw identifiers; a replay from the source system after erasure ingests anew, so erase
  there too), keywords, and any other table with a `*customer_id` column.
- Feedback rows are kept anonymous so that historical KPI counts (NPS, CSAT, topic volumes) do not
  shift: `customer_id`, text, original text, keywords, order id, content hash and continuation links
  are emptied; channel, time, scores, sentiment and topic labels stay. Rows in `feedback_topics`,
  `case_feedback`, `action_feedback` and `action_cases` hold only ids and labels and stay too.
- Cases are kept anonymous for SLA and resolution KPIs: no customer, subject `[erased]`, no tags;
  notes and replies in their history are emptied.
- Then every text and JSON column of every other table is searched for the customer's identifiers
  (every writing of the phone number), and for their profile, feedback, event and case ids; rows
  found (notifications, alerts, delivery payloads, emerging-issue examples, batch rejections, …)
  have those values and the customer's name removed.
- The audit log is never rewritten (its hash chain must hold; entries carry ids, not personal data).
  A tombstone row keeps blind indexes of the erased ids and the counts; the `erase` audit entry
  keeps the counts. Exports kept under `<data_dir>/exports/<customer id>/` are deleted; on DuckDB a
  CHECKPOINT follows so the deleted data leaves the database file's active blocks. Freed blocks keep
  their old bytes until DuckDB reuses them (PostgreSQL likewise until VACUUM reuses the space), so
  the file itself still needs disk encryption or, for certainty, a copy into a fresh database file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import new_id
from cxloop.governance.crypto import load_key_ring
from cxloop.governance.dsr import (
    ERASED,
    exports_directory,
    identifier_needles,
    json_escaped,
    subject_identities,
    subject_names,
)
from cxloop.store import audit
from cxloop.store import dsr as repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import erasure_tombstones, feedback, metadata

# Link tables holding only ids and labels: kept, so anonymous counts stay right.
_KEPT_LINKS = frozenset({"feedback_topics", "case_feedback", "action_feedback", "action_cases"})
_FEEDBACK_EMPTIED = {
    "customer_id": None,
    "text": None,
    "text_raw": None,
    "keywords": None,
    "order_id": None,
    "content_hash": None,
    "duplicate_of": None,
    "continues_id": None,
    "external_id": "erased",
}


def _scrubber(needles: Iterable[str], drop: set[str]) -> Any:
    ordered = sorted({n for n in needles if n}, key=len, reverse=True)
    lowered = [n.lower() for n in ordered]

    def text(value: str) -> str:
        for needle, low in zip(ordered, lowered, strict=True):
            if low in value.lower():
                start = value.lower().find(low)
                while start >= 0:
                    value = value[:start] + ERASED + value[start + len(needle) :]
                    start = value.lower().find(low, start + len(ERASED))
        return value

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return ERASED if value in drop else text(value)
        if isinstance(value, list):
            return [scrub(v) for v in value if not (isinstance(v, str) and v in drop)]
        if isinstance(value, dict):
            return {(scrub(k) if isinstance(k, str) else k): scrub(v) for k, v in value.items()}
        return value

    return scrub


def _count(conn: sa.Connection, table: sa.Table, condition: sa.ColumnElement[bool]) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(condition)).scalar_one())


def _scrub_kept_rows(conn: sa.Connection, table: sa.Table, condition: sa.ColumnElement[bool], scrub: Any) -> None:
    """Rows kept anonymous may still quote the customer in JSON (a case's `changes`): clean them."""
    columns = [c for c in repo.text_columns(table) if c.name not in ("note", "subject")]
    # Read fully before updating: DuckDB must not stream a result while the same connection writes.
    rows = conn.execute(sa.select(*table.primary_key.columns, *columns).where(condition)).mappings().all()
    for row in rows:
        cleaned = {c.name: scrub(row[c.name]) for c in columns}
        changed = {k: v for k, v in cleaned.items() if v != row[k]}
        if changed:
            repo.update_by_key(conn, table, dict(row), changed)


def _remove_owned(conn: sa.Connection, subject: repo.Subject, scrub: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in reversed(metadata.sorted_tables):
        condition = repo.owning_condition(table, subject)
        if condition is None or table.name in _KEPT_LINKS:
            continue
        if table.name in ("cases", "case_history"):
            n = _count(conn, table, condition)
            _scrub_kept_rows(conn, table, condition, scrub)
            emptied = (
                {"customer_id": None, "subject": ERASED, "tags": None} if table.name == "cases" else {"note": None}
            )
            repo.update_where(conn, table, condition, emptied)
        elif table.name == feedback.name:
            mine = repo.in_ids(feedback.c.id, subject.feedback_ids)
            n = _count(conn, table, mine)
            repo.update_where(conn, table, mine, _FEEDBACK_EMPTIED)
            for link in (feedback.c.duplicate_of, feedback.c.continues_id):
                repo.update_where(conn, table, repo.in_ids(link, subject.feedback_ids), {link.name: None})
        else:
            n = _count(conn, table, condition)
            repo.delete_where(conn, table, condition)
        if n:
            counts[table.name] = n
    return counts


def _scrub_mentions(conn: sa.Connection, strong: set[str], scrub: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in metadata.sorted_tables:
        if table.name in repo.UNTOUCHED or not table.primary_key.columns:
            continue
        columns = repo.text_columns(table)
        for row in repo.rows_mentioning(conn, table, columns, json_escaped(strong)):
            changed = {c.name: scrub(row[c.name]) for c in columns if scrub(row[c.name]) != row[c.name]}
            if changed:
                repo.update_by_key(conn, table, row, changed)
                counts[table.name] = counts.get(table.name, 0) + 1
    return counts


def erase_customer(store: Store, settings: Settings, customer_id: str, *, actor: str) -> dict[str, Any]:
    """Erase the customer (and every profile merged into them) in one transaction; returns the
    tombstone summary: ids hashed, counts per table, files removed. Irreversible."""
    ring = load_key_ring(settings)
    with store.write() as conn:
        subject = repo.find_subject(conn, customer_id)
        identifiers = identifier_needles(ring, subject_identities(conn, subject))
        names = subject_names(conn, subject)
        references = {*subject.customer_ids, *subject.feedback_ids, *subject.event_ids, *subject.case_ids}
        scrub = _scrubber(identifiers | names | references, references)
        removed = _remove_owned(conn, subject, scrub)
        scrubbed = _scrub_mentions(conn, identifiers | references, scrub)
        counts: dict[str, Any] = {"removed_or_anonymized": removed, "scrubbed": scrubbed}
        tombstone: dict[str, Any] = {
            "id": new_id(),
            "erased_at": utc_now(),
            "erased_by": actor[:200],
            "customer_hashes": [ring.blind_index("customer:" + i) for i in subject.customer_ids],
            "counts": counts,
        }
        conn.execute(erasure_tombstones.insert().values(**tombstone))
        audit.record(
            conn,
            store.dialect,
            actor=actor,
            action=audit.AuditAction.ERASE,
            target_kind="customer",
            target_id=subject.customer_id,
            details={"tombstone_id": tombstone["id"], "profiles": len(subject.customer_ids), **counts},
        )
    files = _remove_files(settings, subject.customer_ids)
    if store.dialect.name == "duckdb":
        # Deleted rows otherwise stay in the file's current blocks until DuckDB checkpoints on its own.
        with store.read() as conn:
            conn.exec_driver_sql("CHECKPOINT")
    return {"customer_id": subject.customer_id, **tombstone, "files_removed": files}


def _remove_files(settings: Settings, customer_ids: Iterable[str]) -> int:
    removed = 0
    for customer_id in customer_ids:
        directory = exports_directory(settings, customer_id)
        if directory.is_dir():
            removed += sum(1 for p in directory.rglob("*") if p.is_file())
            shutil.rmtree(directory)
    return removed
