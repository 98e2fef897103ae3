"""Routing rules: ordered conditions on a feedback item and the route (team, priority, SLA, tags) of
the first rule that matches, or the default route. Pure: `rules_yaml` builds a `RuleSet` from text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cxloop.route.lifecycle import Priority, priority_from_score
from cxloop.route.sla import SlaPolicy

#: The flags the text pipeline raises (`cxloop.text.flags.Flag`; a test keeps the two in step).
KNOWN_FLAGS = ("churn_intent", "legal_threat", "safety_issue", "repeated_contact", "abusive", "vip")
#: Flags that on their own make an item worth a case under the `auto` creation policy; VIP alone is not.
CASE_WORTHY_FLAGS = frozenset(KNOWN_FLAGS) - {"vip"}
#: Under `auto`, a text priority score from which a case is opened even without negative sentiment.
AUTO_CASE_PRIORITY_SCORE = 45
SENTIMENT_LABELS = ("positive", "neutral", "negative")
ASSIGNMENT_STRATEGIES = ("round_robin", "least_loaded", "manual")
CREATE_POLICIES = ("auto", "always", "never")

DEFAULT_SLA_POLICIES: dict[str, SlaPolicy] = {
    "urgent": SlaPolicy("urgent", first_response_hours=1, resolution_hours=8),
    "high": SlaPolicy("high", first_response_hours=4, resolution_hours=16),
    "normal": SlaPolicy("normal", first_response_hours=8, resolution_hours=40),
    "low": SlaPolicy("low", first_response_hours=16, resolution_hours=80),
}


@dataclass(frozen=True, slots=True)
class RoutingInput:
    """What a rule can look at: the enriched feedback row and its customer's attributes."""

    channel: str | None = None
    language: str | None = None
    topics: frozenset[str] = frozenset()
    sentiment_label: str | None = None
    sentiment_score: float | None = None
    flags: frozenset[str] = frozenset()
    priority_score: int | None = None
    has_customer: bool = False
    tier: str | None = None
    customer_value: float | None = None
    city: str | None = None

    @classmethod
    def from_feedback(cls, row: dict[str, Any], customer: dict[str, Any] | None = None) -> RoutingInput:
        customer = customer or {}
        tier = customer.get("tier")
        return cls(
            channel=row.get("channel"),
            language=row.get("language"),
            topics=frozenset(t["topic"] for t in row.get("topics") or [] if isinstance(t, dict) and "topic" in t),
            sentiment_label=row.get("sentiment_label"),
            sentiment_score=row.get("sentiment_score"),
            flags=frozenset(row.get("flags") or []),
            priority_score=row.get("priority"),
            has_customer=bool(row.get("customer_id")),
            tier=tier.strip().lower() if isinstance(tier, str) else None,
            customer_value=customer.get("value"),
            city=customer.get("city"),
        )


@dataclass(frozen=True, slots=True)
class Range:
    low: float | None = None
    high: float | None = None

    def holds(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


@dataclass(frozen=True, slots=True)
class Conditions:
    """All given conditions must hold; a list inside one condition means any of its values."""

    channels: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    topics_any: frozenset[str] | None = None
    topics_all: frozenset[str] | None = None
    sentiments: frozenset[str] | None = None
    sentiment_score: Range | None = None
    flags_any: frozenset[str] | None = None
    flags_all: frozenset[str] | None = None
    priority_score: Range | None = None
    tiers: frozenset[str] | None = None
    customer_value: Range | None = None
    cities: frozenset[str] | None = None
    has_customer: bool | None = None

    def hold_for(self, item: RoutingInput) -> bool:
        checks = (
            self.channels is None or item.channel in self.channels,
            self.languages is None or item.language in self.languages,
            self.topics_any is None or bool(self.topics_any & item.topics),
            self.topics_all is None or self.topics_all <= item.topics,
            self.sentiments is None or item.sentiment_label in self.sentiments,
            self.sentiment_score is None or self.sentiment_score.holds(item.sentiment_score),
            self.flags_any is None or bool(self.flags_any & item.flags),
            self.flags_all is None or self.flags_all <= item.flags,
            self.priority_score is None or self.priority_score.holds(item.priority_score),
            self.tiers is None or item.tier in self.tiers,
            self.customer_value is None or self.customer_value.holds(item.customer_value),
            self.cities is None or item.city in self.cities,
            self.has_customer is None or item.has_customer == self.has_customer,
        )
        return all(checks)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a matching item goes. `priority` None means: from the item's text priority score."""

    team: str
    priority: Priority | None = None
    sla_policy: str | None = None
    tags: tuple[str, ...] = ()
    create_case: str = "auto"
    assignment: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    when: Conditions
    then: Route


@dataclass(frozen=True, slots=True)
class TeamSettings:
    assignment: str | None = None  # None: the server's default strategy
    manager: str | None = None  # e-mail of the user an SLA breach escalates to


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of routing one item."""

    rule_id: str | None  # None: the default route
    team: str
    priority: Priority
    sla_policy: str
    tags: tuple[str, ...]
    create_case: bool
    assignment: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "team": self.team,
            "priority": self.priority.value,
            "sla_policy": self.sla_policy,
            "tags": list(self.tags),
            "create_case": self.create_case,
        }


def wants_case(policy: str, item: RoutingInput) -> bool:
    """The creation policy: `always`, `never`, or `auto` = a known customer with negative sentiment,
    a case-worthy flag or a high text priority."""
    if policy == "always":
        return True
    if policy == "never" or not item.has_customer:
        return False
    return (
        item.sentiment_label == "negative"
        or bool(item.flags & CASE_WORTHY_FLAGS)
        or (item.priority_score or 0) >= AUTO_CASE_PRIORITY_SCORE
    )


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]
    default: Route
    sla_policies: dict[str, SlaPolicy] = field(default_factory=lambda: dict(DEFAULT_SLA_POLICIES))
    teams: dict[str, TeamSettings] = field(default_factory=dict)
    version: int = 0  # the stored version; 0 for a rule set that has not been saved

    def route(self, item: RoutingInput) -> Decision:
        """The first matching rule decides; when none matches, the default route does."""
        rule_id, route = None, self.default
        for rule in self.rules:
            if rule.when.hold_for(item):
                rule_id, route = rule.id, rule.then
                break
        priority = route.priority or priority_from_score(item.priority_score)
        return Decision(
            rule_id=rule_id,
            team=route.team,
            priority=priority,
            sla_policy=route.sla_policy or priority.value,
            tags=route.tags,
            create_case=wants_case(route.create_case, item),
            assignment=route.assignment or self.teams.get(route.team, TeamSettings()).assignment,
        )

    def team_names(self) -> list[str]:
        names = dict.fromkeys([*(r.then.team for r in self.rules), self.default.team, *self.teams])
        return list(names)

    def policy(self, name: str) -> SlaPolicy:
        return self.sla_policies.get(name) or self.sla_policies.get("normal") or DEFAULT_SLA_POLICIES["normal"]


def count_by_team(decisions: Iterable[Decision]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for decision in decisions:
        counts[decision.team] = counts.get(decision.team, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
