"""The authorization matrix: every route × every role (pages) or token scope (API) × allow/deny.

Routes are discovered from the app itself, so a route added later without a declared permission
fails here rather than slipping through. Each route declares exactly one permission (through
`page_allowed` or `api_allowed`); the expected outcome comes from `cxloop.permissions`, and the
test checks what the server actually answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from cxloop import access
from cxloop.domain import Role, TokenScope
from cxloop.permissions import Permission, role_allows, scopes_allow
from cxloop.store.engine import Store
from support.helpers import make_token

# Routes anyone may reach: signing in and out, the language switch, health, and the API's own
# documentation (the canonical field lists say no more than /openapi.json does).
PUBLIC = {
    "/login", "/logout", "/lang/{locale}", "/healthz", "/favicon.ico", "/docs", "/openapi.json",
    "/docs/oauth2-redirect", "/api/v1/schema/{kind}",
}  # fmt: skip
_PASSWORD = "matrix-password-2026"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _declared_permission(route: Any) -> Permission | None:
    found = {
        permission
        for dependency in route.dependant.dependencies
        if (permission := getattr(dependency.call, "permission", None)) is not None
    }
    assert len(found) <= 1, f"{route.path} declares several permissions: {found}"
    return found.pop() if found else None


def _endpoints(app: FastAPI) -> Iterator[Any]:
    """Every API route of the app, including those of included routers (which recent FastAPI
    versions keep behind a lazily built wrapper with the same path/methods/dependant surface)."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()


def _routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    routes = []
    for route in _endpoints(app):
        if route.path not in PUBLIC:
            routes.extend((method, route.path, route) for method in sorted(set(route.methods) - {"HEAD", "OPTIONS"}))
    return routes


def _concrete(path: str) -> str:
    """Fill path parameters with values that exist nowhere: allowed callers then get 404 or 422."""
    return re.sub(r"\{[^}]+\}", "00000000000000000000000000", path)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str] | None = None, csrf: str = "") -> int:
    kwargs: dict[str, Any] = {"headers": headers or {}, "follow_redirects": False}
    if method in {"POST", "PUT", "PATCH"}:
        if path.startswith("/api/"):
            kwargs["json"] = {}
        else:
            # A valid CSRF token, so a 403 can only come from the permission check.
            kwargs["data"] = {"csrf_token": csrf}
    return client.request(method, _concrete(path), **kwargs).status_code


def test_every_route_declares_its_permission(duckdb_client: TestClient) -> None:
    app: FastAPI = duckdb_client.app  # type: ignore[assignment]
    missing = [f"{method} {path}" for method, path, route in _routes(app) if _declared_permission(route) is None]
    assert missing == [], "routes without a declared permission:\n" + "\n".join(missing)


@pytest.fixture
def role_clients(client: TestClient, store: Store) -> Iterator[dict[Role, tuple[TestClient, str]]]:
    """One signed-in browser session per role, with its CSRF token."""
    clients: dict[Role, tuple[TestClient, str]] = {}
    for role in Role:
        email = f"{role.value}@matrix.example"
        access.create_user(store, email, role.value, _PASSWORD, role, source="tests")
        session = TestClient(client.app)
        token = _CSRF.search(session.get("/login").text)
        assert token is not None
        form = {"email": email, "password": _PASSWORD, "csrf_token": token.group(1), "next": "/"}
        assert session.post("/login", data=form, follow_redirects=False).status_code == 303
        signed_in = _CSRF.search(session.get("/").text)  # every role may see the overview
        assert signed_in is not None
        clients[role] = (session, signed_in.group(1))
    yield clients
    for session, _ in clients.values():
        session.close()


def test_pages_allow_exactly_the_roles_the_matrix_grants(
    client: TestClient, role_clients: dict[Role, tuple[TestClient, str]]
) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    wrong: list[str] = []
    pages = [(m, p, r) for m, p, r in _routes(app) if not p.startswith("/api/") and not p.startswith("/static")]
    assert pages, "no pages found"
    for method, path, route in pages:
        permission = _declared_permission(route)
        assert permission is not None
        # Signed out, every page sends the visitor to the login page.
        anonymous = _call(TestClient(app), method, path)
        if anonymous not in (303, 401):
            wrong.append(f"anonymous {method} {path}: {anonymous}")
        for role, (session, csrf) in role_clients.items():
            status = _call(session, method, path, csrf=csrf)
            allowed = role_allows(role.value, permission)
            if status >= 500 or (allowed and status in (401, 403)) or (not allowed and status != 403):
                wrong.append(f"{role.value} {method} {path} ({permission.value}): {status}, allowed={allowed}")
    assert wrong == [], "\n".join(wrong)


def test_api_routes_allow_exactly_the_token_scopes_the_matrix_grants(client: TestClient, store: Store) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    tokens = {scope: make_token(store, scope) for scope in TokenScope}
    wrong: list[str] = []
    api = [(m, p, r) for m, p, r in _routes(app) if p.startswith("/api/")]
    assert len(api) > 10
    for method, path, route in api:
        permission = _declared_permission(route)
        assert permission is not None
        if (status := _call(client, method, path)) != 401:
            wrong.append(f"no token {method} {path}: {status}")
        for scope, headers in tokens.items():
            status = _call(client, method, path, headers)
            allowed = scopes_allow(frozenset({scope}), permission)
            if status >= 500 or (allowed and status in (401, 403)) or (not allowed and status != 403):
                wrong.append(f"{scope.value} {method} {path} ({permission.value}): {status}, allowed={allowed}")
    assert wrong == [], "\n".join(wrong)
