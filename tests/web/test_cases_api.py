"""The cases and rules API on both stores: list/filter/read/patch/notes/replies, clear 4xx on bad
input, permissions, rules versions and dry-run, and two simultaneous PATCHes of one version."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.config import Settings
from cxloop.domain import TokenScope
from cxloop.jobs.worker import Worker
from cxloop.store.engine import Store
from cxloop.store.tables import audit_log, case_history
from support.helpers import make_token

ITEMS = [
    ("F-1", "kim@example.com", "배송이 일주일째 안 와요. 정말 화가 납니다."),
    ("F-2", "lee@example.com", "소비자원에 신고하고 소송하겠습니다."),
    ("F-3", "park@example.com", "앱이 결제 단계에서 자꾸 멈춰요. 너무 불편하고 짜증나요."),
]


@pytest.fixture
def admin(store: Store) -> dict[str, str]:
    return make_token(store, TokenScope.ADMIN)


@pytest.fixture
def seeded(client: TestClient, store: Store, settings: Settings) -> dict[str, dict[str, Any]]:
    records = [
        {"source": "callcenter", "feedback_id": fid, "channel": "call", "occurred_at": "2026-06-03T14:22:05+09:00",
         "email": email, "text": text}
        for fid, email, text in ITEMS
    ]  # fmt: skip
    assert client.post("/api/v1/feedback", json=records, headers=make_token(store, TokenScope.INGEST)).status_code < 300
    Worker(store, settings).run_until_idle()
    listed = client.get("/api/v1/cases", headers=make_token(store, TokenScope.READ)).json()
    return {c["rule_id"]: c for c in listed["items"]}


def test_list_filter_and_read_a_case(client: TestClient, store: Store, seeded: dict[str, Any]) -> None:
    read = make_token(store, TokenScope.READ)
    assert set(seeded) == {"delivery", "legal-threat", "app-errors"}
    legal = seeded["legal-threat"]
    assert legal["sla"]["first_response"]["state"] == "running"
    assert legal["sla"]["first_response"]["seconds_left"] > 0
    only = client.get("/api/v1/cases", params={"team": "legal-voc", "status": "open"}, headers=read).json()
    assert [c["id"] for c in only["items"]] == [legal["id"]]
    assert only["total"] == 1
    assert (
        client.get("/api/v1/cases", params={"priority": "low", "team": "legal-voc"}, headers=read).json()["total"] == 0
    )
    detail = client.get(f"/api/v1/cases/{legal['id']}", headers=read).json()
    assert [h["action"] for h in detail["history"]] == ["created"]
    assert len(detail["feedback"]) == 1
    assert "소송" in detail["feedback"][0]["text"]
    by_customer = client.get("/api/v1/cases", params={"customer": legal["customer_id"]}, headers=read).json()
    assert by_customer["total"] == 1
    bad = client.get("/api/v1/cases", params={"status": "done"}, headers=read)
    assert bad.status_code == 422
    assert "status" in bad.json()["error"]["message"]
    assert client.get("/api/v1/cases/NOPE", headers=read).status_code == 404


def test_permissions(client: TestClient, store: Store, seeded: dict[str, Any]) -> None:
    case = seeded["delivery"]
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases", headers=make_token(store, TokenScope.INGEST)).status_code == 403
    read = make_token(store, TokenScope.READ)
    patch = client.patch(f"/api/v1/cases/{case['id']}", json={"version": 1, "status": "in_progress"}, headers=read)
    assert patch.status_code == 403
    assert client.put("/api/v1/rules", content="rules: []\ndefault: {team: a}\n", headers=read).status_code == 403


def test_patch_notes_replies_and_bad_input(
    client: TestClient, store: Store, admin: dict[str, str], seeded: dict[str, Any]
) -> None:
    case = seeded["delivery"]
    url = f"/api/v1/cases/{case['id']}"
    missing = client.patch(url, json={"status": "in_progress"}, headers=admin)
    assert missing.status_code == 422
    assert "version" in missing.json()["error"]["message"]
    wrong = client.patch(url, json={"version": 1, "status": "waiting_on_customer"}, headers=admin)
    assert wrong.status_code == 409
    assert wrong.json()["error"]["code"] == "case.invalid_transition"
    assert client.patch(url, json={"version": 1, "priority": "asap"}, headers=admin).status_code == 422
    moved = client.patch(
        url, json={"version": 1, "status": "in_progress", "priority": "high", "tags": ["late"]}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["status"], body["priority"], body["tags"], body["version"]) == ("in_progress", "high", ["late"], 2)
    assert client.post(f"{url}/notes", json={"text": "  "}, headers=admin).status_code == 422
    assert client.post(f"{url}/notes", json={"text": "택배사 확인 중"}, headers=admin).status_code == 201
    reply = client.post(f"{url}/replies", json={"text": "불편을 드려 죄송합니다. 오늘 출고됩니다."}, headers=admin)
    assert reply.status_code == 201
    resolved = client.patch(url, json={"version": 3, "status": "resolved"}, headers=admin).json()
    assert resolved["fcr"] is True
    assert resolved["sla"]["first_response"]["state"] == "met"
    history = client.get(url, headers=admin).json()["history"]
    assert [h["action"] for h in history] == [
        "created", "status_changed", "priority_changed", "tags_changed", "note", "replied", "status_changed"
    ]  # fmt: skip
    created = client.post("/api/v1/cases", json={"subject": "VIP 불만 전화", "team": "legal-voc", "priority": "urgent"},
                          headers=admin)  # fmt: skip
    assert created.status_code == 201
    assert created.json()["status"] == "new"
    unknown = client.post("/api/v1/cases", json={"subject": "x", "team": "no-such-team"}, headers=admin)
    assert unknown.status_code == 422
    assert "no-such-team" in unknown.json()["error"]["message"]
    # A token is nobody in the case history, so every change it made is in the audit trail by its name.
    with store.read() as conn:
        trail = [
            dict(r) for r in conn.execute(sa.select(audit_log).where(audit_log.c.target_kind == "case")).mappings()
        ]
    by_action = sorted((e["action"], e["target_id"]) for e in trail)
    assert by_action == sorted([
        *[("case.update", case["id"])] * 2, ("case.note", case["id"]), ("case.reply", case["id"]),
        ("case.create", created.json()["id"]),
    ])  # fmt: skip
    (actor,) = {e["actor"] for e in trail}  # the one admin token, by the name it was created with
    assert actor.startswith("test-")


def test_two_simultaneous_patches_of_one_version(client: TestClient, store: Store, admin: dict[str, str],
                                                 seeded: dict[str, Any]) -> None:  # fmt: skip
    case = seeded["app-errors"]
    url = f"/api/v1/cases/{case['id']}"
    barrier = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def send(priority: str) -> None:
        barrier.wait()
        answers[priority] = client.patch(url, json={"version": 1, "priority": priority}, headers=admin)

    threads = [threading.Thread(target=send, args=(p,)) for p in ("urgent", "low")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = sorted(a.status_code for a in answers.values())
    assert codes == [200, 409], {k: (a.status_code, a.text) for k, a in answers.items()}
    winner = next(p for p, a in answers.items() if a.status_code == 200)
    loser = next(a for a in answers.values() if a.status_code == 409)
    assert loser.json()["error"]["details"]["current_version"] == 2
    final = client.get(url, headers=admin).json()
    assert (final["priority"], final["version"]) == (winner, 2)
    with store.read() as conn:
        changes = (
            conn.execute(
                sa.select(case_history.c.changes).where(
                    case_history.c.case_id == case["id"], case_history.c.action == "priority_changed"
                )
            )
            .scalars()
            .all()
        )
    assert [c["priority"][1] for c in changes] == [winner]  # one change recorded, nothing lost silently


def test_rules_api_versions_validation_and_dry_run(client: TestClient, store: Store, admin: dict[str, str],
                                                   seeded: dict[str, Any]) -> None:  # fmt: skip
    current = client.get("/api/v1/rules", headers=admin).json()
    assert current["version"] == 0
    assert "legal-threat" in current["yaml"]
    bad = client.put("/api/v1/rules", content="rules:\n  - id: a\n    when: {channel: fax}\n"
                     "    then: {team: x}\ndefault: {team: y}\n",
                     headers={**admin, "Content-Type": "application/yaml"})  # fmt: skip
    assert bad.status_code == 422
    assert "rules[0] (id 'a').when.channel (line 3)" in bad.json()["error"]["message"]
    new_rules = (
        "rules:\n  - id: all-calls\n    when: {channel: call}\n    then: {team: voice}\ndefault: {team: cx-support}\n"
    )
    dry = client.post("/api/v1/rules/dry-run", json={"yaml": new_rules}, headers=admin).json()
    assert dry["total"] == 3
    assert dry["by_team"] == {"voice": 3}
    assert len(dry["samples"]) == 3
    assert client.get("/api/v1/rules", headers=admin).json()["version"] == 0  # a dry-run saves nothing
    for _ in range(2):
        saved = client.put("/api/v1/rules", content=new_rules, headers={**admin, "Content-Type": "application/yaml"})
        assert saved.status_code == 200, saved.text
    after = client.get("/api/v1/rules", headers=admin).json()
    assert after["version"] == 2
    assert [v["version"] for v in after["versions"]] == [2, 1]
    assert after["yaml"] == new_rules
    assert "voice" in after["teams"]
    in_force = client.post("/api/v1/rules/dry-run", headers=admin).json()
    assert in_force["by_team"] == {"voice": 3}
