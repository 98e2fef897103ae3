"""Routing rules API: read the rules in force (YAML and parsed), replace them (validated, versioned),
and dry-run a rule set over past feedback."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request

from cxloop.access import TokenPrincipal
from cxloop.errors import InvalidInput
from cxloop.jobs.taxonomy import current_taxonomy
from cxloop.permissions import Permission
from cxloop.route.rules import RuleSet
from cxloop.route.rules_yaml import parse_rules_yaml
from cxloop.route.ruleset import current_rules_text, dry_run_over_store, save_rules
from cxloop.store import cases as case_repo
from cxloop.store.intake import utc_now
from cxloop.web.api.ingest import read_limited_body
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["rules"])
MAX_RULES_BYTES = 512 * 1024
_YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}, "example": "rules: []\ndefault: {team: cx-support}\n"},
            "application/json": {"schema": {"type": "object", "properties": {"yaml": {"type": "string"}}}},
        },
    }
}


async def _rules_text(request: Request, *, required: bool = True) -> str | None:
    """The YAML from a raw `application/yaml` body or a JSON body {"yaml": "..."}."""
    raw = await read_limited_body(request, MAX_RULES_BYTES)
    if not raw.strip():
        if required:
            raise InvalidInput('send the rules as YAML (Content-Type: application/yaml) or JSON {"yaml": "..."}')
        return None
    if "json" in request.headers.get("content-type", ""):
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"the body is not valid JSON: {exc}") from None
        if not isinstance(body, dict) or not isinstance(body.get("yaml"), str):
            raise InvalidInput('a JSON body must be {"yaml": "<the rules as YAML text>"}')
        return str(body["yaml"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the rules must be UTF-8 text") from None


def summary(rule_set: RuleSet) -> dict[str, Any]:
    return {
        "version": rule_set.version,
        "rules": [{"id": r.id, "name": r.name, "team": r.then.team} for r in rule_set.rules],
        "default_team": rule_set.default.team,
        "teams": rule_set.team_names(),
        "sla_policies": {
            name: {"first_response_hours": p.first_response_hours, "resolution_hours": p.resolution_hours}
            for name, p in rule_set.sla_policies.items()
        },
    }


@router.get("/rules", summary="The routing rules in force, as saved (YAML) and parsed, with older versions")
def get_rules(
    store: StoreDep, principal: Annotated[TokenPrincipal, api_allowed(Permission.CASES_READ)]
) -> dict[str, Any]:
    with store.read() as conn:
        version, text = current_rules_text(conn)
        versions = case_repo.rules_versions(conn)
    return {**summary(parse_rules_yaml(text, version=version)), "yaml": text, "versions": versions}


@router.put("/rules", summary="Replace the routing rules (validated; kept as a new version)", openapi_extra=_YAML_BODY)
async def put_rules(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[TokenPrincipal, api_allowed(Permission.RULES_EDIT)],
) -> dict[str, Any]:
    text = await _rules_text(request)
    assert text is not None
    topics = [t.id for t in current_taxonomy(settings).topics]
    with store.write() as conn:
        rule_set = save_rules(conn, text, actor=f"token:{principal.name}", now=utc_now(), known_topics=topics)
    return summary(rule_set)


@router.post(
    "/rules/dry-run",
    summary="Where past feedback would go under these rules (or the ones in force)",
    openapi_extra=_YAML_BODY,
)
async def dry_run_rules(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[TokenPrincipal, api_allowed(Permission.RULES_EDIT)],
    limit: Annotated[int, Query(ge=1, le=100_000, description="newest feedback items to replay")] = 5000,
) -> dict[str, Any]:
    text = await _rules_text(request, required=False)
    topics = [t.id for t in current_taxonomy(settings).topics]
    with store.read() as conn:
        if text is None:
            version, text = current_rules_text(conn)
        else:
            version = 0
        rule_set = parse_rules_yaml(text, known_topics=topics, version=version)
        return dry_run_over_store(conn, rule_set, limit=limit)
