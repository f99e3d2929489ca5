"""The web UI stack and the browser, shared by the modules that drive the UI through Apache
(test_ui_behind_apache.py, test_ui_under_a_prefix.py): started once for both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.ui_stack import BROWSER_ARGS, UiStack, ui_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiStack]:
    with ui_stack(tmp_path_factory.mktemp("ui-stack")) as running_stack:
        yield running_stack


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=BROWSER_ARGS)
        yield chromium
        chromium.close()
