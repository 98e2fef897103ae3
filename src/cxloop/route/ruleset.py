"""The routing rules in force: stored versions (the newest wins, older ones are kept), the shipped
default before anything is saved, and dry-runs of a rule set over past feedback."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import yaml

from cxloop.route.rules import Decision, RoutingInput, RuleSet, count_by_team
from cxloop.route.rules_yaml import default_rules_text, parse_rules_yaml, rule_set_from_data
from cxloop.store import cases as case_repo

_cache_lock = threading.Lock()
_cache: dict[str, RuleSet] = {}  # by stored row id; "" is the shipped default


def current_rule_set(conn: sa.Connection) -> RuleSet:
    """The newest stored rule set, parsed once per version and process; the shipped default when none
    has been saved. A stored document was validated when saved, so it parses again."""
    key = case_repo.latest_rules_id(conn) or ""
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    stored = case_repo.latest_rules(conn) if key else None
    if stored is None:
        rule_set = parse_rules_yaml(default_rules_text())
    else:
        rule_set = rule_set_from_data(stored["document"], version=int(stored["version"]))
    with _cache_lock:
        if len(_cache) > 64:  # test suites and long-lived servers with many edits
            _cache.clear()
        _cache[key] = rule_set
    return rule_set


def current_rules_text(conn: sa.Connection) -> tuple[int, str]:
    """The YAML in force as it was saved (comments kept), and its version (0: the shipped default)."""
    stored = case_repo.latest_rules(conn)
    if stored is None:
        return 0, default_rules_text()
    return int(stored["version"]), str(stored["source_text"])


def save_rules(
    conn: sa.Connection, text: str, *, actor: str | None, now: datetime, known_topics: Collection[str] | None
) -> RuleSet:
    """Validate and store a new version; the pipeline routes with it from its next batch on. Teams the
    rules name are created now, so they can be staffed before the first case arrives."""
    rule_set = parse_rules_yaml(text, known_topics=known_topics)
    document = yaml.safe_load(text)
    version = case_repo.insert_rules_version(conn, document, text, actor, now)
    case_repo.ensure_teams(conn, rule_set.team_names(), now)
    return rule_set_from_data(document, version=version)


def routing_input(row: Mapping[str, Any], customers: Mapping[str, Mapping[str, Any]]) -> RoutingInput:
    customer = customers.get(str(row.get("customer_id"))) if row.get("customer_id") else None
    return RoutingInput.from_feedback(dict(row), dict(customer) if customer else None)


def dry_run(
    rule_set: RuleSet,
    rows: Iterable[Mapping[str, Any]],
    customers: Mapping[str, Mapping[str, Any]],
    *,
    samples_per_team: int = 5,
) -> dict[str, Any]:
    """Where each item would have gone: counts per team and rule, cases that would open, samples."""
    decisions: list[Decision] = []
    samples: list[dict[str, Any]] = []
    shown: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for row in rows:
        decision = rule_set.route(routing_input(row, customers))
        decisions.append(decision)
        rule = decision.rule_id or "(default)"
        by_rule[rule] = by_rule.get(rule, 0) + 1
        if shown.get(decision.team, 0) < samples_per_team:
            shown[decision.team] = shown.get(decision.team, 0) + 1
            text = str(row.get("text") or "")
            samples.append(
                {
                    "feedback_id": row.get("id") or row.get("feedback_id"),
                    "channel": row.get("channel"),
                    "text": text[:140] + ("…" if len(text) > 140 else ""),
                    **decision.to_dict(),
                }
            )
    return {
        "total": len(decisions),
        "by_team": count_by_team(decisions),
        "by_rule": by_rule,
        "cases": sum(1 for d in decisions if d.create_case),
        "samples": samples,
    }


def dry_run_over_store(conn: sa.Connection, rule_set: RuleSet, *, limit: int) -> dict[str, Any]:
    rows = case_repo.recent_feedback(conn, limit)
    customers = case_repo.customer_attributes(conn, {str(r["customer_id"]) for r in rows if r["customer_id"]})
    return dry_run(rule_set, rows, customers)
