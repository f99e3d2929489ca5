"""What the UI's browser tests do again and again: log in through Apache, save screenshots,
reload until a page shows something."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Protocol

from playwright.sync_api import Browser, Page, expect

from tests.e2e.ui_stack import USERS
from tests.support.oidc_provider import Provider

SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"


class Site(Protocol):
    """One Apache site in front of the gateway: its public address (with any prefix)."""

    @property
    def url(self) -> str: ...

    @property
    def provider(self) -> Provider: ...


def signed_in(browser: Browser, site: Site, user: str) -> Page:
    """A fresh browser profile that logs in as ``user`` at the provider, through Apache."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{site.url}/ui/")
    assert page.url.startswith(site.provider.url), page.url  # sent to the provider's login
    page.click(f"button[value='{user}']")
    page.wait_for_url(re.compile(re.escape(site.url) + "/ui/"))
    expect(page.locator("header .who")).to_contain_text(USERS[user]["name"])
    return page


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def reload_until(page: Page, selector: str, text: str, timeout: float = 45) -> None:
    """Reload (the UI works without JavaScript) until ``selector`` shows ``text``."""
    deadline = time.monotonic() + timeout
    while text not in (page.locator(selector).first.text_content() or ""):
        assert time.monotonic() < deadline, f"{selector} never showed {text!r}"
        time.sleep(0.5)
        page.reload()
