"""Retake docs/report.png: the top of reports/site/index.html in headless Chromium.

Run from the project root after `rpp report`: ``.venv/bin/python docs/screenshot.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGE = Path("reports/site/index.html")
PICTURE = Path("docs/report.png")

if __name__ == "__main__":
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("RPP_CHROMIUM") or shutil.which("chromium"),
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(PAGE.resolve().as_uri())
        page.screenshot(path=PICTURE)
        browser.close()
    print(f"wrote {PICTURE}")
