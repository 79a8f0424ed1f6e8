"""What a producer does, as a small protocol: the journeys, `rpp verify` and the step
definitions use only this, so any portal (in-process, HTTP, a deliberately broken
one) can be checked with the same journeys.

A :class:`Target` is a portal under test with its mailbox; a :class:`Driver` is one
producer's browser on it. The in-process implementations are in :mod:`simulator.drivers.in_process`.

Two hooks are optional: a target may have either (:class:`DeclaresExtraActions`,
:class:`ReadsTemporaryPasswords`), and verify uses it when it is there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any, Protocol

from simulator.mail.reader import MailReader
from simulator.portal.forms import (
    AGENT_UNIQUE_ID,
    CONFIRM_NEW_PASSWORD,
    CURRENT_PASSWORD,
    EMAIL,
    NEW_PASSWORD,
    PASSWORD,
    STATE,
    USER_NAME,
)
from simulator.portal.screens import Screen
from specs.model import Parameters

__all__ = [
    "DeclaresExtraActions",
    "Driver",
    "ReadsTemporaryPasswords",
    "Target",
    "TargetFactory",
    "choose_state",
    "log_in",
    "submit_forgot_user_name",
    "submit_reset_password",
    "update_password",
]


class Driver(Protocol):
    """One producer's browser."""

    def screen(self) -> Screen:
        """The screen now shown."""
        ...

    def fill(self, field: str, value: str) -> None:
        """Type ``value`` into the field labelled ``field``."""
        ...

    def click(self, label: str) -> Screen:
        """Click the button, link or menu item labelled ``label``."""
        ...

    def open_portal(self) -> Screen:
        """Open the portal's address in this browser, as its bookmark does (LOGIN-1: "You
        should bookmark this page or save it to your favorites."): cookies kept."""
        ...

    def close_browser(self) -> Screen:
        """Close the browser, clear its history and cache, open the portal again (LOCK-5)."""
        ...


class Target(Protocol):
    """A portal under test, its mailbox and its clock."""

    @property
    def mailbox(self) -> MailReader:
        """The mail the producers of this portal read."""
        ...

    def register(self, producer: Any) -> None:
        """Create the producer's account (registration is out of the guide's scope)."""
        ...

    def open_browser(self) -> Driver:
        """A fresh browser on the login page."""
        ...

    def advance_clock(self, minutes: float) -> None:
        """Let simulated time pass."""
        ...


class DeclaresExtraActions(Protocol):
    """Optional: actions the guide does not name that the portal offers, each the label
    the producer clicks, e.g. ``{"log_out": "Log Out"}``. A sign-out (``log_out``,
    ``logout``, ``sign_out``, ``signout``) is checked from every signed-in screen by
    rules that hold for any portal (:mod:`simulator.verify.extra_actions`)."""

    extra_actions: Mapping[str, str]


class ReadsTemporaryPasswords(Protocol):
    """Optional: how the portal's reset email gives the temporary password. Without it,
    verify reads the flows' line ("Temporary Password: ...") or else the one word of
    the email the flows' texts never use that has a temporary password's form
    (:mod:`simulator.verify.secrets_seen`)."""

    def temporary_password(self, message: EmailMessage) -> str | None:
        """The temporary password ``message`` gives, or None when it gives none."""
        ...


TargetFactory = Callable[[Parameters], Target]
"""What ``rpp verify --target MODULE:CALLABLE`` and ``pytest --target MODULE:CALLABLE`` call:
``make(parameters)`` with the parameters of the suite being run (the flows' own, a
verification variant's, or those a team's decisions file sets), once per journey; a new,
empty portal each time (docs/targets.md)."""


# -- what a producer does, in the guide's words --------------------------------------------


def log_in(driver: Driver, user_name: str, password: str) -> Screen:
    """Enter the User Name and Password and click "Login" (LOGIN-2)."""
    driver.fill(USER_NAME, user_name)
    driver.fill(PASSWORD, password)
    return driver.click("Login")


def submit_forgot_user_name(driver: Driver, agent_unique_id: str, email: str) -> Screen:
    """Fill in the Forgot User Name? form and click "Submit" (USER-2..4)."""
    driver.fill(AGENT_UNIQUE_ID, agent_unique_id)
    driver.fill(EMAIL, email)
    return driver.click("Submit")


def submit_reset_password(
    driver: Driver, user_name: str, email: str = "", agent_unique_id: str = ""
) -> Screen:
    """Fill in the Reset Password? form and click "Submit" (RESET-2..4)."""
    driver.fill(USER_NAME, user_name)
    driver.fill(EMAIL, email)
    driver.fill(AGENT_UNIQUE_ID, agent_unique_id)
    return driver.click("Submit")


def choose_state(driver: Driver, state: str) -> Screen:
    """Select a state (LOGIN-4)."""
    driver.fill(STATE, state)
    return driver.click(STATE)


def update_password(driver: Driver, current: str, new: str, confirm: str) -> Screen:
    """Fill in Change Password and click "Update Password" (RESET-9)."""
    driver.fill(CURRENT_PASSWORD, current)
    driver.fill(NEW_PASSWORD, new)
    driver.fill(CONFIRM_NEW_PASSWORD, confirm)
    return driver.click("Update Password")
