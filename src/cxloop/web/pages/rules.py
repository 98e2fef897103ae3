"""The routing-rules editor: the YAML in force in a textarea, validation messages that name the rule,
field and line, a dry-run over past feedback (counts per team, sample items), and saving a version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cxloop.jobs.taxonomy import current_taxonomy
from cxloop.permissions import Permission
from cxloop.route.rules_yaml import RulesError, parse_rules_yaml
from cxloop.route.ruleset import current_rules_text, dry_run_over_store, save_rules
from cxloop.store import cases as case_repo
from cxloop.store.intake import utc_now
from cxloop.web.deps import SettingsDep, StoreDep, check_csrf, page_allowed
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
RulesUser = Annotated[dict[str, Any], page_allowed(Permission.RULES_EDIT)]
DRY_RUN_ITEMS = 5000


def _page(request: Request, store: Any, text: str | None = None, status_code: int = 200, **extra: Any) -> Response:
    with store.read() as conn:
        version, saved_text = current_rules_text(conn)
        versions = case_repo.rules_versions(conn)
    context = {
        "yaml_text": saved_text if text is None else text,
        "version": version,
        "versions": versions[:10],
        "problems": [],
        "result": None,
        "saved": False,
        "dry_run_items": DRY_RUN_ITEMS,
        **extra,
    }
    return render(request, "rules.html", context, status_code=status_code)


@router.get("/rules")
def rules_page(request: Request, user: RulesUser, store: StoreDep) -> Response:
    return _page(request, store)


@router.post("/rules")
def rules_submit(
    request: Request,
    user: RulesUser,
    store: StoreDep,
    settings: SettingsDep,
    rules_yaml: Annotated[str, Form(max_length=500_000)] = "",
    action: Annotated[str, Form(max_length=16)] = "dry_run",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    topics = [t.id for t in current_taxonomy(settings).topics]
    try:
        if action == "save":
            with store.write() as conn:
                save_rules(conn, rules_yaml, actor=user["email"], now=utc_now(), known_topics=topics)
            return _page(request, store, saved=True)
        rule_set = parse_rules_yaml(rules_yaml, known_topics=topics)
        with store.read() as conn:
            result = dry_run_over_store(conn, rule_set, limit=DRY_RUN_ITEMS)
        return _page(request, store, text=rules_yaml, result=result)
    except RulesError as exc:
        # The edit stays in the box; every problem is listed with its rule, field and line.
        problems = exc.details if isinstance(exc.details, list) else [{"text": exc.message}]
        return _page(request, store, text=rules_yaml, status_code=422, problems=problems, error=exc.message)
