"""Routing rules: validation messages that name rule, field and line; first-match order; the default
route; the case-creation policy; the shipped rules file."""

from __future__ import annotations

import pytest

from cxloop.route.lifecycle import Priority
from cxloop.route.rules import KNOWN_FLAGS, RoutingInput
from cxloop.route.rules_yaml import RulesError, default_rules_text, parse_rules_yaml
from cxloop.text.flags import Flag

TOPICS = ["delivery", "app_errors", "payment", "account_login", "packaging", "refund_return"]

RULES = """\
rules:
  - id: legal
    when: {flags_any: [legal_threat]}
    then: {team: legal-voc, priority: urgent, create_case: true}
  - id: vip-seoul
    when: {tier: [VIP], city: [서울], sentiment: negative}
    then: {team: retention, priority: high, tags: [vip]}
  - id: app
    when: {topics_all: [app_errors, payment], channel: [app_review, chat]}
    then: {team: digital}
  - id: rich
    when: {customer_value: {min: 3000000}, sentiment_score: {max: -0.2}}
    then: {team: key-accounts, sla_policy: vip-care, create_case: false}
default: {team: cx-support, priority: normal}
sla_policies:
  vip-care: {first_response_hours: 0.5, resolution_hours: 4}
"""


def _problems(text: str) -> list[dict]:
    with pytest.raises(RulesError) as caught:
        parse_rules_yaml(text, known_topics=TOPICS)
    assert caught.value.status_code == 422
    return caught.value.details


def test_the_first_matching_rule_decides_and_the_default_catches_the_rest() -> None:
    rules = parse_rules_yaml(RULES, known_topics=TOPICS)
    legal_and_vip = RoutingInput(
        flags=frozenset({"legal_threat"}), tier="vip", city="서울", sentiment_label="negative", has_customer=True
    )
    assert rules.route(legal_and_vip).rule_id == "legal"  # both match: order decides
    vip = rules.route(RoutingInput(tier="vip", city="서울", sentiment_label="negative", has_customer=True))
    assert (vip.rule_id, vip.team, vip.priority, vip.tags) == ("vip-seoul", "retention", Priority.HIGH, ("vip",))
    assert rules.route(RoutingInput(tier="vip", city="부산", sentiment_label="negative")).rule_id is None
    one_topic = RoutingInput(topics=frozenset({"app_errors"}), channel="chat")
    assert rules.route(one_topic).team == "cx-support"  # topics_all needs both
    both = RoutingInput(topics=frozenset({"app_errors", "payment", "delivery"}), channel="chat")
    assert rules.route(both).team == "digital"
    rich = rules.route(
        RoutingInput(customer_value=5e6, sentiment_score=-0.5, sentiment_label="negative", has_customer=True)
    )
    assert (rich.team, rich.sla_policy, rich.create_case) == ("key-accounts", "vip-care", False)
    assert rules.route(RoutingInput(customer_value=None, sentiment_score=-0.5)).team == "cx-support"
    default = rules.route(RoutingInput(channel="email"))
    assert (default.team, default.priority, default.sla_policy) == ("cx-support", Priority.NORMAL, "normal")


def test_auto_creation_needs_a_customer_and_a_reason() -> None:
    rules = parse_rules_yaml("rules: []\ndefault: {team: cx}\n")
    assert not rules.route(RoutingInput(sentiment_label="negative")).create_case  # anonymous
    assert rules.route(RoutingInput(sentiment_label="negative", has_customer=True)).create_case
    assert not rules.route(RoutingInput(sentiment_label="neutral", has_customer=True)).create_case
    assert not rules.route(RoutingInput(flags=frozenset({"vip"}), has_customer=True)).create_case
    assert rules.route(RoutingInput(flags=frozenset({"churn_intent"}), has_customer=True)).create_case
    assert rules.route(RoutingInput(priority_score=50, has_customer=True)).create_case
    # priority auto follows the text priority bands
    assert rules.route(RoutingInput(priority_score=75)).priority is Priority.URGENT
    assert rules.route(RoutingInput(priority_score=10)).priority is Priority.LOW


def test_validation_names_rule_field_and_line() -> None:
    text = RULES.replace("channel: [app_review, chat]", "channel: [app_review, fax]").replace(
        "priority: high", "priority: hgh"
    )
    problems = _problems(text)
    texts = [p["text"] for p in problems]
    assert any("rules[1] (id 'vip-seoul').then.priority (line 7)" in t and "'hgh'" in t for t in texts), texts
    assert any("rules[2] (id 'app').when.channel (line 9)" in t and "'fax'" in t for t in texts), texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: []\n", "default"),
        ("rules: [{id: a, when: {topics_any: [delivry]}, then: {team: x}}]\ndefault: {team: y}\n", "'delivry'"),
        ("rules: [{id: a, when: {colour: red}, then: {team: x}}]\ndefault: {team: y}\n", "unknown condition 'colour'"),
        ("rules: [{id: a, then: {team: x}}, {id: a, then: {team: z}}]\ndefault: {team: y}\n", "ids must be unique"),
        ("rules: [{id: a, then: {team: x, sla_policy: gold}}]\ndefault: {team: y}\n", "no SLA policy named 'gold'"),
        (
            "rules: [{id: a, when: {sentiment_score: {min: 0.5, max: -0.5}}, then: {team: x}}]\ndefault: {team: y}\n",
            "min 0.5 is greater than max -0.5",
        ),
        ("rules: [{id: Bad Id, then: {team: x}}]\ndefault: {team: y}\n", "an id is 1-26"),
        ("rules: [{id: a, then: {priority: high}}]\ndefault: {team: y}\n", "team name"),
        ("rules:\n  - id: a\n    then: {team: x\n", "not valid YAML at line"),
        ("- just a list\n", "expected a mapping"),
        (
            "rules: []\ndefault: {team: y}\nsla_policies: {fast: {first_response_hours: 8, resolution_hours: 2}}\n",
            "must not be shorter",
        ),
        ("rules: []\ndefault: {team: y}\nteams: {y: {assignment: random}}\n", "'random'"),
    ],
)
def test_invalid_rule_sets_are_refused_with_the_reason(text: str, expected: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules_yaml(text, known_topics=TOPICS)
    assert expected in caught.value.message


def test_the_shipped_rules_are_valid_and_route_the_usual_cases() -> None:
    rules = parse_rules_yaml(default_rules_text(), known_topics=[*TOPICS, "price", "cancellation"])
    legal = rules.route(RoutingInput(flags=frozenset({"legal_threat"}), has_customer=False))
    assert (legal.team, legal.priority, legal.create_case) == ("legal-voc", Priority.URGENT, True)
    vip_churn = rules.route(RoutingInput(flags=frozenset({"churn_intent", "vip"}), has_customer=True))
    assert (vip_churn.team, vip_churn.priority) == ("retention", Priority.URGENT)
    app = rules.route(RoutingInput(topics=frozenset({"app_errors"}), sentiment_label="negative"))
    assert app.team == "digital"
    assert rules.route(RoutingInput(topics=frozenset({"delivery"}))).team == "logistics"
    assert rules.route(RoutingInput(topics=frozenset({"price"}))).team == "cx-support"


def test_the_flags_rules_know_are_the_flags_the_text_pipeline_raises() -> None:
    assert set(KNOWN_FLAGS) == {f.value for f in Flag}
