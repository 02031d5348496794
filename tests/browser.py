"""Headless Chromium for tests: Debian's chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser_page():
    """A Playwright page in headless Debian chromium; skipped locally when chromium is absent, failed in CI."""
    path = chromium_path()
    if not path:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run should install Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            yield page
        finally:
            browser.close()
