"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from cxloop import access
from cxloop.errors import AuthenticationRequired
from cxloop.web.deps import check_csrf, get_store
from cxloop.web.pages.system import safe_next
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None, "email": ""})


@router.post("/login")
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    # Per client address, on top of the per-account lockout: slows guessing across many accounts.
    request.app.state.login_limiter.hit(request.client.host if request.client else "unknown")
    try:
        user = await run_in_threadpool(access.authenticate_password, get_store(request), email, password)
    except AuthenticationRequired as exc:
        reason = exc.details.get("reason", "failed") if isinstance(exc.details, dict) else "failed"
        context = {"next": safe_next(next), "error": f"login.{reason}", "email": email}
        return render(request, "login.html", context, status_code=401)
    # A fresh session on sign-in: nothing from before the login survives (no session fixation).
    request.session.clear()
    request.session["user_id"] = user["id"]
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
