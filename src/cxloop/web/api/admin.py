"""Administration API: tokens, users, file imports and the failed-record queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from cxloop import access
from cxloop.access import TokenPrincipal
from cxloop.domain import RecordKind, Role
from cxloop.errors import NotFound, PayloadTooLarge
from cxloop.governance.audit import record_now
from cxloop.ingest.files import parse_mapping
from cxloop.jobs.imports import import_into_store
from cxloop.permissions import Permission
from cxloop.store import intake as intake_repo
from cxloop.web.deps import IngestCaller, SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["admin"])


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: str = Field(default="ingest,read", max_length=200, description="Comma-separated: ingest, read, admin")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenCreated(BaseModel):
    name: str
    scopes: str
    token: str = Field(description="Shown once; only its hash is stored")


class UserCreate(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(default="", max_length=200)
    password: str = Field(min_length=access.MIN_PASSWORD_LENGTH, max_length=1000)
    role: Role = Role.VIEWER
    locale: str | None = Field(default=None, pattern="^(ko|en)$")


@router.post("/tokens", status_code=201, summary="Create an API token (shown once)")
def create_token(
    body: TokenCreate, store: StoreDep, principal: Annotated[TokenPrincipal, api_allowed(Permission.USERS_MANAGE)]
) -> TokenCreated:
    scopes = access.parse_scopes(body.scopes)
    secret = access.create_token(
        store, body.name, scopes, created_by=principal.name, expires_in_days=body.expires_in_days
    )
    details = {"scopes": sorted(s.value for s in scopes), "expires_in_days": body.expires_in_days}
    record_now(
        store, actor=principal.name, action="token.create", target_kind="token", target_id=body.name, details=details
    )
    return TokenCreated(name=body.name, scopes=",".join(sorted(s.value for s in scopes)), token=secret)


@router.get("/tokens", summary="List API tokens (never their secrets)")
def list_tokens(
    store: StoreDep, _: Annotated[TokenPrincipal, api_allowed(Permission.USERS_MANAGE)]
) -> list[dict[str, Any]]:
    return access.list_tokens(store)


@router.delete("/tokens/{name}", summary="Revoke every active token with this name")
def revoke_token(
    name: str, store: StoreDep, principal: Annotated[TokenPrincipal, api_allowed(Permission.USERS_MANAGE)]
) -> dict[str, int]:
    revoked = access.revoke_token(store, name)
    if revoked == 0:
        raise NotFound(f"no active token named {name!r}")
    record_now(store, actor=principal.name, action="token.revoke", target_kind="token", target_id=name)
    return {"revoked": revoked}


@router.post("/users", status_code=201, summary="Create a user")
def create_user(
    body: UserCreate, store: StoreDep, principal: Annotated[TokenPrincipal, api_allowed(Permission.USERS_MANAGE)]
) -> dict[str, str]:
    user_id = access.create_user(
        store, body.email, body.name, body.password, body.role, source="api", locale=body.locale
    )
    details = {"email": body.email.strip().lower(), "role": body.role.value}
    record_now(
        store, actor=principal.name, action="user.create", target_kind="user", target_id=user_id, details=details
    )
    return {"id": user_id, "email": body.email.strip().lower(), "role": body.role.value}


class UserChange(BaseModel):
    role: Role | None = None
    is_active: bool | None = Field(default=None, description="false: the user can no longer sign in")


@router.patch("/users/{user_id}", summary="Change a user's role or deactivate them (audited as role.change)")
def change_user(
    user_id: Annotated[str, Path(min_length=1, max_length=320, description="The user's id, or their e-mail")],
    body: UserChange,
    store: StoreDep,
    principal: Annotated[TokenPrincipal, api_allowed(Permission.USERS_MANAGE)],
) -> dict[str, Any]:
    return access.set_role(store, user_id, actor=principal.name, role=body.role, is_active=body.is_active)


@router.post("/imports", summary="Import a CSV, TSV, JSONL or XLSX file")
async def import_upload(
    store: StoreDep,
    settings: SettingsDep,
    principal: IngestCaller,
    file: Annotated[UploadFile, File(description="CSV, TSV, JSONL or XLSX; UTF-8 or CP949")],
    kind: Annotated[RecordKind, Form()],
    mapping: Annotated[list[str] | None, Form(description="source_column=canonical_field, repeatable")] = None,
    source: Annotated[str | None, Form(max_length=100)] = None,
) -> dict[str, Any]:
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"the file exceeds the upload limit of {settings.max_upload_bytes:,} bytes")
    parsed_mapping = parse_mapping(mapping, kind)
    report = await run_in_threadpool(
        import_into_store,
        store,
        settings,
        data,
        file.filename or "upload",
        kind,
        mapping=parsed_mapping,
        default_source=source,
        submitted_by=principal.name,
    )
    return report.to_dict()


@router.post("/intake/retry-failed", summary="Queue every failed record again")
def retry_failed(store: StoreDep, _: Annotated[TokenPrincipal, api_allowed(Permission.SYSTEM_ADMIN)]) -> dict[str, int]:
    with store.write() as conn:
        return {"requeued": intake_repo.retry_failed(conn)}
