"""The compiled transition table against the real `transitions` machines, step for step.

The load simulation's hot loop runs on a table compiled from the login and lock-out
flows; the machines built from the same flows are the source of truth. Every login
attempt of every journey `rpp verify` walks, and of at least 10,000 random journeys
(hypothesis), is replayed on both: the transitions fired, the screen, the message,
the lock-out state and the failure count must be the same after every step.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.drivers.in_process import InProcessDriver, InProcessTarget
from simulator.mail.mailbox import Mailbox, MailboxTransport
from simulator.population import Population, Producer
from simulator.portal.account import Account
from simulator.portal.clock import SimulatedClock
from simulator.portal.forms import (
    CONFIRM_NEW_PASSWORD,
    CURRENT_PASSWORD,
    EMAIL,
    NEW_PASSWORD,
    PASSWORD,
    STATE,
    USER_NAME,
)
from simulator.portal.portal import Portal
from simulator.portal.screens import Screen
from simulator.portal.session import Session
from simulator.simulation.table import (
    AUTO_UNLOCK_DUE,
    EVENTS,
    PASSWORD_CHANGED,
    WRONG_CURRENT_PASSWORD,
    CompiledTable,
    TableCompileError,
    compile_table,
)
from simulator.simulation.table import (
    CURRENT_PASSWORD as TYPED_CURRENT,
)
from simulator.simulation.table import (
    TEMPORARY_PASSWORD as TYPED_TEMPORARY,
)
from simulator.simulation.table import (
    WRONG_PASSWORD as TYPED_WRONG,
)
from simulator.verify.model import Probe
from simulator.verify.suite import Exploration, journey_group, outsider_after, variants
from specs.model import FlowSet, Parameters, TransitionSpec

RANDOM_JOURNEYS = 10_000
JOURNEYS_PER_EXAMPLE = 50


class _Lockstep:
    """Checks every Login click on a portal against the compiled table."""

    def __init__(self, flow_set: FlowSet, portal: Portal, table: CompiledTable) -> None:
        self.flow_set = flow_set
        self.portal = portal
        self.table = table
        self.fired: list[TransitionSpec] = []
        portal.on_fired(self.fired.append)
        self.machines = {"login", "lockout"}
        self.compared = 0

    def facts(self, account: Account, password: str) -> int:
        if account.password.matches(password):
            return TYPED_CURRENT
        if account.temporary_matches(password):
            return TYPED_TEMPORARY
        return TYPED_WRONG

    def click_login(self, session: Session, click: Callable[[], Screen]) -> Screen:
        account = self.portal.account_named(session.form.get(USER_NAME, ""))
        if account is None:  # an unknown user name: no account to model
            return self.click_other(click)
        event = self.facts(account, session.form.get(PASSWORD, ""))
        screen = self.step(account, event, click, auto_unlock=True)
        self.compared += 1
        return screen

    def click_update_password(self, session: Session, click: Callable[[], Screen]) -> Screen:
        """Update Password by a signed-in session: the table models a right form (the
        reset completes) and a wrong Current Password; anything else changes no account."""
        account = session.account
        if account is None or session.session_ended() or not session.change_password_fields_given():
            return self.click_other(click)
        if not session.current_password_correct():
            return self.step(account, WRONG_CURRENT_PASSWORD, click)
        if (
            session.new_password_meets_policy()
            and session.new_password_confirmed()
            and session.new_password_differs()
        ):
            return self.step(account, PASSWORD_CHANGED, click)
        return self.click_other(click)

    def step(
        self, account: Account, event: int, click: Callable[[], Screen], auto_unlock: bool = False
    ) -> Screen:
        state = self.table.index(account.state, account.failed_attempts)
        expected: list[str] = []
        if auto_unlock and account.locked and account.auto_unlock_due():
            state, outcome = self.table.step(state, AUTO_UNLOCK_DUE)
            expected += outcome.fired
        state, outcome = self.table.step(state, event)
        expected += outcome.fired
        self.fired.clear()
        screen = click()
        fired = [
            t.name
            for t in self.fired
            if t.machine in self.machines
            or (t.machine, t.trigger) == ("password_reset", "click_update_password")
        ]
        where = f"{EVENTS[event]} on {account!r}"
        assert fired == expected, f"{where}: machines fired {fired}, table {expected}"
        assert (account.state, account.failed_attempts) == (
            self.table.states[state].lockout,
            self.table.states[state].failures,
        ), f"{where}: machines reached {account!r}, table {self.table.states[state]}"
        assert screen.name == outcome.screen, f"{where}: screen {screen.name}"
        shown = () if outcome.shows is None else (self.flow_set.portal.texts[outcome.shows].text,)
        assert screen.messages == shown, f"{where}: messages {screen.messages}"
        return screen

    def click_other(self, click: Callable[[], Screen]) -> Screen:
        """Any other click: no account's lock-out state may change."""
        self.fired.clear()
        screen = click()
        changed = [t.name for t in self.fired if t.machine == "lockout"]
        assert not changed, f"{screen.name}: the lock-out changed outside a login: {changed}"
        return screen


class _ProbeDriver:
    """A browser that hands every click to the lockstep checker."""

    def __init__(self, inner: InProcessDriver, lockstep: _Lockstep) -> None:
        self.inner = inner
        self.lockstep = lockstep

    def screen(self) -> Screen:
        return self.inner.screen()

    def fill(self, field: str, value: str) -> None:
        self.inner.fill(field, value)

    def click(self, label: str) -> Screen:
        if label == "Login":
            return self.lockstep.click_login(self.inner.session, lambda: self.inner.click(label))
        if label == "Update Password":
            return self.lockstep.click_update_password(
                self.inner.session, lambda: self.inner.click(label)
            )
        return self.lockstep.click_other(lambda: self.inner.click(label))

    def open_portal(self) -> Screen:
        return self.lockstep.click_other(self.inner.open_portal)

    def close_browser(self) -> Screen:
        return self.inner.close_browser()


class _ProbeTarget:
    """The target, whose every browser (a second one too) is a probe driver."""

    def __init__(self, inner: InProcessTarget, lockstep: _Lockstep) -> None:
        self.inner = inner
        self.lockstep = lockstep
        self.mailbox = inner.mailbox

    def register(self, producer: Any) -> None:
        self.inner.register(producer)

    def open_browser(self) -> _ProbeDriver:
        return _ProbeDriver(self.inner.open_browser(), self.lockstep)

    def advance_clock(self, minutes: float) -> None:
        self.inner.advance_clock(minutes)


def _with(flow_set: FlowSet, **changes: Any) -> FlowSet:
    parameters = dataclasses.replace(flow_set.portal.parameters, **changes)
    return dataclasses.replace(
        flow_set, portal=dataclasses.replace(flow_set.portal, parameters=parameters)
    )


# -- the table is derived from the flows ---------------------------------------------------


def test_table_states_follow_the_flows_threshold(flow_set: FlowSet) -> None:
    for threshold in (1, 3, 5):
        table = compile_table(
            flow_set, _with(flow_set, lockout_threshold=threshold).portal.parameters
        )
        names = [str(s) for s in table.states]
        unlocked = [f"unlocked/{k}" for k in range(threshold)]
        # a temporary-password sign-in leaves a locked account locked with no failures,
        # and wrong Current Passwords count again up to the threshold
        locked = [f"locked/{k}" for k in range(threshold + 1)]
        assert sorted(names) == sorted(unlocked + locked)
        assert names[: threshold + 1] == [*unlocked, f"locked/{threshold}"]
        assert table.locked.tolist() == [name.startswith("locked") for name in names]


def test_a_flow_the_table_cannot_express_is_refused_with_its_position(flow_set: FlowSet) -> None:
    login = flow_set.flows["login"]
    changed = tuple(
        dataclasses.replace(t, conditions=("state_offered",)) if t.id == "sign_in" else t
        for t in login.transitions
    )
    broken = dataclasses.replace(
        flow_set, flows={**flow_set.flows, "login": dataclasses.replace(login, transitions=changed)}
    )
    with pytest.raises(
        TableCompileError,
        match=r"login\.yaml:\d+:\d+: login\.sign_in uses the guard 'state_offered'",
    ):
        compile_table(broken)


# -- every journey of rpp verify ------------------------------------------------------------


def test_table_agrees_with_the_machines_on_every_verify_journey(
    flow_set: FlowSet, exploration: Exploration
) -> None:
    """The lock-out and auto-unlock parts of `rpp verify`'s suite, where logins matter."""
    journeys = [
        j
        for p in exploration.parts
        if p.part.name in ("lock-out", "auto-unlock")
        for j in p.journeys
    ]
    parameters_of = dict(variants(flow_set))
    population = Population(0, flow_set.portal.parameters)
    start = 0
    compared = 0
    logins = sum(
        1
        for journey in journeys
        for step in journey.steps
        if step.action.startswith("log_in") and "unknown_user_name" not in step.action
    )
    assert len(journeys) >= 20
    for journey in journeys:
        parameters = parameters_of[journey.variant]
        table = compile_table(flow_set, parameters)
        group = journey_group(population, start)
        outsider = outsider_after(population, group)
        start = outsider.index + 1
        target = InProcessTarget(flow_set, parameters)
        lockstep = _Lockstep(flow_set, target.portal, table)
        # The journey as verify runs it (the probe reads the producer's mail for them).
        probe = Probe(_ProbeTarget(target, lockstep), group, outsider, parameters, flow_set)  # type: ignore[arg-type]
        for step in journey.steps:
            probe.step(step.action)
        compared += lockstep.compared
    assert compared == logins > 20


# -- random journeys --------------------------------------------------------------------------

ACTIONS = (
    "log_in",
    "log_in_wrong",
    "log_in_temporary",
    "log_in_temporary_wrong_case",
    "request_reset",
    "change_password",
    "change_password_wrong_current",
    "close_browser",
    "wait_minutes",
    "wait_auto_unlock",
    "wait_temporary_password_lifetime",
    "attacker_guesses",
)


class _QuietPortal(Portal):
    """The portal with its emails kept as fields instead of rendered messages: the
    machines under test are the same, and rendering 10,000s of emails is slow."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.temporary_passwords: dict[str, str] = {}

    def send(self, kind: str, to: str, **fields: str) -> None:
        if kind == "password_reset":
            self.temporary_passwords[to] = fields["temporary_password"]


class _World:
    """One portal (per parameter variant) on which random journeys run, each with a
    fresh producer, checked in lockstep with the compiled table."""

    def __init__(
        self, flow_set: FlowSet, parameters: Parameters, producers: list[Producer]
    ) -> None:
        self.parameters = parameters
        self.clock = SimulatedClock()
        self.portal = _QuietPortal(
            flow_set, MailboxTransport(Mailbox()), self.clock, parameters, hash_iterations=1
        )
        self.lockstep = _Lockstep(flow_set, self.portal, compile_table(flow_set, parameters))
        self.producers = iter(producers)
        self.attacker = self.portal.open_session()
        self.spare: Session | None = None

    def fresh_browser(self, session: Session | None) -> Session:
        """A browser on the login page. One that never signed in and is back on the
        login page is as good as new (its form is cleared after every click)."""
        if session is not None and session.state == "login_page" and session.account is None:
            return session
        if self.spare is not None:
            spare, self.spare = self.spare, None
            return spare
        return self.portal.open_session()

    def journey(self, steps: list[str]) -> None:
        producer = next(self.producers)
        self.portal.register_producer(producer)
        password = producer.password
        session = self.fresh_browser(None)
        for step in steps:
            if step == "close_browser":
                session = self.fresh_browser(session)
                continue
            if step.startswith("wait"):
                minutes = {
                    "wait_minutes": 7,
                    "wait_auto_unlock": self.parameters.auto_unlock_after_minutes or 45,
                    "wait_temporary_password_lifetime": self.parameters.temporary_password_valid_minutes,
                }[step]
                self.clock.advance(minutes)
                continue
            if step == "attacker_guesses":
                self._log_in(self.attacker, producer.user_name, "Guess123")
                continue
            temporary = self.portal.temporary_passwords.get(producer.email)
            if step.startswith("change_password"):
                if session.state not in ("welcome", "edit_profile"):
                    continue
                wrong = step == "change_password_wrong_current"
                new = f"Nw{len(steps)}{producer.index % 10_000:04d}"
                if session.state == "welcome":
                    self.portal.fill(session, STATE, producer.home_state)
                    self.click(session, STATE)
                    self.click(session, "Edit Profile")
                for label, value in (
                    (CURRENT_PASSWORD, "Wrong9999x" if wrong else (temporary or password)),
                    (NEW_PASSWORD, new),
                    (CONFIRM_NEW_PASSWORD, new),
                ):
                    self.portal.fill(session, label, value)
                screen = self.lockstep.click_update_password(
                    session, functools.partial(self.portal.click, session, "Update Password")
                )
                if screen.name == "password_updated":
                    password = new
                if not wrong:
                    session = self.fresh_browser(None)
                continue
            session = self.fresh_browser(session)
            if step == "request_reset":
                self.click(session, "Reset Password?")
                self.portal.fill(session, USER_NAME, producer.user_name)
                self.portal.fill(session, EMAIL, producer.email)
                self.click(session, "Submit")
                self.click(session, "OK")
                continue
            typed = {
                "log_in": password,
                "log_in_wrong": password + "x",
                "log_in_temporary": temporary or "NoTemp123",
                "log_in_temporary_wrong_case": (temporary or "NoTemp123").swapcase(),
            }[step]
            self._log_in(session, producer.user_name, typed)
        if session.state == "login_page" and session.account is None:
            self.spare = session

    def click(self, session: Session, label: str) -> Screen:
        return self.lockstep.click_other(functools.partial(self.portal.click, session, label))

    def _log_in(self, session: Session, user_name: str, password: str) -> None:
        self.portal.fill(session, USER_NAME, user_name)
        self.portal.fill(session, PASSWORD, password)
        self.lockstep.click_login(session, functools.partial(self.portal.click, session, "Login"))


def test_table_agrees_with_the_machines_on_10000_random_journeys(flow_set: FlowSet) -> None:
    variants_under_test = [
        flow_set.portal.parameters,
        _with(flow_set, auto_unlock_after_minutes=30).portal.parameters,
        _with(flow_set, lockout_threshold=1).portal.parameters,
        _with(flow_set, lockout_threshold=5, temporary_password_valid_minutes=20).portal.parameters,
    ]
    population = Population(11, flow_set.portal.parameters)
    next_index = iter(range(10**8))
    journeys_run: list[int] = []
    steps_compared: list[int] = []

    @settings(
        max_examples=RANDOM_JOURNEYS // JOURNEYS_PER_EXAMPLE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        variant=st.sampled_from(range(len(variants_under_test))),
        batch=st.lists(
            st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=8),
            min_size=JOURNEYS_PER_EXAMPLE,
            max_size=JOURNEYS_PER_EXAMPLE,
        ),
    )
    def check(variant: int, batch: list[list[str]]) -> None:
        producers = [population.producer(next(next_index)) for _ in batch]
        world = _World(flow_set, variants_under_test[variant], producers)
        for steps in batch:
            world.journey(steps)
        journeys_run.append(len(batch))
        steps_compared.append(world.lockstep.compared)

    check()
    assert sum(journeys_run) >= RANDOM_JOURNEYS
    assert sum(steps_compared) >= RANDOM_JOURNEYS
