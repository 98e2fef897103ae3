"""The notifications page: your own in-app notifications (mark read), and for rule editors the alert
rules (on/off and who hears about them), the delivery outbox counts, the dead-letter list with a
retry button, and the webhook endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from cxloop.errors import CxloopError
from cxloop.governance.crypto import load_key_ring
from cxloop.jobs.alerts import ensure_rules
from cxloop.notify import webhooks as hooks
from cxloop.notify.dispatch import retry_dead
from cxloop.notify.triggers import headline
from cxloop.permissions import Permission
from cxloop.store import notifications as repo
from cxloop.store.intake import utc_now
from cxloop.web.deps import SettingsDep, StoreDep, check_csrf, page_allowed, user_may
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[dict[str, Any], page_allowed(Permission.FEEDBACK_READ)]
Editor = Annotated[dict[str, Any], page_allowed(Permission.RULES_EDIT)]
Csrf = Annotated[str, Form(max_length=200)]


def _page(
    request: Request,
    store: Any,
    user: dict[str, Any],
    *,
    error: str | None = None,
    secret: dict[str, Any] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    editor = user_may(user, Permission.RULES_EDIT)
    if editor:
        with store.write() as conn:  # the built-in rules exist before anyone has edited them
            ensure_rules(conn, utc_now())
    with store.read() as conn:
        context: dict[str, Any] = {
            "items": [
                {**n, "headline": headline(n.get("body"), str(n.get("title") or ""))}
                for n in repo.list_notifications(conn, user["id"], limit=100)
            ],
            "unread": repo.unread_count(conn, user["id"]),
            "editor": editor, "error": error, "new_hook": secret, "saved": saved,
        }  # fmt: skip
        if editor:
            context["rules"] = repo.list_rules(conn)
            context["counts"] = repo.delivery_counts(conn)
            context["dead"] = repo.list_deliveries(conn, status="dead", limit=50)
            ring = load_key_ring(request.app.state.settings)
            context["hooks"] = [hooks.public_webhook(h, ring) for h in repo.list_webhooks(conn)]
    return render(request, "notifications.html", context, status_code=status)


@router.get("/notifications")
def notifications_page(request: Request, user: Reader, store: StoreDep) -> Response:
    return _page(request, store, user)


@router.post("/notifications/read")
def mark_read_form(
    request: Request, user: Reader, store: StoreDep, csrf_token: Csrf,
    notification_id: Annotated[str, Form(max_length=26)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    with store.write() as conn:
        repo.mark_read(conn, user["id"], [notification_id] if notification_id else None, utc_now())
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/deliveries/{delivery_id}/retry")
def retry_form(request: Request, delivery_id: str, user: Editor, store: StoreDep, csrf_token: Csrf) -> Response:
    check_csrf(request, csrf_token)
    with store.write() as conn:
        retry_dead(conn, delivery_id, utc_now())
    return RedirectResponse("/notifications", status_code=303)


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@router.post("/notifications/rules/{rule_id}")
def save_rule_form(
    request: Request, rule_id: str, user: Editor, store: StoreDep, csrf_token: Csrf,
    version: Annotated[int, Form(ge=0, le=2_147_483_647)],
    enabled: Annotated[str, Form(max_length=8)] = "", roles: Annotated[str, Form(max_length=500)] = "",
    case_team: Annotated[str, Form(max_length=8)] = "", webhooks: Annotated[str, Form(max_length=8)] = "",
    emails: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    """On/off and the recipients of one rule; unchecked boxes are absent from a form, so absent is off.
    The rule's teams and thresholds are kept as they are (the API edits those)."""
    check_csrf(request, csrf_token)
    try:
        with store.write() as conn:
            rule = next((r for r in repo.list_rules(conn) if r["id"] == rule_id), None)
            teams = ((rule or {}).get("channels") or {}).get("in_app", {}).get("teams", [])
            channels = {
                "in_app": {"roles": _listed(roles), "teams": teams, "case_team": bool(case_team)},
                "webhooks": bool(webhooks),
                "emails": _listed(emails),
            }
            changes = {"enabled": bool(enabled), "channels": channels}
            hooks.patch_rule(conn, rule_id, changes, version, utc_now())
    except CxloopError as exc:
        if exc.status_code >= 500:
            raise
        return _page(request, store, user, error=exc.message, status=exc.status_code)
    return _page(request, store, user, saved=True)


@router.post("/notifications/webhooks")
def create_webhook_form(
    request: Request, user: Editor, store: StoreDep, settings: SettingsDep, csrf_token: Csrf,
    name: Annotated[str, Form(max_length=100)] = "", url: Annotated[str, Form(max_length=2000)] = "",
    kind: Annotated[str, Form(max_length=16)] = "generic", events: Annotated[str, Form(max_length=500)] = "*",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    wanted = [e.strip() for e in events.replace(",", " ").split() if e.strip()]
    try:
        with store.write() as conn:
            created = hooks.create_webhook(
                conn, load_key_ring(settings), name=name, url=url, kind=kind, events=wanted, now=utc_now()
            )
    except CxloopError as exc:
        if exc.status_code >= 500:
            raise
        return _page(request, store, user, error=exc.message, status=exc.status_code)
    return _page(request, store, user, secret=created)  # the secret is shown this once


@router.post("/notifications/webhooks/{webhook_id}/delete")
def delete_webhook_form(request: Request, webhook_id: str, user: Editor, store: StoreDep, csrf_token: Csrf) -> Response:
    check_csrf(request, csrf_token)
    with store.write() as conn:
        repo.delete_webhook(conn, webhook_id)
    return RedirectResponse("/notifications", status_code=303)
