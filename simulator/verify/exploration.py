"""Explore the flows together, breadth-first over the alphabet of producer actions.

The system explored is the reference portal (the flows' machines with the
shipped guards and actions) and one producer with the producers who share their
email address. A concrete state is abstracted to what decides the future (screen,
lock state, failure count, temporary-password state, what the producer knows);
breadth-first search over it yields, for every transition of every machine, a
shortest journey that fires it. With ``max_length`` it also enumerates every
simple journey (no abstract state twice) up to that many steps.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from simulator.drivers.in_process import InProcessDriver, InProcessTarget
from simulator.mail.mailbox import Filed, Mailbox, MailboxTransport
from simulator.mail.messages import email_kind
from simulator.population import Population, Producer
from simulator.portal.forms import normalize_identifier
from simulator.portal.session import Session
from simulator.verify.journeys import (
    UNKNOWN_USER_NAME,
    Journey,
    Knowledge,
    Step,
    action,
    actions_on,
)
from specs.model import FlowSet, Parameters, TransitionSpec

__all__ = ["Exploration", "expected_steps", "explore", "journey_group", "variants"]

EXPLORER_SEED = 0


def variants(flow_set: FlowSet) -> list[tuple[str | None, Parameters]]:
    """The shipped parameters, then each verification variant of portal.yaml."""
    base = flow_set.portal.parameters
    out: list[tuple[str | None, Parameters]] = [(None, base)]
    for variant in flow_set.portal.variants:
        out.append((variant.name, replace(base, **variant.parameters)))  # type: ignore[arg-type]
    return out


def journey_group(population: Population, start: int) -> list[Producer]:
    """The first producers from ``start`` on whose email address is shared (so the
    username email must list several user names): the producer first."""
    index = start
    while True:
        group = population.email_group(index)
        if len(group) >= 2 and group.start == index:
            return [population.producer(i) for i in group]
        index = group.stop if len(group) >= 2 else index + 1


_Saved = tuple[dict[int, dict[str, Any]], dict[str, object], tuple[Filed, ...]]


class _World:
    """A reference target with one producer's browser, and snapshots of both."""

    def __init__(self, flow_set: FlowSet, parameters: Parameters, group: list[Producer]) -> None:
        self.flow_set = flow_set
        self.parameters = parameters
        self.target = InProcessTarget(flow_set, parameters)
        for producer in group:
            self.target.register(producer)
        self.driver = InProcessDriver(self.target.portal)
        self.fired: list[TransitionSpec] = []
        self.target.portal.on_fired(self.fired.append)
        account = self.target.portal.account_named(group[0].user_name)
        assert account is not None
        self.account = account

    def snapshot(self) -> _Saved:
        return (
            self.target.portal.snapshot(),
            self._session_vars(self.driver.session),
            tuple(self.target.mailbox.filed()),
        )

    def restore(self, saved: _Saved) -> None:
        portal_state, session_state, filed = saved
        self.target.portal.restore(portal_state)
        vars(self.driver.session).update(session_state)
        # The mail of this branch only: a fresh mailbox holding what was filed then.
        mailbox = Mailbox(portal=self.flow_set.portal)
        for entry in filed:
            mailbox.deliver(entry.message, entry.folder, recipients=[entry.address])
        self.target.mailbox = mailbox
        self.target.portal.transport = MailboxTransport(mailbox)

    @staticmethod
    def _session_vars(session: Session) -> dict[str, object]:
        return {k: v for k, v in vars(session).items() if k not in ("portal", "machines")}

    def key(self, knowledge: Knowledge) -> Hashable:
        account = self.account
        session = self.driver.session
        portal = self.target.portal
        temporary_known = knowledge.temporary_password is not None and account.temporary_matches(
            knowledge.temporary_password
        )
        unknown = portal.unknown_failures(normalize_identifier(UNKNOWN_USER_NAME))
        return (
            session.state,
            session.account is not None,
            knowledge.signed_in_with == knowledge.temporary_password,
            account.state,
            account.failed_attempts,
            min(unknown, self.parameters.lockout_threshold),
            account.temporary_valid(),
            knowledge.temporary_password is not None,
            temporary_known,
            knowledge.previous_password is not None,
            account.auto_unlock_due(),
        )


@dataclass
class Exploration:
    """Shortest journeys per transition, and what the search saw."""

    journeys: list[Journey]
    reached: set[str]
    states_seen: int
    steps_run: int


def _bfs(
    flow_set: FlowSet, variant: str | None, parameters: Parameters, group: list[Producer]
) -> tuple[dict[str, tuple[str, ...]], int, int]:
    """Transition name (and ``action KEY``) -> a shortest action sequence that fires
    it (that takes it)."""
    world = _World(flow_set, parameters, group)
    start = Knowledge.of(group[0], flow_set.portal)
    seen = {world.key(start)}
    queue: deque[tuple[_Saved, Knowledge, tuple[str, ...]]] = deque([(world.snapshot(), start, ())])
    first: dict[str, tuple[str, ...]] = {}
    steps = 0
    while queue:
        saved, knowledge, path = queue.popleft()
        world.restore(saved)
        for act in actions_on(world.driver.session.state, knowledge, parameters):
            world.restore(saved)
            k = knowledge.copy()
            world.fired.clear()
            act.run(world.driver, world.target, k, parameters)
            steps += 1
            route = (*path, act.key)
            for spec in world.fired:
                first.setdefault(spec.name, route)
            first.setdefault(f"action {act.key}", route)
            key = world.key(k)
            if key not in seen:
                seen.add(key)
                queue.append((world.snapshot(), k, route))
    return first, len(seen), steps


def expected_steps(
    flow_set: FlowSet, parameters: Parameters, group: list[Producer], route: tuple[str, ...]
) -> tuple[Step, ...]:
    """Run ``route`` on a fresh reference portal and record what each step must show."""
    world = _World(flow_set, parameters, group)
    knowledge = Knowledge.of(group[0], flow_set.portal)
    mailbox = world.target.mailbox
    out: list[Step] = []
    for key in route:
        act = action(key)
        world.fired.clear()
        before = len(mailbox)
        screen = act.run(world.driver, world.target, knowledge, parameters)
        session_fired = [t for t in world.fired if flow_set.flows[t.machine].model == "session"]
        messages: tuple[str, ...] = ()
        for t in session_fired:
            if t.shows:
                messages = (t.shows,)
            elif "show_field_errors" in t.after:
                messages = act.expected_errors
        emails = tuple(email_kind(m, flow_set.portal) for m in mailbox.search()[before:])
        out.append(
            Step(
                action=key,
                screen=screen.name,
                messages=messages,
                emails=emails,
                transitions=tuple(t.name for t in world.fired),
            )
        )
    return tuple(out)


def explore(flow_set: FlowSet, max_length: int | None = None) -> Exploration:
    """Shortest journeys firing every reachable transition, per parameter variant
    (a transition already covered by the shipped parameters is not walked again)."""
    population = Population(EXPLORER_SEED, flow_set.portal.parameters)
    group = journey_group(population, 0)
    journeys: list[Journey] = []
    reached: set[str] = set()
    actions_taken: set[str] = set()
    states = steps = 0
    for variant, parameters in variants(flow_set):
        first, seen, run = _bfs(flow_set, variant, parameters, group)
        states += seen
        steps += run
        by_route: dict[tuple[str, ...], list[str]] = {}
        for name, route in first.items():
            if name not in reached and not name.startswith("action "):
                by_route.setdefault(route, []).append(name)
        # Every action of the alphabet is taken at least once, e.g. the wrong-case
        # temporary password, though the transition it fires is covered elsewhere.
        taken = {key for route in by_route for key in route} | actions_taken
        for name, route in first.items():
            key = name.removeprefix("action ")
            if name.startswith("action ") and key not in taken:
                by_route.setdefault(route, []).append(name)
                taken.update(route)
        actions_taken |= taken
        reached.update(n for n in first if not n.startswith("action "))
        for route, names in sorted(by_route.items(), key=lambda item: (len(item[0]), item[0])):
            journeys.append(_journey(flow_set, parameters, group, route, names, variant))
        if max_length is not None:
            for route in _simple_routes(flow_set, parameters, group, max_length):
                journeys.append(_journey(flow_set, parameters, group, route, [], variant))
    return Exploration(journeys, reached, states, steps)


def _journey(
    flow_set: FlowSet,
    parameters: Parameters,
    group: list[Producer],
    route: tuple[str, ...],
    covers: list[str],
    variant: str | None,
) -> Journey:
    steps = expected_steps(flow_set, parameters, group, route)
    fired = [n for s in steps for n in s.transitions]
    guide: list[str] = []
    specs = {t.name: t for t in flow_set.transitions()}
    for name in fired:
        for gid in specs[name].guide:
            if gid not in guide:
                guide.append(gid)
    names = covers or [" > ".join(route)]
    return Journey(tuple(names), steps, variant, tuple(guide))


def _simple_routes(
    flow_set: FlowSet, parameters: Parameters, group: list[Producer], max_length: int
) -> Iterator[tuple[str, ...]]:
    """Every journey of 1..max_length steps that never revisits an abstract state."""
    world = _World(flow_set, parameters, group)
    start = Knowledge.of(group[0], flow_set.portal)

    def walk(
        saved: _Saved,
        knowledge: Knowledge,
        path: tuple[str, ...],
        on_path: frozenset[Hashable],
    ) -> Iterator[tuple[str, ...]]:
        if len(path) >= max_length:
            return
        world.restore(saved)
        for act in actions_on(world.driver.session.state, knowledge, parameters):
            world.restore(saved)
            k = knowledge.copy()
            act.run(world.driver, world.target, k, parameters)
            key = world.key(k)
            if key in on_path:
                continue
            route = (*path, act.key)
            yield route
            yield from walk(world.snapshot(), k, route, on_path | {key})

    yield from walk(world.snapshot(), start, (), frozenset({world.key(start)}))
