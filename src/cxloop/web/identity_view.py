"""Showing identifiers to people who may not see PII: masked the same way on pages and in the API."""

from __future__ import annotations

from typing import Any


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


def mask_identities(identities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    masked = []
    for identity in identities:
        item = dict(identity)
        item["value"] = mask_identifier(str(item["kind"]), item.get("value"))
        if "raw_value" in item:
            item["raw_value"] = mask_identifier(str(item["kind"]), item["raw_value"])
        item["masked"] = True
        masked.append(item)
    return masked


def masked_profile(profile: dict[str, Any], *, may_see_pii: bool) -> dict[str, Any]:
    """A Customer 360 as the viewer may see it: identifiers masked unless they hold `pii.view`."""
    if may_see_pii:
        return profile
    return {**profile, "identities": mask_identities(profile["identities"])}


def masked_review(result: dict[str, Any], *, may_see_pii: bool) -> dict[str, Any]:
    """The review queue with both sides' identifiers masked for viewers without `pii.view`."""
    if may_see_pii:
        return result
    items = []
    for item in result["items"]:
        sides = {
            side: {**item[side], "identities": mask_identities(item[side]["identities"])} if item[side] else None
            for side in ("left", "right")
        }
        items.append({**item, **sides})
    return {**result, "items": items}


def masked_customer_list(result: dict[str, Any], *, may_see_pii: bool) -> dict[str, Any]:
    if may_see_pii:
        return result
    items = [{**i, "email": mask_identifier("email", i.get("email"))} for i in result["items"]]
    return {**result, "items": items}
