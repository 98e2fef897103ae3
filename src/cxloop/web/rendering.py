"""Templates and the one error handler: JSON under /api, a page everywhere else."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxloop.errors import CxloopError, RateLimited
from cxloop.web.i18n import LANGUAGE_COOKIE, negotiate, translator

logger = logging.getLogger(__name__)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def locale_of(request: Request) -> str:
    user = getattr(request.state, "user", None)
    preferred = request.cookies.get(LANGUAGE_COOKIE) or (user or {}).get("locale")
    default: str = request.app.state.settings.default_locale
    return negotiate(preferred, request.headers.get("accept-language"), default)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    from cxloop.web.deps import csrf_token

    locale = locale_of(request)
    zone = ZoneInfo(request.app.state.settings.default_timezone)

    def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time in the business's zone, as people there read it."""
        if moment is None:
            return "—"
        return moment.replace(tzinfo=UTC).astimezone(zone).strftime(fmt)

    base = {
        "local": local,
        "zone_name": zone.key,
        "request": request,
        "t": translator(locale),
        "locale": locale,
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "path": request.url.path,
        # Templates show links and buttons only to users whose role allows them, e.g. may('identity.manage').
        "may": lambda permission: _user_may(getattr(request.state, "user", None), permission),
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def _user_may(user: dict[str, Any] | None, permission: str) -> bool:
    from cxloop.permissions import Permission, role_allows

    return user is not None and role_allows(str(user["role"]), Permission(permission))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(request: Request, status: int, code: str, message: str, details: Any = None) -> Response:
    if _is_api(request):
        body: dict[str, Any] = {"code": code, "message": message}
        if details is not None:
            body["details"] = details
        return JSONResponse({"error": body}, status_code=status)
    return render(request, "error.html", {"status": status, "code": code, "message": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    from cxloop.web.deps import LoginRequired

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return _error_response(request, exc.status_code, exc.code, exc.message)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CxloopError)
    async def _domain(request: Request, exc: CxloopError) -> Response:
        status = exc.status_code if exc.status_code < 500 or exc.status_code == 503 else 500
        response = _error_response(request, status, exc.code, exc.message, exc.details)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())[1:]) or None,
                "reason": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        message = "; ".join(f"{p['field']}: {p['reason']}" if p["field"] else p["reason"] for p in problems)
        return _error_response(request, 422, "input.invalid", message or "invalid request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error_response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "internal", "an unexpected error occurred; it has been logged")
