"""Recording consent: decisions from the API, the UI and files, each one audited, evidence encrypted."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import new_id
from cxloop.errors import InvalidInput, NotFound
from cxloop.governance.crypto import load_key_ring
from cxloop.ingest import fields
from cxloop.ingest.files import decode, detect_format, read_table
from cxloop.store import audit, consents
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import customers

PURPOSES = tuple(p.value for p in consents.ConsentPurpose)
_YES = {"true", "yes", "y", "1", "granted", "grant", "opt-in", "optin", "동의", "예"}
_NO = {"false", "no", "n", "0", "withdrawn", "withdraw", "denied", "opt-out", "optout", "철회", "거부", "아니오"}
_MAX_EVIDENCE = 2000


def parse_purpose(value: Any) -> str:
    purpose = str(value or "").strip().lower()
    if purpose not in PURPOSES:
        raise InvalidInput(f"unknown purpose {purpose!r}; purposes are: {', '.join(PURPOSES)}")
    return purpose


def parse_granted(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidInput(f"{text!r} is not a decision; use true/false, granted/withdrawn or 동의/철회")


def live_customer_id(conn: sa.Connection, customer_id: str) -> str:
    """The customer's id, following merges to the surviving profile; NotFound for unknown ids."""
    seen: set[str] = set()
    current = customer_id
    while current not in seen:
        seen.add(current)
        row = conn.execute(sa.select(customers.c.merged_into).where(customers.c.id == current)).first()
        if row is None:
            raise NotFound(f"no customer with id {customer_id!r}")
        if not row.merged_into:
            return current
        current = str(row.merged_into)
    return current


def decision_rows(
    settings: Settings,
    customer_id: str,
    decisions: Mapping[str, bool],
    *,
    source: str,
    actor: str,
    recorded_at: datetime,
    evidence: str | None,
) -> list[dict[str, Any]]:
    sealed = load_key_ring(settings).encrypt(evidence) if evidence else None
    return [
        {
            "id": new_id(),
            "customer_id": customer_id,
            "purpose": purpose,
            "granted": granted,
            "source": source,
            "recorded_at": recorded_at,
            "recorded_by": actor[:200],
            "evidence": sealed,
        }
        for purpose, granted in decisions.items()
    ]


def set_consents(
    store: Store,
    settings: Settings,
    customer_id: str,
    decisions: Mapping[str, Any],
    *,
    source: str,
    actor: str,
    evidence: str | None = None,
) -> dict[str, Any]:
    """Record decisions {purpose: granted} for one customer with their audit entry, in one transaction;
    returns the customer's consent view afterwards."""
    if not decisions:
        raise InvalidInput("give at least one purpose and decision")
    parsed = {parse_purpose(p): parse_granted(g) for p, g in decisions.items()}
    source = fields.text(source, max_length=100) if source else ""
    if not source:
        raise InvalidInput("source: say where the decision was given (web_form, call, app, ...)")
    if evidence is not None and len(evidence) > _MAX_EVIDENCE:
        raise InvalidInput(f"evidence: at most {_MAX_EVIDENCE} characters")
    with store.write() as conn:
        live_id = live_customer_id(conn, customer_id)
        rows = decision_rows(
            settings, live_id, parsed, source=source, actor=actor, recorded_at=utc_now(), evidence=evidence or None
        )
        consents.append_decisions(conn, rows)
        audit.record(
            conn,
            store.dialect,
            actor=actor,
            action=audit.AuditAction.CONSENT_CHANGE,
            target_kind="customer",
            target_id=live_id,
            details={"decisions": parsed, "source": source},
        )
    return consent_view(store, live_id)


def consent_view(store: Store, customer_id: str) -> dict[str, Any]:
    """Current state of every purpose (None = never decided, which counts as not granted) and history.
    Evidence is never shown here: it stays encrypted at rest."""
    with store.read() as conn:
        live_id = live_customer_id(conn, customer_id)
        current = consents.current_consents(conn, live_id)
        history = consents.consent_history(conn, live_id)
    public = ("purpose", "granted", "source", "recorded_at", "recorded_by")

    def strip(row: dict[str, Any]) -> dict[str, Any]:
        return {k: row[k] for k in public} | {"has_evidence": row["evidence"] is not None}

    return {
        "customer_id": live_id,
        "consents": {p: (strip(current[p]) if p in current else None) for p in PURPOSES},
        "history": [strip(r) for r in history],
    }


def file_rows(data: bytes, file_name: str) -> list[tuple[str, dict[str, Any]]]:
    """(position label, row) pairs with exact positions: spreadsheet rows (header = row 1) or lines."""
    if not data.strip():
        raise InvalidInput("the file is empty")
    file_format = detect_format(file_name, data)
    if file_format == "xlsx":
        _, sheet = read_table(data, file_name)
        return [(f"row {i + 2}", r) for i, r in enumerate(sheet)]
    text, _ = decode(data)
    if file_format == "jsonl":
        out: list[tuple[str, dict[str, Any]]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                obj = None
            out.append((f"line {number}", obj if isinstance(obj, dict) else {"__error__": "not a JSON object"}))
        return out
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if file_format == "tsv" else ",")
    rows: list[tuple[str, dict[str, Any]]] = []
    for row in reader:
        if any(str(v or "").strip() for v in row.values()):
            rows.append((f"row {reader.line_num}", {str(k).strip(): v for k, v in row.items() if k}))
    return rows
