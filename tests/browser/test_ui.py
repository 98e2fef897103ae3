"""The web UI in headless Chromium against the real server: sign in, import, inbox, profile, language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

pytestmark = pytest.mark.browser

# An upload with one row out of range: NPS is 0-10. It is data line 3, so the spreadsheet row 4.
UPLOAD_CSV = (
    "feedback_id,source,channel,occurred_at,email,text,survey_type,score\n"
    "UP-1,kiosk,survey,2026-05-27 10:00,seoyeon.lee@example.co.kr,매장 직원이 친절했어요,nps,9\n"
    "UP-2,kiosk,survey,2026-05-27 10:05,,대기 시간이 길었어요,nps,3\n"
    "UP-3,kiosk,survey,2026-05-27 10:10,,점수를 잘못 입력한 응답,nps,11\n"
    "UP-4,kiosk,web_form,2026-05-27 10:15,,매장 주차 안내가 필요합니다,,\n"
).encode()


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(password)
    page.get_by_role("button", name="로그인").click()


@pytest.fixture(scope="module")
def session_cookies(browser: Browser, server) -> list[dict]:
    """Signs in once through the form; tests other than the login test start from a copy of that session."""
    context = browser.new_context(base_url=server.base_url, locale="ko-KR")
    try:
        page = context.new_page()
        sign_in(page, server.email, server.password)
        expect(page.get_by_role("heading", name="개요", level=1)).to_be_visible()
        return list(context.cookies())
    finally:
        context.close()


@pytest.fixture
def signed_in(page: Page, session_cookies: list[dict]) -> Page:
    page.context.add_cookies(session_cookies)
    page.goto("/")
    expect(page.get_by_role("heading", name="개요", level=1)).to_be_visible()
    return page


def nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name=re.compile("주 메뉴|Main menu"))


def test_login_rejects_a_wrong_password_and_lands_on_the_overview(page: Page, server) -> None:
    page.goto("/feedback")
    expect(page).to_have_url(re.compile(r"/login"))

    sign_in(page, server.email, "not-the-password")
    expect(page.get_by_role("alert")).not_to_be_empty()
    expect(page.get_by_role("heading", name="로그인")).to_be_visible()
    expect(page.get_by_label("이메일")).to_have_value(server.email)

    page.get_by_label("비밀번호").fill(server.password)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", name="개요", level=1)).to_be_visible()
    expect(page.locator(".kpis .kpi")).to_have_count(5)
    # 30 seeded items, or 33 once the upload test has run: this test must not depend on the order.
    expect(page.get_by_test_id("total-feedback")).to_have_text(re.compile(r"^3[03]$"))
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(2)
    expect(charts.first.locator("rect").first).to_be_attached()
    expect(nav(page).get_by_role("link", name="개요")).to_have_class(re.compile("active"))


def test_import_reports_the_one_bad_row(signed_in: Page) -> None:
    page = signed_in
    nav(page).get_by_role("link", name="가져오기").click()
    expect(page.get_by_role("heading", name="데이터 가져오기")).to_be_visible()

    page.get_by_label("데이터 종류").select_option("feedback")
    page.get_by_label(re.compile("^파일")).set_input_files(
        {"name": "kiosk-survey.csv", "mimeType": "text/csv", "buffer": UPLOAD_CSV}
    )
    page.get_by_role("button", name="가져오기").click()

    report = page.get_by_test_id("import-report")
    expect(report).to_be_visible()
    expect(report).to_contain_text("kiosk-survey.csv")
    expect(page.get_by_test_id("import-accepted")).to_have_text("3")
    expect(page.get_by_test_id("import-rejected")).to_have_text("1")
    rejections = page.get_by_test_id("rejections").locator("tbody tr")
    expect(rejections).to_have_count(1)
    cells = rejections.first.locator("td")
    expect(cells.nth(0)).to_have_text("4")
    expect(cells.nth(1)).to_have_text("score")
    expect(cells.nth(2)).to_contain_text("11")
    expect(cells.nth(2)).to_contain_text("0–10")


def test_inbox_filters_searches_pages_and_opens_an_item(signed_in: Page) -> None:
    page = signed_in
    nav(page).get_by_role("link", name="피드백 수신함").click()
    expect(page.get_by_role("heading", name="피드백 수신함")).to_be_visible()
    table = page.get_by_test_id("inbox-table")
    rows = table.locator("tbody tr")

    page.get_by_label("채널").select_option(label="전화 상담")
    page.get_by_role("button", name="적용").click()
    expect(page).to_have_url(re.compile(r"channel=call"))
    expect(rows).to_have_count(4)
    expect(table.locator("tbody .badge.ch-call")).to_have_count(4)
    expect(page.get_by_test_id("inbox-total")).to_have_text("4건")

    page.get_by_role("link", name="초기화").click()
    page.get_by_role("searchbox").fill("배송")
    page.get_by_role("button", name="적용").click()
    expect(rows).to_have_count(6)
    for excerpt in table.locator("a.excerpt").all_inner_texts():
        assert "배송" in excerpt

    # Unfiltered, the 30 seeded items (plus any uploaded in this module) span two pages of 25.
    page.get_by_role("link", name="초기화").click()
    expect(rows).to_have_count(25)
    page.locator("nav.pager a[rel=next]").click()
    expect(page.locator("nav.pager")).to_contain_text("2 / 2 페이지")
    expect(rows.first).to_be_visible()

    page.get_by_role("searchbox").fill("회수 기사님")
    page.get_by_role("button", name="적용").click()
    expect(rows).to_have_count(1)
    rows.first.locator("a.excerpt").click()
    expect(page.get_by_role("heading", name="피드백 상세")).to_be_visible()
    expect(page.get_by_test_id("feedback-text")).to_have_text("교환 접수 후 회수 기사님이 오지 않았어요.")
    expect(page.get_by_role("link", name="이서연")).to_be_visible()


def test_customer_profile_found_by_a_differently_written_phone(signed_in: Page) -> None:
    page = signed_in
    nav(page).get_by_role("link", name="고객").click()
    expect(page.get_by_role("heading", name="고객", level=1)).to_be_visible()

    # Stored as 010-1234-5678 in the CRM export; agents type digits only.
    page.get_by_role("searchbox").fill("01012345678")
    page.get_by_role("button", name="검색").click()
    results = page.get_by_test_id("customers-table").locator("tbody tr")
    expect(results).to_have_count(1)
    results.get_by_role("link", name="김민수").click()

    expect(page.get_by_test_id("customer-name")).to_contain_text("김민수")
    identities = page.get_by_test_id("identities")
    expect(identities).to_contain_text("minsu.kim@example.com")
    expect(identities).to_contain_text("+821012345678")
    expect(identities).to_contain_text("C-1001")

    # Four channels, linked by the phone written two other ways and by the e-mail in two cases.
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li.tl-feedback")).to_have_count(4)
    for channel in ("전화 상담", "앱 리뷰", "설문", "채팅"):
        expect(timeline.locator(".badge", has_text=channel)).to_have_count(1)
    expect(timeline).to_contain_text("배송이 사흘째 조회되지 않아")
    expect(timeline).to_contain_text("NPS 6")
    timeline.get_by_role("link", name=re.compile("환불 처리")).click()
    expect(page.get_by_test_id("feedback-text")).to_contain_text("환불 처리 상황")


def test_language_switch_persists_across_pages(signed_in: Page) -> None:
    page = signed_in
    menu = nav(page)
    expect(menu.get_by_role("link", name="피드백 수신함")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ko")

    page.get_by_test_id("language-switch").get_by_role("link", name="English").click()
    expect(menu.get_by_role("link", name="Feedback inbox")).to_be_visible()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    menu.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()
    expect(menu.get_by_role("link", name="Import")).to_be_visible()
    page.goto("/feedback")
    expect(page.get_by_role("heading", name="Feedback inbox")).to_be_visible()

    page.get_by_test_id("language-switch").get_by_role("link", name="한국어").click()
    expect(page).to_have_url(re.compile(r"/feedback$"))
    expect(page.get_by_role("heading", name="피드백 수신함")).to_be_visible()
    expect(menu.get_by_role("link", name="고객")).to_be_visible()


def test_trends_shows_top_keywords_per_channel(signed_in: Page) -> None:
    page = signed_in
    nav(page).get_by_role("link", name="트렌드").click()
    keywords = page.get_by_test_id("keyword-table").locator("tbody tr")
    expect(keywords.first).to_be_visible()
    assert keywords.count() > 1
    filters = page.get_by_test_id("keyword-filters")
    filters.get_by_label("채널").select_option(label="전화 상담")
    filters.get_by_role("button", name="적용").click()
    expect(page).to_have_url(re.compile(r"channel=call"))
    # The seeded calls are about returns, pickups and refunds, never about app errors.
    texts = " ".join(page.get_by_test_id("keyword-table").locator("tbody td:first-child").all_inner_texts())
    assert texts.strip()
    assert "앱" not in texts
