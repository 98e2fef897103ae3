"""The import page: upload a file, map its columns, read the per-row report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from cxloop.domain import RecordKind
from cxloop.errors import InvalidInput
from cxloop.ingest.files import parse_mapping
from cxloop.ingest.records import CANONICAL_FIELDS, REQUIRED_FIELDS
from cxloop.jobs.imports import import_into_store
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, check_csrf, page_allowed
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)


def _form_context(
    kind: str = "feedback", mapping: str = "", source: str = "", error: str | None = None
) -> dict[str, object]:
    return {
        "kinds": [k.value for k in RecordKind],
        "fields": {k.value: CANONICAL_FIELDS[k] for k in RecordKind},
        "required": {k.value: REQUIRED_FIELDS[k] for k in RecordKind},
        "kind": kind,
        "mapping": mapping,
        "source": source,
        "error": error,
        "report": None,
    }


@router.get("/import")
def import_form(
    request: Request, user: Annotated[dict[str, Any], page_allowed(Permission.FEEDBACK_INGEST)]
) -> Response:
    request.state.user = user
    return render(request, "import.html", _form_context())


@router.post("/import")
async def import_submit(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.FEEDBACK_INGEST)],
    store: StoreDep,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[str, Form(max_length=16)] = "feedback",
    mapping: Annotated[str, Form(max_length=10_000)] = "",
    source: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    request.state.user = user
    check_csrf(request, csrf_token)
    context = _form_context(kind, mapping, source)
    try:
        if kind not in {k.value for k in RecordKind}:
            raise InvalidInput(f"choose what the file holds: {', '.join(k.value for k in RecordKind)}")
        if file is None or not file.filename:
            raise InvalidInput("choose a file to import")
        data = await file.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise InvalidInput(f"the file exceeds the upload limit of {settings.max_upload_bytes:,} bytes")
        pairs = [line.strip() for line in mapping.replace(",", "\n").splitlines() if line.strip()]
        report = await run_in_threadpool(
            import_into_store,
            store,
            settings,
            data,
            file.filename,
            RecordKind(kind),
            mapping=parse_mapping(pairs, RecordKind(kind)),
            default_source=source.strip() or None,
            submitted_by=user["email"],
        )
    except InvalidInput as exc:
        context["error"] = exc.message
        return render(request, "import.html", context, status_code=exc.status_code)
    context["report"] = report.to_dict()
    return render(request, "import.html", context)
