"""The `rules.yaml` format: parse and validate it into a `RuleSet`, naming every problem exactly
(rule index and id, field, YAML line). See docs in `default_rules.yaml`."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from cxloop.domain import FeedbackChannel
from cxloop.errors import InvalidInput
from cxloop.route.lifecycle import Priority
from cxloop.route.rules import (
    ASSIGNMENT_STRATEGIES,
    CREATE_POLICIES,
    DEFAULT_SLA_POLICIES,
    KNOWN_FLAGS,
    SENTIMENT_LABELS,
    Conditions,
    Range,
    Route,
    Rule,
    RuleSet,
    TeamSettings,
)
from cxloop.route.sla import SlaPolicy

DEFAULT_RULES_FILE = Path(__file__).with_name("default_rules.yaml")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,25}$")
_TOP_KEYS = {"rules", "default", "sla_policies", "teams"}
_RULE_KEYS = {"id", "name", "when", "then"}
_ROUTE_KEYS = {"team", "priority", "sla_policy", "tags", "create_case", "assignment"}
_LIST_CONDITIONS = {
    "channel": "channels",
    "language": "languages",
    "topics_any": "topics_any",
    "topics": "topics_any",
    "topics_all": "topics_all",
    "sentiment": "sentiments",
    "flags_any": "flags_any",
    "flags": "flags_any",
    "flags_all": "flags_all",
    "tier": "tiers",
    "city": "cities",
}
_RANGE_CONDITIONS = {"sentiment_score": (-1.0, 1.0), "priority_score": (0, 100), "customer_value": (0, None)}
_CONDITION_KEYS = {*_LIST_CONDITIONS, *_RANGE_CONDITIONS, "has_customer"}


class RulesError(InvalidInput):
    """A rule set that cannot be used; `details` lists every problem with its place."""

    code = "rules.invalid"


class _Problems:
    def __init__(self, root: yaml.Node | None, data: Any) -> None:
        self.root = root
        self.data = data
        self.items: list[dict[str, Any]] = []

    def add(self, path: tuple[str | int, ...], message: str) -> None:
        line = _line_of(self.root, path)
        where = _describe(path)
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rules = self.data.get("rules") if isinstance(self.data, dict) else None
            rule = rules[path[1]] if isinstance(rules, list) and path[1] < len(rules) else None
            if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                where = where.replace(f"rules[{path[1]}]", f"rules[{path[1]}] (id {rule['id']!r})", 1)
        text = f"{where}{f' (line {line})' if line else ''}: {message}"
        self.items.append({"path": where, "line": line, "message": message, "text": text})


def _describe(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "the rule set"


def _line_of(node: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest node on `path` that exists in the YAML."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if child is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                child = key
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _strings(
    value: Any,
    path: tuple[str | int, ...],
    problems: _Problems,
    allowed: Collection[str] | None = None,
    what: str = "value",
) -> frozenset[str] | None:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip() for v in values):
        problems.add(path, f"expected a {what} or a list of them, got {value!r}")
        return None
    result = frozenset(str(v).strip() for v in values)
    if allowed is not None:
        unknown = sorted(result - set(allowed))
        if unknown:
            problems.add(path, f"unknown {what} {', '.join(map(repr, unknown))}; known: {', '.join(sorted(allowed))}")
            return None
    return result


def _range(
    value: Any, path: tuple[str | int, ...], problems: _Problems, bounds: tuple[float | None, float | None]
) -> Range | None:
    if not isinstance(value, dict) or not value or set(value) - {"min", "max"}:
        problems.add(path, f"expected a mapping with min and/or max, got {value!r}")
        return None
    low, high = value.get("min"), value.get("max")
    for name, number in (("min", low), ("max", high)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            problems.add((*path, name), f"expected a number, got {number!r}")
            return None
        if number is not None and (
            (bounds[0] is not None and number < bounds[0]) or (bounds[1] is not None and number > bounds[1])
        ):
            problems.add((*path, name), f"{number} is outside {bounds[0]}..{'' if bounds[1] is None else bounds[1]}")
            return None
    if low is not None and high is not None and low > high:
        problems.add(path, f"min {low} is greater than max {high}")
        return None
    return Range(low, high)


def _conditions(
    value: Any, path: tuple[str | int, ...], problems: _Problems, topics: Collection[str] | None
) -> Conditions:
    if value is None:
        return Conditions()
    if not isinstance(value, dict):
        problems.add(path, f"expected a mapping of conditions, got {value!r}")
        return Conditions()
    found: dict[str, Any] = {}
    allowed_values: dict[str, tuple[Collection[str] | None, str]] = {
        "channel": ([c.value for c in FeedbackChannel], "channel"),
        "sentiment": (SENTIMENT_LABELS, "sentiment label"),
        "flags": (KNOWN_FLAGS, "flag"),
        "flags_any": (KNOWN_FLAGS, "flag"),
        "flags_all": (KNOWN_FLAGS, "flag"),
        "topics": (topics, "topic"),
        "topics_any": (topics, "topic"),
        "topics_all": (topics, "topic"),
    }
    for key, raw in value.items():
        here = (*path, str(key))
        if key in _LIST_CONDITIONS:
            allowed, what = allowed_values.get(key, (None, "value"))
            parsed = _strings(raw, here, problems, allowed, what)
            if parsed is not None and key == "tier":
                parsed = frozenset(v.lower() for v in parsed)
            found[_LIST_CONDITIONS[key]] = parsed
        elif key in _RANGE_CONDITIONS:
            found[key] = _range(raw, here, problems, _RANGE_CONDITIONS[key])
        elif key == "has_customer":
            if not isinstance(raw, bool):
                problems.add(here, f"expected true or false, got {raw!r}")
            else:
                found[key] = raw
        else:
            problems.add(here, f"unknown condition {key!r}; conditions are: {', '.join(sorted(_CONDITION_KEYS))}")
    return Conditions(**found)


def _route(value: Any, path: tuple[str | int, ...], problems: _Problems, policies: Collection[str]) -> Route | None:
    if not isinstance(value, dict):
        problems.add(path, f"expected a mapping with at least `team`, got {value!r}")
        return None
    for key in sorted(set(value) - _ROUTE_KEYS, key=str):
        problems.add((*path, str(key)), f"unknown field {key!r}; fields are: {', '.join(sorted(_ROUTE_KEYS))}")
    team = value.get("team")
    if not isinstance(team, str) or not team.strip() or len(team) > 100:
        problems.add((*path, "team"), f"a team name of 1-100 characters is required, got {team!r}")
        return None
    priority = value.get("priority", "auto")
    if priority != "auto" and priority not in {p.value for p in Priority}:
        problems.add((*path, "priority"), f"{priority!r} is not a priority; use urgent, high, normal, low or auto")
    sla = value.get("sla_policy")
    if sla is not None and sla not in policies:
        problems.add((*path, "sla_policy"), f"no SLA policy named {sla!r}; policies: {', '.join(sorted(policies))}")
    tags = value.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in tags):
        problems.add((*path, "tags"), f"expected a list of tags (1-64 characters each), got {tags!r}")
        tags = []
    create = value.get("create_case", "auto")
    create = {True: "always", False: "never"}.get(create, create) if isinstance(create, bool) else create
    if create not in CREATE_POLICIES:
        problems.add((*path, "create_case"), f"{create!r} is not a creation policy; use auto, true or false")
    assignment = value.get("assignment")
    if assignment is not None and assignment not in ASSIGNMENT_STRATEGIES:
        problems.add((*path, "assignment"), f"{assignment!r}: use {', '.join(ASSIGNMENT_STRATEGIES)}")
    return Route(
        team=team.strip(),
        priority=Priority(priority) if priority in {p.value for p in Priority} else None,
        sla_policy=sla,
        tags=tuple(tags),
        create_case=create if create in CREATE_POLICIES else "auto",
        assignment=assignment,
    )


def _policies(value: Any, problems: _Problems) -> dict[str, SlaPolicy]:
    policies = dict(DEFAULT_SLA_POLICIES)
    if value is None:
        return policies
    if not isinstance(value, dict):
        problems.add(("sla_policies",), "expected a mapping of policy name to targets")
        return policies
    for name, targets in value.items():
        here: tuple[str | int, ...] = ("sla_policies", str(name))
        if not isinstance(targets, dict) or set(targets) != {"first_response_hours", "resolution_hours"}:
            problems.add(here, "expected first_response_hours and resolution_hours (business hours)")
            continue
        first, resolve = targets["first_response_hours"], targets["resolution_hours"]
        if not all(isinstance(h, int | float) and not isinstance(h, bool) and 0 < h <= 2000 for h in (first, resolve)):
            problems.add(here, f"targets must be numbers of hours in 0-2000, got {first!r} and {resolve!r}")
            continue
        if resolve < first:
            problems.add((*here, "resolution_hours"), "must not be shorter than first_response_hours")
            continue
        policies[str(name)] = SlaPolicy(str(name), float(first), float(resolve))
    return policies


def _teams(value: Any, problems: _Problems) -> dict[str, TeamSettings]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(("teams",), "expected a mapping of team name to {assignment, manager}")
        return {}
    teams: dict[str, TeamSettings] = {}
    for name, options in value.items():
        here: tuple[str | int, ...] = ("teams", str(name))
        options = options or {}
        if not isinstance(options, dict) or set(options) - {"assignment", "manager"}:
            problems.add(here, "expected a mapping with assignment and/or manager")
            continue
        strategy, manager = options.get("assignment"), options.get("manager")
        if strategy is not None and strategy not in ASSIGNMENT_STRATEGIES:
            problems.add((*here, "assignment"), f"{strategy!r}: use {', '.join(ASSIGNMENT_STRATEGIES)}")
        if manager is not None and (not isinstance(manager, str) or "@" not in manager):
            problems.add((*here, "manager"), f"expected the manager's e-mail address, got {manager!r}")
        teams[str(name)] = TeamSettings(strategy, manager)
    return teams


def rule_set_from_data(
    data: Any, *, known_topics: Collection[str] | None = None, root: yaml.Node | None = None, version: int = 0
) -> RuleSet:
    """Validate parsed YAML/JSON; raises `RulesError` listing every problem."""
    problems = _Problems(root, data)
    if not isinstance(data, dict):
        problems.add((), "expected a mapping with `rules` and `default`")
        raise RulesError(problems.items[0]["text"], details=problems.items)
    for key in sorted(set(data) - _TOP_KEYS, key=str):
        problems.add((str(key),), f"unknown section; sections are: {', '.join(sorted(_TOP_KEYS))}")
    policies = _policies(data.get("sla_policies"), problems)
    teams = _teams(data.get("teams"), problems)
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        problems.add(("rules",), "expected a list of rules")
        raw_rules = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        here: tuple[str | int, ...] = ("rules", index)
        if not isinstance(raw, dict):
            problems.add(here, "expected a mapping with id, when and then")
            continue
        for key in sorted(set(raw) - _RULE_KEYS, key=str):
            problems.add((*here, str(key)), f"unknown field; a rule has: {', '.join(sorted(_RULE_KEYS))}")
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
            problems.add((*here, "id"), f"{rule_id!r}: an id is 1-26 lowercase letters, digits, - or _")
        elif rule_id in seen:
            problems.add((*here, "id"), f"{rule_id!r} is used by an earlier rule; ids must be unique")
        else:
            seen.add(rule_id)
        when = _conditions(raw.get("when"), (*here, "when"), problems, known_topics)
        route = _route(raw.get("then"), (*here, "then"), problems, policies)
        if route is not None and isinstance(rule_id, str):
            rules.append(Rule(rule_id, str(raw.get("name") or rule_id), when, route))
    default = _route(data.get("default"), ("default",), problems, policies) if "default" in data else None
    if "default" not in data:
        problems.add(("default",), "a default route is required, e.g. default: {team: cx-support, priority: normal}")
    if problems.items:
        first = problems.items[0]["text"]
        more = f" (and {len(problems.items) - 1} more problem(s))" if len(problems.items) > 1 else ""
        raise RulesError(f"invalid rules: {first}{more}", details=problems.items)
    assert default is not None
    return RuleSet(tuple(rules), default, policies, teams, version)


def parse_rules_yaml(text: str, *, known_topics: Collection[str] | None = None, version: int = 0) -> RuleSet:
    """Parse `rules.yaml` text; errors name the rule, field and line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise RulesError(f"the rules are not valid YAML{line}: {problem}") from None
    return rule_set_from_data(data, known_topics=known_topics, root=root, version=version)


def default_rules_text() -> str:
    return DEFAULT_RULES_FILE.read_text(encoding="utf-8")
