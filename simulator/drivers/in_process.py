"""The in-process implementations of the driver protocol: a :class:`Target` that is
a :class:`~simulator.portal.portal.Portal` in this process with a fake mailbox and a
simulated clock, and a browser on it."""

from __future__ import annotations

from typing import Any

from simulator.mail.mailbox import Mailbox, MailboxTransport
from simulator.portal.account import Account
from simulator.portal.clock import SimulatedClock
from simulator.portal.passwords import HARNESS_HASH_ITERATIONS
from simulator.portal.portal import Portal
from simulator.portal.screens import Screen
from simulator.portal.session import Session
from specs.model import FlowSet, Parameters

__all__ = ["InProcessDriver", "InProcessTarget"]


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

    def open_portal(self) -> Screen:
        return self.portal.open_portal(self.session)

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
        hash_iterations: int = HARNESS_HASH_ITERATIONS,
    ) -> None:
        # Not `mailbox or ...`: an empty Mailbox is falsy (it has __len__).
        self.mailbox = mailbox if mailbox is not None else Mailbox(portal=flow_set.portal)
        self.clock = SimulatedClock()
        self.portal = Portal(
            flow_set,
            MailboxTransport(self.mailbox),
            clock=self.clock,
            parameters=parameters,
            hash_iterations=hash_iterations,
            session_class=session_class,
            account_class=account_class,
        )

    def register(self, producer: Any) -> None:
        self.portal.register_producer(producer)

    def open_browser(self) -> InProcessDriver:
        return InProcessDriver(self.portal)

    def advance_clock(self, minutes: float) -> None:
        self.clock.advance(minutes)
