"""Cases on both stores: the route stage opens cases from ingested feedback, recontacts join the open
case, assignment follows the team's strategy and skills, the lifecycle is enforced, and the SLA
checker records warnings, breaches and escalations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.access import create_user
from cxloop.config import Settings
from cxloop.domain import Role, TokenScope
from cxloop.errors import Conflict, InvalidInput
from cxloop.jobs.worker import Worker
from cxloop.route.casework import add_reply, change_case
from cxloop.route.lifecycle import InvalidTransition
from cxloop.route.ruleset import current_rule_set
from cxloop.route.slacheck import business_calendar, check_case_slas
from cxloop.store import cases as case_repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import case_feedback, case_history, cases, events
from support.helpers import make_token


def feedback(n: int, text: str, email: str = "kim@example.com", channel: str = "call", **extra: Any) -> dict[str, Any]:
    return {
        "source": "callcenter", "feedback_id": f"F-{n}", "channel": channel, "occurred_at": "2026-06-03T14:22:05+09:00",
        "email": email, "text": text, **extra,
    }  # fmt: skip


def ingest(client: TestClient, store: Store, settings: Settings, records: list[dict[str, Any]]) -> None:
    headers = make_token(store, TokenScope.INGEST)
    response = client.post("/api/v1/feedback", json=records, headers=headers)
    assert response.status_code in (200, 202), response.text
    Worker(store, settings).run_until_idle()


def rows(store: Store, table: sa.Table, *where: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).where(*where)).mappings()]


def staff(store: Store, team: str, name: str, languages: list[str] | None = None) -> str:
    user_id = create_user(store, f"{name}@example.com", name, "agent-password-1", Role.AGENT, source="tests")
    with store.write() as conn:
        case_repo.set_team_member(conn, team, user_id, languages, utc_now())
    return user_id


def test_the_route_stage_opens_cases_and_joins_recontacts(client: TestClient, store: Store, settings: Settings) -> None:
    ingest(
        client, store, settings,
        [
            feedback(1, "배송이 일주일째 안 와요. 정말 화가 납니다."),
            feedback(2, "소비자원에 신고하고 소송하겠습니다.", email="lee@example.com"),
            feedback(3, "새 디자인 정말 좋아요! 감사합니다.", email="park@example.com"),
            feedback(4, "상품 잘 받았습니다", email="anon-free@example.com"),
        ],
    )  # fmt: skip
    opened = {c["rule_id"]: c for c in rows(store, cases)}
    assert set(opened) == {"delivery", "legal-threat"}  # praise and plain thanks open nothing
    legal = opened["legal-threat"]
    assert (legal["priority"], legal["status"], legal["recontact_count"]) == ("urgent", "new", 0)
    assert legal["first_response_due_at"] > legal["created_at"]
    assert legal["resolution_due_at"] >= legal["first_response_due_at"]
    with store.read() as conn:
        teams = {t["name"] for t in case_repo.list_teams(conn)}
    assert {"legal-voc", "logistics"} <= teams
    created = rows(store, case_history, case_history.c.case_id == legal["id"])
    assert [h["action"] for h in created] == ["created"]

    # The same customer writes again within the window: the item joins the open case.
    ingest(client, store, settings, [feedback(5, "아직도 배송 소식이 없네요. 언제 오나요?")])
    delivery = rows(store, cases, cases.c.id == opened["delivery"]["id"])[0]
    assert len(rows(store, cases)) == 2
    assert delivery["recontact_count"] == 1
    assert delivery["version"] == 2
    links = rows(store, case_feedback, case_feedback.c.case_id == delivery["id"])
    assert sorted(link["is_recontact"] for link in links) == [False, True]
    recontact = [
        h for h in rows(store, case_history, case_history.c.case_id == delivery["id"]) if h["action"] == "recontact"
    ]
    assert len(recontact) == 1
    assert recontact[0]["changes"]["feedback_id"][1] in {link["feedback_id"] for link in links}


def test_assignment_round_robin_least_loaded_and_language_skills(
    client: TestClient, store: Store, settings: Settings
) -> None:
    ana = staff(store, "logistics", "ana", ["ko"])
    ben = staff(store, "logistics", "ben", ["ko", "en"])
    ingest(
        client,
        store,
        settings,
        [feedback(n, "배송이 너무 늦어요. 화가 납니다.", email=f"c{n}@example.com") for n in range(4)],
    )
    assignees = [c["assignee_user_id"] for c in rows(store, cases)]
    assert sorted(assignees) == sorted([ana, ana, ben, ben])  # round robin spreads evenly
    assert all(c["status"] == "assigned" and c["assigned_at"] for c in rows(store, cases))
    english = [feedback(10, "My delivery is late again and I am very angry about it.", email="en@example.com")]
    ingest(client, store, settings, english)
    (case,) = rows(store, cases, cases.c.language == "en")
    assert case["assignee_user_id"] == ben  # only ben reads English

    # least_loaded for the team, through a saved rule set: the member with fewer open cases wins.
    text = "rules: [{id: d, when: {topics_any: [delivery]}, then: {team: logistics}}]\n"
    text += "default: {team: cx-support}\nteams: {logistics: {assignment: least_loaded}}\n"
    with store.write() as conn:
        from cxloop.route.ruleset import save_rules

        save_rules(conn, text, actor="tests", now=utc_now(), known_topics=None)
        for done in [c for c in rows(store, cases) if c["assignee_user_id"] == ben][:2]:
            change_case(conn, store.dialect, done["id"], version=done["version"], changes={"status": "resolved"},
                        actor=None, now=utc_now())  # fmt: skip
    # Now ben has 1 open case and ana 2: least_loaded picks ben although round robin would pick ana.
    ingest(client, store, settings, [feedback(20, "배송이 또 늦어요. 화가 납니다.", email="late@example.com")])
    newest = max(rows(store, cases), key=lambda c: c["created_at"])
    assert newest["assignee_user_id"] == ben


def _one_case(client: TestClient, store: Store, settings: Settings) -> dict[str, Any]:
    ingest(client, store, settings, [feedback(1, "환불이 안 돼서 너무 화가 납니다. 해지하겠습니다.")])
    return rows(store, cases)[0]


def test_lifecycle_is_enforced_and_fcr_recorded(client: TestClient, store: Store, settings: Settings) -> None:
    case = _one_case(client, store, settings)
    now = utc_now()
    with store.write() as conn:
        with pytest.raises(InvalidTransition) as caught:
            change_case(conn, store.dialect, case["id"], version=1, changes={"status": "waiting_on_customer"},
                        actor=None, now=now)  # fmt: skip
        assert caught.value.status_code == 409
        assert "new cannot become waiting_on_customer" in caught.value.message
        with pytest.raises(InvalidInput):
            change_case(conn, store.dialect, case["id"], version=1, changes={"status": "assigned"}, actor=None, now=now)
        updated = change_case(conn, store.dialect, case["id"], version=1, changes={"status": "in_progress"},
                              actor=None, now=now)  # fmt: skip
        add_reply(conn, store.dialect, case["id"], "확인 후 연락드리겠습니다.", actor=None, now=now)
        updated = case_repo.get_case(conn, case["id"])
        assert updated is not None
        assert updated["first_response_at"] == now
        resolved = change_case(conn, store.dialect, case["id"], version=updated["version"],
                               changes={"status": "resolved"}, actor=None, now=now)  # fmt: skip
        assert resolved["fcr"] is True
        assert resolved["resolved_at"] == now
        with pytest.raises(Conflict):  # stale version
            change_case(conn, store.dialect, case["id"], version=1, changes={"priority": "low"}, actor=None, now=now)
        reopened = change_case(conn, store.dialect, case["id"], version=resolved["version"],
                               changes={"status": "in_progress"}, actor=None, now=now)  # fmt: skip
        assert (reopened["reopen_count"], reopened["resolved_at"], reopened["fcr"]) == (1, None, None)
        again = change_case(conn, store.dialect, case["id"], version=reopened["version"],
                            changes={"status": "closed"}, actor=None, now=now)  # fmt: skip
        assert again["fcr"] is False
        assert again["closed_at"] == now
    actions = [h["action"] for h in rows(store, case_history, case_history.c.case_id == case["id"])]
    assert actions == ["created", "status_changed", "replied", "status_changed", "reopened", "status_changed"]
    (reply,) = rows(store, events, events.c.type == "outbound_reply")
    assert reply["customer_id"] == case["customer_id"]
    assert reply["properties"]["case_id"] == case["id"]


def test_coming_back_after_a_resolution_reopens_the_case_or_costs_a_closed_case_its_fcr(
    client: TestClient, store: Store, settings: Settings
) -> None:
    case = _one_case(client, store, settings)
    with store.write() as conn:
        resolved = change_case(conn, store.dialect, case["id"], version=1, changes={"status": "resolved"},
                               actor=None, now=utc_now())  # fmt: skip
    assert resolved["fcr"] is True
    # Praise after the fix is no recontact: the case stays resolved and first-contact resolved.
    ingest(client, store, settings, [feedback(2, "해결해 주셔서 정말 감사합니다! 최고예요.")])
    assert rows(store, cases, cases.c.id == case["id"])[0]["status"] == "resolved"

    ingest(client, store, settings, [feedback(3, "환불이 아직도 안 들어왔어요. 정말 화가 납니다.")])
    (reopened,) = rows(store, cases)  # no second case: the resolution did not hold
    assert (reopened["status"], reopened["reopen_count"], reopened["recontact_count"]) == ("in_progress", 1, 1)
    assert (reopened["resolved_at"], reopened["fcr"]) == (None, None)
    history = [h["action"] for h in rows(store, case_history, case_history.c.case_id == case["id"])]
    assert history[-2:] == ["reopened", "recontact"]
    with store.write() as conn:
        closed = change_case(conn, store.dialect, case["id"], version=reopened["version"],
                             changes={"status": "closed"}, actor=None, now=utc_now())  # fmt: skip
    assert closed["fcr"] is False

    # Another customer's case is closed as resolved; their coming back opens a new case and the
    # closed one stays closed but is no longer counted as resolved at first contact.
    ingest(client, store, settings, [feedback(4, "배송이 일주일째 안 와요. 화가 납니다.", email="choi@example.com")])
    (first,) = rows(store, cases, cases.c.id != case["id"])
    with store.write() as conn:
        done = change_case(conn, store.dialect, first["id"], version=first["version"], changes={"status": "closed"},
                           actor=None, now=utc_now())  # fmt: skip
    assert done["fcr"] is True
    ingest(client, store, settings, [feedback(5, "배송이 또 안 와요. 정말 화가 납니다.", email="choi@example.com")])
    after = rows(store, cases, cases.c.id == first["id"])[0]
    assert (after["status"], after["fcr"], after["recontact_count"]) == ("closed", False, 1)
    assert len(rows(store, cases, cases.c.customer_id == first["customer_id"])) == 2


def test_survey_answers_are_no_recontact_but_sit_with_the_open_case(
    client: TestClient, store: Store, settings: Settings
) -> None:
    """The company asked; the customer did not come back. An unhappy answer after a resolution neither
    reopens the case nor costs its first-contact resolution; it is routed on its own (the default rules
    open a follow-up case), and a later answer joins that open case as context, not as a recontact."""
    case = _one_case(client, store, settings)
    with store.write() as conn:
        change_case(conn, store.dialect, case["id"], version=1, changes={"status": "resolved"},
                    actor=None, now=utc_now())  # fmt: skip
    unhappy = feedback(9, "상담 과정이 너무 불만족스러웠어요", channel="survey", survey_type="csat", score=1)
    ingest(client, store, settings, [unhappy])
    original = rows(store, cases, cases.c.id == case["id"])[0]
    assert (original["status"], original["recontact_count"], original["fcr"]) == ("resolved", 0, True)
    (follow_up,) = rows(store, cases, cases.c.id != case["id"])
    assert follow_up["channel"] == "survey"
    ingest(
        client, store, settings, [feedback(10, "다시 생각해도 별로예요", channel="survey", survey_type="nps", score=2)]
    )
    assert len(rows(store, cases)) == 2
    links = rows(store, case_feedback, case_feedback.c.case_id == follow_up["id"])
    assert sorted(link["is_recontact"] for link in links) == [False, False]
    assert rows(store, cases, cases.c.id == follow_up["id"])[0]["recontact_count"] == 0


def test_a_reply_after_its_due_time_is_a_breach_even_if_no_pass_ran_meanwhile(
    client: TestClient, store: Store, settings: Settings
) -> None:
    case = _one_case(client, store, settings)
    due = case["first_response_due_at"]
    replied = due + timedelta(hours=2)  # the server was down while the case was overdue
    with store.write() as conn:
        add_reply(conn, store.dialect, case["id"], "늦어서 죄송합니다.", actor=None, now=replied)
        rule_set = current_rule_set(conn)
        counts = check_case_slas(conn, store.dialect, calendar=business_calendar(settings), rule_set=rule_set,
                                 now=replied + timedelta(minutes=1), warning_ratio=0.8)  # fmt: skip
    assert (counts["breaches"], counts["escalations"]) == (1, 0)  # the work is done: nothing to escalate
    stored = rows(store, cases, cases.c.id == case["id"])[0]
    assert stored["first_response_breached_at"] == due  # when it breached, not when it was noticed
    assert stored["resolution_breached_at"] is None
    (breach,) = [
        h for h in rows(store, case_history, case_history.c.case_id == case["id"]) if h["action"] == "sla_breached"
    ]
    assert breach["occurred_at"] == due
    assert breach["changes"]["met_at"] == replied.isoformat()
    with store.write() as conn:  # recorded once
        again = check_case_slas(conn, store.dialect, calendar=business_calendar(settings), rule_set=rule_set,
                                now=replied + timedelta(minutes=2), warning_ratio=0.8)  # fmt: skip
    assert again["breaches"] == 0


def test_sla_checker_warns_breaches_and_escalates_once(client: TestClient, store: Store, settings: Settings) -> None:
    case = _one_case(client, store, settings)
    manager = create_user(store, "lead@example.com", "Lead", "manager-password-1", Role.MANAGER, source="tests")
    text = "rules: []\ndefault: {team: retention}\nteams: {retention: {manager: lead@example.com}}\n"
    calendar = business_calendar(settings)
    with store.write() as conn:
        from cxloop.route.ruleset import save_rules

        save_rules(conn, text, actor="tests", now=utc_now(), known_topics=None)
        rule_set = current_rule_set(conn)
    due = case["first_response_due_at"]
    warn_at = calendar.add_business_time(
        case["created_at"], calendar.business_time_between(case["created_at"], due) * 0.9
    )
    with store.write() as conn:
        counts = check_case_slas(
            conn, store.dialect, calendar=calendar, rule_set=rule_set, now=warn_at, warning_ratio=0.8
        )
    assert counts["warnings"] >= 1
    assert counts["breaches"] == 0
    with store.write() as conn:
        again = check_case_slas(
            conn, store.dialect, calendar=calendar, rule_set=rule_set, now=warn_at, warning_ratio=0.8
        )
    assert again == {"warnings": 0, "breaches": 0, "escalations": 0}  # recorded once
    late = due + timedelta(minutes=1)
    with store.write() as conn:
        counts = check_case_slas(conn, store.dialect, calendar=calendar, rule_set=rule_set, now=late, warning_ratio=0.8)
    assert counts["breaches"] == 1
    assert counts["escalations"] == 1
    stored = rows(store, cases, cases.c.id == case["id"])[0]
    assert stored["first_response_breached_at"] == late
    history = rows(store, case_history, case_history.c.case_id == case["id"])
    breach = [h for h in history if h["action"] == "sla_breached"]
    assert breach[0]["changes"]["target"] == "first_response"
    escalated = next(h for h in history if h["action"] == "escalated")
    assert escalated["changes"]["escalated_to"] == [None, manager]
    if case["priority"] != "urgent":
        assert escalated["changes"]["priority"][0] == case["priority"]
        assert stored["priority"] != case["priority"]
