"""The driver protocol over HTTP: a portal behind a URL, read and posted as a browser
without script does, and its mail read over a Mailpit-shaped API.

Promises:

- :class:`HttpDriver` is one browser: its own cookies (an ``httpx.Client``), the last
  page it was shown. ``fill`` checks the page has a field of that label and keeps what
  was typed; ``click`` posts the page's form (every field by its ``<label>``, the
  hidden inputs, the control's name and value) and follows the redirect, so the next
  screen is what the portal shows. A control or field the page does not have, or an
  answer of 4xx/5xx, raises :class:`DriverError` naming the page, the control and
  what the portal said. ``close_browser`` throws the cookies away and opens the portal
  again (LOCK-5).
- :class:`HttpTarget` is a served portal with a test API (``rpp serve --test-api``):
  ``register`` and ``advance_clock`` use ``/test/producers`` and ``/test/clock``; made
  ``fresh``, it starts the portal afresh (``/test/reset``, in a verification variant
  or with other parameter values when asked) and empties the mailbox when it is on
  this machine (:func:`own_mailbox`; a team's Mailpit elsewhere is never emptied), so
  each journey or scenario has the portal to itself. Every test API call is JSON.
- Pages are read by :mod:`simulator.drivers.page`: the screen is recognised from the
  flows' portal spec, never read from a private attribute.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from simulator.drivers.page import DriverError, Page, PageError, read_page
from simulator.mail.mailpit import MailpitReader
from simulator.portal.screens import Screen
from specs.model import PortalSpec

__all__ = ["DriverError", "HttpDriver", "HttpTarget", "own_mailbox"]

TIMEOUT = 10.0  # seconds a request may take before the driver gives up


@functools.cache
def tls() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA bundle for each new browser
    (each new cookie jar) would cost more than the requests themselves."""
    return ssl.create_default_context()


class HttpDriver:
    """A browser on the portal at ``base_url``."""

    def __init__(self, base_url: str, portal: PortalSpec, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.portal = portal
        self.timeout = timeout
        self._client = self._new_client()
        self._typed: dict[str, str] = {}
        try:
            self._page = self._read(self._request("GET", "/"))
        except BaseException:
            self._client.close()
            raise

    def _new_client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, follow_redirects=True, timeout=self.timeout, verify=tls()
        )

    def _request(
        self, method: str, path: str, data: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            response = self._client.request(method, path, data=data)
        except httpx.HTTPError as error:
            raise DriverError(
                f"{method} {self.base_url}{path}: {error or type(error).__name__}"
            ) from error
        if response.status_code >= 400:
            said = " ".join(response.text.split())[:300]
            raise DriverError(f"{method} {response.url} answered {response.status_code}: {said}")
        return response

    def _read(self, response: httpx.Response) -> Page:
        try:
            return read_page(response.text, self.portal)
        except PageError as error:
            raise DriverError(f"{response.url}: {error}") from error

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

    def close_browser(self) -> Screen:
        self._client.close()
        self._client = self._new_client()
        self._typed = {}
        self._page = self._read(self._request("GET", "/"))
        return self._page.screen

    def close(self) -> None:
        self._client.close()


def own_mailbox(url: str) -> bool:
    """True for a mailbox on this machine (``rpp mailbox``, the one ``rpp serve`` starts,
    a personal Mailpit): the harness empties it between journeys. A mailbox elsewhere
    (a team's Mailpit) is never emptied: each journey reads only the mail that arrives
    after it starts."""
    host = httpx.URL(url).host
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


class HttpTarget:
    """A portal served with a test API at ``url``, its mail at ``mailbox_url``."""

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
        self._api = httpx.Client(base_url=self.url, timeout=TIMEOUT, verify=tls())
        self._mail_client = httpx.Client(timeout=TIMEOUT, verify=tls())
        self._mailbox = MailpitReader(mailbox_url, portal=portal, client=self._mail_client)
        self._browsers: list[HttpDriver] = []
        if fresh:
            reset: dict[str, Any] = {"variant": variant} if variant else {}
            if parameters:
                reset["parameters"] = dict(parameters)
            try:
                self._post("/test/reset", reset)
                if own_mailbox(mailbox_url):
                    self._mailbox.delete_all()
            except BaseException:
                self.close()
                raise

    @property
    def mailbox(self) -> MailpitReader:
        return self._mailbox

    def _post(self, path: str, body: dict[str, Any]) -> None:
        try:
            # Always JSON: a browser cannot send that cross-site without a preflight.
            response = self._api.post(path, json=body)
        except httpx.HTTPError as error:
            raise DriverError(f"POST {self.url}{path}: {error or type(error).__name__}") from error
        if response.status_code == 404:
            raise DriverError(
                f"{self.url} has no test API ({path}): serve it with `rpp serve --test-api`"
            )
        if response.status_code >= 400:
            raise DriverError(
                f"POST {self.url}{path} answered {response.status_code}: {response.text[:300]}"
            )

    def register(self, producer: Any) -> None:
        self._post(
            "/test/producers",
            {
                "user_name": producer.user_name,
                "agent_unique_id": producer.agent_unique_id,
                "email": producer.email,
                "password": producer.password,
                "home_state": producer.home_state,
                "state_farm": producer.state_farm,
            },
        )

    def open_browser(self) -> HttpDriver:
        browser = HttpDriver(self.url, self.portal)
        self._browsers.append(browser)
        return browser

    def advance_clock(self, minutes: float) -> None:
        self._post("/test/clock", {"minutes": minutes})

    def fired(self) -> list[str]:
        """The transitions of the flows fired since the last call (the test API's)."""
        response = self._api.post("/test/fired", json={})
        if response.status_code != 200:
            raise DriverError(f"POST {self.url}/test/fired answered {response.status_code}")
        names = response.json().get("fired")
        return [str(n) for n in names] if isinstance(names, list) else []

    def close(self) -> None:
        for browser in self._browsers:
            browser.close()
        self._api.close()
        self._mailbox.close()
        self._mail_client.close()
