"""Customer search and the customer profile with its cross-channel timeline."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxloop.errors import NotFound
from cxloop.store import profiles
from cxloop.web.deps import CurrentUser, StoreDep
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
_PAGE_SIZE = 25


@router.get("/customers")
def customers_page(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    request.state.user = user
    search = (q or "").strip() or None
    with store.read() as conn:
        result = profiles.list_customers(conn, search=search, page=page, page_size=_PAGE_SIZE)
    pages = max(1, -(-result["total"] // _PAGE_SIZE))
    query = {"q": search} if search else {}
    return render(
        request,
        "customers.html",
        {
            "result": result,
            "q": search or "",
            "pages": pages,
            "page_link": lambda n: "/customers?" + urlencode({**query, "page": n}),
        },
    )


@router.get("/customers/{customer_id}")
def customer_profile(customer_id: str, request: Request, user: CurrentUser, store: StoreDep) -> Response:
    request.state.user = user
    with store.read() as conn:
        profile = profiles.get_profile(conn, customer_id)
    if profile is None:
        raise NotFound(f"no customer with id {customer_id}")
    return render(request, "customer.html", {"profile": profile})
