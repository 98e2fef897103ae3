"""The application factory: one FastAPI app serving the JSON API, the pages and the static files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from cxloop import __version__
from cxloop.config import Settings
from cxloop.store.engine import Store
from cxloop.web.ratelimit import RateLimiter
from cxloop.web.rendering import install_error_handlers
from cxloop.web.runtime import ServerRuntime

_STATIC = Path(__file__).with_name("static")
# No inline script or style anywhere: every page loads its JS and CSS from /static.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    run_worker: bool | None = None,
    base_url: str | None = None,
) -> FastAPI:
    """Build the app. `base_url`, when given, is announced to CLI commands on this machine."""
    store = store or Store(settings.resolved_database_url)
    runtime = ServerRuntime(
        settings, store, run_worker=settings.runs_embedded_worker if run_worker is None else run_worker
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start(base_url)
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="cxloop",
        version=__version__,
        description="Voice-of-Customer and customer-data platform API. Authenticate with "
        "`Authorization: Bearer <token>`; create tokens with `cxloop token create`.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.runtime = runtime
    app.state.ingest_limiter = RateLimiter(
        settings.ingest_rate_limit_per_minute, max(1, settings.ingest_rate_limit_per_minute // 6), "ingestion requests"
    )
    app.state.login_limiter = RateLimiter(settings.login_rate_limit_per_minute, 10, "sign-in attempts")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/api/", "/login")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie="cxloop_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(_STATIC)), name="static")

    from cxloop.web.api import actions as action_api
    from cxloop.web.api import admin, ingest, records, text
    from cxloop.web.api import customers as customer_api
    from cxloop.web.api import notifications as notification_api
    from cxloop.web.pages import (
        auth,
        customers,
        feedback,
        identity,
        imports,
        overview,
        system,
        trends,
    )
    from cxloop.web.pages import (
        settings as settings_pages,
    )

    for router in (
        ingest.router,
        records.router,
        text.router,
        admin.router,
        customer_api.router,
        action_api.router,
        notification_api.router,
    ):
        app.include_router(router, prefix="/api/v1")
    for router in (
        system.router,
        auth.router,
        overview.router,
        feedback.router,
        trends.router,
        customers.router,
        identity.router,
        imports.router,
        settings_pages.router,
    ):
        app.include_router(router)
    from cxloop.web.pages import actions as action_pages
    from cxloop.web.pages import notifications as notification_pages

    app.include_router(action_pages.router)
    app.include_router(notification_pages.router)
    from cxloop.web.api import kpis as kpi_api
    from cxloop.web.pages import kpis as kpi_pages

    app.include_router(kpi_api.router, prefix="/api/v1")
    app.include_router(kpi_pages.router)
    from cxloop.web.api import cases as case_api
    from cxloop.web.api import rules as rules_api
    from cxloop.web.pages import cases as case_pages
    from cxloop.web.pages import rules as rules_pages

    for router in (case_api.router, rules_api.router):
        app.include_router(router, prefix="/api/v1")
    for router in (case_pages.router, rules_pages.router):
        app.include_router(router)
    from cxloop.web.api import governance as governance_api
    from cxloop.web.pages import governance as governance_pages

    app.include_router(governance_api.router, prefix="/api/v1")
    from cxloop.web.api import dsr as dsr_api

    app.include_router(dsr_api.router, prefix="/api/v1")
    from cxloop.web.pages import dsr as dsr_pages

    app.include_router(dsr_pages.router)
    from cxloop.web.pages import pii as pii_pages

    app.include_router(pii_pages.router)
    app.include_router(governance_pages.router)
    from cxloop.web.api import journeys as journey_api
    from cxloop.web.pages import journeys as journey_pages

    app.include_router(journey_api.router, prefix="/api/v1")
    app.include_router(journey_pages.router)
    return app
