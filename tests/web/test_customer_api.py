"""The customer API: Customer 360, search by any identifier, merge/unmerge and the review queue."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.config import Settings
from cxloop.domain import Role, TokenScope
from cxloop.store import merges
from cxloop.store.engine import Store
from cxloop.store.tables import feedback
from support.helpers import make_token
from support.identity_seed import T0, add_case, add_customer, add_event, add_feedback, rich_customer, state


@pytest.fixture
def people(duckdb_store: Store) -> dict[str, str]:
    with duckdb_store.write() as conn:
        minsu = add_customer(
            conn, name="김민수", email="minsu.kim@example.com", phone="+821012345678", external_id="C-1001",
            tier="gold", city="서울", birth_date=date(1988, 3, 14),
        )  # fmt: skip
        add_event(conn, minsu, "purchase", T0, value=50000)
        add_event(conn, minsu, "purchase", T0 + timedelta(days=10), value=30000)
        add_event(conn, minsu, "refund", T0 + timedelta(days=12), value=30000)
        add_event(conn, minsu, "visit", T0 + timedelta(days=11), channel="app")
        add_feedback(conn, minsu, "배송이 너무 늦어요", T0 + timedelta(days=2), topics=["delivery"], sentiment=-0.8)
        add_feedback(conn, minsu, "이번엔 빨랐어요", T0 + timedelta(days=40), topics=["delivery"], sentiment=0.6)
        add_feedback(conn, minsu, "", T0 + timedelta(days=3), channel="survey", survey=("nps", 4))
        add_feedback(conn, minsu, "", T0 + timedelta(days=41), channel="survey", survey=("csat", 5))
        add_case(conn, minsu, "배송 지연 보상")
        add_case(conn, minsu, "환불 처리", status="resolved")
        other = add_customer(conn, name="Emily Carter", email="emily@example.com")
    return {"minsu": minsu, "emily": other}


def test_customer_360_shows_value_voice_cases_and_masks_identifiers_without_pii_view(
    duckdb_client: TestClient, duckdb_store: Store, people: dict[str, str]
) -> None:
    reader, admin = make_token(duckdb_store, TokenScope.READ), make_token(duckdb_store, TokenScope.ADMIN)
    url = f"/api/v1/customers/{people['minsu']}"
    masked = duckdb_client.get(url, headers=reader).json()
    values = {i["kind"]: i["value"] for i in masked["identities"]}
    assert values == {"email": "mi***@example.com", "phone": "+82 10-****-5678", "external_id": "C-****01"}
    assert "minsu.kim" not in str(masked)
    full = duckdb_client.get(url, headers=admin).json()
    assert {i["value"] for i in full["identities"]} == {"minsu.kim@example.com", "+821012345678", "C-1001"}
    assert full["identities"][0]["linked_because"]["via"] == "source"
    value = full["value"]
    assert (value["orders"], value["order_value"], value["refunded"], value["net_value"]) == (2, 80000, 30000, 50000)
    assert value["rfm"]["frequency"] == 2
    assert value["rfm"]["recency_days"] > 0
    assert [(s["survey_type"], s["score"]) for s in full["surveys"]] == [("nps", 4), ("csat", 5)]
    assert [round(m["average"], 1) for m in full["sentiment_by_month"]] == [-0.8, 0.6]
    assert full["topics"] == [{"topic": "delivery", "count": 2, "negative": 2, "last_at": full["topics"][0]["last_at"]}]
    assert [c["subject"] for c in full["cases"]["open"]] == ["배송 지연 보상"]
    assert [c["subject"] for c in full["cases"]["closed"]] == ["환불 처리"]
    assert {c["channel"] for c in full["activity"]["channels"]} == {"web", "app", "chat", "survey"}
    page2 = duckdb_client.get(url, params={"timeline_page": 2, "timeline_page_size": 3}, headers=admin).json()
    assert page2["timeline"]["total"] == 8
    assert len(page2["timeline"]["items"]) == 3
    first = duckdb_client.get(url, params={"timeline_page_size": 3}, headers=admin).json()["timeline"]["items"]
    assert not {e["id"] for e in first} & {e["id"] for e in page2["timeline"]["items"]}


@pytest.mark.parametrize(
    "query",
    ["minsu.kim@example.com", "MINSU.KIM@EXAMPLE.COM", "010-1234-5678", "+82 10 1234 5678", "C-1001", "민수"],
)
def test_search_finds_a_customer_by_any_identifier(
    duckdb_client: TestClient, duckdb_store: Store, people: dict[str, str], query: str
) -> None:
    reader = make_token(duckdb_store, TokenScope.READ)
    found = duckdb_client.get("/api/v1/customers", params={"q": query}, headers=reader).json()
    assert [c["id"] for c in found["items"]] == [people["minsu"]]
    assert found["items"][0]["email"] == "mi***@example.com"


def test_the_list_shows_contacts_masked_unless_the_caller_may_see_pii(
    duckdb_client: TestClient, duckdb_store: Store, people: dict[str, str]
) -> None:
    reader, admin = make_token(duckdb_store, TokenScope.READ), make_token(duckdb_store, TokenScope.ADMIN)
    masked = duckdb_client.get("/api/v1/customers", params={"q": "민수"}, headers=reader).json()["items"][0]
    assert masked["phone"].endswith("5678")
    assert "1234" not in masked["phone"]
    assert masked["source"]
    assert "email_sealed" not in masked
    assert "phone_sealed" not in masked
    opened = duckdb_client.get("/api/v1/customers", params={"q": "민수"}, headers=admin).json()["items"][0]
    assert "".join(ch for ch in opened["phone"] if ch.isdigit()).endswith("1012345678")
    assert opened["email"] == "minsu.kim@example.com"


@pytest.mark.parametrize("fragment", ["5678", "minsu.kim", "C-10"])
def test_identifier_fragments_no_longer_match(
    duckdb_client: TestClient, duckdb_store: Store, people: dict[str, str], fragment: str
) -> None:
    """Identifiers are found by the blind index of the whole normalized value: no substring search."""
    reader = make_token(duckdb_store, TokenScope.READ)
    found = duckdb_client.get("/api/v1/customers", params={"q": fragment}, headers=reader).json()
    assert found["items"] == []


def test_api_refuses_missing_auth_wrong_scope_unknown_ids_and_bad_bodies(
    duckdb_client: TestClient, duckdb_store: Store, people: dict[str, str]
) -> None:
    reader, admin = make_token(duckdb_store, TokenScope.READ), make_token(duckdb_store, TokenScope.ADMIN)
    merge_url = f"/api/v1/customers/{people['minsu']}/merge"
    assert duckdb_client.get(f"/api/v1/customers/{people['minsu']}").status_code == 401
    assert (
        duckdb_client.get("/api/v1/customers", headers=make_token(duckdb_store, TokenScope.INGEST)).status_code == 403
    )
    assert duckdb_client.post(merge_url, json={"other_id": people["emily"]}, headers=reader).status_code == 403
    assert duckdb_client.get("/api/v1/identity/review", headers=reader).status_code == 403
    unknown = duckdb_client.get("/api/v1/customers/01NOSUCHCUSTOMER0000000000", headers=reader)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    for body, status in (
        ({}, 422),
        ({"other_id": ""}, 422),
        ({"other_id": "x" * 27}, 422),
        ({"other_id": people["minsu"]}, 422),
        ({"other_id": "01NOSUCHCUSTOMER0000000000"}, 404),
    ):
        response = duckdb_client.post(merge_url, json=body, headers=admin)
        assert response.status_code == status, (body, response.text)
        assert "message" in response.json()["error"]
    assert duckdb_client.post("/api/v1/merges/01NOSUCHMERGE0000000000000/unmerge", headers=admin).status_code == 404
    review = duckdb_client.post("/api/v1/identity/review/01NOSUCH", json={"decision": "accept"}, headers=admin)
    assert review.status_code == 404
    bad = duckdb_client.post("/api/v1/identity/review/01NOSUCH", json={"decision": "maybe"}, headers=admin)
    assert bad.status_code == 422
    assert "decision" in bad.json()["error"]["message"]


def test_merge_redirects_the_old_id_and_unmerge_brings_everything_back(client: TestClient, store: Store) -> None:
    with store.write() as conn:
        survivor, merged = rich_customer(conn, "a"), rich_customer(conn, "b", created_at=T0 + timedelta(days=1))
    admin = make_token(store, TokenScope.ADMIN)
    before = state(store)
    response = client.post(
        f"/api/v1/customers/{survivor}/merge", json={"other_id": merged, "reason": "same phone"}, headers=admin
    )
    assert response.status_code == 201, response.text
    merge = response.json()
    assert merge["moved_counts"]["feedback"] == 2
    assert merge["merged_by"].startswith("token:")
    redirected = client.get(f"/api/v1/customers/{merged}", headers=admin).json()
    assert (redirected["id"], redirected["redirected_from"]) == (survivor, merged)
    assert len(redirected["identities"]) == 4
    brought = [i for i in redirected["identities"] if i["linked_because"]["via"] == "merge"]
    assert {i["value"] for i in brought} == {"b@example.com", "C-b"}
    assert brought[0]["linked_because"]["reasons"] == ["same phone"]
    assert [m["id"] for m in redirected["merges"]] == [merge["id"]]
    found = client.get("/api/v1/customers", params={"q": "b@example.com"}, headers=admin).json()
    assert [c["id"] for c in found["items"]] == [survivor]
    assert (
        client.post(f"/api/v1/customers/{survivor}/merge", json={"other_id": merged}, headers=admin).status_code == 409
    )

    undone = client.post(f"/api/v1/merges/{merge['id']}/unmerge", headers=admin)
    assert undone.status_code == 200
    assert undone.json()["unmerged_at"]
    assert state(store) == before
    assert client.post(f"/api/v1/merges/{merge['id']}/unmerge", headers=admin).status_code == 409


def test_review_queue_flag_list_accept_and_conflict(
    duckdb_client: TestClient, duckdb_store: Store, people: dict[str, str]
) -> None:
    admin = make_token(duckdb_store, TokenScope.ADMIN)
    flagged = duckdb_client.post(
        "/api/v1/identity/review",
        json={"left_id": people["emily"], "right_id": people["minsu"], "note": "same card"},
        headers=admin,
    )
    assert flagged.status_code == 201, flagged.text
    queue = duckdb_client.get("/api/v1/identity/review", headers=admin).json()
    assert queue["total"] == 1
    item = queue["items"][0]
    assert {item["left"]["name"], item["right"]["name"]} == {"김민수", "Emily Carter"}
    accepted = duckdb_client.post(f"/api/v1/identity/review/{item['id']}", json={"decision": "accept"}, headers=admin)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    again = duckdb_client.post(f"/api/v1/identity/review/{item['id']}", json={"decision": "reject"}, headers=admin)
    assert again.status_code == 409
    assert duckdb_client.get("/api/v1/identity/review", headers=admin).json()["total"] == 0
    history = duckdb_client.get(f"/api/v1/customers/{people['emily']}", headers=admin).json()["merges"]
    assert history[0]["rule"] == "review"
    assert history[0]["id"] == accepted.json()["merge_id"]


def test_a_follow_up_on_another_channel_continues_the_earlier_contact(
    duckdb_client: TestClient, duckdb_store: Store, duckdb_settings: Settings
) -> None:
    from cxloop.jobs.worker import Worker

    def item(n: int, channel: str, when: str, text: str) -> dict[str, str]:
        return {"source": channel, "feedback_id": f"F-{n}", "phone": "010-1234-5678", "channel": channel,
                "occurred_at": f"2026-06-{when}:00+09:00", "text": text}  # fmt: skip

    batch = [
        item(1, "call", "01T10:00", "환불 신청했는데 아직 환불이 안 됐어요."),
        item(2, "chat", "02T15:00", "환불 아직 처리 안 됐나요? 어제 전화했었어요."),
        item(3, "chat", "02T16:00", "앱 로그인이 계속 풀려요."),
        item(4, "email", "20T09:00", "환불 관련 문의드립니다."),
    ]
    headers = make_token(duckdb_store, TokenScope.INGEST, TokenScope.READ)
    assert duckdb_client.post("/api/v1/feedback", json=batch, headers=headers).status_code == 202
    assert Worker(duckdb_store, duckdb_settings).run_until_idle() == 4
    with duckdb_store.read() as conn:
        rows = dict(conn.execute(sa.select(feedback.c.external_id, feedback.c.id)).all())
        links = dict(conn.execute(sa.select(feedback.c.external_id, feedback.c.continues_id)).all())
    assert links == {"F-1": None, "F-2": rows["F-1"], "F-3": None, "F-4": None}
    shown = duckdb_client.get(f"/api/v1/feedback/{rows['F-2']}", headers=headers).json()
    assert shown["continues_id"] == rows["F-1"]


def _sign_in(client: TestClient, store: Store, role: Role) -> None:
    from cxloop import access

    email = f"{role.value}@example.com"
    access.create_user(store, email, role.value, "long-enough-password-1", role, source="tests")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    form = {"email": email, "password": "long-enough-password-1", "csrf_token": token.group(1), "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_profile_page_masks_for_analysts_and_lets_admins_unmerge(
    duckdb_client: TestClient, duckdb_store: Store, people: dict[str, str]
) -> None:
    with duckdb_store.write() as conn:
        merge = merges.merge(conn, people["minsu"], people["emily"], actor="u", rule="manual", now=T0, reasons=["x"])
    _sign_in(duckdb_client, duckdb_store, Role.ANALYST)
    page = duckdb_client.get(f"/customers/{people['minsu']}").text
    assert "m***@example.com" in page
    assert "minsu.kim@example.com" not in page
    assert "/unmerge" not in page
    assert "/identity/review" not in page
    assert duckdb_client.get("/identity/review").status_code == 403

    duckdb_client.cookies.clear()
    _sign_in(duckdb_client, duckdb_store, Role.ADMIN)
    redirected = duckdb_client.get(f"/customers/{people['emily']}", follow_redirects=False)
    assert redirected.headers["location"] == f"/customers/{people['minsu']}?from={people['emily']}"
    page = duckdb_client.get(redirected.headers["location"]).text
    assert "minsu.kim@example.com" in page
    assert 'data-testid="redirected"' in page
    assert f'action="/merges/{merge["id"]}/unmerge"' in page
    assert "<svg" in page  # KPI history and sentiment trend
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    assert duckdb_client.post(f"/merges/{merge['id']}/unmerge", data={}, follow_redirects=False).status_code == 403
    done = duckdb_client.post(
        f"/merges/{merge['id']}/unmerge", data={"csrf_token": csrf.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303
    with duckdb_store.read() as conn:
        assert merges.live_customer_id(conn, people["emily"]) == people["emily"]


def test_matching_run_merges_or_queues_an_obvious_duplicate_and_respects_rejections(
    duckdb_client: TestClient, duckdb_store: Store
) -> None:
    with duckdb_store.write() as conn:
        for n, name in enumerate(["김민수", "이서연", "박지훈", "최유진", "정하늘", "강동원", "윤서준", "한지민"]):
            add_customer(
                conn, name=name, email=f"user{n}@example.com", birth_date=date(1980 + n, 1, n + 1), city="서울"
            )
        add_customer(
            conn, name="김민수", email="minsu.k@other.com", birth_date=date(1980, 1, 1), city="서울",
            created_at=T0 + timedelta(days=2),
        )  # fmt: skip
    admin = make_token(duckdb_store, TokenScope.ADMIN)
    first = duckdb_client.post("/api/v1/identity/matching", headers=admin)
    assert first.status_code == 200, first.text
    summary = first.json()
    assert summary["records"] == 9
    assert summary["merged"] + summary["proposed"] >= 1
    for item in duckdb_client.get("/api/v1/identity/review", headers=admin).json()["items"]:
        duckdb_client.post(f"/api/v1/identity/review/{item['id']}", json={"decision": "reject"}, headers=admin)
    again = duckdb_client.post("/api/v1/identity/matching", headers=admin).json()
    assert again["proposed"] == 0, "rejected pairs are never proposed again"
