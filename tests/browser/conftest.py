"""Chromium, driven by Playwright, against both services served over real HTTP.

The story module gets its own ``LiveStack`` (both apps on free loopback ports,
fresh databases, the outbox workers, the session's SMTP sink); the modules that
look at every page share one populated stack (``site``). One headless Chromium
serves the whole package. Without ``/usr/bin/chromium`` the tests are skipped,
unless ``CI_REQUIRE_BROWSER=1``, when they fail: CI must not pass without them.
axe-core comes from npm (``tests/browser/package.json``), installed on first use.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import CHROMIUM_ARGS, BrowserStack, Crowd, Mailbox, unavailable
from tests.support import TEST_INSTANCE, SmtpSink

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="package")
def chromium() -> Iterator:
    if not CHROMIUM.exists():
        unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright's Python package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, installed from npm into tests/browser/node_modules when missing."""
    if not AXE_SCRIPT.exists():
        npm = shutil.which("npm")
        if not npm:
            unavailable("npm is not installed: it installs axe-core for the accessibility tests")
        command = [npm, "ci" if (HERE / "package-lock.json").exists() else "install", "--no-audit", "--no-fund"]
        try:
            done = subprocess.run(command, cwd=HERE, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            unavailable("npm took too long to install axe-core")
        if done.returncode != 0 or not AXE_SCRIPT.exists():
            unavailable(f"npm could not install axe-core: {done.stderr.strip()[-500:]}")
    return AXE_SCRIPT.read_text(encoding="utf-8")


# -- the story: an empty stack of its own ------------------------------------------------------
@pytest.fixture(scope="module")
def stack(chromium, smtp_sink: SmtpSink) -> Iterator[BrowserStack]:
    live = BrowserStack(smtp_sink, TEST_INSTANCE, name="story").start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def mailbox(smtp_sink: SmtpSink) -> Mailbox:
    return Mailbox(smtp_sink)


@pytest.fixture(scope="module")
def people(chromium, stack: BrowserStack) -> Iterator[Crowd]:
    crowd = Crowd(chromium, stack)
    yield crowd
    crowd.close()


# -- every page: one populated stack for the package -------------------------------------------
@pytest.fixture(scope="package")
def site(chromium, smtp_sink: SmtpSink):
    """The story's people some weeks in, signed in where they work (see ``site.py``)."""
    from tests.browser.site import populate

    live = BrowserStack(smtp_sink, TEST_INSTANCE, name="site").start()
    crowd = Crowd(chromium, live)
    try:
        yield populate(live, crowd, Mailbox(smtp_sink))
    finally:
        crowd.close()
        live.stop()
