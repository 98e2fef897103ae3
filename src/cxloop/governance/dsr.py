"""Data-subject requests: export everything about a customer as a ZIP of JSON files.

The customer is resolved through merges: asking for a merged profile answers for the survivor, and
the survivor's answer includes every profile ever merged into it. Encrypted fields are opened for
the export (the customer is entitled to them); the export is written to the audit log in the same
transaction that read the data. Erasure lives in `cxloop.governance.erasure`.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.governance.crypto import KeyRing, load_key_ring
from cxloop.identity.link_keys import identifier_from_row
from cxloop.store import audit
from cxloop.store import dsr as repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import customer_identities, customers, metadata

ERASED = "[erased]"
_PHONE_DIGITS = re.compile(r"^\+82(\d{9,10})$")


def _open(ring: KeyRing, value: Any) -> Any:
    """The plaintext of a sealed value; anything else unchanged (legacy plaintext, numbers, None)."""
    if isinstance(value, str) and KeyRing.key_id_of(value):
        return ring.decrypt(value)
    return value


def phone_writings(e164: str) -> set[str]:
    """The ways people write one Korean number: 010-1234-5678, 01012345678, +82 10 1234 5678, …"""
    match = _PHONE_DIGITS.match(e164)
    if not match:
        return {e164}
    rest = match.group(1)
    national = "0" + rest
    head = 2 if rest.startswith("2") else 3
    groups = [national[:head], national[head:-4], national[-4:]]
    intl_groups = [groups[0][1:], groups[1], groups[2]]
    out = {e164, national, rest}
    for sep in ("-", " ", "."):
        out.add(sep.join(groups))
        out.add("+82" + sep + sep.join(intl_groups))
        out.add("+82 " + sep.join(intl_groups))
    return out


def identifier_needles(ring: KeyRing, identities: Iterable[dict[str, Any]]) -> set[str]:
    """Every writing of the subject's identifiers (decrypted), as they may appear in free text."""
    needles: set[str] = set()
    for identity in identities:
        writings = [identity.get("value"), identity.get("raw_value")]
        if KeyRing.key_id_of(str(identity.get("raw_value") or "")):
            # `value` is only a masked display form then ("mi***@example.com"), which other people's
            # identifiers share: search for the opened original and its normalized form instead.
            raw = _open(ring, identity["raw_value"])
            normalized = identifier_from_row(str(identity["kind"]), str(identity.get("namespace") or ""), str(raw))
            writings = [raw, normalized.value]
        for raw in writings:
            plain = _open(ring, raw)
            if not isinstance(plain, str) or len(plain.strip()) < 3:
                continue  # a 1-2 character value would match everywhere; nothing personal that short
            plain = plain.strip()
            needles |= {plain, plain.lower()}
            if identity.get("kind") == "phone":
                needles |= phone_writings(plain)
    return needles


def json_escaped(needles: Iterable[str]) -> set[str]:
    """Needles plus their JSON-escaped forms: JSON columns store non-ASCII text as \\uXXXX escapes."""
    out = set()
    for needle in needles:
        out.add(needle)
        out.add(json.dumps(needle)[1:-1])
    return out


def subject_identities(conn: sa.Connection, subject: repo.Subject) -> list[dict[str, Any]]:
    query = sa.select(customer_identities).where(repo.in_ids(customer_identities.c.customer_id, subject.customer_ids))
    return [dict(r) for r in conn.execute(query).mappings()]


def subject_names(conn: sa.Connection, subject: repo.Subject) -> set[str]:
    query = sa.select(customers.c.name).where(repo.in_ids(customers.c.id, subject.customer_ids))
    return {str(n).strip() for n in conn.execute(query).scalars() if n and len(str(n).strip()) >= 2}


def _decrypted(ring: KeyRing, table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from cxloop.governance.keys import encrypted_columns

    sealed = [spec.column for spec in encrypted_columns() if spec.table.name == table.name]
    if table.name == customer_identities.name:
        sealed += ["value", "raw_value"]
    return [{k: (_open(ring, v) if k in sealed else v) for k, v in row.items()} for row in rows]


def _mentions(conn: sa.Connection, subject: repo.Subject, needles: set[str], owned: set[str]) -> dict[str, list[Any]]:
    """Rows of other tables (notifications, alerts, emerging issues, …) that mention the subject."""
    found: dict[str, list[Any]] = {}
    for table in metadata.sorted_tables:
        if table.name in owned or table.name in repo.UNTOUCHED:
            continue
        columns = repo.text_columns(table)
        if rows := repo.rows_mentioning(conn, table, columns, needles):
            keys = [c.name for c in table.primary_key.columns]
            query = sa.select(table).where(sa.or_(*(sa.and_(*(table.c[k] == r[k] for k in keys)) for r in rows)))
            found[table.name] = [dict(r) for r in conn.execute(query).mappings().all()]
    return found


def collect(conn: sa.Connection, settings: Settings, customer_id: str) -> tuple[repo.Subject, dict[str, Any]]:
    """(subject, {file name: JSON-able content}) for everything the store holds about the customer."""
    ring = load_key_ring(settings)
    subject = repo.find_subject(conn, customer_id)
    files: dict[str, Any] = {}
    for table, rows in repo.owned_rows(conn, subject):
        files[f"{table.name}.json"] = _decrypted(ring, table, rows)
    links = files.get("action_feedback.json", [])
    actions = metadata.tables.get("improvement_actions")
    if links and actions is not None:
        ids = {str(link["action_id"]) for link in links}
        query = sa.select(actions).where(repo.in_ids(actions.c.id, ids))
        files["improvement_actions.json"] = [dict(r) for r in conn.execute(query).mappings()]
    needles = identifier_needles(ring, subject_identities(conn, subject))
    references = {*subject.customer_ids, *subject.feedback_ids, *subject.case_ids}
    owned = {name.removesuffix(".json") for name in files}
    for name, rows in _mentions(conn, subject, json_escaped(needles | references), owned).items():
        files[f"mentions/{name}.json"] = rows
    files["audit_log.json"] = repo.audit_entries_about(conn, subject)
    files["manifest.json"] = {
        "customer_id": subject.customer_id,
        "customer_ids": subject.customer_ids,
        "generated_at": utc_now(),
        "files": {name: len(rows) for name, rows in sorted(files.items())},
    }
    return subject, files


def zip_files(files: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            data = orjson.dumps(content, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
            archive.writestr(name, data)
    return buffer.getvalue()


def export_customer(store: Store, settings: Settings, customer_id: str, *, actor: str) -> tuple[str, bytes]:
    """(live customer id, ZIP bytes); recorded in the audit log as `export` with counts only."""
    with store.write() as conn:
        subject, files = collect(conn, settings, customer_id)
        audit.record(
            conn,
            store.dialect,
            actor=actor,
            action=audit.AuditAction.EXPORT,
            target_kind="customer",
            target_id=subject.customer_id,
            details={"profiles": len(subject.customer_ids), "files": files["manifest.json"]["files"]},
        )
    return subject.customer_id, zip_files(files)


def exports_directory(settings: Settings, customer_id: str) -> Path:
    """Where exports kept on the server live: one folder per customer, so erasure can remove them."""
    return settings.data_dir / "exports" / customer_id


def write_export(settings: Settings, customer_id: str, data: bytes, *, now: datetime | None = None) -> Path:
    directory = exports_directory(settings, customer_id)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%S%f")
    path = directory / f"customer-{customer_id}-{stamp}.zip"
    path.write_bytes(data)
    path.chmod(0o600)
    return path
