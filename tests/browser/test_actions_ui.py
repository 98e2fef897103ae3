"""The improvement actions board in headless Chromium against the real server: create an action, link
a topic's feedback, ship it, and read the verdict with its before/after chart; the notifications page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in(browser: Browser, server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server.base_url, locale="ko-KR", timezone_id="Asia/Seoul")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("이메일").fill(server.email)
        page.get_by_label("비밀번호").fill(server.password)
        page.get_by_role("button", name="로그인").click()
        expect(page.get_by_role("heading", name="개요", level=1)).to_be_visible()
        yield page
    finally:
        context.close()


def test_create_link_ship_and_see_the_verdict(signed_in: Page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = signed_in
    page.get_by_role("link", name="개선 과제").click()
    expect(page.get_by_role("heading", name="개선 과제", level=1)).to_be_visible()
    form = page.get_by_test_id("new-action")
    form.get_by_label("제목").fill("배송 추적 개선")
    form.get_by_label("토픽").select_option("delivery")
    form.get_by_role("button", name="만들기").click()
    expect(page.get_by_role("heading", name="배송 추적 개선", level=1)).to_be_visible()
    expect(page.get_by_test_id("action-status")).to_have_text("계획")

    link = page.get_by_test_id("link-form")
    link.get_by_label("시작일").fill("2026-05-01")
    link.get_by_label("종료일").fill("2026-05-31")
    link.get_by_role("button", name="연결").click()
    expect(page.get_by_test_id("action-message")).to_contain_text(re.compile(r"의견 [1-9]\d*건을 연결했습니다"))

    ship = page.get_by_test_id("ship-form")
    ship.get_by_label("배포일").fill("2026-05-12")
    ship.get_by_role("button", name="배포 완료로 표시").click()
    expect(page.get_by_test_id("action-status")).to_have_text("배포됨")
    # A handful of seeded items cannot support a verdict either way: the page says so and why.
    expect(page.get_by_test_id("verdict-outcome")).to_have_text("데이터 부족")
    expect(page.get_by_test_id("verdict-reason")).to_contain_text("최소 30건의 언급이 필요합니다")
    expect(page.locator("svg.before-after rect").first).to_be_attached()
    page.screenshot(path=str(tmp_path / "action.png"), full_page=True)

    page.get_by_role("link", name="전체 과제").click()
    shipped = page.locator('.action-column[data-status="shipped"]')
    expect(shipped.get_by_role("link", name="배송 추적 개선")).to_be_visible()
    expect(shipped.locator(".badge.verdict-insufficient_data")).to_have_text("데이터 부족")


def test_a_bad_title_is_refused_with_a_reason(signed_in: Page) -> None:
    page = signed_in
    page.goto("/actions")
    form = page.get_by_test_id("new-action")
    form.get_by_label("제목").fill("   ")
    form.get_by_role("button", name="만들기").click()
    expect(page.get_by_test_id("action-error")).to_contain_text("title")


def test_notifications_page_lists_dead_letters_and_webhooks(signed_in: Page) -> None:
    page = signed_in
    page.get_by_role("link", name="알림").first.click()
    expect(page.get_by_role("heading", name="알림", level=1)).to_be_visible()
    expect(page.get_by_test_id("dead-letters")).to_be_visible()
    hooks = page.get_by_test_id("webhooks")
    hooks.get_by_label("이름").fill("ops-slack")
    hooks.get_by_label("URL").fill("https://hooks.example.com/services/T000")
    hooks.get_by_label("종류").select_option("slack")
    hooks.get_by_role("button", name="웹훅 추가").click()
    expect(page.get_by_test_id("webhook-secret")).to_contain_text("whsec_")
    expect(page.get_by_test_id("webhooks")).to_contain_text("ops-slack")


def test_alert_rules_are_switched_and_given_recipients_on_the_page(signed_in: Page) -> None:
    page = signed_in
    page.goto("/notifications")
    churn = page.get_by_test_id("alert-rules").locator("tr[data-rule='churn_intent']")
    expect(churn).to_contain_text("이탈 의도")
    churn.get_by_label("이메일").fill("cx-lead@example.com, retention@example.com")
    churn.get_by_label("사용").uncheck()
    churn.get_by_role("button", name="저장").click()
    expect(page.get_by_role("status")).to_contain_text("알림 규칙을 저장했습니다")
    churn = page.get_by_test_id("alert-rules").locator("tr[data-rule='churn_intent']")
    expect(churn.get_by_label("이메일")).to_have_value("cx-lead@example.com, retention@example.com")
    expect(churn.get_by_label("사용")).not_to_be_checked()

    churn.get_by_label("이메일").fill("not-an-address")
    churn.get_by_role("button", name="저장").click()
    expect(page.get_by_role("alert")).to_contain_text("not-an-address")
    churn = page.get_by_test_id("alert-rules").locator("tr[data-rule='churn_intent']")
    expect(churn.get_by_label("이메일")).to_have_value("cx-lead@example.com, retention@example.com")
