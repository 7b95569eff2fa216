"""Headless Chromium for the explorer page's tests, benchmark and screenshot.

We use the system's Chromium (Debian: ``apt-get install chromium``) through
Playwright's Python API; Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

#: Where to look, in order, when ``CHROMIUM_PATH`` is not set.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Headless in a container: no sandbox (often no user namespaces), no GPU, /tmp instead of a small /dev/shm.
FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage")


class BrowserUnavailableError(RuntimeError):
    """No Chromium executable, or no Playwright, on this machine."""


def chromium_path() -> Path:
    """The Chromium executable: ``CHROMIUM_PATH``, else the first of :data:`CANDIDATES` on ``PATH``."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        if not Path(configured).is_file():
            raise BrowserUnavailableError(f"CHROMIUM_PATH={configured} is not a file")
        return Path(configured)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise BrowserUnavailableError("no Chromium found: install it (Debian: apt-get install chromium) "
                                  "or set CHROMIUM_PATH")


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Playwright ``Browser`` running the system's Chromium; closed on exit."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise BrowserUnavailableError("Playwright is not installed: pip install playwright "
                                      "(no `playwright install` is needed)") from error
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=list(FLAGS))
        try:
            yield browser
        finally:
            browser.close()
