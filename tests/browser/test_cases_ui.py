"""Cases in headless Chromium against a real server: an agent works a case from the queue to resolved,
a stale form shows the conflict message, and a manager dry-runs and saves routing rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from browser.conftest import (
    ACTION_TIMEOUT_MS,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CUSTOMER_COLUMNS,
    CUSTOMERS,
    FEEDBACK,
    FEEDBACK_COLUMNS,
    SERVER_ENV,
    RunningServer,
    _cxloop,
    _wait_until_processed,
    _write_csv,
)
from support.cxloop_process import CxloopServer

pytestmark = pytest.mark.browser
AGENT_EMAIL = "agent@example.com"
AGENT_PASSWORD = "agent-password-123"


@pytest.fixture(scope="module")
def cases_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose seeded feedback has been routed into cases; the agent staffs every default team."""
    root = tmp_path_factory.mktemp("cases")
    data_dir = root / "data"
    _cxloop(
        data_dir, "user", "add", "--admin", "--email", ADMIN_EMAIL, "--name", "관리자", "--password", ADMIN_PASSWORD
    )
    _cxloop(data_dir, "user", "add", "--role", "agent", "--email", AGENT_EMAIL, "--name", "상담원 김", "--password",
            AGENT_PASSWORD)  # fmt: skip
    for team in ("logistics", "digital", "retention", "legal-voc", "cx-support"):
        _cxloop(data_dir, "team", "add-member", team, AGENT_EMAIL, "--languages", "ko,en")
    _cxloop(data_dir, "import", str(_write_csv(root / "c.csv", CUSTOMER_COLUMNS, CUSTOMERS)), "--kind", "customers")
    _cxloop(data_dir, "import", str(_write_csv(root / "f.csv", FEEDBACK_COLUMNS, FEEDBACK)), "--kind", "feedback")
    server = CxloopServer(data_dir, env=SERVER_ENV)
    try:
        server.start()
        _wait_until_processed(data_dir, {"customers": len(CUSTOMERS), "feedback": len(FEEDBACK)})
        yield RunningServer(server.url, data_dir)
    finally:
        server.stop()


def _page(browser: Browser, server: RunningServer, email: str, password: str) -> Page:
    context = browser.new_context(base_url=server.base_url, locale="ko-KR", timezone_id="Asia/Seoul")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(password)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", name="개요", level=1)).to_be_visible()
    return page


@pytest.fixture
def agent(browser: Browser, cases_server: RunningServer) -> Iterator[Page]:
    page = _page(browser, cases_server, AGENT_EMAIL, AGENT_PASSWORD)
    try:
        yield page
    finally:
        page.context.close()


def test_an_agent_works_a_case_from_the_queue_to_resolved(agent: Page) -> None:
    page = agent
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="케이스").click()
    expect(page.get_by_role("heading", name="케이스 대기열")).to_be_visible()
    rows = page.get_by_test_id("case-queue").locator("tbody tr[data-case-id]")
    expect(rows.first).to_be_visible()
    expect(rows.first.locator(".sla-timer").first).to_have_text(re.compile(r"(남음|초과)$"))
    page.get_by_label("팀").first.select_option("logistics")
    page.get_by_role("button", name="Apply").or_(page.get_by_role("button", name="적용")).click()
    expect(page).to_have_url(re.compile(r"team=logistics"))
    rows.first.get_by_role("link").click()

    expect(page.get_by_test_id("case-status")).to_have_text(re.compile("신규|배정됨"))
    expect(page.get_by_test_id("customer-panel")).to_contain_text("고객")
    page.get_by_test_id("case-actions").get_by_role("button", name="처리 시작").click()
    expect(page.get_by_test_id("case-status")).to_have_text("처리 중")
    expect(page.get_by_test_id("case-assignee")).to_have_text("상담원 김")
    # The history names people and statuses in the page's language, not by stored ids and codes.
    started = page.get_by_test_id("case-history").locator("li.history-status_changed").last
    expect(started).to_contain_text(re.compile(r"상태: (신규|배정됨) → 처리 중"))
    expect(page.get_by_test_id("case-history").locator("li.history-assigned").first).to_contain_text(
        "담당자: — → 상담원 김"
    )

    page.get_by_label(re.compile("고객에게 답변")).fill("불편을 드려 죄송합니다. 오늘 다시 출고해 드리겠습니다.")
    page.get_by_role("button", name="답변 보내기").click()
    expect(page.get_by_test_id("case-notice")).to_have_text("답변을 보냈습니다.")
    history = page.get_by_test_id("case-history")
    expect(history).to_contain_text("오늘 다시 출고해 드리겠습니다")
    expect(page.locator("dd").filter(has=page.locator(".badge.sla-met"))).to_have_count(1)  # first response met

    page.get_by_test_id("case-actions").get_by_role("button", name="해결").click()
    expect(page.get_by_test_id("case-status")).to_have_text("해결됨")
    expect(history.locator("li.history-status_changed")).to_have_count(2)
    expect(page.get_by_test_id("case-actions").get_by_role("button", name="다시 열기")).to_be_visible()


def test_a_stale_form_shows_the_conflict_message(agent: Page) -> None:
    page = agent
    page.goto("/cases?team=digital")
    page.get_by_test_id("case-queue").locator("tbody tr[data-case-id] a").first.click()
    url = page.url
    other = page.context.new_page()
    other.goto(url)
    other.get_by_test_id("case-edit").get_by_label("우선순위").select_option("urgent")
    other.get_by_test_id("case-edit").get_by_role("button", name="저장").click()
    expect(other.get_by_test_id("case-priority")).to_have_text("긴급")

    page.get_by_test_id("case-edit").get_by_label("우선순위").select_option("low")
    page.get_by_test_id("case-edit").get_by_role("button", name="저장").click()
    expect(page.get_by_test_id("case-error")).to_contain_text("다른 사람이 이 케이스를 변경했습니다")
    expect(page.get_by_test_id("case-priority")).to_have_text("긴급")  # the other change was not lost


def test_rules_editor_validates_and_dry_runs(browser: Browser, cases_server: RunningServer) -> None:
    page = _page(browser, cases_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:
        page.goto("/rules")
        expect(page.get_by_role("heading", name="라우팅 규칙")).to_be_visible()
        box = page.get_by_label("rules.yaml")
        box.fill(
            "rules:\n  - id: calls\n    when: {channel: [call, fax]}\n    then: {team: voice}\n"
            "default: {team: cx-support}\n"
        )
        page.get_by_role("button", name=re.compile("시험 실행")).click()
        expect(page.get_by_test_id("rules-errors")).to_contain_text("rules[0] (id 'calls').when.channel (line 3)")
        box.fill(
            "rules:\n  - id: calls\n    when: {channel: call}\n    then: {team: voice}\ndefault: {team: cx-support}\n"
        )
        page.get_by_role("button", name=re.compile("시험 실행")).click()
        teams = page.get_by_test_id("dry-run-teams")
        expect(teams).to_contain_text("voice")
        expect(teams.locator("tr", has_text="voice").locator("td").nth(1)).to_have_text("4")  # four calls seeded
        page.get_by_role("button", name="새 버전으로 저장").click()
        expect(page.get_by_test_id("rules-saved")).to_be_visible()
        expect(page.get_by_test_id("rules-version")).to_contain_text("버전 1")
    finally:
        page.context.close()
