"""Identity in the browser: a merged profile shows its merge history, and the review queue merges a pair."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from browser.conftest import RunningServer, _cxloop
from browser.test_ui import sign_in

pytestmark = pytest.mark.browser


def _api(server: RunningServer) -> httpx.Client:
    secret = _cxloop(server.data_dir, "token", "create", "--name", "identity-ui", "--scopes", "admin").strip()
    return httpx.Client(base_url=server.base_url + "/api/v1", headers={"Authorization": f"Bearer {secret}"})


def _customer_id(api: httpx.Client, query: str) -> str:
    items = api.get("/customers", params={"q": query}).raise_for_status().json()["items"]
    assert len(items) == 1, items
    return str(items[0]["id"])


def test_merged_profile_shows_history_and_the_review_queue_accepts_a_pair(page: Page, server: RunningServer) -> None:
    with _api(server) as api:
        minsu, jihoon = _customer_id(api, "minsu.kim@example.com"), _customer_id(api, "jihoon.park@example.com")
        yujin, seoyeon = _customer_id(api, "yujin.choi@example.com"), _customer_id(api, "seoyeon.lee@example.co.kr")
        merged = api.post(f"/customers/{minsu}/merge", json={"other_id": jihoon, "reason": "같은 카드 번호"})
        assert merged.status_code == 201, merged.text
        flagged = api.post("/identity/review", json={"left_id": yujin, "right_id": seoyeon, "note": "같은 주소"})
        assert flagged.status_code == 201, flagged.text

    sign_in(page, server.email, server.password)
    expect(page.get_by_role("heading", name="개요", level=1)).to_be_visible()
    page.goto(f"/customers/{jihoon}")  # the old id lands on the survivor
    expect(page).to_have_url(re.compile(rf"/customers/{minsu}\?from={jihoon}"))
    expect(page.get_by_test_id("redirected")).to_be_visible()
    history = page.get_by_test_id("merge-history")
    expect(history).to_contain_text("박지훈")
    expect(history).to_contain_text("같은 카드 번호")
    expect(page.get_by_test_id("identities")).to_contain_text("jihoon.park@example.com")
    expect(page.get_by_test_id("identities")).to_contain_text("박지훈")  # linked because of the merge
    expect(page.get_by_test_id("timeline").locator("li")).not_to_have_count(0)

    page.get_by_role("link", name="중복 검토").click()
    expect(page.get_by_role("heading", name="중복 프로필 검토")).to_be_visible()
    pair = page.get_by_test_id("review-pair")
    expect(pair).to_have_count(1)
    expect(pair).to_contain_text("최유진")
    expect(pair).to_contain_text("이서연")
    pair.get_by_role("button", name="같은 사람 — 병합").click()
    expect(page.get_by_test_id("review-empty")).to_be_visible()

    page.goto(f"/customers/{yujin}")
    expect(page.get_by_test_id("merge-history")).to_contain_text("review")
    # Undo the first merge from the profile page: the merged customer is on its own again.
    page.goto(f"/customers/{minsu}")
    page.get_by_test_id("merge-history").get_by_role("button", name="병합 취소").click()
    expect(page.get_by_test_id("merge-history")).to_contain_text("병합 취소됨")
    expect(page.get_by_test_id("identities")).not_to_contain_text("jihoon.park@example.com")
