"""Data-subject requests over the API: export a customer as a ZIP of JSON files, or erase them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from cxloop.access import TokenPrincipal
from cxloop.governance.dsr import export_customer
from cxloop.governance.erasure import erase_customer
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["governance"])
Executor = Annotated[TokenPrincipal, api_allowed(Permission.DSR_EXECUTE)]


@router.post(
    "/customers/{customer_id}/export",
    summary="Export everything about a customer (and profiles merged into them) as a ZIP of JSON files",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The ZIP; the export is audited"}},
)
async def export(customer_id: str, store: StoreDep, settings: SettingsDep, principal: Executor) -> Response:
    live_id, data = await run_in_threadpool(
        export_customer, store, settings, customer_id, actor=f"token:{principal.name}"
    )
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="customer-{live_id}.zip"'},
    )


@router.post("/customers/{customer_id}/erase", summary="Erase a customer everywhere (irreversible; audited)")
async def erase(customer_id: str, store: StoreDep, settings: SettingsDep, principal: Executor) -> dict[str, Any]:
    return await run_in_threadpool(erase_customer, store, settings, customer_id, actor=f"token:{principal.name}")
