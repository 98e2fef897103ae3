"""Ingestion API: POST one record or a batch of up to 10,000 customers, events or feedback items."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from cxloop.domain import RecordKind
from cxloop.errors import InvalidInput, PayloadTooLarge, UnsupportedFile
from cxloop.ingest.records import CANONICAL_FIELDS
from cxloop.jobs.intake import accept_records
from cxloop.web.deps import IngestCaller, SettingsDep, StoreDep

router = APIRouter(tags=["ingest"])

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "object", "description": "one record"},
                        {"type": "array", "items": {"type": "object"}, "maxItems": 10000},
                        {
                            "type": "object",
                            "properties": {"records": {"type": "array", "items": {"type": "object"}}},
                        },
                    ]
                },
                "example": [
                    {
                        "source": "callcenter",
                        "feedback_id": "T-1001",
                        "phone": "010-1234-5678",
                        "channel": "call",
                        "occurred_at": "2026-06-03T14:22:05+09:00",
                        "text": "배송이 너무 늦어요",
                    }
                ],
            }
        },
    }
}


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes before reading it all into memory."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is {int(declared):,} bytes; the limit is {limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body exceeds the limit of {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_records(body: bytes, content_type: str) -> list[Any]:
    if content_type and "json" not in content_type:
        raise UnsupportedFile(f"send application/json, not {content_type}")
    if not body.strip():
        raise InvalidInput("the request body is empty; send a JSON object or an array of objects")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc.args[0]}") from None
    if isinstance(payload, dict) and isinstance(payload.get("records"), list) and len(payload) == 1:
        return list(payload["records"])
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list):
        return payload
    raise InvalidInput('the body must be a JSON object, an array of objects, or {"records": [...]}')


async def ingest(
    kind: RecordKind,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: IngestCaller,
    source: str | None,
    idempotency_key: str | None,
) -> JSONResponse:
    body = await read_limited_body(request, settings.max_request_bytes)
    records = parse_records(body, request.headers.get("content-type", ""))
    receipt = await run_in_threadpool(
        accept_records,
        store,
        settings,
        kind,
        list(enumerate(records)),
        origin="api",
        submitted_by=principal.name,
        idempotency_key=idempotency_key,
        default_source=source,
    )
    all_rejected = receipt.rejected > 0 and receipt.accepted == 0 and receipt.duplicates == 0
    return JSONResponse(receipt.to_dict(), status_code=422 if all_rejected else 202)


def _route_for(kind: RecordKind) -> Any:
    async def endpoint(
        request: Request,
        store: StoreDep,
        settings: SettingsDep,
        principal: IngestCaller,
        source: Annotated[
            str | None, Query(max_length=100, description="Default `source` for records without one")
        ] = None,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> JSONResponse:
        return await ingest(kind, request, store, settings, principal, source, idempotency_key)

    endpoint.__doc__ = (
        f"Validate and durably queue {kind.value} records: one object, an array of up to 10,000, or "
        f'`{{"records": [...]}}`. Fields: {", ".join(CANONICAL_FIELDS[kind])}. Good records are kept '
        "even when others are rejected; a repeated `(source, external id)` or `Idempotency-Key` never "
        "creates a duplicate."
    )
    return endpoint


for _kind in RecordKind:
    router.add_api_route(
        f"/{_kind.value}",
        _route_for(_kind),
        methods=["POST"],
        summary=f"Ingest {_kind.value}",
        status_code=202,
        openapi_extra=_BODY_DOC,
        operation_id=f"ingest_{_kind.value}",
        responses={
            202: {"description": "Stored durably; processing follows. Rejected records are listed with reasons."},
            413: {"description": "Too many records or bytes"},
            415: {"description": "Not JSON"},
            422: {"description": "Every record was rejected, or the body is not usable"},
        },
    )


@router.get("/schema/{kind}", summary="Canonical fields of a record kind")
def canonical_fields(kind: RecordKind) -> dict[str, Any]:
    from cxloop.ingest.records import REQUIRED_FIELDS

    return {
        "kind": kind.value,
        "fields": list(CANONICAL_FIELDS[kind]),
        "required": list(REQUIRED_FIELDS[kind]),
    }
