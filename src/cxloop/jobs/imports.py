"""File import: read a file, send its rows through intake in batches, and report per row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.ingest.files import chunks, read_rows
from cxloop.ingest.records import Rejection
from cxloop.jobs.intake import IntakeReceipt, accept_records
from cxloop.store.engine import Store

#: Sends one chunk of (row number, raw record) pairs to intake and returns its receipt, whose
#: rejections name positions within the chunk list.
SubmitChunk = Callable[[list[tuple[int, dict[str, Any]]], list[Rejection]], IntakeReceipt]


@dataclass(slots=True)
class ImportReport:
    """The outcome of one file import, row by row where something went wrong."""

    file_name: str
    kind: str
    file_format: str
    encoding: str | None
    columns: list[str]
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    batch_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "kind": self.kind,
            "format": self.file_format,
            "encoding": self.encoding,
            "columns": self.columns,
            "rows": self.rows,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejections": self.rejections,
            "batch_ids": self.batch_ids,
        }


def import_file(
    data: bytes,
    file_name: str,
    kind: RecordKind,
    submit: SubmitChunk,
    *,
    mapping: Mapping[str, str] | None = None,
    chunk_size: int = 10_000,
) -> ImportReport:
    """Import every row; good rows are stored even when others are rejected.

    `submit` is local intake inside the server, or the server's API when a CLI runs beside a
    server that owns the embedded store: both see the same batches.
    """
    parsed = read_rows(data, file_name, kind, mapping)
    report = ImportReport(file_name, kind.value, parsed.file_format, parsed.encoding, parsed.columns)
    report.rows = len(parsed.rows) + len(parsed.unreadable)
    unread = list(parsed.unreadable)
    for chunk in chunks(parsed.rows, chunk_size) if parsed.rows else iter([[]]):
        # Rows the reader refused travel with the first chunk, so its batch records them too.
        receipt = submit(chunk, unread)
        unread = []
        report.accepted += receipt.accepted
        report.duplicates += receipt.duplicates
        report.rejected += receipt.rejected
        report.batch_ids.append(receipt.batch_id)
        report.rejections.extend(receipt.rejections)
    report.rejections.sort(key=lambda r: r["row"])
    return report


def import_into_store(
    store: Store,
    settings: Settings,
    data: bytes,
    file_name: str,
    kind: RecordKind,
    *,
    mapping: Mapping[str, str] | None = None,
    default_source: str | None = None,
    submitted_by: str | None = None,
) -> ImportReport:
    """Import a file straight into this process's store."""

    def submit(rows: list[tuple[int, dict[str, Any]]], unreadable: list[Rejection]) -> IntakeReceipt:
        return accept_records(
            store,
            settings,
            kind,
            rows,
            origin="file",
            position_label="row",
            prior_rejections=unreadable,
            file_name=file_name,
            default_source=default_source,
            submitted_by=submitted_by,
        )

    return import_file(data, file_name, kind, submit, mapping=mapping, chunk_size=settings.max_batch_records)
