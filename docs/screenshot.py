"""Retake the README's pictures: the diagrams (docs/diagrams/, drawn by `rpp diagram`)
and docs/report.png, the whole of reports/site/index.html as it opens (its parts
collapsed) in headless Chromium.

Run from the project root after `rpp report`: ``.venv/bin/python docs/screenshot.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

from simulator.cli import main

PAGE = Path("reports/site/index.html")
PICTURE = Path("docs/report.png")
DIAGRAMS = ("overview", "login", "password_reset")

if __name__ == "__main__":
    for name in DIAGRAMS:
        assert main(["diagram", "-m", name, "-o", f"docs/diagrams/{name}.png"]) == 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("RPP_CHROMIUM") or shutil.which("chromium"),
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(PAGE.resolve().as_uri())
        page.screenshot(path=PICTURE, full_page=True)
        browser.close()
    print(f"wrote {', '.join(f'docs/diagrams/{n}.png' for n in DIAGRAMS)} and {PICTURE}")
