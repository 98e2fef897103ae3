"""The unmasked original of a feedback item, for users with pii.view; every view is audited."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response

from cxloop.errors import NotFound
from cxloop.governance.crypto import KeyRing, load_key_ring
from cxloop.permissions import Permission
from cxloop.store import audit
from cxloop.store.tables import feedback
from cxloop.web.deps import SettingsDep, StoreDep, page_allowed
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/feedback/{feedback_id}/original")
def feedback_original(
    feedback_id: str,
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.PII_VIEW)],
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    """Opens `text_raw` (sealed at rest; rows from before encryption may still be plaintext) and
    records the view in the same transaction, so no one reads an original unaccounted for."""
    with store.write() as conn:
        row = conn.execute(sa.select(feedback.c.text, feedback.c.text_raw).where(feedback.c.id == feedback_id)).first()
        if row is None:
            raise NotFound(f"no feedback with id {feedback_id}")
        stored = row.text_raw
        original = load_key_ring(settings).decrypt(stored) if stored and KeyRing.key_id_of(stored) else stored
        if original is not None:
            audit.record(
                conn,
                store.dialect,
                actor=user["email"],
                action=audit.AuditAction.PII_VIEW,
                target_kind="feedback",
                target_id=feedback_id,
                details={"field": "feedback.text_raw"},
            )
    context = {"feedback_id": feedback_id, "masked": row.text, "original": original}
    return render(request, "feedback_original.html", context)
