"""What a producer does, as a small protocol: the journeys, `rpp verify` and the step
definitions use only this, so any portal (in-process, HTTP, a deliberately broken
one) can be checked with the same journeys.

A :class:`Target` is a portal under test with its mailbox; a :class:`Driver` is one
producer's browser on it. The in-process implementations run :mod:`simulator.portal`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from simulator.clock import SimulatedClock
from simulator.mailbox import Mailbox, MailboxTransport
from simulator.portal import (
    AGENT_UNIQUE_ID,
    CONFIRM_NEW_PASSWORD,
    CURRENT_PASSWORD,
    EMAIL,
    HARNESS_HASH_ITERATIONS,
    NEW_PASSWORD,
    PASSWORD,
    STATE,
    USER_NAME,
    Account,
    Portal,
    Screen,
    Session,
)
from specs.model import FlowSet, Parameters

__all__ = [
    "Driver",
    "InProcessDriver",
    "InProcessTarget",
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

    def close_browser(self) -> Screen:
        """Close the browser, clear its history and cache, open the portal again (LOCK-5)."""
        ...


class Target(Protocol):
    """A portal under test, its mailbox and its clock."""

    mailbox: Mailbox

    def register(self, producer: Any) -> None:
        """Create the producer's account (registration is out of the guide's scope)."""
        ...

    def open_browser(self) -> Driver:
        """A fresh browser on the login page."""
        ...

    def advance_clock(self, minutes: float) -> None:
        """Let simulated time pass."""
        ...


TargetFactory = Callable[[], Target]


class InProcessDriver:
    """A browser on an in-process :class:`Portal`."""

    def __init__(self, portal: Portal, session: Session | None = None) -> None:
        """A new browser on the login page, or one showing an existing ``session``."""
        self.portal = portal
        self.session: Session = session if session is not None else portal.open_session()

    def screen(self) -> Screen:
        return self.portal.screen(self.session)

    def fill(self, field: str, value: str) -> None:
        self.portal.fill(self.session, field, value)

    def click(self, label: str) -> Screen:
        return self.portal.click(self.session, label)

    def close_browser(self) -> Screen:
        self.session = self.portal.open_session()
        return self.screen()


class InProcessTarget:
    """An in-process portal with a fake mailbox and a simulated clock."""

    def __init__(
        self,
        flow_set: FlowSet,
        parameters: Parameters | None = None,
        session_class: type[Session] = Session,
        account_class: type[Account] = Account,
        mailbox: Mailbox | None = None,
    ) -> None:
        # Not `mailbox or ...`: an empty Mailbox is falsy (it has __len__).
        self.mailbox = mailbox if mailbox is not None else Mailbox()
        self.clock = SimulatedClock()
        self.portal = Portal(
            flow_set,
            MailboxTransport(self.mailbox),
            clock=self.clock,
            parameters=parameters,
            hash_iterations=HARNESS_HASH_ITERATIONS,
            session_class=session_class,
            account_class=account_class,
        )

    def register(self, producer: Any) -> None:
        self.portal.register_producer(producer)

    def open_browser(self) -> InProcessDriver:
        return InProcessDriver(self.portal)

    def advance_clock(self, minutes: float) -> None:
        self.clock.advance(minutes)


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
