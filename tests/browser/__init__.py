"""Browser tests: the web UI in headless Debian Chromium against a real `cxloop serve`."""
