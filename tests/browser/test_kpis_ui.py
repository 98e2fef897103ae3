"""The KPI explorer, the catalog and the Overview's KPI cards in headless Chromium on the real server."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _sign_in(page: Page, server) -> None:
    page.goto("/login")
    page.get_by_label("이메일").fill(server.email)
    page.get_by_label("비밀번호").fill(server.password)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", name="개요", level=1)).to_be_visible()


def test_explorer_reads_the_nps_of_may_and_offers_exports(page: Page, server) -> None:
    _sign_in(page, server)
    # The seed has three NPS answers in May 2026: 6 (detractor), 9 and 10 (promoters) → NPS 33.3.
    expect(page.get_by_test_id("kpi-cards")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="KPI").click()
    expect(page.get_by_role("heading", name="KPI 탐색", level=1)).to_be_visible()
    page.get_by_test_id("kpi-select").select_option("nps")
    page.get_by_label("시작일").fill("2026-05-01")
    page.get_by_label("종료일").fill("2026-05-31")
    page.get_by_label("단위").select_option("week")
    page.get_by_role("button", name="적용").click()
    expect(page.get_by_test_id("kpi-total")).to_have_text("33.3")
    expect(page.get_by_test_id("kpi-table").locator("tbody tr")).to_have_count(5)  # weeks of 04-27 .. 05-25
    expect(page.locator("svg.kpi-chart")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    assert download.value.suggested_filename == "kpi_nps_2026-05-31.csv"
    page.get_by_role("link", name="지표 카탈로그").click()
    expect(page.get_by_test_id("kpi-catalog")).to_contain_text("고객만족도 (CSAT)")
