"""Portals as a team might write them, as `--target MODULE:CALLABLE` factories, for
the secrets verify hides and the extra actions it checks:

- :func:`reworded`: the reset email words its first line in its own way ("Your
  temporary password is X."), so verify must find the password without the flows'
  line, and hide it wherever it writes;
- :func:`with_log_out`: a "Log Out" on every signed-in page that ends the session;
- :func:`log_out_keeps_session`: the same link, which shows the sign-in page but keeps
  the session cookie: opening the portal's address is signed in again (must fail);
- :func:`log_out_resets_failures`: a Log Out that also clears the account's failure
  count (must fail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from email.message import EmailMessage
from types import MappingProxyType
from typing import Any, ClassVar

from simulator.drivers.in_process import InProcessDriver, InProcessTarget
from simulator.mail.mailbox import Mailbox
from simulator.portal.screens import Screen
from specs.loader import load_flows
from specs.model import Parameters, TextPart

__all__ = [
    "ISSUED",
    "REWORDED_LINE",
    "SECRETS",
    "log_out_keeps_session",
    "log_out_resets_failures",
    "reworded",
    "reworded_with_reader",
    "with_log_out",
]

REWORDED_LINE = "Your temporary password is {temporary_password}."
# Every password the reworded portals registered or emailed, in this process.
SECRETS: set[str] = set()
ISSUED: set[str] = set()  # the temporary passwords among them
LOG_OUT = "Log Out"
LOGIN_PAGE = "login_page"  # the screen the portal opens on (Please Sign-In)
_SIGNED_IN = ("welcome", "state_selected", "edit_profile", "password_updated")


def reworded(
    parameters: Parameters, target: type[InProcessTarget] = InProcessTarget
) -> InProcessTarget:
    """The reference portal whose reset email says "Your temporary password is X."."""
    flow_set = load_flows()
    email = flow_set.portal.emails["password_reset"]

    def reword(part: TextPart) -> TextPart:
        if "{temporary_password}" in part.text and part.text.startswith("Temporary Password"):
            return replace(part, text=REWORDED_LINE)
        return part

    changed = replace(email, body=tuple(reword(p) for p in email.body))
    portal = replace(flow_set.portal, emails={**flow_set.portal.emails, "password_reset": changed})
    mailbox = Mailbox(portal=flow_set.portal)  # read as any team's mail: with the flows' spec
    made = target(replace(flow_set, portal=portal), parameters, mailbox=mailbox)
    register, issue = made.register, made.portal.new_temporary_password

    def registered(producer: Any) -> None:
        SECRETS.add(producer.password)
        register(producer)

    def issued() -> str:
        SECRETS.add(password := issue())
        ISSUED.add(password)
        return password

    made.register = registered  # type: ignore[method-assign]
    made.portal.new_temporary_password = issued  # type: ignore[method-assign]
    return made


class _ReadsItsOwnEmail(InProcessTarget):
    def temporary_password(self, message: EmailMessage) -> str | None:
        body = message.get_body(preferencelist=("plain",))
        text = str(body.get_content()) if body is not None else ""
        rest = text.partition("Your temporary password is ")[2]
        return rest.split(".", 1)[0].strip() if rest else None


def reworded_with_reader(parameters: Parameters) -> InProcessTarget:
    """:func:`reworded`, declaring how its email gives the password (the optional hook)."""
    return reworded(parameters, _ReadsItsOwnEmail)


class _LogOutDriver(InProcessDriver):
    """A browser whose signed-in pages have a "Log Out" link that ends the session."""

    def click(self, label: str) -> Screen:
        if label != LOG_OUT or self.session.state not in _SIGNED_IN:
            return super().click(label)
        self.log_out()
        return self.screen()

    def log_out(self) -> None:
        self.session.sign_out()
        self.session.state = LOGIN_PAGE
        self.session.messages = ()
        self.session.form = {}


class _LogOutKeepsSession(_LogOutDriver):
    """The link only goes to the sign-in page: the session (its account) is kept, so the
    portal's address opens the signed-in Welcome page again."""

    def log_out(self) -> None:
        self.session.state = LOGIN_PAGE
        self.session.messages = ()

    def open_portal(self) -> Screen:
        if self.session.state == LOGIN_PAGE and self.session.account is not None:
            self.session.state = "welcome"
            return self.screen()
        return super().open_portal()


class _LogOutResetsFailures(_LogOutDriver):
    """Log Out clears the account's failure count as a sign-in does."""

    def log_out(self) -> None:
        account = self.session.account
        super().log_out()
        if account is not None:
            account.failed_attempts = 0


class _LogOutTarget(InProcessTarget):
    driver: type[_LogOutDriver] = _LogOutDriver
    extra_actions: ClassVar[Mapping[str, str]] = MappingProxyType({"log_out": LOG_OUT})

    def open_browser(self) -> InProcessDriver:
        return self.driver(self.portal)


class _KeepsSessionTarget(_LogOutTarget):
    driver = _LogOutKeepsSession


class _ResetsFailuresTarget(_LogOutTarget):
    driver = _LogOutResetsFailures


def with_log_out(parameters: Parameters) -> InProcessTarget:
    return _LogOutTarget(load_flows(), parameters)


def log_out_keeps_session(parameters: Parameters) -> InProcessTarget:
    return _KeepsSessionTarget(load_flows(), parameters)


def log_out_resets_failures(parameters: Parameters) -> InProcessTarget:
    return _ResetsFailuresTarget(load_flows(), parameters)
