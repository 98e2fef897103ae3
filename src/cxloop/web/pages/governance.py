"""Governance pages for stewards: audit-log search, consent per customer, data quality, retention."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape

from cxloop.errors import CxloopError
from cxloop.governance import audit as audit_service
from cxloop.governance.consent import PURPOSES, consent_view, set_consents
from cxloop.governance.consent_import import parse_moment
from cxloop.governance.quality import quality_overview, run_table_checks
from cxloop.governance.retention import policies, recent_runs, run_retention
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, check_csrf, page_allowed, user_may
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
_PAGE_SIZE = 50
_SECTIONS = (
    ("quality", Permission.QUALITY_READ),
    ("audit", Permission.AUDIT_READ),
    ("consents", Permission.CUSTOMERS_READ),
    ("retention", Permission.RETENTION_MANAGE),
    ("dsr", Permission.DSR_EXECUTE),
)


def sparkline(values: list[float], *, label: str, width: int = 120, height: int = 28) -> Markup:
    """A small trend line as inline SVG; the newest point is marked."""
    if not values:
        return Markup("")
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    points = [(i * step, height - 3 - (v - low) / span * (height - 6)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    return Markup(  # noqa: S704 - only numbers and the escaped label are interpolated
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><polyline points="{path}"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5"/></svg>'
    )


def _sections(user: dict[str, Any]) -> list[str]:
    return [name for name, permission in _SECTIONS if user_may(user, permission)]


@router.get("/governance")
def governance_index(user: Annotated[dict[str, Any], page_allowed(Permission.FEEDBACK_READ)]) -> Response:
    """The first governance page this user may open."""
    allowed = _sections(user)
    return RedirectResponse(f"/governance/{allowed[0]}" if allowed else "/", status_code=303)


@router.get("/governance/quality")
def quality_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.QUALITY_READ)],
    store: StoreDep,
    settings: SettingsDep,
    ran: bool = False,
) -> Response:
    overview = quality_overview(store, settings)
    for row in overview["latest"]:
        row["sparkline"] = sparkline(row["trend"], label=f"{row['check']} {row['subject']}")
    context = {"overview": overview, "sections": _sections(user), "section": "quality", "ran": ran}
    return render(request, "governance_quality.html", context)


@router.post("/governance/quality/run")
def run_quality_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.QUALITY_READ)],
    store: StoreDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    run_table_checks(store, settings)
    return RedirectResponse("/governance/quality?ran=true", status_code=303)


@router.get("/governance/audit")
def audit_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.AUDIT_READ)],
    store: StoreDep,
    settings: SettingsDep,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    target: Annotated[str, Query(max_length=270)] = "",
    from_: Annotated[str, Query(alias="from", max_length=64)] = "",
    to: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    verify: bool = False,
) -> Response:
    filters = {"actor": actor, "action": action, "target": target, "from": from_, "to": to}
    error: str | None = None
    result: dict[str, Any] = {"entries": [], "total": 0}
    try:
        since = parse_moment(from_, settings) if from_ else None
        until = parse_moment(to, settings) if to else None
        result = audit_service.search_entries(
            store, actor=actor or None, action=action or None, target=target or None, since=since, until=until,
            limit=_PAGE_SIZE, offset=(page - 1) * _PAGE_SIZE,
        )  # fmt: skip
    except CxloopError as exc:
        error = exc.message
    chain = None
    if verify:
        with store.read() as conn:
            chain = audit_service.verify_chain(conn)
    pages = max(1, -(-int(result["total"]) // _PAGE_SIZE))
    query = {k: v for k, v in filters.items() if v}

    def page_link(number: int) -> str:
        return "/governance/audit?" + urlencode({**query, "page": number})

    context = {
        "result": result, "filters": filters, "error": error, "chain": chain, "page": page, "pages": pages,
        "page_link": page_link, "sections": _sections(user), "section": "audit",
    }  # fmt: skip
    return render(request, "governance_audit.html", context, status_code=422 if error else 200)


@router.get("/governance/consents")
def consents_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.CUSTOMERS_READ)],
    store: StoreDep,
    customer: Annotated[str, Query(max_length=64)] = "",
    saved: bool = False,
) -> Response:
    return _consents(request, user, store, customer.strip(), saved=saved)


def _consents(
    request: Request, user: dict[str, Any], store: Any, customer: str, *, saved: bool = False, error: str | None = None
) -> Response:
    view = None
    if customer:
        try:
            view = consent_view(store, customer)
        except CxloopError as exc:
            error = exc.message
    context = {
        "customer": customer, "view": view, "error": error, "saved": saved, "purposes": PURPOSES,
        "may_change": user_may(user, Permission.CONSENT_MANAGE), "sections": _sections(user), "section": "consents",
    }  # fmt: skip
    return render(request, "governance_consents.html", context, status_code=422 if error and customer else 200)


@router.post("/governance/consents")
def change_consent_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.CONSENT_MANAGE)],
    store: StoreDep,
    settings: SettingsDep,
    customer: Annotated[str, Form(max_length=64)] = "",
    purpose: Annotated[str, Form(max_length=64)] = "",
    granted: Annotated[str, Form(max_length=16)] = "",
    source: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        set_consents(store, settings, customer, {purpose: granted}, source=source, actor=user["email"])
    except CxloopError as exc:
        return _consents(request, user, store, customer, error=exc.message)
    return RedirectResponse(f"/governance/consents?{urlencode({'customer': customer, 'saved': 'true'})}", 303)


@router.get("/governance/retention")
def retention_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.RETENTION_MANAGE)],
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    runs = recent_runs(store, limit=10)
    last_dry_run = next((r for r in runs if r["dry_run"]), None)
    context = {
        "policies": [asdict(p) for p in policies(settings)], "runs": runs, "last_dry_run": last_dry_run,
        "interval_hours": settings.retention_interval_seconds / 3600, "sections": _sections(user),
        "section": "retention",
    }  # fmt: skip
    return render(request, "governance_retention.html", context)


@router.post("/governance/retention/dry-run")
def retention_dry_run_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.RETENTION_MANAGE)],
    store: StoreDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    run_retention(store, settings, dry_run=True, actor=user["email"])
    return RedirectResponse("/governance/retention", status_code=303)
