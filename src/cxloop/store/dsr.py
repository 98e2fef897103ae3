"""Data-subject requests in the store: which rows belong to a customer, found from the schema.

Everything is discovered from `cxloop.store.tables.metadata`, so a table added later is exported and
erased without code here, as long as it refers to customers, feedback or cases by the usual column
names (`customer_id`, `*_customer_id`, `feedback_id`, `case_id`). Functions take a connection and
never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cxloop.errors import NotFound
from cxloop.store.tables import audit_log, customers, erasure_tombstones, events, feedback, intake_records, metadata

_CHUNK = 500  # ids per IN (...): well under every driver's parameter limit
# Columns other than `*customer_id` that name a customer (the two sides of a merge).
_CUSTOMER_COLUMNS = frozenset({"survivor_id", "merged_id"})
# Never touched by an erasure: the hash-chained audit log (rewriting it would break the chain; its
# entries carry ids and counts, not personal data) and the tombstones themselves.
UNTOUCHED = frozenset({audit_log.name, erasure_tombstones.name})


@dataclass(slots=True)
class Subject:
    """One data subject: the live profile, every profile merged into it, and the ids of their rows."""

    customer_id: str
    customer_ids: list[str]
    feedback_ids: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    case_ids: list[str] = field(default_factory=list)

    @property
    def record_ids(self) -> set[str]:
        return {*self.customer_ids, *self.feedback_ids, *self.event_ids}


def chunks(values: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def customer_columns(table: sa.Table) -> list[sa.Column[Any]]:
    return [c for c in table.c if c.name.endswith("customer_id") or c.name in _CUSTOMER_COLUMNS]


def _in(column: sa.ColumnElement[Any], values: Collection[str]) -> sa.ColumnElement[bool]:
    return sa.or_(sa.false(), *(column.in_(chunk) for chunk in chunks(values)))


def _ids(conn: sa.Connection, column: sa.Column[Any], where: sa.ColumnElement[bool]) -> list[str]:
    return sorted(str(v) for v in conn.execute(sa.select(column).where(where)).scalars())


def find_subject(conn: sa.Connection, customer_id: str) -> Subject:
    """The live profile `customer_id` resolves to (following merges), with every profile ever merged
    into it (recursively), and the ids of their feedback, events and cases. NotFound if unknown."""
    current, seen = customer_id, set[str]()
    while True:
        row = conn.execute(sa.select(customers.c.id, customers.c.merged_into).where(customers.c.id == current)).first()
        if row is None:
            raise NotFound(f"no customer with id {customer_id}")
        if row.merged_into is None or row.merged_into in seen:
            break
        seen.add(current)
        current = str(row.merged_into)
    ids, frontier = {current}, {current}
    while frontier:
        found = set(_ids(conn, customers.c.id, _in(customers.c.merged_into, frontier))) - ids
        ids |= found
        frontier = found
    subject = Subject(current, sorted(ids))
    subject.feedback_ids = _ids(conn, feedback.c.id, _in(feedback.c.customer_id, ids))
    subject.event_ids = _ids(conn, events.c.id, _in(events.c.customer_id, ids))
    cases = metadata.tables.get("cases")
    if cases is not None:
        subject.case_ids = _ids(conn, cases.c.id, _in(cases.c.customer_id, ids))
    return subject


def owning_condition(table: sa.Table, subject: Subject) -> sa.ColumnElement[bool] | None:
    """The rows of `table` that belong to the subject, by the schema's naming conventions; None for
    a table that does not refer to customers, feedback or cases."""
    if table.name in UNTOUCHED:
        return None
    conditions = [_in(c, subject.customer_ids) for c in customer_columns(table)]
    if table.name == customers.name:
        conditions.append(_in(table.c.id, subject.customer_ids))
    if "feedback_id" in table.c:
        conditions.append(_in(table.c.feedback_id, subject.feedback_ids))
    if "case_id" in table.c:
        conditions.append(_in(table.c.case_id, subject.case_ids))
    if table.name == intake_records.name:
        conditions.append(_in(table.c.record_id, subject.record_ids))
    return sa.or_(*conditions) if conditions else None


def owned_rows(conn: sa.Connection, subject: Subject) -> Iterable[tuple[sa.Table, list[dict[str, Any]]]]:
    """(table, rows) for every table holding rows of the subject, in schema order."""
    for table in metadata.sorted_tables:
        condition = owning_condition(table, subject)
        if condition is None:
            continue
        rows = [dict(r) for r in conn.execute(sa.select(table).where(condition)).mappings()]
        if rows:
            yield table, rows


def audit_entries_about(conn: sa.Connection, subject: Subject) -> list[dict[str, Any]]:
    targets = {*subject.customer_ids, *subject.case_ids, *subject.feedback_ids}
    query = sa.select(audit_log).where(_in(audit_log.c.target_id, targets)).order_by(audit_log.c.seq)
    return [dict(r) for r in conn.execute(query).mappings()]


def text_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """Columns that can hold free text or JSON, where personal data may hide. Id-sized strings
    (String(26) and shorter codes) are references and enumerations, not text."""
    out = []
    for column in table.c:
        kind = column.type
        long_string = isinstance(kind, sa.String) and (kind.length is None or kind.length > 64)
        if isinstance(kind, (sa.JSON, sa.Text)) or (long_string and not column.primary_key):
            out.append(column)
    return out


def rows_mentioning(
    conn: sa.Connection, table: sa.Table, columns: Sequence[sa.Column[Any]], needles: Collection[str]
) -> list[dict[str, Any]]:
    """Rows in which any of `columns` (read as text) contains any needle: primary key and all `columns`,
    so a row that names the customer in one column is cleaned in every column."""
    if not columns or not needles:
        return []
    wanted = [*table.primary_key.columns, *columns]
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    ordered = sorted(needles)
    for start in range(0, len(ordered), 100):
        part = ordered[start : start + 100]
        condition = sa.or_(*(sa.cast(c, sa.Text).contains(n, autoescape=True) for c in columns for n in part))
        for row in conn.execute(sa.select(*wanted).where(condition)).mappings().all():
            found[tuple(row[c.name] for c in table.primary_key.columns)] = dict(row)
    return list(found.values())


def update_by_key(conn: sa.Connection, table: sa.Table, row: dict[str, Any], values: dict[str, Any]) -> None:
    key = [c == row[c.name] for c in table.primary_key.columns]
    conn.execute(table.update().where(*key).values(**values))


def delete_where(conn: sa.Connection, table: sa.Table, condition: sa.ColumnElement[bool]) -> int:
    return int(conn.execute(table.delete().where(condition)).rowcount or 0)


def update_where(
    conn: sa.Connection, table: sa.Table, condition: sa.ColumnElement[bool], values: dict[str, Any]
) -> int:
    return int(conn.execute(table.update().where(condition).values(**values)).rowcount or 0)


def in_ids(column: sa.ColumnElement[Any], values: Collection[str]) -> sa.ColumnElement[bool]:
    return _in(column, values)
