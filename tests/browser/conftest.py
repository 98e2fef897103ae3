"""The real server on a seeded store, and headless Chromium pages that screenshot themselves on failure."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import Browser, Page

from support.browser import save_failure_screenshot
from support.cxloop_process import CxloopServer, clean_env, run_cxloop

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct-horse-battery-9"
# Playwright's default is 30 s; every page here renders in well under a second.
ACTION_TIMEOUT_MS = 10_000
# The embedded worker needs a second or two; the rest is headroom for a loaded 2-core machine.
PROCESSING_TIMEOUT = 60.0
SERVER_ENV = clean_env(CXLOOP_ENVIRONMENT="test", CXLOOP_WORKER_POLL_SECONDS="0.1")

CUSTOMER_COLUMNS = ("external_id", "source", "name", "email", "phone", "city", "tier", "created_at")
# Phones are written the way a CRM export writes them; search and linking must see through that.
CUSTOMERS = [
    ("C-1001", "crm", "김민수", "minsu.kim@example.com", "010-1234-5678", "서울", "gold", "2023-03-14"),
    ("C-1002", "crm", "이서연", "seoyeon.lee@example.co.kr", "010-2345-6789", "부산", "silver", "2024-01-09"),
    ("C-1003", "crm", "박지훈", "jihoon.park@example.com", "010 3456 7890", "인천", "bronze", "2024-07-22"),
    ("C-1004", "crm", "Emily Carter", "emily.carter@example.com", "+82 10-4567-8901", "서울", "gold", "2022-11-30"),
    ("C-1005", "crm", "최유진", "yujin.choi@example.com", "01056789012", "대구", "silver", "2025-02-17"),
]

FEEDBACK_COLUMNS = (
    "feedback_id", "source", "channel", "occurred_at", "email", "phone", "social_handle",
    "text", "survey_type", "score", "rating",
)  # fmt: skip
_SOURCE_OF_CHANNEL = {
    "call": "callcenter", "chat": "chatbot", "email": "helpdesk", "sns": "instagram",
    "app_review": "appstore", "web_form": "website", "survey": "survey",
}  # fmt: skip


def _feedback(
    feedback_id: str,
    channel: str,
    when: str,
    text: str,
    *,
    source: str = "",
    survey: tuple[str, int] | None = None,
    rating: int | None = None,
    **identifiers: str,
) -> tuple[str, ...]:
    """One row of the seed feedback file; `when` is MM-DD HH:MM in May 2026, Seoul time."""
    survey_type, score = survey or ("", "")
    row = {
        "feedback_id": feedback_id,
        "source": source or _SOURCE_OF_CHANNEL[channel],
        "channel": channel,
        "occurred_at": f"2026-{when}",
        "text": text,
        "survey_type": survey_type,
        "score": str(score),
        "rating": "" if rating is None else str(rating),
        **identifiers,
    }
    return tuple(row.get(column, "") for column in FEEDBACK_COLUMNS)


# ~30 items over May 2026 across every channel; each links to a customer by e-mail or by a phone
# number written differently from the CRM's, or has only an SNS handle, or nothing at all.
FEEDBACK = [
    _feedback("CALL-001", "call", "05-02 10:15", "배송이 사흘째 조회되지 않아 전화드렸습니다.", phone="01012345678"),
    _feedback(
        "APP-001",
        "app_review",
        "05-03 21:40",
        "앱이 결제 단계에서 자꾸 멈춰요. 업데이트 부탁드립니다.",
        email="MINSU.KIM@example.com",
        rating=2,
    ),
    _feedback(
        "SRV-001",
        "survey",
        "05-06 09:05",
        "상담원은 친절했지만 배송이 너무 늦었어요.",
        email="minsu.kim@example.com",
        survey=("nps", 6),
    ),
    _feedback("CHAT-001", "chat", "05-08 14:30", "환불 처리 상황을 알고 싶습니다.", phone="+82-10-1234-5678"),
    _feedback(
        "MAIL-001",
        "email",
        "05-01 08:20",
        "주문한 상품과 다른 색상이 왔습니다. 교환 가능할까요?",
        email="seoyeon.lee@example.co.kr",
    ),
    _feedback("CALL-002", "call", "05-04 16:45", "교환 접수 후 회수 기사님이 오지 않았어요.", phone="010.2345.6789"),
    _feedback(
        "SRV-002",
        "survey",
        "05-10 11:00",
        "교환은 결국 잘 처리됐습니다.",
        email="seoyeon.lee@example.co.kr",
        survey=("csat", 4),
    ),
    _feedback(
        "WEB-001", "web_form", "05-05 13:10", "회원 등급 혜택이 적용되지 않았습니다.", email="jihoon.park@example.com"
    ),
    _feedback(
        "APP-002",
        "app_review",
        "05-07 22:05",
        "새 디자인 깔끔하고 좋아요! 검색도 빨라졌네요.",
        phone="01034567890",
        rating=5,
    ),
    _feedback(
        "CHAT-002", "chat", "05-12 19:25", "쿠폰 코드가 유효하지 않다고 나옵니다.", email="jihoon.park@example.com"
    ),
    _feedback(
        "MAIL-002",
        "email",
        "05-02 03:15",
        "My order arrived damaged. I would like a refund, please.",
        email="emily.carter@example.com",
    ),
    _feedback(
        "CHAT-003",
        "chat",
        "05-09 10:40",
        "The delivery tracking page shows no updates for 3 days.",
        phone="+821045678901",
    ),
    _feedback(
        "SRV-003",
        "survey",
        "05-14 18:00",
        "Great support from the English-speaking team.",
        email="emily.carter@example.com",
        survey=("nps", 9),
    ),
    _feedback(
        "APP-003",
        "app_review",
        "05-15 07:55",
        "앱은 좋은데 English menu가 일부만 번역돼 있어요.",
        email="emily.carter@example.com",
        rating=3,
    ),
    _feedback("CALL-003", "call", "05-06 15:20", "배송지 변경을 요청했는데 반영이 안 됐습니다.", phone="010-5678-9012"),
    _feedback("WEB-002", "web_form", "05-11 12:35", "영수증 재발행을 요청합니다.", email="yujin.choi@example.com"),
    _feedback("SRV-004", "survey", "05-16 20:10", "", email="yujin.choi@example.com", survey=("ces", 2)),
    _feedback(
        "SNS-001", "sns", "05-03 12:00", "오늘 받은 택배 포장이 정말 꼼꼼했어요 👍", social_handle="@happy_shopper"
    ),
    _feedback(
        "SNS-002",
        "sns",
        "05-09 23:45",
        "고객센터 연결이 30분째 안 됩니다. 배송 문의 어디로 하나요?",
        source="twitter",
        social_handle="@kr_consumer",
    ),
    _feedback(
        "SNS-003",
        "sns",
        "05-13 08:30",
        "Fast shipping and the packaging was eco-friendly. Love it.",
        source="twitter",
        social_handle="@gadget_fan",
    ),
    _feedback("APP-004", "app_review", "05-17 17:15", "로그인이 자주 풀려요. 자동 로그인 유지해 주세요.", rating=2),
    _feedback(
        "APP-005", "app_review", "05-18 09:50", "Dark mode please! Otherwise a solid app.", source="playstore", rating=4
    ),
    _feedback("WEB-003", "web_form", "05-19 10:05", "대량 구매 견적을 받고 싶습니다."),
    _feedback("MAIL-003", "email", "05-20 14:25", "세금계산서 발행 가능 여부 문의드립니다."),
    _feedback("CALL-004", "call", "05-21 11:30", "멤버십 해지 방법을 문의한 통화입니다."),
    _feedback("CHAT-004", "chat", "05-22 16:10", "Can I change the delivery date for my order?"),
    _feedback("SRV-005", "survey", "05-23 09:00", "전반적으로 만족합니다.", survey=("nps", 10)),
    _feedback("SRV-006", "survey", "05-24 13:45", "배송 기사님이 매우 친절하셨어요.", survey=("csat", 5)),
    _feedback("SNS-004", "sns", "05-25 21:20", "이벤트 당첨 상품은 언제 배송되나요?", social_handle="@daily_deal"),
    _feedback("WEB-004", "web_form", "05-26 15:55", "The English checkout page shows prices in the wrong currency."),
]


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    data_dir: Path
    email: str = ADMIN_EMAIL
    password: str = ADMIN_PASSWORD


def _cxloop(data_dir: Path, *args: str) -> str:
    """Run one CLI command against the data dir and return its stdout; fail the fixture on error."""
    result = run_cxloop("--data-dir", str(data_dir), *args, env=SERVER_ENV)
    if result.returncode != 0:
        pytest.fail(f"cxloop {' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def _wait_until_processed(data_dir: Path, expected: dict[str, int]) -> None:
    """Poll `cxloop status`, which the running server answers, until every seeded record is done."""
    summary: dict[str, Any] = {}
    deadline = time.monotonic() + PROCESSING_TIMEOUT
    while time.monotonic() < deadline:
        summary = orjson.loads(_cxloop(data_dir, "status", "--format", "json"))
        by_kind = summary["by_kind"]
        if any(counts.get("failed") for counts in by_kind.values()):
            break
        if all(by_kind.get(kind, {}).get("done", 0) == n for kind, n in expected.items()):
            return
        time.sleep(0.2)
    pytest.fail(f"seed data was not processed: {summary}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`cxloop serve` in a subprocess over a data dir seeded through the CLI, processed and ready."""
    root = tmp_path_factory.mktemp("browser")
    data_dir = root / "data"
    _cxloop(
        data_dir, "user", "add", "--admin", "--email", ADMIN_EMAIL, "--name", "관리자", "--password", ADMIN_PASSWORD
    )
    # A Korean file name on purpose: exports from Korean CRMs are named that way.
    customers_file = _write_csv(root / "고객.csv", CUSTOMER_COLUMNS, CUSTOMERS)
    _cxloop(data_dir, "import", str(customers_file), "--kind", "customers")
    feedback_file = _write_csv(root / "feedback.csv", FEEDBACK_COLUMNS, FEEDBACK)
    _cxloop(data_dir, "import", str(feedback_file), "--kind", "feedback")

    cxloop = CxloopServer(data_dir, env=SERVER_ENV)
    # stop() is SIGTERM, then SIGKILL after a timeout; it runs even when seeding never finishes.
    try:
        cxloop.start()
        _wait_until_processed(data_dir, {"customers": len(CUSTOMERS), "feedback": len(FEEDBACK)})
        yield RunningServer(cxloop.url, data_dir)
    finally:
        cxloop.stop()


@pytest.fixture
def page(browser: Browser, server: RunningServer) -> Iterator[Page]:
    """A fresh Korean-speaking browser context per test: no cookies, no session, no language choice."""
    context = browser.new_context(base_url=server.base_url, locale="ko-KR", timezone_id="Asia/Seoul")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> pytest.TestReport:
    report: pytest.TestReport = yield
    if report.failed and report.when in ("setup", "call"):
        page = getattr(item, "funcargs", {}).get("page")
        if isinstance(page, Page) and not page.is_closed():
            try:
                path = save_failure_screenshot(page, item.nodeid)
            except Exception as exc:  # a failed screenshot must not hide the test's own failure
                report.sections.append(("screenshot", f"could not save: {exc}"))
            else:
                report.sections.append(("screenshot", str(path)))
    return report
