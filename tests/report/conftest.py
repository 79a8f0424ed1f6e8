"""A headless Chromium for the report's tests: this process's one Playwright Chromium
(the browser driver's, Debian's or the one RPP_CHROMIUM names), since a second sync
Playwright cannot start while the first runs."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.drivers.browser import launch


@pytest.fixture(scope="module")
def browser() -> Any:
    return launch()
