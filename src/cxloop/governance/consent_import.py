"""Importing consent decisions from CSV, TSV, JSONL or XLSX: good rows are stored, bad rows named."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cxloop.config import Settings
from cxloop.errors import CxloopError, InvalidInput
from cxloop.governance.consent import decision_rows, file_rows, live_customer_id, parse_granted, parse_purpose
from cxloop.governance.crypto import load_key_ring
from cxloop.identity.identifiers import Identifier, normalize_email, normalize_external_id, normalize_phone
from cxloop.ingest import fields
from cxloop.store import audit, consents
from cxloop.store.customers import customers_by_identifier
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now

#: Columns a consent file may have. One of the customer columns is needed on each row.
CONSENT_COLUMNS = (
    "customer_id", "customer_external_id", "namespace", "email", "phone",
    "purpose", "granted", "source", "recorded_at", "evidence",
)  # fmt: skip
DEFAULT_SOURCE = "import"


@dataclass(slots=True)
class ConsentImportReport:
    file_name: str
    rows: int = 0
    stored: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "rows": self.rows,
            "stored": self.stored,
            "rejected": len(self.rejections),
            "rejections": self.rejections,
        }


class _RowError(Exception):
    def __init__(self, field_name: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field_name, self.reason = field_name, reason


def _identifier(row: dict[str, Any]) -> Identifier | None:
    if row.get("customer_external_id"):
        namespace = str(row.get("namespace") or "").strip()
        if not namespace:
            raise _RowError("namespace", "customer_external_id needs the namespace (issuing system, e.g. crm)")
        return normalize_external_id(str(row["customer_external_id"]), namespace)
    if row.get("email"):
        return normalize_email(str(row["email"]))
    if row.get("phone"):
        return normalize_phone(str(row["phone"]))
    return None


def _parse(row: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    if "__error__" in row:
        raise _RowError(None, row["__error__"])
    unknown = sorted(k for k in row if k not in CONSENT_COLUMNS)
    if unknown:
        raise _RowError(unknown[0], f"unknown column; columns are: {', '.join(CONSENT_COLUMNS)}")
    values = {k: (str(v).strip() if v is not None and not isinstance(v, bool) else v) for k, v in row.items()}
    parsed: dict[str, Any] = {}
    for name, parse in (("purpose", parse_purpose), ("granted", parse_granted)):
        if values.get(name) in (None, ""):
            raise _RowError(name, "is required")
        try:
            parsed[name] = parse(values[name])
        except InvalidInput as exc:
            raise _RowError(name, exc.message) from None
    try:
        parsed["source"] = fields.text(values.get("source") or DEFAULT_SOURCE, max_length=100)
        recorded = values.get("recorded_at")
        parsed["recorded_at"] = fields.timestamp(recorded, zone)[0] if recorded else None
    except ValueError as exc:
        raise _RowError("recorded_at" if values.get("recorded_at") else "source", str(exc)) from None
    if parsed["recorded_at"] is not None and parsed["recorded_at"] > utc_now():
        raise _RowError("recorded_at", "is in the future")
    parsed["evidence"] = values.get("evidence") or None
    parsed["customer_id"] = values.get("customer_id") or None
    if not parsed["customer_id"]:
        identifier = _identifier(values)
        if identifier is None:
            raise _RowError("customer_id", "give customer_id, customer_external_id with namespace, email or phone")
        if not identifier.is_valid:
            raise _RowError(identifier.kind.value, f"{identifier.raw_value!r} is not a valid {identifier.kind.value}")
        parsed["link_key"] = identifier.link_key
        parsed["identifier"] = identifier
    return parsed


def import_consents(
    store: Store, settings: Settings, data: bytes, file_name: str, *, actor: str
) -> ConsentImportReport:
    """Store every valid decision of the file in one transaction, with one audit entry for the file."""
    report = ConsentImportReport(file_name)
    zone = ZoneInfo(settings.default_timezone)
    parsed_rows: list[tuple[str, dict[str, Any]]] = []
    for position, row in file_rows(data, file_name):
        report.rows += 1
        try:
            parsed_rows.append((position, _parse(row, zone)))
        except _RowError as exc:
            report.rejections.append({"row": position, "field": exc.field_name, "reason": exc.reason})
    now = utc_now()
    with store.write() as conn:
        # Identity rows hold the blind index of a link key, never the key itself.
        wanted_ids = [p["identifier"] for _, p in parsed_rows if p.get("identifier")]
        linked = customers_by_identifier(conn, load_key_ring(settings), wanted_ids)
        resolved: dict[str, str] = {}
        decisions: list[dict[str, Any]] = []
        for position, parsed in parsed_rows:
            wanted = parsed["customer_id"] or linked.get(parsed.get("link_key") or "")
            if not wanted:
                report.rejections.append({"row": position, "field": "customer", "reason": "no customer has it"})
                continue
            try:
                resolved[wanted] = resolved.get(wanted) or live_customer_id(conn, wanted)
            except CxloopError as exc:
                report.rejections.append({"row": position, "field": "customer_id", "reason": exc.message})
                continue
            decisions += decision_rows(
                settings,
                resolved[wanted],
                {parsed["purpose"]: parsed["granted"]},
                source=parsed["source"],
                actor=actor,
                recorded_at=parsed["recorded_at"] or now,
                evidence=parsed["evidence"],
            )
        consents.append_decisions(conn, decisions)
        report.stored = len(decisions)
        if decisions:
            audit.record(
                conn,
                store.dialect,
                actor=actor,
                action=audit.AuditAction.CONSENT_CHANGE,
                target_kind="consent_file",
                target_id=file_name,
                details={"stored": report.stored, "rejected": len(report.rejections), "customers": len(resolved)},
            )
    report.rejections.sort(key=lambda r: _position_order(r["row"]))
    return report


def _position_order(label: str) -> int:
    number = label.rsplit(" ", 1)[-1]
    return int(number) if number.isdigit() else 0


def parse_moment(value: str, settings: Settings) -> datetime:
    """A time filter from a query string or the CLI, read in the business zone when it has no offset."""
    try:
        return fields.timestamp(value, ZoneInfo(settings.default_timezone))[0]
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
