"""Headless Debian Chromium for the browser tests, driven by Playwright without its own browser downloads."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

__all__ = [
    "CHROMIUM_ARGS",
    "CHROMIUM_ENV",
    "ChromiumUnavailableError",
    "chromium_path",
    "launch_chromium",
    "save_failure_screenshot",
]

CHROMIUM_ENV = "CXLOOP_CHROMIUM"
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

# The machine has no network but package registries: without the background-networking flags
# Chromium keeps opening connections that are refused. --no-sandbox because tests run as root;
# --disable-dev-shm-usage because containers often give /dev/shm only 64 MB.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


class ChromiumUnavailableError(RuntimeError):
    """No Chromium executable was found to drive."""


def chromium_path() -> str:
    """Return the Chromium executable: $CXLOOP_CHROMIUM, /usr/bin/chromium, or `chromium` on PATH."""
    override = os.environ.get(CHROMIUM_ENV, "").strip()
    if override:
        if not os.access(override, os.X_OK):
            raise ChromiumUnavailableError(f"{CHROMIUM_ENV}={override} is not an executable file")
        return override
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    # `playwright install` is no answer: it downloads a browser build, which this network refuses.
    raise ChromiumUnavailableError(
        "Chromium not found: install the Debian package 'chromium' "
        f"(scripts/ensure-system-deps.sh chromium) or set {CHROMIUM_ENV}"
    )


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch headless Debian Chromium through Playwright; the caller closes the browser."""
    return playwright.chromium.launch(
        executable_path=chromium_path(),
        headless=True,
        args=list(CHROMIUM_ARGS),
    )


def save_failure_screenshot(page: Page, name: str, directory: Path | None = None) -> Path:
    """Save a full-page PNG as test-artifacts/screenshots/NAME.png (or under `directory`)."""
    target_dir = directory or SCREENSHOT_DIR
    target_dir.mkdir(parents=True, exist_ok=True)
    # Test node ids carry '/', '::' and '[...]', none of which belong in a file name.
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "screenshot"
    path = target_dir / f"{safe_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
