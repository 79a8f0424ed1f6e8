"""Retake the README's pictures:

- docs/diagrams/*.png: the diagrams, drawn by `rpp diagram`;
- docs/report.png: the whole of reports/site/index.html as it opens (its parts
  collapsed), in headless Chromium (run `rpp report` first; skipped when it is not
  there);
- docs/portal-*.png: the served portal's screens (`rpp serve --test-api` on a free
  port, one producer registered): Please Sign-In, the Welcome page with the Account
  menu open at the top right, Change Password refusing a wrong Current Password, and
  Forgot User Name? on a 375 px wide phone.

Run from the project root: ``.venv/bin/python docs/screenshot.py [diagrams|report|portal]``
(all three without an argument).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from simulator.cli import main

PAGE = Path("reports/site/index.html")
PICTURE = Path("docs/report.png")
PORTAL = Path("docs")
DIAGRAMS = ("overview", "login", "password_reset")


def diagrams() -> None:
    for name in DIAGRAMS:
        assert main(["diagram", "-m", name, "-o", f"docs/diagrams/{name}.png"]) == 0
    print(f"wrote {', '.join(f'docs/diagrams/{n}.png' for n in DIAGRAMS)}")


def report() -> None:
    if not PAGE.exists():
        print(f"skipped {PICTURE}: no {PAGE} (run `rpp report --out reports/site` first)")
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("RPP_CHROMIUM") or shutil.which("chromium"),
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(PAGE.resolve().as_uri())
        page.screenshot(path=PICTURE, full_page=True)
        browser.close()
    print(f"wrote {PICTURE}")


def portal() -> None:
    from simulator.drivers.browser import BrowserTarget
    from simulator.drivers.protocol import choose_state, log_in, update_password
    from simulator.population import Population
    from simulator.web.serving import serving
    from specs import load_flows

    flow_set = load_flows()
    producer = Population(2019, flow_set.portal.parameters).producer(0)
    with serving(flow_set, "127.0.0.1", 0) as served:
        assert served.mailbox_url is not None
        target = BrowserTarget(served.url, served.mailbox_url, flow_set.portal)
        target.register(producer)
        window = target.open_browser()
        page = window.page
        page.set_viewport_size({"width": 1000, "height": 560})

        def shot(name: str) -> None:
            path = window.screenshot(PORTAL / f"portal-{name}.png")
            print(f"wrote {path}")

        shot("sign-in")
        log_in(window, producer.user_name, producer.password)
        choose_state(window, producer.home_state)
        page.get_by_text("Account", exact=True).click()  # the dropdown, open
        shot("account-menu")
        window.click("Edit Profile")
        update_password(window, "Wrong0000", "Shots2026", "Shots2026")
        shot("change-password")
        window.close_browser()
        page = window.page
        page.set_viewport_size({"width": 375, "height": 700})
        window.click("Forgot User Name?")
        shot("forgot-user-name-phone")
        target.close()


if __name__ == "__main__":
    chosen = sys.argv[1:] or ["diagrams", "report", "portal"]
    for name in chosen:
        {"diagrams": diagrams, "report": report, "portal": portal}[name]()
