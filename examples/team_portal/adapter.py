"""Our portal behind rpp-flows' driver protocol (docs/targets.md): ``make(parameters)``
returns a Target; each browser reads our HTML into a Screen as a person reads the page
(headings, alerts, labels, buttons, links, the top bar's menus, the directory).

    rpp verify --target examples.team_portal.adapter:make --decisions examples/team_portal/decisions.yaml

To copy it for your portal, change the headings (PAGES), the markup ``parse``
looks for and how a request reaches your portal (``TeamBrowser._go``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, ClassVar

import lxml.html

from examples.team_portal import portal as ours
from simulator.drivers.protocol import TargetFactory
from simulator.portal.screens import DirectoryRow, Screen
from specs.model import Parameters

__all__ = ["PAGES", "TeamBrowser", "TeamMailbox", "TeamTarget", "factory", "make", "parse"]

# Our page headings -> the screen names of docs/targets.md (Home is "state_selected" once
# its Account menu offers Edit Profile).
PAGES = {
    "Please Sign-In": "login_page", "Home": "welcome", "Change Password": "edit_profile",
    "Password Update": "password_updated", "Recover Your User Name": "forgot_user_name",
    "Request Submitted": "username_request_submitted", "Reset Password?": "reset_password",
    "Password Reset Requested": "reset_request_submitted",
}  # fmt: skip
UNKNOWN_CELL = "Not available"  # how our directory shows a number the guide does not give
# The page's own words: headings, paragraphs and list items outside forms, tables and links.
_TEXTS = ".//*[self::h2 or self::p or self::li][not(ancestor::form or ancestor::table or .//a)]"
_TEMPORARY = re.compile(r"Your temporary password is (\S+) ")


@dataclass(frozen=True)
class Form:
    method: str
    action: str
    names: tuple[str, ...]  # its inputs' and selects' names


@dataclass(frozen=True)
class Page:
    """A page read once: its Screen and where each control leads."""

    screen: Screen
    fields: dict[str, tuple[str, Form]]  # label -> the input's name, its form
    buttons: dict[str, Form | None]  # label -> the form it submits (None: does nothing)
    links: dict[str, str]  # label -> href


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


def _label(element: Any) -> str:
    return _text(element).removesuffix("*").strip()  # the words, without the required marker


def _form(element: Any) -> Form:
    form = next(element.iterancestors("form"))
    names = tuple(i.name for i in form.inputs if i.name)
    return Form(form.method, form.action, names)


@functools.lru_cache(maxsize=512)
def parse(html: str) -> Page:
    """One of our pages read as a producer reads it (the same HTML is read once)."""
    root = lxml.html.fromstring(html)
    main = root.find(".//main")
    title = _text(main.find("h1"))
    labels = main.findall(".//label")
    fields = {_label(n): root.get_element_by_id(n.get("for")) for n in labels}
    menus = [_text(d.find("span")) for d in root.find_class("dropdown")]
    menu_links = [
        (_text(a), _text(d.find("span"))) for d in root.find_class("dropdown") for a in d.iter("a")
    ]
    rows = [[_text(c) for c in tr if c.tag in ("th", "td")] for tr in main.iter("tr")]
    chosen = main.xpath(".//option[@selected]/@value")
    name = PAGES.get(title, title)
    if name == "welcome" and ("Edit Profile", "Account") in menu_links:
        name = "state_selected"
    screen = Screen(
        name=name,
        title=title,
        texts=tuple(_text(n) for n in main.xpath(_TEXTS)),
        messages=tuple(_text(n) for n in main.find_class("alert")),
        fields=tuple(fields),
        required=tuple(_label(n) for n in labels if n.find("abbr") is not None),
        buttons=tuple(_text(b) for b in main.iter("button")),
        links=tuple(_text(a) for a in root.iter("a")),
        menus=tuple(menus),
        menu_links=tuple(menu_links),
        directory_states=tuple(rows[0][1:]) if rows else (),
        directory=tuple(
            DirectoryRow(r[0], tuple(None if c == UNKNOWN_CELL else c for c in r[1:]))
            for r in rows[1:]
        ),
        chosen_state=chosen[0] if chosen and chosen[0] else None,
    )
    return Page(
        screen,
        {label: (n.get("name"), _form(n)) for label, n in fields.items()},
        {_text(b): None if b.get("type") == "button" else _form(b) for b in root.iter("button")},
        {_text(a): a.get("href") for a in root.iter("a")},
    )


class TeamBrowser:
    """One producer's browser: a cookie, the page shown and what was typed on it."""

    def __init__(self, portal: ours.TeamPortal) -> None:
        self.portal = portal
        self.cookie: str | None = None
        self.open_portal()

    def _go(self, method: str, path: str, form: dict[str, str] | None = None) -> Screen:
        form = form or {}
        while True:  # follow redirects, as a browser does
            response = self.portal.handle(ours.Request(method, path, form, self.cookie))
            if response.set_cookie is not None:
                self.cookie = response.set_cookie or None
            if response.location is None:
                break
            method, path, form = "GET", response.location, {}
        self.page = parse(response.html)
        self.typed: dict[str, str] = {}  # leaving a page drops what was typed on it
        return self.page.screen

    def screen(self) -> Screen:
        return self.page.screen  # the page as last loaded: another browser's acts show later

    def fill(self, field: str, value: str) -> None:
        if field not in self.page.fields:
            raise ValueError(f"{self.page.screen.title}: no field {field!r}")
        self.typed[self.page.fields[field][0]] = value

    def _submit(self, form: Form) -> Screen:
        return self._go(form.method, form.action, {n: self.typed.get(n, "") for n in form.names})

    def click(self, label: str) -> Screen:
        page = self.page
        if label in page.buttons:
            form = page.buttons[label]  # None: Register, out of the guide's scope
            return page.screen if form is None else self._submit(form)
        if label in page.links:
            return self._go("GET", page.links[label])
        if label in page.fields:  # a drop-down: choosing submits its form
            return self._submit(page.fields[label][1])
        raise ValueError(f"{page.screen.title}: nothing labelled {label!r} to click")

    def open_portal(self) -> Screen:
        return self._go("GET", "/")

    def close_browser(self) -> Screen:
        self.cookie = None  # a closed browser forgets its session cookie
        return self.open_portal()


class TeamMailbox:
    """Our outbox, read as a producer reads mail (the protocol's MailReader)."""

    KINDS: ClassVar = {
        "username": ours.OURS["username_subject"],
        "password_reset": ours.RESET_SUBJECT,
    }

    def __init__(self, portal: ours.TeamPortal) -> None:
        self.portal = portal

    def messages(self, address: str) -> list[EmailMessage]:
        mine = ours.identifier_key(address)
        return [m for m in self.portal.outbox if ours.identifier_key(str(m["To"])) == mine]

    def search(
        self, to: str | None = None, subject: str | None = None, kind: str | None = None
    ) -> list[EmailMessage]:
        found = self.portal.outbox if to is None else self.messages(to)
        wanted = {s for s in (subject, kind and self.KINDS.get(kind, kind)) if s}
        return [m for m in found if all(str(m["Subject"]) == s for s in wanted)]

    def folder(self, address: str, name: str) -> list[EmailMessage]:
        return self.messages(address) if name == "inbox" else []  # we file nothing as spam

    def describe(self, address: str | None = None, body_lines: int = 3) -> str:
        lines = []
        for m in self.search(to=address):
            body = str(m.get_content()).splitlines()[:body_lines]
            lines += [f"to {m['To']}: {m['Subject']}", *(f"  {line}" for line in body)]
        return "\n".join(lines) or "no mail"


class TeamTarget:
    """Our portal with its outbox and clock: the protocol's Target."""

    # A control the guide never names; verify checks it by rules that hold for any portal.
    extra_actions: ClassVar[dict[str, str]] = {"log_out": "Log Out"}

    def __init__(self, portal: ours.TeamPortal) -> None:
        self.portal = portal
        self.mailbox = TeamMailbox(portal)

    def register(self, producer: Any) -> None:
        self.portal.create_account(
            producer.user_name, producer.agent_unique_id, producer.email, producer.password
        )

    def open_browser(self) -> TeamBrowser:
        return TeamBrowser(self.portal)

    def advance_clock(self, minutes: float) -> None:
        self.portal.advance(minutes)

    def temporary_password(self, message: EmailMessage) -> str | None:
        """Where our reset email gives the temporary password (in our own words)."""
        found = _TEMPORARY.search(str(message.get_content()))
        return found.group(1) if found else None


def settings(p: Parameters) -> ours.Settings:
    """Our portal set up with the parameters of the suite verify runs (1,000 hash
    iterations: thousands of journeys; production keeps the default)."""
    policy, same = p.password_policy, ("lockout_threshold", "auto_unlock_after_minutes",
        "temporary_password_valid_minutes", "temporary_password_length", "states", "sender",
        "recovery_emails_per_hour")  # fmt: skip
    return ours.Settings(
        **{name: getattr(p, name) for name in same},
        password_min=policy.min_length, password_max=policy.max_length, hash_iterations=1_000,
    )  # fmt: skip


def factory(portal_class: type[ours.TeamPortal] = ours.TeamPortal) -> TargetFactory:
    """A target factory for ``portal_class`` (our portal, or a copy with a bug)."""
    return lambda parameters: TeamTarget(portal_class(settings(parameters)))


make = factory()
make_lockout_off_by_one = factory(ours.BUGGY_PORTALS["lockout-off-by-one"])
make_temporary_password_caseless = factory(ours.BUGGY_PORTALS["temporary-password-caseless"])
make_logout_keeps_session = factory(ours.BUGGY_PORTALS["logout-keeps-session"])
