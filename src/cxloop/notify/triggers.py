"""What fires an alert: pure decisions over feedback rows, case history rows, emerging issues and
negative-share counts. The store reads and writes happen in `cxloop.jobs.alerts`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cxloop.notify.rules import AlertRule

EXCERPT_CHARS = 140
TRIGGER_TITLES = {
    "vip_negative": "VIP customer with negative feedback",
    "churn_intent": "Customer intends to leave",
    "legal_threat": "Legal threat in feedback",
    "sla_breach": "SLA breached",
    "emerging_issue": "Emerging issue",
    "negative_spike": "Negative feedback spike",
}


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert about to be recorded; (rule_id, subject_key) is unique in the store."""

    rule: AlertRule
    subject_key: str
    title: str
    occurred_at: datetime
    link: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def headline(trigger: str | None, title: str) -> str:
    """A stored title without its English trigger name: pages show the trigger as a translated badge
    beside it, so what remains (the excerpt, the subject, the figures) reads the same in any language."""
    prefix = TRIGGER_TITLES.get(trigger or "")
    if not prefix or not title.startswith(prefix):
        return title
    rest = title[len(prefix) :].lstrip()
    return rest[1:].lstrip() if rest.startswith(":") else rest or title


def excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _feedback_matches(trigger: str, row: Mapping[str, Any]) -> bool:
    flags = set(row.get("flags") or [])
    if trigger == "vip_negative":
        return "vip" in flags and row.get("sentiment_label") == "negative"
    return trigger in flags


def feedback_alerts(rules: Sequence[AlertRule], rows: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """Alerts for freshly analysed feedback rows. Copies of an earlier item (`duplicate_of`) do not
    alert again: the customer said it once, and the first item already raised the alarm."""
    active = [r for r in rules if r.enabled and r.trigger in ("vip_negative", "churn_intent", "legal_threat")]
    alerts: list[Alert] = []
    for row in rows:
        if row.get("duplicate_of") or not row.get("id"):
            continue
        for rule in active:
            if not _feedback_matches(rule.trigger, row):
                continue
            alerts.append(
                Alert(
                    rule=rule,
                    subject_key=f"feedback:{row['id']}",
                    title=f"{TRIGGER_TITLES[rule.trigger]}: {excerpt(row.get('text'))}",
                    occurred_at=row["occurred_at"],
                    link=f"/feedback/{row['id']}",
                    details={
                        "feedback_id": row["id"],
                        "customer_id": row.get("customer_id"),
                        "channel": row.get("channel"),
                        "sentiment": row.get("sentiment_label"),
                        "flags": list(row.get("flags") or []),
                        "priority": row.get("priority"),
                        "excerpt": excerpt(row.get("text")),
                    },
                )
            )
    return alerts


def sla_breach_alert(rule: AlertRule, history: Mapping[str, Any], case: Mapping[str, Any] | None) -> Alert:
    """An alert for one `sla_breached` case history row (changes has {"target": ...})."""
    changes = history.get("changes") or {}
    target = changes.get("target") if isinstance(changes, dict) else None
    target = target[-1] if isinstance(target, list) and target else target
    case = case or {}
    subject = excerpt(case.get("subject"))
    return Alert(
        rule=rule,
        subject_key=f"case_history:{history['id']}",
        title=f"{TRIGGER_TITLES['sla_breach']} ({target or 'unknown target'}): {subject}",
        occurred_at=history["occurred_at"],
        link=f"/cases/{history['case_id']}",
        details={
            "case_id": history["case_id"],
            "target": target,
            "team_id": case.get("team_id"),
            "priority": case.get("priority"),
            "status": case.get("status"),
            "subject": subject,
        },
    )


def emerging_issue_alert(rule: AlertRule, issue: Mapping[str, Any]) -> Alert:
    return Alert(
        rule=rule,
        subject_key=f"emerging_issue:{issue['id']}",
        title=f"{TRIGGER_TITLES['emerging_issue']}: {issue['subject']} ({issue['kind']}, {issue['day']})",
        occurred_at=issue["detected_at"],
        link="/trends",
        details={
            "emerging_issue_id": issue["id"],
            "kind": issue["kind"],
            "subject": issue["subject"],
            "day": str(issue["day"]),
            "observed": issue["observed"],
            "expected": round(float(issue["expected"]), 2),
            "lift": round(float(issue["lift"]), 2),
            "examples": list(issue.get("examples") or []),
        },
    )


#: Kinds of emerging issue that come in crowds: one incident lifts dozens of keywords at once. Each
#: kind alerts once per day, naming the day's detections, instead of once per keyword.
DIGESTED_KINDS = ("keyword_spike", "new_phrase")
_DIGEST_NAMES = 8


def emerging_digest_alert(rule: AlertRule, issues: Sequence[Mapping[str, Any]]) -> Alert:
    """One alert for one day's detections of one crowded kind, the strongest first. A detection that
    comes later that same day joins the Trends page but not the alert: it has already fired."""
    ranked = sorted(issues, key=lambda i: (-float(i["score"]), str(i["subject"])))
    kind, day = ranked[0]["kind"], ranked[0]["day"]
    names = ", ".join(str(i["subject"]) for i in ranked[:_DIGEST_NAMES])
    more = f" +{len(ranked) - _DIGEST_NAMES}" if len(ranked) > _DIGEST_NAMES else ""
    return Alert(
        rule=rule,
        subject_key=f"emerging_issues:{kind}:{day}",
        title=f"{TRIGGER_TITLES['emerging_issue']}: {len(ranked)} × {kind} ({day}): {names}{more}",
        occurred_at=max(i["detected_at"] for i in ranked),
        link="/trends",
        details={
            "kind": kind,
            "day": str(day),
            "count": len(ranked),
            "subjects": [str(i["subject"]) for i in ranked],
            "emerging_issue_ids": [str(i["id"]) for i in ranked],
        },
    )


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (equal to the 2×2 chi-square test)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def spike_window(now: datetime, hours: float) -> tuple[datetime, datetime]:
    """The recent window [start, end) aligned to whole multiples of `hours`, so one spike alerts once
    per window however often the scan runs."""
    step = timedelta(hours=hours)
    epoch = datetime(2000, 1, 1)
    end = epoch + ((now - epoch) // step) * step
    return end - step, end


def negative_spike_alert(
    rule: AlertRule, *, window: tuple[datetime, datetime], recent: tuple[int, int], baseline: tuple[int, int]
) -> Alert | None:
    """`recent` and `baseline` are (negative, total) counts. Fires when the recent negative share is at
    least `min_lift` times the baseline share, on at least `min_count` items, and the difference is
    significant (two-proportion z-test, p < `max_p`)."""
    params = rule.params
    (k_recent, n_recent), (k_base, n_base) = recent, baseline
    if n_recent < params["min_count"] or n_base == 0:
        return None
    share_recent, share_base = k_recent / n_recent, k_base / n_base
    p_value = two_proportion_p(k_recent, n_recent, k_base, n_base)
    if share_recent < params["min_lift"] * share_base or share_recent <= share_base or p_value >= params["max_p"]:
        return None
    start, end = window
    return Alert(
        rule=rule,
        subject_key=f"negative_spike:{start.isoformat()}",
        title=f"{TRIGGER_TITLES['negative_spike']}: {share_recent:.0%} negative (baseline {share_base:.0%})",
        occurred_at=end,
        link="/feedback?sentiment=negative",
        details={
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "recent_negative": k_recent,
            "recent_total": n_recent,
            "baseline_negative": k_base,
            "baseline_total": n_base,
            "recent_share": round(share_recent, 4),
            "baseline_share": round(share_base, 4),
            "p_value": p_value,
        },
    )
