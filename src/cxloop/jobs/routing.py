"""The `route` pipeline stage: route each stored feedback item by the rules in force, open cases for
the ones that need one, join recontacts to the customer's open case (or reopen the case resolved
within the recontact window: the resolution did not hold), and assign within the team.
Also the periodic SLA check the server runs and `cxloop sla check` calls."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from cxloop.config import Settings
from cxloop.domain import SOLICITED_CHANNELS, RecordKind
from cxloop.jobs.pipeline import PipelineItem, Stage, StageContext
from cxloop.route.casework import CaseBatch, Staffing, open_case
from cxloop.route.rules import RoutingInput
from cxloop.route.ruleset import current_rule_set
from cxloop.route.slacheck import business_calendar, check_case_slas
from cxloop.store import cases as case_repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now

logger = logging.getLogger(__name__)


def _related(item: RoutingInput) -> bool:
    """Whether a customer's new item is them coming back about their case: anything they sent on their
    own but plain praise. A survey answer never is (see `_answered`): counting it would reopen cases and
    cost first-contact resolution every time a survey goes out."""
    if item.channel in SOLICITED_CHANNELS:
        return False
    return not (item.sentiment_label == "positive" and not item.flags)


def _answered(cases: CaseBatch, case_id: str, feedback_id: str, ctx: StageContext) -> None:
    """Link a survey answer to the customer's open case as context: no recontact, no second case."""
    cases.links.append({"case_id": case_id, "feedback_id": feedback_id, "joined_at": ctx.now, "is_recontact": False})


def _subject(row: dict[str, Any]) -> str:
    text = " ".join(str(row.get("text") or "").split())
    return text[:120] + ("…" if len(text) > 120 else "") if text else f"{row.get('channel')} feedback"


def route_feedback(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    """Open or join cases for the batch's feedback; nothing is written for items that need no case."""
    items = [i for i in batch if i.kind is RecordKind.FEEDBACK and i.row.get("id")]
    if not items:
        return batch
    items.sort(key=lambda i: (i.row.get("occurred_at") or ctx.now, i.row["id"]))
    rule_set = current_rule_set(ctx.conn)
    customer_ids = {str(i.customer_id) for i in items if i.customer_id}
    customers = case_repo.customer_attributes(ctx.conn, customer_ids)
    since = ctx.now - timedelta(days=ctx.settings.case_recontact_window_days)
    open_cases = {c: row["id"] for c, row in case_repo.open_cases_of_customers(ctx.conn, customer_ids, since).items()}
    done_cases = case_repo.recently_done_cases_of_customers(ctx.conn, customer_ids - set(open_cases), since)
    routed = []
    for item in items:
        facts = RoutingInput.from_feedback(item.row, customers.get(str(item.customer_id)))
        routed.append((item, facts, rule_set.route(facts)))
    team_ids = case_repo.ensure_teams(ctx.conn, {d.team for _, _, d in routed if d.create_case}, ctx.now)
    staffing = Staffing(ctx.conn, list(team_ids.values()))
    calendar = business_calendar(ctx.settings)
    cases = CaseBatch()
    recontacts: dict[str, int] = {}
    closed_recontacted: set[str] = set()
    for item, facts, decision in routed:
        feedback_id = item.row["id"]
        if item.customer_id and facts.channel in SOLICITED_CHANNELS and str(item.customer_id) in open_cases:
            _answered(cases, open_cases[str(item.customer_id)], feedback_id, ctx)
            continue
        customer = str(item.customer_id) if item.customer_id and _related(facts) else None
        joined = open_cases.get(customer) if customer else None
        done = done_cases.pop(customer, None) if customer and not joined else None
        if done is not None and _reopen(cases, done, feedback_id, ctx):
            joined = open_cases[str(customer)] = done["id"]
        elif done is not None:
            # A closed case stays closed and the item is routed on its own, but the customer's coming
            # back within the window still counts against that case's first-contact resolution.
            _recontact(cases, recontacts, done["id"], feedback_id, ctx)
            closed_recontacted.add(done["id"])
        if joined:
            _recontact(cases, recontacts, joined, feedback_id, ctx)
            continue
        if not decision.create_case:
            continue
        strategy = decision.assignment or ctx.settings.case_assignment
        team_id = team_ids[decision.team]
        topics = item.row.get("topics") or []
        row = open_case(
            cases,
            fields={
                "customer_id": item.customer_id,
                "subject": _subject(item.row),
                "source": "routing",
                "batch_id": item.batch_id,
                "channel": item.row.get("channel"),
                "language": item.row.get("language"),
                "topic": topics[0]["topic"] if topics else None,
                "tags": decision.tags,
                "rule_id": decision.rule_id,
            },
            team=(team_id, decision.team),
            priority=decision.priority,
            sla_policy=decision.sla_policy,
            rule_set=rule_set,
            calendar=calendar,
            now=ctx.now,
            actor=None,
            assignee=staffing.pick(team_id, strategy, item.row.get("language"), ctx.now),
            feedback_id=feedback_id,
        )
        if item.customer_id:
            open_cases[str(item.customer_id)] = row["id"]
    # Recontacts of a case opened in this same batch are counted in its row; older cases are updated.
    fresh = {row["id"]: row for row in cases.cases}
    for case_id in [c for c in recontacts if c in fresh]:
        fresh[case_id]["recontact_count"] = recontacts.pop(case_id)
    cases.write(ctx.conn, ctx.dialect)
    case_repo.add_recontacts(ctx.conn, recontacts, ctx.now)
    case_repo.unset_fcr(ctx.conn, closed_recontacted, ctx.now)
    return batch


def _recontact(cases: CaseBatch, counts: dict[str, int], case_id: str, feedback_id: str, ctx: StageContext) -> None:
    """Link the item to the case as a recontact, in its history and in the case's count."""
    cases.links.append({"case_id": case_id, "feedback_id": feedback_id, "joined_at": ctx.now, "is_recontact": True})
    cases.record(case_id, "recontact", {"feedback_id": [None, feedback_id]}, actor=None, at=ctx.now)
    counts[case_id] = counts.get(case_id, 0) + 1


def _reopen(cases: CaseBatch, done: dict[str, Any], feedback_id: str, ctx: StageContext) -> bool:
    """Reopen a resolved case the customer came back about within the recontact window: the
    resolution did not hold. False for a closed case (closed is final) or one closed meanwhile."""
    if done["status"] != "resolved" or not case_repo.reopen_on_recontact(ctx.conn, [done["id"]], ctx.now):
        return False
    changes = {"status": ["resolved", "in_progress"], "feedback_id": [None, feedback_id]}
    cases.record(done["id"], "reopened", changes, actor=None, at=ctx.now)
    return True


ROUTING_STAGES = (Stage("route.cases", "route", route_feedback),)


def check_slas(store: Store, settings: Settings) -> dict[str, int]:
    """One SLA pass over the store, in its own transaction; for the server's scheduler and the CLI."""
    calendar = business_calendar(settings)
    with store.write() as conn:
        rule_set = current_rule_set(conn)
        return check_case_slas(
            conn,
            store.dialect,
            calendar=calendar,
            rule_set=rule_set,
            now=utc_now(),
            warning_ratio=settings.sla_warning_ratio,
        )


__all__ = ["ROUTING_STAGES", "check_slas", "route_feedback"]
