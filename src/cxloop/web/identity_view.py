"""Showing identifiers: masked by default, the same way on pages and in the API; opened for `pii.view`.

Identity rows store a masked `value` and a sealed `raw_value` (`cxloop.identity.link_keys`). Viewers
without `pii.view` get the stored masked form and never the ciphertext; viewers with it get the raw
value decrypted and `value` normalized again from it.
"""

from __future__ import annotations

from typing import Any

from cxloop.governance.crypto import KeyRing
from cxloop.identity.link_keys import mask_value, open_raw, revealed


def mask_identifier(kind: str, value: str | None) -> str | None:
    """Enough to recognize an identifier when you already know it, never enough to learn it."""
    if not value:
        return value
    if kind == "email" and "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "phone":
        digits = len(value)
        return value[:3] + "*" * max(0, digits - 7) + value[-4:] if digits > 7 else "*" * digits
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "***" + value[-2:]


def _is_sealed(value: Any) -> bool:
    return isinstance(value, str) and KeyRing.key_id_of(value) is not None


def mask_identities(identities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    masked = []
    for identity in identities:
        item = dict(identity)
        kind, value = str(item["kind"]), item.get("value")
        if value and not _is_sealed(item.get("raw_value")):
            value = mask_value(kind, str(value))  # a row not yet converted by `keys reencrypt`
        item["value"] = value
        if "raw_value" in item:
            item["raw_value"] = value
        item["masked"] = True
        masked.append(item)
    return masked


def shown_identities(identities: list[dict[str, Any]], *, may_see_pii: bool, ring: KeyRing) -> list[dict[str, Any]]:
    if not may_see_pii:
        return mask_identities(identities)
    return [revealed(ring, i) if "raw_value" in i else dict(i) for i in identities]


def masked_profile(profile: dict[str, Any], *, may_see_pii: bool, ring: KeyRing) -> dict[str, Any]:
    """A Customer 360 as the viewer may see it: identifiers masked unless they hold `pii.view`."""
    return {**profile, "identities": shown_identities(profile["identities"], may_see_pii=may_see_pii, ring=ring)}


def masked_review(result: dict[str, Any], *, may_see_pii: bool, ring: KeyRing) -> dict[str, Any]:
    """The review queue with both sides' identifiers masked for viewers without `pii.view`."""
    items = []
    for item in result["items"]:
        sides = {
            side: {
                **item[side],
                "identities": shown_identities(item[side]["identities"], may_see_pii=may_see_pii, ring=ring),
            }
            if item[side]
            else None
            for side in ("left", "right")
        }
        items.append({**item, **sides})
    return {**result, "items": items}


def masked_customer_list(result: dict[str, Any], *, may_see_pii: bool, ring: KeyRing) -> dict[str, Any]:
    """The customer list's contact columns (e-mail, phone) as the viewer may see them."""
    items = []
    for row in result["items"]:
        item = dict(row)
        for kind in ("email", "phone"):
            sealed = item.pop(f"{kind}_sealed", None)
            if may_see_pii and sealed:
                item[kind] = open_raw(ring, sealed)
            elif item.get(kind) and not _is_sealed(sealed):
                item[kind] = mask_value(kind, str(item[kind]))  # a row not yet converted by `keys reencrypt`
        items.append(item)
    return {**result, "items": items}
