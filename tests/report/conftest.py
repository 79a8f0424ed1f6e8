"""A headless Chromium for the report's tests (Debian's, or the one RPP_CHROMIUM names)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.drivers.browser import chromium_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        yield launched
        launched.close()
