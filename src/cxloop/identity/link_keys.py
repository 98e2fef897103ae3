"""How customer identifiers are kept at rest: sealed, masked for display, and found by a blind index.

A `customer_identities` row stores
- `raw_value`: the identifier as given, sealed with the key ring (AES-GCM, rotates with the ring);
- `value`: a masked display form ("mi***@example.com", "+82 10-****-5678", "C-****01");
- `link_key`: `KeyRing.identifier_index("kind:namespace:normalized value")` for valid identifiers,
  made with the dedicated index key that rotation never changes, so the UNIQUE constraint still
  means one identifier, one row. Every reader and writer goes through `link_key_of` below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxloop.domain import IdentityKind
from cxloop.governance.crypto import KeyRing
from cxloop.identity.identifiers import (
    Identifier,
    normalize_device_id,
    normalize_email,
    normalize_external_id,
    normalize_phone,
    normalize_social_handle,
)


def link_key_of(ring: KeyRing, identifier: Identifier) -> str | None:
    """The stored link key of an identifier: the blind index of its plaintext key, None when invalid."""
    plain = identifier.link_key
    return ring.identifier_index(plain) if plain is not None else None


def link_keys_of(ring: KeyRing, identifiers: list[Identifier]) -> dict[str, str]:
    """Plaintext link key → stored link key, for every valid identifier (one HMAC each)."""
    return {plain: ring.identifier_index(plain) for i in identifiers if (plain := i.link_key) is not None}


def _mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    if len(text) <= keep_start + keep_end + 1:
        return "*" * len(text)
    return text[:keep_start] + "****" + text[len(text) - keep_end :]


def mask_value(kind: str, value: str) -> str:
    """The display form stored in `value`: enough to recognize an identifier you already know."""
    if not value:
        return value
    if kind == IdentityKind.EMAIL.value and "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:2] if len(local) > 2 else local[:1]}***@{domain}"
    if kind == IdentityKind.PHONE.value and value.startswith("+82") and value[3:].isdigit():
        national = value[3:]
        area = national[:1] if national.startswith("2") else national[:2]
        return f"+82 {area}-****-{national[-4:]}"
    if kind == IdentityKind.PHONE.value and value.startswith("+") and value[1:].isdigit():
        return f"{value[:3]} ****-{value[-4:]}"
    return _mask_middle(value, 2, 2)


def identifier_from_row(kind: str, namespace: str, raw_value: str) -> Identifier:
    """Normalize an identifier again from its decrypted raw value (normalization is deterministic)."""
    kind_enum = IdentityKind(kind)
    if kind_enum is IdentityKind.EXTERNAL_ID:
        return normalize_external_id(raw_value, namespace)
    normalize = {
        IdentityKind.EMAIL: normalize_email,
        IdentityKind.PHONE: normalize_phone,
        IdentityKind.DEVICE_ID: normalize_device_id,
        IdentityKind.SOCIAL_HANDLE: normalize_social_handle,
    }[kind_enum]
    return normalize(raw_value)


def sealed_fields(ring: KeyRing, identifier: Identifier) -> dict[str, Any]:
    """The `value`, `raw_value` and `link_key` columns of a new identity row."""
    return {
        "value": mask_value(identifier.kind.value, identifier.value),
        "raw_value": ring.encrypt(identifier.raw_value),
        "link_key": link_key_of(ring, identifier),
    }


def open_raw(ring: KeyRing, stored: str | None) -> str | None:
    """The identifier as given: decrypted, or as stored for rows not yet converted."""
    if stored is None:
        return None
    return ring.decrypt(stored) if KeyRing.key_id_of(stored) else stored


def revealed(ring: KeyRing, row: Mapping[str, Any]) -> dict[str, Any]:
    """An identity row as someone with `pii.view` sees it: the raw value opened, `value` normalized again."""
    raw = open_raw(ring, row.get("raw_value"))
    item = dict(row)
    if raw is not None:
        identifier = identifier_from_row(str(row["kind"]), str(row.get("namespace") or ""), raw)
        item["raw_value"] = raw
        item["value"] = identifier.value
    return item


def convert_row(ring: KeyRing, row: Mapping[str, Any], plain: str) -> dict[str, Any]:
    """For `cxloop keys reencrypt`: the masked value and blind link key derived from the opened raw
    value. A row without a link key (malformed identifier) keeps none."""
    identifier = identifier_from_row(str(row["kind"]), str(row["namespace"] or ""), plain)
    return {
        "value": mask_value(identifier.kind.value, identifier.value),
        "link_key": link_key_of(ring, identifier) if row["link_key"] is not None else None,
    }


def search_link_keys(ring: KeyRing, text: str, namespaces: list[str]) -> list[str]:
    """The stored link keys a search text may stand for: as an e-mail, a phone number (any writing),
    a device id or handle, or an external id in any known namespace. Exact matches only."""
    candidates: list[Identifier] = [
        normalize_email(text),
        normalize_phone(text),
        normalize_device_id(text),
        normalize_social_handle(text),
    ]
    candidates += [normalize_external_id(text, namespace) for namespace in namespaces]
    return sorted(set(link_keys_of(ring, [c for c in candidates if c.is_valid]).values()))
