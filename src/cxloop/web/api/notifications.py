"""Notifications API: the signed-in user's own notifications, alert rules, fired alerts, webhook
endpoints and the delivery outbox with its dead letters.

Notifications belong to a person: signed in, you read your own; an API token (which belongs to no
person) names the user with `?user=`. Everything else takes an API token as usual.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from cxloop.access import TokenPrincipal
from cxloop.errors import AuthenticationRequired, InvalidInput, NotFound, PermissionDenied
from cxloop.governance.crypto import load_key_ring
from cxloop.jobs.alerts import ensure_rules
from cxloop.notify import webhooks as hooks
from cxloop.notify.dispatch import retry_dead
from cxloop.notify.rules import TRIGGERS
from cxloop.permissions import Permission, role_allows, scopes_allow
from cxloop.store import accounts
from cxloop.store import notifications as repo
from cxloop.store.intake import utc_now
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed, api_principal, get_store, session_user

router = APIRouter(tags=["notifications"])


def notification_owner(permission: Permission) -> Any:
    """Whose notifications a request is about, with the route's one declared permission.

    A signed-in person (browser session) gets their own. An API token belongs to no person, so a
    token whose scopes grant the permission names the user with `?user=<id or e-mail>`.
    """

    def check(request: Request) -> str:
        if request.headers.get("authorization"):
            principal = api_principal(request)
            if not scopes_allow(principal.scopes, permission):
                raise PermissionDenied(f"this token's scopes do not grant {permission.value!r}")
            reference = (request.query_params.get("user") or "").strip()
            if not reference:
                raise InvalidInput("user: an API token belongs to no person; pass ?user=<user id or e-mail>")
            with get_store(request).read() as conn:
                found = accounts.find_user(conn, reference) or accounts.find_user_by_email(conn, reference.lower())
            if found is None:
                raise NotFound(f"no user {reference!r}")
            return str(found["id"])
        user = session_user(request)
        if user is None:
            raise AuthenticationRequired("sign in, or send an API token with ?user=<id or e-mail>")
        if not role_allows(user["role"], permission):
            raise PermissionDenied(f"your role ({user['role']}) does not allow {permission.value!r}")
        return str(user["id"])

    check.permission = permission  # type: ignore[attr-defined]  # read by the authorization-matrix test
    return Depends(check)


Owner = Annotated[str, notification_owner(Permission.FEEDBACK_READ)]
RulesEditor = Annotated[TokenPrincipal, api_allowed(Permission.RULES_EDIT)]


class MarkRead(BaseModel):
    ids: list[str] | None = Field(default=None, max_length=1000, description="Leave out to mark all read")


@router.get(
    "/notifications", summary="Your own in-app notifications, newest first (a token names the user with ?user=)"
)
def my_notifications(
    store: StoreDep,
    user_id: Owner,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    with store.read() as conn:
        items = repo.list_notifications(conn, user_id, unread_only=unread, limit=limit)
        return {"unread": repo.unread_count(conn, user_id), "items": items}


@router.post("/notifications/read", summary="Mark your notifications read (all, or the ids given)")
def mark_my_notifications_read(store: StoreDep, user_id: Owner, body: MarkRead) -> dict[str, Any]:
    with store.write() as conn:
        marked = repo.mark_read(conn, user_id, body.ids, utc_now())
        return {"marked": marked, "unread": repo.unread_count(conn, user_id)}


class RulePatch(BaseModel):
    version: int = Field(ge=0, le=2_147_483_647, description="The version you read; a stale one answers 409")
    enabled: bool | None = None
    channels: dict[str, Any] | None = None
    params: dict[str, Any] | None = None


@router.get("/alert-rules", summary="Alert rules (the shipped defaults until edited)")
def list_alert_rules(store: StoreDep, _: RulesEditor) -> dict[str, Any]:
    with store.write() as conn:
        ensure_rules(conn, utc_now())
        return {"triggers": list(TRIGGERS), "rules": repo.list_rules(conn)}


@router.put("/alert-rules", summary="Replace all alert rules; rules keep their id by name")
def replace_alert_rules(store: StoreDep, _: RulesEditor, body: list[dict[str, Any]]) -> dict[str, Any]:
    with store.write() as conn:
        return {"rules": hooks.replace_rules(conn, body, utc_now())}


@router.patch("/alert-rules/{rule_id}", summary="Enable or disable a rule, or change its channels or parameters")
def patch_alert_rule(rule_id: str, store: StoreDep, _: RulesEditor, body: RulePatch) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    with store.write() as conn:
        return hooks.patch_rule(conn, rule_id, changes, body.version, utc_now())


@router.get("/alerts", summary="Recently fired alerts")
def list_alerts(
    store: StoreDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.CASES_READ)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    with store.read() as conn:
        return repo.list_alerts(conn, limit)


class WebhookCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=2000)
    secret: str | None = Field(default=None, max_length=500, description="Made for you when left out")
    kind: Literal["generic", "slack"] = "generic"
    events: list[str] = Field(default_factory=lambda: ["*"], max_length=20)
    enabled: bool = True


class WebhookUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    url: str | None = Field(default=None, max_length=2000)
    secret: str | None = Field(default=None, max_length=500)
    kind: Literal["generic", "slack"] | None = None
    events: list[str] | None = Field(default=None, max_length=20)
    enabled: bool | None = None


@router.get("/webhooks", summary="Webhook endpoints (secrets are not shown)")
def list_webhooks(store: StoreDep, settings: SettingsDep, _: RulesEditor) -> list[dict[str, Any]]:
    ring = load_key_ring(settings)
    with store.read() as conn:
        return [hooks.public_webhook(h, ring) for h in repo.list_webhooks(conn)]


@router.post("/webhooks", status_code=201, summary="Add a webhook endpoint; the answer shows its secret once")
def create_webhook(store: StoreDep, settings: SettingsDep, _: RulesEditor, body: WebhookCreate) -> dict[str, Any]:
    with store.write() as conn:
        return hooks.create_webhook(conn, load_key_ring(settings), **body.model_dump(), now=utc_now())


@router.patch("/webhooks/{webhook_id}", summary="Change a webhook endpoint")
def update_webhook(
    webhook_id: str, store: StoreDep, settings: SettingsDep, _: RulesEditor, body: WebhookUpdate
) -> dict[str, Any]:
    ring = load_key_ring(settings)
    with store.write() as conn:
        return hooks.update_webhook(conn, ring, webhook_id, body.model_dump(exclude_none=True), utc_now())


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a webhook endpoint")
def delete_webhook(webhook_id: str, store: StoreDep, _: RulesEditor) -> None:
    with store.write() as conn:
        if not repo.delete_webhook(conn, webhook_id):
            raise NotFound(f"no webhook {webhook_id!r}")


@router.get("/notification-deliveries", summary="The outbox: webhook, e-mail and follow-up deliveries")
def list_deliveries(
    store: StoreDep,
    _: RulesEditor,
    status: Literal["pending", "sent", "failed", "dead"] | None = None,
    kind: Literal["webhook", "email", "customer_followup"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    with store.read() as conn:
        return {
            "counts": repo.delivery_counts(conn),
            "items": repo.list_deliveries(conn, status=status, kind=kind, limit=limit),
        }


@router.get("/dead-letters", summary="Deliveries that gave up after their last attempt")
def list_dead_letters(
    store: StoreDep, _: RulesEditor, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    with store.read() as conn:
        return repo.list_deliveries(conn, status="dead", limit=limit)


@router.post("/notification-deliveries/{delivery_id}/retry", summary="Send a dead or failed delivery again")
def retry_delivery(delivery_id: str, store: StoreDep, _: RulesEditor) -> dict[str, Any]:
    with store.write() as conn:
        return retry_dead(conn, delivery_id, utc_now())
