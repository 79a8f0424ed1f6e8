"""A browser on the served portal for tests: Starlette's TestClient plus the page
reader, posting forms the way the pages' HTML says a browser does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient

from simulator.portal.screens import Screen
from simulator.web.app import SESSION_COOKIE
from simulator.web.contract import field_name
from tests.web.dom import Node, parse, read_screen

LOOPBACK_CLIENT = ("127.0.0.1", 50000)


@dataclass
class Page:
    status: int
    html: str

    @property
    def dom(self) -> Node:
        return parse(self.html)

    @property
    def screen(self) -> Screen:
        return read_screen(self.html)

    @property
    def csrf_token(self) -> str:
        return self.dom.find("input", name="csrf_token").attrs["value"] or ""


class Browser:
    """One browser: its own cookies, the last page it was shown."""

    def __init__(self, app: Starlette, client: tuple[str, int] = LOOPBACK_CLIENT) -> None:
        self.http = TestClient(app, client=client, follow_redirects=False)
        self.page: Page | None = None
        self.address = "/"  # of the page shown: where its form posts, what a reload GETs

    @property
    def cookie(self) -> str | None:
        value: str | None = self.http.cookies.get(SESSION_COOKIE)
        return value

    def open(self, address: str | None = None) -> Page:
        """GET ``address`` (default: the page shown, a reload; ``/`` at first), following
        the portal's redirects: the page now shown."""
        response = self.http.get(address or self.address)
        for _ in range(5):
            if response.status_code != 303:
                break
            response = self.http.get(response.headers["location"])
        assert response.status_code == 200, response.text
        self.address = response.url.path
        self.page = Page(response.status_code, response.text)
        return self.page

    def bookmark(self) -> Page:
        """The portal's address, as its bookmark opens it (LOGIN-1)."""
        return self.open("/")

    def form(self, control: str, fields: dict[str, str] | None = None) -> dict[str, str]:
        """What the last page's form posts when ``control`` is clicked after typing ``fields``
        (by label)."""
        assert self.page is not None, "open a page first"
        posted = {
            n.attrs["name"] or "": n.attrs.get("value") or ""
            for n in self.page.dom.find_all("input", type="hidden")
        }
        for label, value in (fields or {}).items():
            posted[field_name(label)] = value
        posted["control"] = control
        return posted

    def post(self, data: dict[str, str], **kwargs: Any) -> Any:
        return self.http.post(self.address, data=data, **kwargs)

    def click(self, control: str, **fields: str) -> Page:
        """Type ``fields`` (label=value, with underscores for spaces), click, follow the
        303 and return the new page."""
        typed = {label.replace("_", " "): value for label, value in fields.items()}
        response = self.post(self.form(control, typed))
        assert response.status_code == 303, f"{response.status_code}: {response.text}"
        return self.open(response.headers["location"])

    def fill_and_click(self, control: str, fields: dict[str, str]) -> Page:
        response = self.post(self.form(control, fields))
        assert response.status_code == 303, f"{response.status_code}: {response.text}"
        return self.open(response.headers["location"])
