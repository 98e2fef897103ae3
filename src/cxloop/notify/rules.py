"""Alert rules: the triggers cxloop knows, their parameters and channels, validation and defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from cxloop.domain import Role
from cxloop.errors import InvalidInput

TRIGGERS = ("vip_negative", "churn_intent", "legal_threat", "sla_breach", "emerging_issue", "negative_spike")
#: Triggers evaluated on each feedback item in the pipeline; the others are found by the periodic scan.
FEEDBACK_TRIGGERS = ("vip_negative", "churn_intent", "legal_threat")
SPIKE_DEFAULTS: dict[str, float] = {"hours": 6, "baseline_days": 7, "min_count": 20, "min_lift": 1.5, "max_p": 0.01}
_SPIKE_LIMITS: dict[str, tuple[float, float]] = {
    "hours": (1, 168),
    "baseline_days": (1, 90),
    "min_count": (1, 100_000),
    "min_lift": (1.0, 100.0),
    "max_p": (1e-9, 0.5),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$")
_MANAGERS = {"roles": ["admin", "manager"]}
# The rules a new installation starts with; copied into the store on first use and edited there
# (`PUT /api/v1/alert-rules` takes this shape as JSON, `cxloop alerts load FILE` as YAML or JSON).
# channels.in_app: roles and team names whose members get an in-app notification (case_team adds the
# case's own team); webhooks: every enabled webhook subscribed to the trigger; emails: addresses.
DEFAULT_RULES: list[dict[str, Any]] = [
    {"name": "vip-negative", "trigger": "vip_negative", "channels": {"in_app": _MANAGERS, "webhooks": True}},
    {"name": "churn-intent", "trigger": "churn_intent", "channels": {"in_app": _MANAGERS, "webhooks": True}},
    {"name": "legal-threat", "trigger": "legal_threat", "channels": {"in_app": _MANAGERS, "webhooks": True}},
    {
        "name": "sla-breach",
        "trigger": "sla_breach",
        "channels": {"in_app": {"roles": ["manager"], "case_team": True}, "webhooks": True},
    },
    {
        "name": "emerging-issue",
        "trigger": "emerging_issue",
        "channels": {"in_app": {"roles": ["admin", "manager", "analyst"]}, "webhooks": True},
    },
    {
        "name": "negative-spike",
        "trigger": "negative_spike",
        "params": dict(SPIKE_DEFAULTS),
        "channels": {"in_app": _MANAGERS, "webhooks": True},
    },
]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One rule as the triggers and the outbox use it."""

    id: str
    name: str
    trigger: str
    params: dict[str, Any] = field(default_factory=dict)
    channels: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True

    @property
    def roles(self) -> list[str]:
        return list(self.channels.get("in_app", {}).get("roles", []))

    @property
    def teams(self) -> list[str]:
        return list(self.channels.get("in_app", {}).get("teams", []))

    @property
    def case_team(self) -> bool:
        return bool(self.channels.get("in_app", {}).get("case_team", False))

    @property
    def to_webhooks(self) -> bool:
        return bool(self.channels.get("webhooks", False))

    @property
    def emails(self) -> list[str]:
        return list(self.channels.get("emails", []))


def _fail(where: str, message: str) -> InvalidInput:
    return InvalidInput(f"{where}: {message}", details=[{"field": where, "reason": message}])


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(where, "must be a list of non-empty strings")
    return [v.strip() for v in value]


def validate_channels(value: Any, where: str = "channels") -> dict[str, Any]:
    """The channels of a rule in canonical form; names the first field that is wrong."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _fail(where, "must be an object with in_app, webhooks and emails")
    unknown = set(value) - {"in_app", "webhooks", "emails"}
    if unknown:
        raise _fail(where, f"unknown channel(s) {', '.join(sorted(unknown))}; use in_app, webhooks, emails")
    in_app = value.get("in_app") or {}
    if not isinstance(in_app, dict) or set(in_app) - {"roles", "teams", "case_team"}:
        raise _fail(f"{where}.in_app", "must be an object with roles, teams and case_team")
    roles = _string_list(in_app.get("roles"), f"{where}.in_app.roles")
    known_roles = {r.value for r in Role}
    for role in roles:
        if role not in known_roles:
            raise _fail(f"{where}.in_app.roles", f"unknown role {role!r}; roles are {', '.join(sorted(known_roles))}")
    emails = _string_list(value.get("emails"), f"{where}.emails")
    for address in emails:
        if not _EMAIL.match(address):
            raise _fail(f"{where}.emails", f"{address!r} is not an e-mail address")
    webhooks = value.get("webhooks", False)
    if not isinstance(webhooks, bool):
        raise _fail(f"{where}.webhooks", "must be true or false")
    return {
        "in_app": {
            "roles": roles,
            "teams": _string_list(in_app.get("teams"), f"{where}.in_app.teams"),
            "case_team": bool(in_app.get("case_team", False)),
        },
        "webhooks": webhooks,
        "emails": emails,
    }


def validate_params(trigger: str, value: Any, where: str = "params") -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    if trigger != "negative_spike":
        if value:
            raise _fail(where, f"the {trigger} trigger takes no parameters")
        return {}
    unknown = set(value) - set(SPIKE_DEFAULTS)
    if unknown:
        raise _fail(where, f"unknown parameter(s) {', '.join(sorted(unknown))}; use {', '.join(SPIKE_DEFAULTS)}")
    params: dict[str, Any] = {}
    for name, default in SPIKE_DEFAULTS.items():
        number = value.get(name, default)
        low, high = _SPIKE_LIMITS[name]
        if isinstance(number, bool) or not isinstance(number, int | float) or not low <= number <= high:
            raise _fail(f"{where}.{name}", f"must be a number from {low:g} to {high:g}")
        params[name] = number
    return params


def validate_rule(value: Any, where: str = "rule") -> dict[str, Any]:
    """A rule as sent by a person: {name, trigger, params?, channels?, enabled?} → canonical dict."""
    if not isinstance(value, dict):
        raise _fail(where, "must be an object with name, trigger and channels")
    unknown = set(value) - {"id", "name", "trigger", "params", "channels", "enabled", "version"}
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")
    name = value.get("name")
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise _fail(f"{where}.name", "1-100 letters, digits, spaces, '.', '_' or '-'")
    trigger = value.get("trigger")
    if trigger not in TRIGGERS:
        raise _fail(f"{where}.trigger", f"unknown trigger {trigger!r}; triggers are {', '.join(TRIGGERS)}")
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail(f"{where}.enabled", "must be true or false")
    return {
        "name": name.strip(),
        "trigger": trigger,
        "params": validate_params(trigger, value.get("params"), f"{where}.params"),
        "channels": validate_channels(value.get("channels"), f"{where}.channels"),
        "enabled": enabled,
    }


def validate_rule_list(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("send a non-empty list of rules (disable a rule with enabled: false)")
    rules = [validate_rule(item, f"rules[{i}]") for i, item in enumerate(value)]
    names = [r["name"] for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"rule names must be unique; repeated: {', '.join(duplicates)}")
    return rules


def parse_rules_yaml(text: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"the alert rules are not valid YAML: {error}") from None
    return validate_rule_list(data)


def default_rules() -> list[dict[str, Any]]:
    """The shipped rules in canonical form."""
    return validate_rule_list(DEFAULT_RULES)
