"""The driver protocol in a real browser: headless Chromium driven by Playwright, finding
fields by their label and buttons and links by their text, as a person does.

Promises:

- :func:`chromium_path` is the browser to launch: ``$RPP_CHROMIUM``, else Debian's
  ``chromium`` on the PATH, else None: Playwright's own build, for a team that ran
  ``playwright install chromium`` (``RPP_CHROMIUM=playwright`` picks it even where
  Debian's is installed). :func:`launch` starts one headless Chromium per
  process, closed at exit; a missing browser raises :class:`DriverError` saying how to
  get one.
- :class:`BrowserDriver` is one browser window with its own cookies (a Playwright
  context). Opening a context and its page costs Chromium a renderer process (about a
  tenth of a second), so a window closed (``close``, ``close_browser``) hands its
  context, cookies cleared, to the next window opened on the same portal (at most
  :data:`SPARE_CONTEXTS` wait): a window opened from it has no cookies, as a fresh
  browser, and the portal's pages are ``no-store``, so nothing of the last producer's
  is left. ``fill`` types into the field of that label (what was typed goes into the
  page in one call, with the input and change events typing fires, when the next
  control is clicked; a drop-down's choice is made when its label is clicked:
  ``choose_state`` fills then clicks "State", which chooses the option and presses the
  drop-down's own button); ``click`` presses the button or link of that exact text
  (role ``button`` or ``link``; a menu's item after opening its menu) and waits for the
  page that follows; an answer of 4xx/5xx raises :class:`DriverError` with
  what the page said. A value a drop-down does not offer is chosen as a tampered page
  would choose it (the option is added first): the portal must refuse it itself.
  ``open_portal`` goes to the portal's address in the same window (the bookmark);
  ``close_browser`` closes the window and its cookies and opens the portal again.
- The screen is read from the page's HTML with :mod:`simulator.drivers.page`, exactly
  as the HTTP driver reads it. With ``screens`` set, every distinct screen visited (its
  name and messages) is saved once as a PNG there; :meth:`BrowserDriver.screenshot`
  saves the page now shown (what a failing step attaches).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulator.drivers.http import HttpTarget
from simulator.drivers.page import DriverError, Page, PageError, read_page
from simulator.portal.screens import Screen
from specs.model import PortalSpec

__all__ = ["BrowserDriver", "BrowserTarget", "chromium_path", "launch"]

CHROMIUM_ENV = "RPP_CHROMIUM"
PLAYWRIGHTS_OWN = "playwright"  # RPP_CHROMIUM=playwright: the build `playwright install` fetched
TIMEOUT_MS = 15_000
SPARE_CONTEXTS = 8  # per portal URL: closed windows' contexts kept for the next ones

_spare: dict[str, list[Any]] = {}  # portal URL -> contexts of closed windows, cookies cleared

_running: dict[str, Any] = {}
_ADD_OPTION = "(menu, value) => menu.add(new Option(value, value))"
# What was typed, put into the page's fields in one call when a control is clicked: each
# field found by its label's text, given the value and the input and change events that
# typing fires; a drop-down's choice not yet submitted set without the change event
# (which would submit it on its own), as the HTTP driver posts it.
_TYPE = """(entries) => {
  const labelled = (text) => {
    const found = [...document.querySelectorAll("label")].filter(
      (label) => label.textContent.replace(/\\s+/g, " ").trim() === text);
    if (found.length !== 1 || !found[0].control) {
      throw new Error(`no one field labelled ${JSON.stringify(text)}`);
    }
    return found[0].control;
  };
  for (const [text, value, choice] of entries) {
    const field = labelled(text);
    if (choice) {
      if (![...field.options].some((o) => o.value === value)) field.add(new Option(value, value));
      field.value = value;
      continue;
    }
    field.focus();
    field.value = value;
    field.dispatchEvent(new Event("input", {bubbles: true}));
    field.dispatchEvent(new Event("change", {bubbles: true}));
  }
}"""


def chromium_path() -> str | None:
    """The Chromium to launch (see the module's promises)."""
    chosen = os.environ.get(CHROMIUM_ENV, "")
    if chosen == PLAYWRIGHTS_OWN:
        return None
    return chosen or shutil.which("chromium") or None


def launch() -> Any:
    """This process's headless Chromium (started on first use, closed at exit)."""
    if "browser" in _running:
        return _running["browser"]
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:  # pragma: no cover - a dependency of the project
        raise DriverError(f"Playwright is not installed: {error}") from None
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            # As root (CI, containers) Chromium runs only without its sandbox.
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
    except Error as error:
        playwright.stop()
        raise DriverError(
            f"cannot start Chromium ({chromium_path() or 'Playwright build'}): {error.message}."
            " Install Debian's `chromium` (apt-get install chromium), set"
            f" ${CHROMIUM_ENV} to a Chromium binary, or run `playwright install chromium`."
        ) from None
    _running.update(playwright=playwright, browser=browser)
    atexit.register(_close)
    return browser


def _close() -> None:
    _spare.clear()
    browser, playwright = _running.pop("browser", None), _running.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()


class BrowserDriver:
    """A browser window on the portal at ``base_url``."""

    def __init__(self, base_url: str, portal: PortalSpec, screens: Path | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.portal = portal
        self.screens = screens
        self._chosen: dict[str, str] = {}
        self._typed: dict[str, str] = {}
        self._open()

    def _open(self) -> None:
        self._released = False
        spare = _spare.get(self.base_url)
        if spare:
            self._context = spare.pop()
            self._page = self._context.pages[0]
        else:
            self._context = launch().new_context(base_url=self.base_url)
        try:
            if not spare:
                self._context.set_default_timeout(TIMEOUT_MS)
                self._page = self._context.new_page()
            self._go(lambda: self._page.goto(self.base_url + "/"))
        except BaseException:
            self._context.close()
            raise

    def _release(self) -> None:
        """Close this window: its context, cookies cleared, waits for the next window."""
        from playwright.sync_api import Error

        if self._released:
            return
        self._released = True
        spare = _spare.setdefault(self.base_url, [])
        try:
            if len(spare) >= SPARE_CONTEXTS or len(self._context.pages) != 1:
                self._context.close()
                return
            self._context.clear_cookies()
        except Error:
            return  # the browser is gone already (closed at exit)
        spare.append(self._context)

    def _go(self, act: Any) -> None:
        """Do ``act`` (which loads a page) and read the page it leads to."""
        from playwright.sync_api import Error

        try:
            with self._page.expect_navigation() as navigation:
                act()
            response = navigation.value
        except Error as error:
            raise DriverError(f"{self._page.url}: {error.message}") from None
        status = response.status if response is not None else 200
        if status >= 400:
            raise DriverError(
                f"{self._page.url} answered {status}: {self._page.inner_text('body')[:300]}"
            )
        self._read()

    def _read(self) -> None:
        try:
            self._seen: Page = read_page(self._page.content(), self.portal)
        except PageError as error:
            raise DriverError(f"{self._page.url}: {error}") from error
        if self.screens is not None:
            screen = self._seen.screen
            key = hashlib.sha256(repr((screen.name, screen.messages)).encode()).hexdigest()[:8]
            path = self.screens / f"{screen.name}-{key}.png"
            if not path.exists():
                self.screenshot(path)

    def screenshot(self, path: Path) -> Path:
        """Save the page now shown as a PNG at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._page.screenshot(path=str(path), full_page=True)
        return path

    @property
    def page(self) -> Any:
        """The Playwright page now shown, for checks beyond the protocol (accessibility,
        the keyboard)."""
        return self._page

    def screen(self) -> Screen:
        return self._seen.screen

    def fill(self, field: str, value: str) -> None:
        self._seen.require_field(field)
        if field in self._seen.options:
            self._chosen[field] = value  # a drop-down: chosen when its label is clicked
        else:
            self._typed[field] = value  # typed into the page at the next click, in one call

    def _type(self, choices: dict[str, str]) -> None:
        """Put what was typed (and ``choices``) into the page's fields, in one call."""
        from playwright.sync_api import Error

        entries = [[f, v, False] for f, v in self._typed.items()]
        entries += [[f, v, True] for f, v in choices.items()]
        self._typed = {}
        if not entries:
            return
        try:
            self._page.evaluate(_TYPE, entries)
        except Error as error:
            raise DriverError(f"{self._page.url}: {error.message}") from None

    def click(self, label: str) -> Screen:
        page = self._page
        if label in self._seen.options:
            value = self._chosen.pop(label, "")
            self._type({})
            menu = page.get_by_label(label, exact=True)
            if value not in self._seen.options[label]:
                menu.evaluate(_ADD_OPTION, value)
            menu.select_option(value)
            # A choice submits nothing on its own: the drop-down's own button does.
            button = page.locator(f'button[data-for="{menu.get_attribute("id")}"]')
            self._go(lambda: button.click())
            return self._seen.screen
        self._seen.require_control(label)
        self._type(self._chosen)
        self._chosen = {}
        role = "link" if label in self._seen.screen.links else "button"
        control = page.get_by_role(role, name=label, exact=True)
        # A closed menu's items are hidden from the accessibility tree: found with them.
        hidden = page.get_by_role(role, name=label, exact=True, include_hidden=True)
        dropdown = page.locator("details", has=hidden)
        if dropdown.count() and not dropdown.evaluate("menu => menu.open"):
            dropdown.locator("summary").click()  # a menu's item: open the menu first
        self._go(lambda: control.click())
        return self._seen.screen

    def open_portal(self) -> Screen:
        # Leaving the page drops what was typed into it and not submitted, as a browser does.
        self._chosen = {}
        self._typed = {}
        self._go(lambda: self._page.goto(self.base_url + "/"))
        return self._seen.screen

    def close_browser(self) -> Screen:
        self._release()
        self._chosen = {}
        self._typed = {}
        self._open()
        return self._seen.screen

    def close(self) -> None:
        self._release()


class BrowserTarget(HttpTarget):
    """A portal served with a test API, each producer's browser a Chromium window."""

    def __init__(
        self,
        url: str,
        mailbox_url: str,
        portal: PortalSpec,
        variant: str | None = None,
        fresh: bool = True,
        parameters: Mapping[str, int | None] | None = None,
        screens: Path | None = None,
    ) -> None:
        super().__init__(url, mailbox_url, portal, variant, fresh, parameters)
        self.screens = screens
        self._windows: list[BrowserDriver] = []

    def open_browser(self) -> BrowserDriver:  # type: ignore[override]
        self._started()  # the portal starts afresh before anyone opens it
        window = BrowserDriver(self.url, self.portal, self.screens)
        self._windows.append(window)
        return window

    def close(self) -> None:
        for window in self._windows:
            window.close()
        super().close()
