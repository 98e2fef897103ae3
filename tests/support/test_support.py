"""The test-suite helpers work against the real programs: a PostgreSQL server and Debian Chromium."""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from .browser import save_failure_screenshot
from .postgres import ThrowawayPostgres

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _port_is_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.postgres
def test_throwaway_postgres_gives_isolated_databases_and_stops_cleanly() -> None:
    server = ThrowawayPostgres()
    with server:
        port = server.port
        directory = server.directory
        urls = {name: server.create_database(name) for name in ("cxloop_alpha", "cxloop_beta")}
        engines = {name: create_engine(url) for name, url in urls.items()}
        try:
            with engines["cxloop_alpha"].begin() as conn:
                conn.execute(text("CREATE TABLE feedback (id int PRIMARY KEY, body text)"))
                conn.execute(text("INSERT INTO feedback VALUES (1, '배송이 빨라요 fast delivery')"))
            with engines["cxloop_alpha"].connect() as conn:
                body = conn.execute(text("SELECT body FROM feedback WHERE id = 1")).scalar_one()
                assert body == "배송이 빨라요 fast delivery"
            with engines["cxloop_beta"].connect() as conn:
                assert conn.execute(text("SELECT current_database()")).scalar_one() == "cxloop_beta"
                # A table made in one test database must not leak into another.
                assert conn.execute(text("SELECT to_regclass('feedback')")).scalar_one() is None
        finally:
            for engine in engines.values():
                engine.dispose()

    if server.is_external:
        return
    assert not _port_is_open(port), f"PostgreSQL still listening on {port} after stop()"
    assert directory is not None
    assert not directory.exists(), f"{directory} left behind after stop()"
    server.stop()  # a second stop is harmless


@pytest.mark.postgres
def test_throwaway_postgres_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = ThrowawayPostgres().url


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep request lines out of the test output."""


@pytest.fixture
def tiny_site(tmp_path: Path) -> Iterator[str]:
    """Serve one HTML page from tmp_path on 127.0.0.1 and yield its URL."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        "<!doctype html><html lang='ko'><head><meta charset='utf-8'>"
        "<title>cxloop smoke</title></head><body><h1>Hello 안녕하세요</h1></body></html>",
        encoding="utf-8",
    )
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.browser
def test_chromium_opens_a_local_page_and_takes_a_screenshot(tiny_site: str, tmp_path: Path, browser: Any) -> None:
    page = browser.new_page()
    try:
        page.goto(tiny_site)
        assert page.title() == "cxloop smoke"
        assert page.locator("h1").inner_text() == "Hello 안녕하세요"
        shot = save_failure_screenshot(page, "support/test::smoke[chromium]", directory=tmp_path)
        assert shot.name == "support_test_smoke_chromium.png"
        assert shot.read_bytes().startswith(PNG_SIGNATURE)
    finally:
        page.close()
