"""Governance pages in Chromium against the real server: quality, audit search and verify, consent, retention."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def steward(page: Page, server) -> Page:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("이메일").fill(server.email)
    page.get_by_label("비밀번호").fill(server.password)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", name="개요", level=1)).to_be_visible()
    return page


def test_quality_page_shows_batch_checks_with_badges_trends_and_owners(steward: Page) -> None:
    page = steward
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="거버넌스").click()
    expect(page.get_by_role("heading", name="데이터 품질", level=1)).to_be_visible()
    table = page.get_by_test_id("quality-table")
    # The seed imports were measured as they arrived.
    expect(table.get_by_text("batch.rejection_rate").first).to_be_visible()
    page.get_by_role("button", name="지금 점검").click()
    expect(page.get_by_role("status")).to_have_text("테이블 점검을 실행했습니다.")
    expect(table.get_by_text("table.freshness_hours").first).to_be_visible()
    expect(table.locator(".badge.q-ok").first).to_be_visible()
    expect(table.locator("svg.sparkline").first).to_be_attached()
    expect(page.get_by_test_id("owners-table")).to_contain_text("CX team")


def test_audit_search_and_chain_verification(steward: Page) -> None:
    page = steward
    page.goto("/governance/audit")
    # The admin was created through the CLI before the server started: that is audited.
    page.get_by_label("작업").fill("user.create")
    page.get_by_role("button", name="검색").click()
    expect(page).to_have_url(re.compile(r"action=user\.create"))
    expect(page.get_by_test_id("audit-table")).to_contain_text("admin@example.com")
    page.get_by_label("시작").fill("not a date")
    page.get_by_role("button", name="검색").click()
    expect(page.get_by_role("alert")).to_contain_text("not a date")
    page.get_by_test_id("verify-chain").click()
    expect(page.get_by_test_id("chain-status")).to_contain_text("감사 로그가 온전합니다")


def test_consent_is_recorded_from_the_page(steward: Page) -> None:
    page = steward
    page.goto("/customers")
    page.locator("a[href^='/customers/']").first.click()
    customer_id = page.url.rstrip("/").rsplit("/", 1)[1].split("?")[0]
    page.goto("/governance/consents")
    page.get_by_label("고객 ID").fill(customer_id)
    page.get_by_role("button", name="조회").click()
    row = page.locator("tr[data-purpose='marketing_contact']")
    expect(row).to_contain_text("기록 없음")
    page.get_by_label("목적").select_option("marketing_contact")
    page.get_by_label("결정").select_option("granted")
    page.get_by_label("출처").fill("call")
    page.get_by_role("button", name="기록").click()
    expect(page.get_by_test_id("consent-saved")).to_be_visible()
    expect(row).to_contain_text("동의")
    expect(page.get_by_test_id("consent-history")).to_contain_text("call")
    page.goto("/governance/audit?action=consent.change")
    expect(page.get_by_test_id("audit-table")).to_contain_text(customer_id)


def test_retention_dry_run_fills_the_policy_table(steward: Page) -> None:
    page = steward
    page.goto("/governance/retention")
    expect(page.locator("tr[data-kind='feedback_text.call'] td.count")).to_have_text("—")
    page.get_by_role("button", name="미리 보기 실행").click()
    expect(page.get_by_test_id("last-dry-run")).to_contain_text("admin@example.com")
    expect(page.locator("tr[data-kind='feedback_text.call'] td.count")).to_have_text(re.compile(r"^\d[\d,]*$"))
    expect(page.locator("tr[data-kind='audit_log']")).to_contain_text("영구")
