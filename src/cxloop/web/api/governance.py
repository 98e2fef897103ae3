"""Governance API: audit-log search and verification, consent per customer, data quality, retention."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from cxloop.access import TokenPrincipal
from cxloop.governance import audit as audit_service
from cxloop.governance.consent import consent_view, set_consents
from cxloop.governance.consent_import import parse_moment
from cxloop.governance.quality import quality_overview, run_table_checks
from cxloop.governance.retention import policies, recent_runs, run_retention
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["governance"])


@router.get("/audit", summary="Search the audit log, newest first")
def search_audit(
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.AUDIT_READ)],
    actor: Annotated[str | None, Query(max_length=200, description="Substring of the actor")] = None,
    action: Annotated[str | None, Query(max_length=64, description="An action, or a family such as `token`")] = None,
    target: Annotated[str | None, Query(max_length=270, description="A target id, or kind:id")] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=64, description="ISO time or date")] = None,
    to: Annotated[str | None, Query(max_length=64, description="ISO time or date (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> dict[str, Any]:
    since = parse_moment(from_, settings) if from_ else None
    until = parse_moment(to, settings) if to else None
    return audit_service.search_entries(
        store, actor=actor, action=action, target=target, since=since, until=until, limit=limit, offset=offset
    )


@router.get("/audit/verify", summary="Verify the audit log's hash chain")
def verify_audit(store: StoreDep, _: Annotated[TokenPrincipal, api_allowed(Permission.AUDIT_READ)]) -> dict[str, Any]:
    with store.read() as conn:
        return audit_service.verify_chain(conn).to_dict()


class ConsentChange(BaseModel):
    consents: dict[str, bool] = Field(
        min_length=1,
        description="purpose → granted; purposes: analytics, personalization, marketing_contact, model_training",
    )
    source: str = Field(min_length=1, max_length=100, description="Where the decision was given: web_form, call, ...")
    evidence: str | None = Field(default=None, max_length=2000, description="Proof (stored encrypted)")


@router.get("/customers/{customer_id}/consents", summary="A customer's consent per purpose, and its history")
def get_consents(
    customer_id: str,
    store: StoreDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.CUSTOMERS_READ)],
) -> dict[str, Any]:
    return consent_view(store, customer_id)


@router.put("/customers/{customer_id}/consents", summary="Record consent decisions (appended to the history)")
def put_consents(
    customer_id: str,
    body: ConsentChange,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[TokenPrincipal, api_allowed(Permission.CONSENT_MANAGE)],
) -> dict[str, Any]:
    return set_consents(
        store, settings, customer_id, body.consents, source=body.source, actor=principal.name, evidence=body.evidence
    )


@router.get("/quality", summary="Newest data-quality result per check, with trends and data owners")
def get_quality(
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.QUALITY_READ)],
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> dict[str, Any]:
    return quality_overview(store, settings, days=days)


@router.post("/quality/checks", summary="Run the table checks now")
async def post_quality_checks(
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.RETENTION_MANAGE)],
) -> list[dict[str, Any]]:
    return await run_in_threadpool(run_table_checks, store, settings)


@router.get("/retention", summary="Retention policies and recent runs")
def get_retention(
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.RETENTION_MANAGE)],
) -> dict[str, Any]:
    return {"policies": [asdict(p) for p in policies(settings)], "runs": recent_runs(store)}


@router.post("/retention/run", summary="Apply the retention policies (dry_run=true only counts)")
async def post_retention_run(
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[TokenPrincipal, api_allowed(Permission.RETENTION_MANAGE)],
    dry_run: Annotated[bool, Query()] = True,
) -> dict[str, Any]:
    return await run_in_threadpool(lambda: run_retention(store, settings, dry_run=dry_run, actor=principal.name))
