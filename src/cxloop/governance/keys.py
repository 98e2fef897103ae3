"""Key rotation: which columns hold encrypted values, moving them to the newest key, retiring old keys.

Rotation never stops the service: the new key is put first in the ring (new values use it at once,
old values stay readable), rows are then re-encrypted in small transactions, and only when no row
uses an old key any more may that key be retired. Modules that encrypt a column register it here:

    register_encrypted_column(EncryptedColumn(customer_identities, "value", index_column="value_index"))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.errors import Conflict, InvalidInput
from cxloop.governance.crypto import (
    FORMAT_VERSION,
    KeyRing,
    generate_key,
    key_file_path,
    keys_from_environment,
    load_key_ring,
    write_key_file,
)
from cxloop.identity import link_keys
from cxloop.store.engine import Store
from cxloop.store.tables import consents, customer_identities, feedback, webhooks

PLAINTEXT = "plaintext"


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """A column holding `cx1:` ciphertexts, the primary-key column to update rows by, and optionally
    a blind-index column recomputed from the decrypted value (with `normalize` applied first)."""

    table: sa.Table
    column: str
    key: str = "id"
    index_column: str | None = None
    normalize: Callable[[str], str] = field(default=str)
    #: Other columns of the row to read, and columns derived from the opened value (a masked display
    #: form, a blind index) that re-encryption rewrites too, e.g. when it converts legacy plaintext.
    reads: tuple[str, ...] = ()
    derive: Callable[[KeyRing, Mapping[str, Any], str], dict[str, Any]] | None = None

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"


_REGISTRY: dict[str, EncryptedColumn] = {}


def register_encrypted_column(column: EncryptedColumn) -> None:
    _REGISTRY[column.name] = column


def encrypted_columns() -> list[EncryptedColumn]:
    return list(_REGISTRY.values())


register_encrypted_column(EncryptedColumn(consents, "evidence"))
register_encrypted_column(EncryptedColumn(feedback, "text_raw"))
register_encrypted_column(EncryptedColumn(webhooks, "secret"))  # a credential, sealed like PII
register_encrypted_column(
    EncryptedColumn(
        customer_identities,
        "raw_value",
        reads=("kind", "namespace", "link_key"),
        derive=link_keys.convert_row,
    )
)


def key_usage(conn: sa.Connection, columns: Sequence[EncryptedColumn]) -> dict[str, dict[str, int]]:
    """Per column, how many values each key id seals (`plaintext` counts values not yet encrypted)."""
    usage: dict[str, dict[str, int]] = {}
    for spec in columns:
        value = spec.table.c[spec.column]
        is_cipher = value.startswith(FORMAT_VERSION + ":")
        # "cx1:" is 4 characters, so the 8-character key id starts at position 5 (SQL counts from 1).
        label = sa.case((is_cipher, sa.func.substr(value, 5, 8)), else_=sa.literal(PLAINTEXT))
        query = sa.select(label.label("kid"), sa.func.count()).where(value.is_not(None)).group_by(label)
        usage[spec.name] = {str(kid): int(n) for kid, n in conn.execute(query).all()}
    return usage


def reencrypt(
    store: Store,
    ring: KeyRing,
    columns: Sequence[EncryptedColumn],
    *,
    batch_size: int = 500,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Seal every value of `columns` that is not under the newest key (old keys and plaintext alike),
    one short transaction per batch, walking each table by primary key so the scan always ends."""
    if batch_size < 1:
        raise InvalidInput("the batch size must be at least 1")
    changed: dict[str, int] = {}
    current = ring.prefix()
    for spec in columns:
        table, key, value = spec.table, spec.table.c[spec.key], spec.table.c[spec.column]
        wanted = [key, value, *(spec.table.c[name] for name in spec.reads)]
        changed[spec.name], after = 0, None
        while True:
            with store.write() as conn:
                query = sa.select(*wanted).where(value.is_not(None)).order_by(key).limit(batch_size)
                if after is not None:
                    query = query.where(key > after)
                rows = conn.execute(query).all()
                updates: list[dict[str, Any]] = []
                for row in rows:
                    row_key, stored = row[0], row[1]
                    if str(stored).startswith(current):
                        continue
                    plain = ring.decrypt(stored) if KeyRing.key_id_of(stored) else str(stored)
                    update = {spec.key: row_key, spec.column: ring.encrypt(plain)}
                    if spec.derive:
                        update.update(spec.derive(ring, dict(row._mapping), plain))
                    if spec.index_column:
                        update[spec.index_column] = ring.blind_index(spec.normalize(plain))
                    updates.append(update)
                if updates:
                    store.dialect.bulk_update(conn, table, spec.key, updates)
            changed[spec.name] += len(updates)
            if progress and updates:
                progress(spec.name, changed[spec.name])
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
    return changed


def add_new_key(settings: Settings) -> KeyRing:
    """Put a freshly generated key first in the key file and return the new ring."""
    if keys_from_environment(settings):
        raise InvalidInput(
            "the keys come from CXLOOP_ENCRYPTION_KEY: generate one with `cxloop keys generate`, put it first "
            "in CXLOOP_ENCRYPTION_KEY for every process, restart them, then run `cxloop keys reencrypt`"
        )
    ring = load_key_ring(settings)
    write_key_file(key_file_path(settings), [generate_key(), *ring.keys], ring.index_key)
    return load_key_ring(settings)


def retire_old_keys(settings: Settings, store: Store) -> list[str]:
    """Drop every key but the newest from the key file, provided no registered column still uses it.
    Returns the retired key ids."""
    if keys_from_environment(settings):
        raise InvalidInput("the keys come from CXLOOP_ENCRYPTION_KEY: remove old keys from that variable instead")
    ring = load_key_ring(settings)
    with store.read() as conn:
        usage = key_usage(conn, encrypted_columns())
    old = set(ring.key_ids[1:])
    still_used = {
        f"{name} ({kid}: {count:,})" for name, counts in usage.items() for kid, count in counts.items() if kid in old
    }
    if still_used:
        raise Conflict(
            "old keys still seal stored values; run `cxloop keys reencrypt` first: " + ", ".join(sorted(still_used)),
            details={"usage": usage},
        )
    write_key_file(key_file_path(settings), ring.keys[:1], ring.index_key)
    return sorted(old)
