"""Fixtures of the served portal's tests: an app on the shipped flows with a fake
mailbox and a simulated clock, and browsers on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette

from simulator.mail.mailbox import Mailbox, MailboxTransport
from simulator.portal.clock import SimulatedClock
from simulator.portal.passwords import HARNESS_HASH_ITERATIONS
from simulator.web.app import create_app, served_portal
from specs import FlowSet
from tests.web.browser import Browser

USER = "jessicacamp"
PASSWORD = "Secret12"
EMAIL = "jessica@example.com"
AGENT_UNIQUE_ID = "123456789"


@pytest.fixture
def mailbox(flow_set: FlowSet) -> Mailbox:
    return Mailbox(portal=flow_set.portal)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def make_app(
    flow_set: FlowSet, mailbox: Mailbox, clock: SimulatedClock
) -> Callable[..., Starlette]:
    def make(**options: Any) -> Starlette:
        options.setdefault("transport", MailboxTransport(mailbox))
        options.setdefault("clock", clock)
        options.setdefault("hash_iterations", HARNESS_HASH_ITERATIONS)
        return create_app(flow_set, **options)

    return make


@pytest.fixture
def app(make_app: Callable[..., Starlette]) -> Starlette:
    """The portal with Jessica's account."""
    app = make_app()
    served_portal(app).portal.register(USER, AGENT_UNIQUE_ID, EMAIL, PASSWORD, "IL")
    return app


@pytest.fixture
def browser(app: Starlette) -> Browser:
    return Browser(app)
