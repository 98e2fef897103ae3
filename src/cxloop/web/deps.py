"""Request dependencies: the store, settings, API principals, signed-in users and CSRF checks."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Request

from cxloop.access import TokenPrincipal, authenticate_token
from cxloop.config import Settings
from cxloop.domain import TokenScope
from cxloop.errors import AuthenticationRequired, PermissionDenied
from cxloop.permissions import Permission, role_allows, scopes_allow
from cxloop.store import accounts
from cxloop.store.engine import Store
from cxloop.web.runtime import ServerRuntime


class LoginRequired(AuthenticationRequired):
    """A page needs a signed-in user; rendered as a redirect to the login page."""


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def api_principal(request: Request) -> TokenPrincipal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationRequired("send an API token as `Authorization: Bearer <token>`")
    runtime: ServerRuntime = request.app.state.runtime
    if hmac.compare_digest(secret.strip().encode(), runtime.control_token.encode()):
        # The local CLI, forwarding a command to the server that owns the embedded store.
        return TokenPrincipal("control", "local-cli", frozenset({TokenScope.ADMIN}))
    return authenticate_token(get_store(request), secret.strip())


def require_scope(scope: TokenScope) -> Any:
    def check(principal: Annotated[TokenPrincipal, Depends(api_principal)]) -> TokenPrincipal:
        principal.require(scope)
        return principal

    return Depends(check)


def api_allowed(permission: Permission) -> Any:
    """An API route's declared permission: the caller's token scopes must grant it."""

    def check(principal: Annotated[TokenPrincipal, Depends(api_principal)]) -> TokenPrincipal:
        if not scopes_allow(principal.scopes, permission):
            granting = ", ".join(s.value for s in TokenScope if scopes_allow(frozenset({s}), permission))
            raise PermissionDenied(f"this token lacks the scope for {permission.value!r} (one of: {granting})")
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the authorization-matrix test
    return Depends(check)


def _ingest_caller(
    request: Request, principal: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_INGEST)]
) -> TokenPrincipal:
    request.app.state.ingest_limiter.hit(principal.token_id)
    return principal


_ingest_caller.permission = Permission.FEEDBACK_INGEST  # type: ignore[attr-defined]
#: Ingestion routes: the `feedback.ingest` permission, and the per-token request rate limit.
IngestCaller = Annotated[TokenPrincipal, Depends(_ingest_caller)]

IngestPrincipal = Annotated[TokenPrincipal, require_scope(TokenScope.INGEST)]
ReadPrincipal = Annotated[TokenPrincipal, require_scope(TokenScope.READ)]
AdminPrincipal = Annotated[TokenPrincipal, require_scope(TokenScope.ADMIN)]


def session_user(request: Request) -> dict[str, Any] | None:
    user_id = request.session.get("user_id")
    if not user_id:
        return None
    with get_store(request).read() as conn:
        user = accounts.find_user(conn, str(user_id))
    if user is None or not user["is_active"]:
        request.session.clear()
        return None
    return user


def require_user(request: Request) -> dict[str, Any]:
    user = session_user(request)
    if user is None:
        raise LoginRequired("please sign in")
    return user


CurrentUser = Annotated[dict[str, Any], Depends(require_user)]


def page_allowed(permission: Permission) -> Any:
    """A page's declared permission: the signed-in user's role must grant it."""

    def check(request: Request, user: CurrentUser) -> dict[str, Any]:
        if not role_allows(user["role"], permission):
            raise PermissionDenied(f"your role ({user['role']}) does not allow {permission.value!r}")
        request.state.user = user
        return user

    check.permission = permission  # type: ignore[attr-defined]  # read by the authorization-matrix test
    return Depends(check)


def user_may(user: dict[str, Any], permission: Permission) -> bool:
    """For pages that show more to some roles, e.g. unmasked PII to those with `pii.view`."""
    return role_allows(user["role"], permission)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(str(expected).encode(), submitted.encode()):
        raise PermissionDenied("the form has expired or did not come from this site; reload the page and try again")
