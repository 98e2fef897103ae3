"""Governance → Data-subject requests: export a customer as a ZIP, or erase them (typed confirmation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cxloop.errors import CxloopError
from cxloop.governance.dsr import export_customer
from cxloop.governance.erasure import erase_customer
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, check_csrf, page_allowed
from cxloop.web.pages.governance import _sections
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
Executor = Annotated[dict[str, Any], page_allowed(Permission.DSR_EXECUTE)]
CustomerField = Annotated[str, Form(max_length=64)]


def _page(
    request: Request, user: dict[str, Any], *, customer: str = "", error: str | None = None,
    erased: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    context = {"customer": customer, "error": error, "erased": erased, "sections": _sections(user), "section": "dsr"}
    return render(request, "governance_dsr.html", context, status_code=422 if error else 200)


@router.get("/governance/dsr")
def dsr_page(request: Request, user: Executor) -> Response:
    return _page(request, user)


@router.post("/governance/dsr/export")
def export_page(
    request: Request, user: Executor, store: StoreDep, settings: SettingsDep,
    customer: CustomerField = "", csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    try:
        live_id, data = export_customer(store, settings, customer.strip(), actor=user["email"])
    except CxloopError as exc:
        return _page(request, user, customer=customer, error=exc.message)
    disposition = f'attachment; filename="customer-{live_id}.zip"'
    return Response(data, media_type="application/zip", headers={"Content-Disposition": disposition})


@router.post("/governance/dsr/erase")
def erase_page(
    request: Request, user: Executor, store: StoreDep, settings: SettingsDep,
    customer: CustomerField = "", confirm: CustomerField = "", csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    customer = customer.strip()
    if not customer or confirm.strip() != customer:
        return _page(
            request,
            user,
            customer=customer,
            error="confirm: type the customer id again to erase / 확인란에 고객 ID를 다시 입력하세요",
        )
    try:
        result = erase_customer(store, settings, customer, actor=user["email"])
    except CxloopError as exc:
        return _page(request, user, customer=customer, error=exc.message)
    return _page(request, user, erased=result)
