"""The world one scenario runs in: the portal under test, its producers, one browser,
and the mailbox as the producer reads it.

The portal is built from the flows in ``$RPP_FLOWS`` (default: the shipped
``flows/``), one fresh :class:`~simulator.drivers.in_process.InProcessTarget` per scenario. Steps
act only through the :class:`~simulator.drivers.in_process.Target` and
:class:`~simulator.drivers.in_process.Driver` protocols and read mail from the fake mailbox;
the one in-process hook is the listener that records which transitions fire (for
the coverage gate).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import NoReturn

import pytest

from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Driver, Target
from simulator.mail.mailbox import Filed, Mailbox, normalize_address
from simulator.mail.messages import email_kind, temporary_password_in
from simulator.population import Population, Producer
from simulator.portal.forms import AGENT_UNIQUE_ID, EMAIL, PASSWORD, STATE, USER_NAME
from simulator.portal.screens import Screen
from specs import DEFAULT_FLOWS_DIR, FlowSet, load_flows
from specs.model import Cell, Parameters
from tests.bdd.vocabulary import VALUE_PHRASES

__all__ = [
    "FLOWS_ENV",
    "PRODUCER_COLUMNS",
    "WORLD",
    "World",
    "features_flows_dir",
    "load_features_flows",
]

FLOWS_ENV = "RPP_FLOWS"
POPULATION_SEED = 2019  # the Faker identities behind producers a scenario does not spell out
STATE_FARM = "State Farm"

# The columns of a producer table: the portal's own field labels, and State Farm.
PRODUCER_COLUMNS: dict[str, str] = {
    USER_NAME: "user_name",
    PASSWORD: "password",
    AGENT_UNIQUE_ID: "agent_unique_id",
    EMAIL: "email",
    STATE: "home_state",
    STATE_FARM: "state_farm",
}


def features_flows_dir() -> Path:
    """The flows the features run against: ``$RPP_FLOWS`` or the shipped ``flows/``."""
    return Path(os.environ.get(FLOWS_ENV) or DEFAULT_FLOWS_DIR)


@functools.cache
def load_features_flows(directory: str) -> FlowSet:
    """The flows of ``directory``, loaded once per test run."""
    return load_flows([Path(directory)])


class World:
    """One scenario's portal, producers, browser and mail."""

    def __init__(self, flow_set: FlowSet, population: Population) -> None:
        self.flow_set = flow_set
        self.population = population
        self.parameters: Parameters = flow_set.portal.parameters
        self.spam_folder = False  # the producers' mail provider files the portal's mail as spam
        self.fired: list[str] = []  # machine.id of every transition fired, in order
        self.producers: list[Producer] = []
        self.current: Producer | None = None
        self.email: EmailMessage | None = None  # the email the producer is reading
        self.looked_up: tuple[str, Cell] | None = None  # (what, cell) of a directory look-up
        self._target: Target | None = None
        self._browser: Driver | None = None
        self._browsers: list[Driver] = []  # every browser opened, the first one first
        self._read: set[int] = set()  # mailbox sequence numbers already looked at
        self._next_index = 0

    # -- the portal under test -------------------------------------------------------------

    @property
    def target(self) -> Target:
        """The portal under test, built at the first thing a producer does."""
        if self._target is None:
            mailbox = Mailbox(spam_for=(lambda message: True) if self.spam_folder else None)
            target = InProcessTarget(self.flow_set, self.parameters, mailbox=mailbox)
            target.portal.on_fired(lambda spec: self.fired.append(spec.name))
            for producer in self.producers:
                target.register(producer)
            self._target = target
        return self._target

    def before_portal_opens(self, what: str) -> None:
        """Settings of the portal itself must come before anybody uses it."""
        if self._target is not None:
            raise AssertionError(
                f"{what}: the portal is already running; put this Given before the steps"
                " that open a browser or read mail"
            )

    # -- producers ---------------------------------------------------------------------------

    def register(self, fields: Mapping[str, object], current: bool = True) -> Producer:
        """A producer with ``fields`` (Producer attribute names); Faker fills the rest with an
        identity whose email address nobody else has."""
        while len(self.population.email_group(self._next_index)) != 1:
            self._next_index += 1
        made = self.population.producer(self._next_index)
        self._next_index += 1
        producer = dataclasses.replace(made, **fields)  # type: ignore[arg-type]
        taken = {p.user_name.casefold() for p in self.producers}
        if producer.user_name.casefold() in taken:
            raise AssertionError(f"the user name {producer.user_name!r} is registered twice")
        self.producers.append(producer)
        if self._target is not None:
            self._target.register(producer)
        if current or self.current is None:
            self.current = producer
        return producer

    @property
    def producer(self) -> Producer:
        if self.current is None:
            raise AssertionError(
                "no producer yet: start the scenario with 'Given a registered producer'"
            )
        return self.current

    # -- the browser -------------------------------------------------------------------------

    @property
    def browser(self) -> Driver:
        """The producer's browser, opened on the login page when first needed."""
        if self._browser is None:
            self._browser = self.target.open_browser()
            self._browsers.append(self._browser)
        return self._browser

    def open_another_browser(self) -> Screen:
        """A second browser beside the first, on the login page; the producer uses it
        until they return to the first."""
        if not self._browsers:
            _ = self.browser  # the first one exists before the second
        self._browser = self.target.open_browser()
        self._browsers.append(self._browser)
        return self._browser.screen()

    def return_to_first_browser(self) -> Screen:
        if not self._browsers:
            self.fail("no browser was opened yet")
        self._browser = self._browsers[0]
        return self._browser.screen()

    def open_fresh_browser(self) -> Screen:
        if self._browser is None:
            return self.browser.screen()
        return self._browser.close_browser()

    @property
    def screen(self) -> Screen:
        return self.browser.screen()

    def label_for(self, trigger: str) -> str:
        """The button or link of the page now shown that fires ``trigger``, as the flows
        name it (so Given steps need no label of their own)."""
        screen = self.screen
        spec = self.flow_set.portal.screens.get(screen.name)
        for label, fired in spec.clicks.items() if spec is not None else ():
            if fired == trigger:
                return label
        self.fail(f"the page has no button or link that does {trigger}")

    # -- what the producer types -----------------------------------------------------------

    def value(self, phrase: str) -> str:
        """What a value phrase of a step stands for (tests/bdd/vocabulary.py)."""
        if phrase.startswith('"') and phrase.endswith('"') and len(phrase) >= 2:
            return phrase[1:-1]
        if phrase not in VALUE_PHRASES:
            raise AssertionError(f"{phrase!r} is neither a quoted value nor a value phrase")
        if phrase == "nothing":
            return ""
        if phrase.startswith("the") and "temporary password" in phrase:
            which = -1 if not phrase.startswith("the first") else 0
            temporary = self.temporary_passwords()[which]
            for case, change in (
                ("upper case", str.upper),
                ("lower case", str.lower),
                ("swapped case", str.swapcase),
            ):
                if phrase.endswith(case):
                    changed = change(temporary)
                    if changed == temporary:
                        raise AssertionError(
                            f"the temporary password {temporary!r} reads the same in {case}"
                        )
                    return changed
            return temporary
        producer = self.producer
        plain = phrase.removesuffix(" in upper case")
        value = {
            "their user name": producer.user_name,
            "their password": producer.password,
            "their E-mail Address": producer.email,
            "their Agent Unique ID": producer.agent_unique_id,
        }[plain]
        return value.upper() if plain != phrase else value

    def password_changed(self, new_password: str) -> None:
        """The producer now knows ``new_password`` as their password."""
        changed = dataclasses.replace(self.producer, password=new_password)
        self.producers[self.producers.index(self.producer)] = changed
        self.current = changed

    # -- mail --------------------------------------------------------------------------------

    @property
    def mailbox(self) -> Mailbox:
        return self.target.mailbox

    def unread(self, address: str | None = None) -> list[Filed]:
        """Mail filed (for ``address``, or anybody) that no step has looked at yet."""
        return [entry for entry in self.mailbox.filed(address) if entry.sequence not in self._read]

    def mark_read(self, entries: Sequence[Filed]) -> None:
        self._read.update(entry.sequence for entry in entries)

    def temporary_passwords(self) -> list[str]:
        """The temporary passwords of every reset email to the producer, oldest first."""
        address = self.producer.email
        emails = [
            message
            for message in self.mailbox.messages(address)
            if email_kind(message, self.flow_set.portal) == "password_reset"
        ]
        if not emails:
            self.fail(f"no password reset email has reached {normalize_address(address)}")
        return [temporary_password_in(message, self.flow_set.portal) for message in emails]

    # -- reporting ---------------------------------------------------------------------------

    def describe(self) -> str:
        """What the producer saw and what the mailbox holds, for failure messages."""
        parts: list[str] = []
        if self._browser is not None:
            parts.append("The page the producer saw:\n" + _page(self._browser.screen()))
        else:
            parts.append("No browser was opened.")
        if self._target is not None:
            parts.append("The mailbox:\n" + self._target.mailbox.describe(body_lines=4))
        if self.fired:
            parts.append("Transitions fired, last ten: " + ", ".join(self.fired[-10:]))
        return "\n\n".join(parts)

    def fail(self, message: str) -> NoReturn:
        page = _page(self._browser.screen()) if self._browser is not None else "(no browser)"
        raise AssertionError(f"{message}\n\nThe page the producer saw:\n{page}")


def _page(screen: Screen) -> str:
    lines = [screen.describe()]
    if screen.menus:
        lines.append(f"  menus: {', '.join(screen.menus)}")
    if screen.directory:
        lines.append(f"  Producer Services directory ({', '.join(screen.directory_states)}):")
        lines += [
            f"    {row.label}: {' | '.join(n or '?' for n in row.numbers)}"
            for row in screen.directory
        ]
    return "\n".join(lines)


# -- fixtures ---------------------------------------------------------------------------------

WORLD = pytest.StashKey[World]()
"""Each scenario's world, kept on its test item for the coverage gate and failure reports."""


@pytest.fixture(scope="session")
def features_flow_set() -> FlowSet:
    """The flows under test (``$RPP_FLOWS`` or the shipped ones)."""
    return load_features_flows(str(features_flows_dir()))


@pytest.fixture(scope="session")
def population(features_flow_set: FlowSet) -> Population:
    return Population(POPULATION_SEED, features_flow_set.portal.parameters)


@pytest.fixture
def world(
    request: pytest.FixtureRequest, features_flow_set: FlowSet, population: Population
) -> World:
    made = World(features_flow_set, population)
    request.node.stash[WORLD] = made
    return made
