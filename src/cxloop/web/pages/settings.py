"""Settings: the topic taxonomy, readable by everyone signed in and editable as YAML."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cxloop.jobs.taxonomy import current_taxonomy, parse_taxonomy_yaml, save_taxonomy
from cxloop.permissions import Permission
from cxloop.text.topics import Taxonomy, TaxonomyError
from cxloop.web.deps import SettingsDep, check_csrf, page_allowed
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)


def _context(
    taxonomy: Taxonomy, text: str | None = None, error: str | None = None, saved: bool = False
) -> dict[str, object]:
    source = text if text is not None else yaml.safe_dump(taxonomy.to_dict(), allow_unicode=True, sort_keys=False)
    return {"taxonomy": taxonomy, "yaml_text": source, "error": error, "saved": saved}


@router.get("/settings/taxonomy")
def taxonomy_page(
    request: Request, user: Annotated[dict[str, Any], page_allowed(Permission.TAXONOMY_EDIT)], settings: SettingsDep
) -> Response:
    request.state.user = user
    return render(request, "settings_taxonomy.html", _context(current_taxonomy(settings)))


@router.post("/settings/taxonomy")
def save_taxonomy_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.TAXONOMY_EDIT)],
    settings: SettingsDep,
    taxonomy_yaml: Annotated[str, Form(max_length=500_000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    request.state.user = user
    check_csrf(request, csrf_token)
    try:
        saved = save_taxonomy(settings, parse_taxonomy_yaml(taxonomy_yaml))
    except TaxonomyError as exc:
        # The edit stays in the box so nothing typed is lost; the message names the topic and field.
        context = _context(current_taxonomy(settings), text=taxonomy_yaml, error=exc.message)
        return render(request, "settings_taxonomy.html", context, status_code=422)
    return render(request, "settings_taxonomy.html", _context(saved, saved=True))
