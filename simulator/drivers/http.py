"""The driver protocol over HTTP: a portal behind a URL, read and posted as a browser
without script does, and its mail read over a Mailpit-shaped API.

Promises:

- :class:`HttpDriver` is one browser: its own cookies (a
  :class:`~simulator.drivers.wire.Browser`: ``http.client`` on connections kept alive
  across browsers and journeys), the last page it was shown. ``fill`` checks the page has a field of that label and keeps what
  was typed; ``click`` posts the page's form (every field by its ``<label>``, the
  hidden inputs, the control's name and value) and follows the redirect, so the next
  screen is what the portal shows. A control or field the page does not have, or an
  answer of 4xx/5xx, raises :class:`DriverError` naming the page, the control and
  what the portal said. ``open_portal`` GETs the portal's address with the browser's
  cookies (the bookmark, LOGIN-1); ``close_browser`` throws the cookies away and opens
  the portal again (LOCK-5).
- :class:`HttpTarget` is a served portal with a test API (``rpp serve --test-api``):
  made ``fresh``, it starts the portal afresh (``/test/reset``, in a verification
  variant or with other parameter values when asked) and empties the mailbox when it
  is on this machine (:func:`own_mailbox`; a team's Mailpit elsewhere is never
  emptied), so each journey or scenario has the portal to itself. The start waits
  until the target is first used (a browser, the clock, the mailbox, ``fired``): the
  producers registered before then (up to :data:`STARTING_PRODUCERS`) go with the
  reset, in one request; a portal that cannot be started fails there, naming the URL.
  Later ``register`` and ``advance_clock`` use ``/test/producers`` and
  ``/test/clock``. Every test API call is JSON.
- :attr:`HttpTarget.mail_wait` (default :data:`MAIL_WAIT` seconds): a reader that
  expects mail waits that long for it; it costs nothing when the mail is there.
- Mail is read by :class:`~simulator.mail.mailpit.MailpitReader` over a
  :class:`~simulator.drivers.wire.WireClient` (kept-alive connections too).
- Pages are read by :mod:`simulator.drivers.page`: the screen is recognised from the
  flows' portal spec, never read from a private attribute.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from simulator.drivers import MAIL_WAIT, wire
from simulator.drivers.page import DriverError, Page, PageError, read_page
from simulator.drivers.wire import Answer, Browser, WireClient, WireError, default_tls
from simulator.mail.mailpit import MailpitReader
from simulator.portal.screens import Screen
from specs.model import PortalSpec

__all__ = ["DriverError", "HttpDriver", "HttpTarget", "own_mailbox"]

TIMEOUT = 10.0  # seconds a request may take before the driver gives up
STARTING_PRODUCERS = 50  # registered with the reset, at most (the body stays small)


class HttpDriver:
    """A browser on the portal at ``base_url``."""

    def __init__(self, base_url: str, portal: PortalSpec, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.portal = portal
        self.timeout = timeout
        self._browser = self._new_browser()
        self._typed: dict[str, str] = {}
        self._page = self._read(self._request("GET", "/"))

    def _new_browser(self) -> Browser:
        return Browser(self.base_url, timeout=self.timeout, ssl_context=default_tls())

    def _request(self, method: str, path: str, data: dict[str, str] | None = None) -> Answer:
        try:
            answer = self._browser.request(method, path, form=data)
        except WireError as error:
            raise DriverError(str(error)) from error
        if answer.status >= 400:
            said = " ".join(answer.text.split())[:300]
            raise DriverError(f"{method} {answer.url} answered {answer.status}: {said}")
        return answer

    def _read(self, answer: Answer) -> Page:
        try:
            return read_page(answer.text, self.portal)
        except PageError as error:
            raise DriverError(f"{answer.url}: {error}") from error

    def screen(self) -> Screen:
        return self._page.screen

    def fill(self, field: str, value: str) -> None:
        self._page.require_field(field)
        self._typed[field] = value

    def click(self, label: str) -> Screen:
        page = self._page
        page.require_control(label)
        name, value = page.controls[label]
        form = dict(page.hidden)
        for field, posted in page.fields.items():
            form[posted] = self._typed.get(field, "")
        form[name] = value
        self._typed = {}
        self._page = self._read(self._request("POST", page.action, form))
        return self._page.screen

    def open_portal(self) -> Screen:
        self._typed = {}
        self._page = self._read(self._request("GET", "/"))
        return self._page.screen

    def close_browser(self) -> Screen:
        self._browser = self._new_browser()
        self._typed = {}
        self._page = self._read(self._request("GET", "/"))
        return self._page.screen

    def close(self) -> None:
        """Forget the cookies (the connections stay kept alive for the next browser)."""
        self._browser = self._new_browser()


def own_mailbox(url: str) -> bool:
    """True for a mailbox on this machine (``rpp mailbox``, the one ``rpp serve`` starts,
    a personal Mailpit): the harness empties it between journeys. A mailbox elsewhere
    (a team's Mailpit) is never emptied: each journey reads only the mail that arrives
    after it starts."""
    host = httpx.URL(url).host
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


class HttpTarget:
    """A portal served with a test API at ``url``, its mail at ``mailbox_url``.
    ``mail_wait``: how long a reader expecting mail asks the mailbox again before it
    says none came (a portal may send its mail after it shows the page)."""

    mail_wait: float = MAIL_WAIT
    defer_mail_reads = True  # each read is a request: verify reads where mail is due

    def __init__(
        self,
        url: str,
        mailbox_url: str,
        portal: PortalSpec,
        variant: str | None = None,
        fresh: bool = True,
        parameters: Mapping[str, int | None] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.portal = portal
        self._own_mailbox = own_mailbox(mailbox_url)
        self._mail_client = WireClient(timeout=TIMEOUT, ssl_context=default_tls())
        self._mailbox = MailpitReader(mailbox_url, portal=portal, client=self._mail_client)
        self._browsers: list[HttpDriver] = []
        # A fresh start waits for the producers registered before the portal is used, so
        # that one request resets the portal and registers them all.
        self._start: dict[str, Any] | None = None
        self._waiting: list[dict[str, Any]] = []
        if fresh:
            self._start = {"variant": variant} if variant else {}
            if parameters:
                self._start["parameters"] = dict(parameters)

    def _started(self) -> None:
        """Start the portal afresh with the producers registered so far, and empty the
        mailbox when it is this machine's (once, before anything else reaches either)."""
        if self._start is None:
            return
        body = {**self._start, **({"producers": self._waiting} if self._waiting else {})}
        self._post("/test/reset", body)
        self._start, self._waiting = None, []
        if self._own_mailbox:
            self._mailbox.delete_all()

    @property
    def mailbox(self) -> MailpitReader:
        self._started()
        return self._mailbox

    def _post(self, path: str, body: dict[str, Any]) -> Answer:
        try:
            # Always JSON: a browser cannot send that cross-site without a preflight.
            answer = wire.send(
                "POST",
                self.url + path,
                body=json.dumps(body).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout=TIMEOUT,
                ssl_context=default_tls(),
            )
        except WireError as error:
            raise DriverError(str(error)) from error
        if answer.status == 404:
            raise DriverError(
                f"{self.url} has no test API ({path}): serve it with `rpp serve --test-api`"
            )
        if answer.status >= 400:
            raise DriverError(
                f"POST {self.url}{path} answered {answer.status}: {answer.text[:300]}"
            )
        return answer

    def register(self, producer: Any) -> None:
        fields = {
            "user_name": producer.user_name,
            "agent_unique_id": producer.agent_unique_id,
            "email": producer.email,
            "password": producer.password,
            "home_state": producer.home_state,
            "state_farm": producer.state_farm,
        }
        if self._start is not None and len(self._waiting) < STARTING_PRODUCERS:
            self._waiting.append(fields)
            return
        self._started()
        self._post("/test/producers", fields)

    def open_browser(self) -> HttpDriver:
        self._started()
        browser = HttpDriver(self.url, self.portal)
        self._browsers.append(browser)
        return browser

    def advance_clock(self, minutes: float) -> None:
        self._started()
        self._post("/test/clock", {"minutes": minutes})

    def fired(self) -> list[str]:
        """The transitions of the flows fired since the last call (the test API's)."""
        self._started()
        names = self._post("/test/fired", {}).json().get("fired")
        return [str(n) for n in names] if isinstance(names, list) else []

    def close(self) -> None:
        for browser in self._browsers:
            browser.close()
        self._mailbox.close()
        self._mail_client.close()
