"""Webhook endpoints and alert rules as people edit them: validation and the store calls, shared by
the API and the pages. Functions take the caller's connection and never commit.

A webhook's signing secret is a credential: it is stored sealed with the key ring (like customer
PII), shown in full once when it is made, and opened only to sign a delivery. Rows written before
secrets were sealed still open (and `cxloop keys rotate` seals them)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.errors import Conflict, InvalidInput, NotFound
from cxloop.governance.crypto import KeyRing
from cxloop.notify.rules import TRIGGERS, validate_channels, validate_params, validate_rule_list
from cxloop.store import notifications as repo

WEBHOOK_KINDS = ("generic", "slack")
MIN_SECRET = 16


def _bad(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", details=[{"field": field, "reason": reason}])


def check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise _bad("url", "must be an http:// or https:// URL with a host, at most 2000 characters")
    return url


def check_events(events: Sequence[str]) -> list[str]:
    if not events:
        raise _bad("events", f"name at least one trigger ({', '.join(TRIGGERS)}) or '*'")
    unknown = [e for e in events if e != "*" and e not in TRIGGERS]
    if unknown:
        raise _bad("events", f"unknown trigger(s) {', '.join(unknown)}; use {', '.join(TRIGGERS)} or '*'")
    return sorted(set(events))


def open_secret(ring: KeyRing, stored: str) -> str:
    """The signing secret of a stored webhook row (sealed, or plaintext from before sealing)."""
    return ring.decrypt(stored) if KeyRing.key_id_of(stored) else stored


def public_webhook(row: dict[str, Any], ring: KeyRing) -> dict[str, Any]:
    """A webhook as listed: the secret is never shown again, only its first characters."""
    return {k: v for k, v in row.items() if k != "secret"} | {"secret_hint": open_secret(ring, row["secret"])[:4] + "…"}


def create_webhook(
    conn: sa.Connection, ring: KeyRing, *, name: str, url: str, kind: str, events: Sequence[str], now: datetime,
    secret: str | None = None, enabled: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Create an endpoint; returns it with the secret (made here when not given), shown this once."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise _bad("name", "give a name of 1-100 characters")
    if kind not in WEBHOOK_KINDS:
        raise _bad("kind", f"must be one of {', '.join(WEBHOOK_KINDS)}")
    if secret is not None and len(secret) < MIN_SECRET:
        raise _bad("secret", f"use at least {MIN_SECRET} characters (or leave it out to get a random one)")
    secret = secret or "whsec_" + secrets.token_urlsafe(24)
    row: dict[str, Any] = {
        "id": new_id(),
        "name": name,
        "url": check_url(url),
        "secret": secret,
        "kind": kind,
        "events": check_events(events),
        "enabled": enabled,
        "created_at": now,
        "updated_at": now,
    }
    repo.insert_webhook(conn, **(row | {"secret": ring.encrypt(secret)}))
    return row


def update_webhook(
    conn: sa.Connection, ring: KeyRing, webhook_id: str, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    if repo.find_webhook(conn, webhook_id) is None:
        raise NotFound(f"no webhook {webhook_id!r}")
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "url":
            values[key] = check_url(value)
        elif key == "events":
            values[key] = check_events(value)
        elif key == "kind":
            if value not in WEBHOOK_KINDS:
                raise _bad("kind", f"must be one of {', '.join(WEBHOOK_KINDS)}")
            values[key] = value
        elif key == "secret":
            if len(value) < MIN_SECRET:
                raise _bad("secret", f"use at least {MIN_SECRET} characters")
            values[key] = ring.encrypt(value)
        elif key in ("name", "enabled"):
            values[key] = value.strip() if isinstance(value, str) else value
        else:
            raise _bad(key, "cannot be changed")
    repo.update_webhook(conn, webhook_id, updated_at=now, **values)
    found = repo.find_webhook(conn, webhook_id)
    assert found is not None
    return public_webhook(found, ring)


def replace_rules(conn: sa.Connection, data: Any, now: datetime) -> list[dict[str, Any]]:
    """Replace every rule with the validated list; rules keep their id (and alert history) by name."""
    wanted = validate_rule_list(data)
    existing = {r["name"]: r for r in repo.list_rules(conn)}
    keep = {r["name"] for r in wanted}
    repo.delete_rules(conn, [r["id"] for name, r in existing.items() if name not in keep])
    new_rows = []
    for rule in wanted:
        old = existing.get(rule["name"])
        if old is None:
            new_rows.append({**rule, "id": new_id(), "created_at": now, "updated_at": now, "version": 1})
        else:
            repo.update_rule(conn, old["id"], old["version"], updated_at=now, **rule)
    repo.insert_rules(conn, new_rows)
    return repo.list_rules(conn)


def patch_rule(
    conn: sa.Connection, rule_id: str, changes: dict[str, Any], version: int, now: datetime
) -> dict[str, Any]:
    rule = next((r for r in repo.list_rules(conn) if r["id"] == rule_id), None)
    if rule is None:
        raise NotFound(f"no alert rule {rule_id!r}")
    values: dict[str, Any] = {}
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise _bad("enabled", "must be true or false")
        values["enabled"] = changes["enabled"]
    if "channels" in changes:
        values["channels"] = validate_channels(changes["channels"])
    if "params" in changes:
        values["params"] = validate_params(rule["trigger"], changes["params"])
    if not repo.update_rule(conn, rule_id, version, updated_at=now, **values):
        raise Conflict(f"the rule changed meanwhile (version {rule['version']}, you sent {version}); reload it")
    return next(r for r in repo.list_rules(conn) if r["id"] == rule_id)
