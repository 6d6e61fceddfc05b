"""Browser tests: pytest-playwright driving Chromium against pytest-django's live server.

Playwright's own browser download is not available everywhere, so Debian's Chromium is used
when it is installed; elsewhere (after ``playwright install chromium``) Playwright's own.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

SYSTEM_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


DEMO_ORG = "demo-motors"
DEMO_PASSWORD = "demo-dealer-2026"  # the same as teams/management/commands/seed_demo.py

# A slow machine or a cold embedded PostgreSQL should not turn a working page red.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if os.path.exists(SYSTEM_CHROMIUM):
        args["executable_path"] = SYSTEM_CHROMIUM
    return args


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Every context (``page`` and ``new_context()``) resolves relative URLs on the server."""
    return live_server.url


@pytest.fixture
def demo(transactional_db, live_server, settings) -> str:
    """The demo dealership of ``make demo``, connected to the demo Stripe as seed_demo leaves
    it; returns its slug. Links the app builds and the demo gateway's webhook deliveries go to
    the test server."""
    settings.SITE_URL = live_server.url
    call_command("seed_demo", no_history=True, stdout=io.StringIO())
    return DEMO_ORG


@pytest.fixture
def login() -> Callable[..., None]:
    """Sign in through allauth's real login page and wait for the organization overview."""

    def _login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill(password)
        page.locator("input[name=password]").press("Enter")
        expect(page).to_have_url(re.compile(rf"/o/{DEMO_ORG}/$"))

    return _login
