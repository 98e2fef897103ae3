"""Health, offline API docs, the site icon, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxloop.web.i18n import LANGUAGE_COOKIE, LOCALES
from cxloop.web.rendering import templates

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a link bounce users to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/healthz")
def healthz(request: Request) -> dict[str, str]:
    with request.app.state.store.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    return {"status": "ok"}


@router.get("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for /favicon.ico on pages without an icon link (JSON, the raw OpenAPI document).
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> Response:
    # Swagger UI from the package's own static files: no CDN, no inline script.
    return templates.TemplateResponse(request, "docs.html", {"request": request})


@router.get("/lang/{locale}")
def switch_language(locale: str, next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if locale in LOCALES:
        response.set_cookie(LANGUAGE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    return response
