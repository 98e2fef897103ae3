"""Build a funnel in the browser: events imported through the CLI into the running server, steps typed
into the funnel builder, and the drop-off read back from the rendered table."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import orjson
import pytest
from playwright.sync_api import Page, expect

from support.cxloop_process import clean_env, run_cxloop

pytestmark = pytest.mark.browser
ENV = clean_env(CXLOOP_ENVIRONMENT="test", CXLOOP_WORKER_POLL_SECONDS="0.1")
SHOPPERS = {
    # e-mail of a seeded customer → the steps they took on May 3rd, 2026 (Seoul time)
    "minsu.kim@example.com": ("visit", "add_to_cart", "purchase"),
    "seoyeon.lee@example.co.kr": ("visit", "add_to_cart", "purchase"),
    "jihoon.park@example.com": ("visit", "add_to_cart"),
    "emily.carter@example.com": ("visit", "add_to_cart"),
    "yujin.choi@example.com": ("visit",),
}
EVENT_COUNT = sum(len(steps) for steps in SHOPPERS.values())


def _cxloop(data_dir: Path, *args: str) -> str:
    result = run_cxloop("--data-dir", str(data_dir), *args, env=ENV)
    assert result.returncode == 0, f"cxloop {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def shoppers(server, tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("funnel") / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_id", "source", "email", "type", "channel", "occurred_at"])
        for n, (email, steps) in enumerate(SHOPPERS.items()):
            for minute, step in enumerate(steps):
                writer.writerow(
                    [f"EV-{n}-{step}", "web", email, step, "web", f"2026-05-03T1{n}:{minute * 5:02d}:00+09:00"]
                )
    _cxloop(server.data_dir, "import", str(path), "--kind", "events")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = orjson.loads(_cxloop(server.data_dir, "status", "--format", "json"))["by_kind"].get("events", {})
        if events.get("done", 0) >= EVENT_COUNT:
            return server
        assert not events.get("failed"), events
        time.sleep(0.2)
    pytest.fail("the imported events were not processed in time")


def test_build_a_funnel_and_read_its_drop_off(page: Page, shoppers) -> None:
    page.goto("/login")
    page.get_by_label("이메일").fill(shoppers.email)
    page.get_by_label("비밀번호").fill(shoppers.password)
    page.get_by_role("button", name="로그인").click()
    page.get_by_role("link", name="여정").click()
    expect(page.get_by_role("heading", name="고객 여정", level=1)).to_be_visible()

    page.get_by_test_id("step-1").fill("visit")
    page.get_by_test_id("step-2").fill("add_to_cart")
    page.get_by_test_id("step-3").fill("purchase")
    page.get_by_test_id("funnel-window").fill("1d")
    page.get_by_test_id("funnel-submit").click()

    expect(page.get_by_test_id("funnel-chart")).to_be_visible()
    expect(page.get_by_test_id("funnel-step-1")).to_contain_text("5")
    expect(page.get_by_test_id("drop-off-2")).to_have_text("1 (20.0%)")
    expect(page.get_by_test_id("drop-off-3")).to_have_text("2 (50.0%)")
    expect(page.get_by_test_id("funnel-conversion")).to_have_text("40.0%")
    # The form keeps what was typed, so the funnel can be refined.
    expect(page.get_by_test_id("step-3")).to_have_value("purchase")

    page.get_by_test_id("step-2").fill("")
    page.get_by_test_id("step-3").fill("")
    page.get_by_test_id("funnel-submit").click()
    expect(page.get_by_test_id("journey-error")).to_contain_text("at least 2 steps")
