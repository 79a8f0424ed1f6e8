"""A second net beyond the suite's fault domain: long seeded random walks (issue 24).

The suite (:mod:`simulator.verify.suite`) is complete only for portals that differ from
the flows within one part's alphabet and a few extra states. Bugs that show across
parts, after the third lock-out, after days, or for particular producers lie outside
it. A walk is one long journey over the whole alphabet and some longer waits, run in
lockstep on the flows' own portal (the reference) and on the target: each step is
compared as the suite compares it, so the reference is the oracle and nothing is
abstracted away by a model.

- **Deterministic.** Walk ``n`` of seed ``s`` draws everything (its actions, its
  producers, its parameter variant) from ``derive_seed(s, STREAM, n)``; a walk's choices
  depend on nothing outside it, so the walks and their results are the same for any
  number of workers and any order. A time budget only decides how many walks run; the
  report says how many, and a failing walk names its number and seed.
- **Guided.** At each step the walk prefers what it has not done yet: an action never
  taken from the reference's current state (its screen, lock, failures), then one never
  taken at all in the walk; ties are drawn at random. Lock-outs, resets and their
  repetition come from the actions themselves (three wrong passwords lock; every state
  offers a way back to Please Sign-In).
- **Producers from data classes.** Each walk's producer is one of
  :data:`PRODUCER_CLASSES`: as Faker draws them, a user name of digits only, a user
  name in mixed case, an address with ``+`` and an upper-case domain, an Agent Unique
  ID with leading zeros, and the walks cycle through every offered home state. The
  producer always shares the address with a second producer.
- **Long waits.** Beside the alphabet's waits at the lifetimes' edges, a walk may come
  back after an hour, a day or a week (:data:`LONG_WAITS`).
- **Shrunk.** A failing walk is replayed without each of its steps in turn (a step that
  the shorter walk no longer allows is skipped on both portals) and the shortest walk
  that still fails is reported, with the difference it shows.
"""

from __future__ import annotations

import functools
import operator
import random
import re
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Driver, Target, log_in, submit_reset_password
from simulator.population import Population, Producer, derive_seed
from simulator.portal.screens import Screen
from simulator.verify.departures import (
    Departure,
    FirstDifference,
    build_departure,
    format_departure,
)
from simulator.verify.guidance import Course, Coverage, Guidance
from simulator.verify.journeys import (
    ALPHABET,
    WRONG_PASSWORD,
    Action,
    Journey,
    Knowledge,
    Step,
    action,
    come_back_after,
)
from simulator.verify.model import (
    DISABLED,
    ConformanceModel,
    Observation,
    Output,
    Probe,
    state_key,
)
from simulator.verify.secrets_seen import mask
from simulator.verify.suite import journey_group, map_in_processes, outsider_after, variants
from specs.model import FlowSet, Parameters

__all__ = [
    "BROWSER_ACTIONS",
    "LONG_WAITS",
    "NEIGHBOUR_ACTIONS",
    "PRODUCER_CLASSES",
    "STREAM",
    "ModelCoverage",
    "Walk",
    "WalkResult",
    "WalksReport",
    "format_walk_departure",
    "make_walk",
    "run_walk",
    "run_walks",
    "walk_departures",
]

STREAM = 24  # the derive_seed stream of the walks (a number no other stream uses)
STEPS = 60
"""Steps per walk: enough for two or three lock-out and reset cycles."""
SHRINK_REPLAYS = 200
"""At most this many replays to shrink one failing walk."""


def _fixed(minutes: float) -> Callable[[Parameters], float]:
    return lambda parameters: minutes


_ANYWHERE = tuple(sorted({screen for a in ALPHABET for screen in a.screens}))

LONG_WAITS: tuple[Action, ...] = tuple(
    Action(
        f"come_back_after_{name}",
        f"close the browser and come back after {name}",
        _ANYWHERE,
        come_back_after(_fixed(minutes)),
        source="walks: time far past the lifetimes' edges",
    )
    for name, minutes in (("an hour", 60.0), ("a day", 24 * 60.0), ("a week", 7 * 24 * 60.0))
)


def _has_neighbour(k: Knowledge, p: Parameters) -> bool:
    return len(k.group) > 1


def _as_neighbour(password: Callable[[Producer], str], reset: bool = False) -> Any:
    """In a second browser, the producer who shares the address (the group's second)
    signs in with ``password``, or asks for a temporary password by name and address."""

    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        other, neighbour = target.open_browser(), k.group[1]
        if reset:
            other.click("Reset Password?")
            return submit_reset_password(other, neighbour.user_name, neighbour.email)
        return log_in(other, neighbour.user_name, password(neighbour))

    return run


_ELSEWHERE = action("log_in_wrong_password_in_another_browser").screens

NEIGHBOUR_ACTIONS: tuple[Action, ...] = tuple(
    Action(key, description, _ELSEWHERE, run, _has_neighbour, True, "walks: shared address")
    for key, description, run in (
        (
            "log_in_as_neighbour_in_another_browser",
            "in a second browser, the producer sharing the address logs in",
            _as_neighbour(lambda n: n.password),
        ),
        (
            "log_in_wrong_password_as_neighbour_in_another_browser",
            "in a second browser, the producer sharing the address types a wrong password",
            _as_neighbour(lambda n: WRONG_PASSWORD),
        ),
        (
            "reset_password_as_neighbour_in_another_browser",
            "in a second browser, the producer sharing the address asks for a reset",
            _as_neighbour(lambda n: "", reset=True),
        ),
    )
)
"""Another producer at the same address acts: state shared between producers shows."""

BROWSERS = 3
"""Browsers a walk keeps open at most: a change in one must show in the others."""


def _switch(n: int) -> Action:
    # Run by the lockstep itself (a probe has one browser); never through Action.run.
    return Action(
        f"switch_to_browser_{n}",
        f"go to open browser {n}",
        _ANYWHERE,
        lambda driver, target, k, p: driver.screen(),
        source="walks: several browsers open",
    )


OPEN_ANOTHER = Action(
    "open_another_browser",
    "open the portal in one more browser (the others stay open)",
    _ANYWHERE,
    lambda driver, target, k, p: driver.screen(),
    source="walks: several browsers open",
)
BROWSER_ACTIONS: tuple[Action, ...] = (OPEN_ANOTHER, *(_switch(n) for n in range(1, BROWSERS + 1)))

WALK_ACTIONS: tuple[Action, ...] = (*ALPHABET, *LONG_WAITS, *NEIGHBOUR_ACTIONS, *BROWSER_ACTIONS)


def _as_drawn(producers: list[Producer], n: int) -> list[Producer]:
    return producers


def _digits_only(producers: list[Producer], n: int) -> list[Producer]:
    return [replace(p, user_name=f"7{p.agent_unique_id}{p.index % 10}") for p in producers]


def _mixed_case(producers: list[Producer], n: int) -> list[Producer]:
    return [
        replace(p, user_name="".join(c.upper() if i % 2 else c for i, c in enumerate(p.user_name)))
        for p in producers
    ]


def _plus_and_upper_domain(producers: list[Producer], n: int) -> list[Producer]:
    local, _, domain = producers[0].email.partition("@")
    shared = f"{local}+rpp{n}@{domain.upper()}"
    return [replace(p, email=shared) for p in producers]


def _leading_zeros(producers: list[Producer], n: int) -> list[Producer]:
    return [replace(p, agent_unique_id="00" + p.agent_unique_id[2:]) for p in producers]


PRODUCER_CLASSES: tuple[tuple[str, Callable[[list[Producer], int], list[Producer]]], ...] = (
    ("as drawn", _as_drawn),
    ("a user name of digits only", _digits_only),
    ("a user name in mixed case", _mixed_case),
    ("an address with + and an upper-case domain", _plus_and_upper_domain),
    ("an Agent Unique ID with leading zeros", _leading_zeros),
)


@dataclass(frozen=True)
class Walk:
    """Walk ``number`` of ``seed``: its producers, parameter variant and data class."""

    number: int
    seed: int
    variant: str | None
    producer_class: str
    group: tuple[Producer, ...]
    outsider: Producer


@dataclass(frozen=True)
class WalkResult:
    walk: Walk
    steps: tuple[str, ...]  # the actions the walk took (the shrunk ones when it failed)
    failure: str | None  # None: the target did as the flows at every step
    taken: int  # steps taken before the failure (or in all)
    # The shrunk walk as a journey (its steps, what the flows fired and showed at each),
    # where it first parted from the flows, and where it stood then: its departure.
    journey: Journey = field(default_factory=lambda: Journey((), ()), compare=False)
    first: FirstDifference | None = field(default=None, compare=False)
    state: str = field(default="", compare=False)
    # What of the composed model the walk covered (None: its variant has no model).
    coverage: Coverage | None = None

    @property
    def producer(self) -> str:
        return self.walk.group[0].user_name

    @property
    def replay(self) -> str:
        """The command that runs this walk again, exactly."""
        return f"rpp verify --seed {self.walk.seed} --walks {self.walk.number} --budget 0"

    def as_dict(self) -> dict[str, object]:
        return {
            "walk": self.walk.number,
            "seed": self.walk.seed,
            "variant": self.walk.variant,
            "producer_class": self.walk.producer_class,
            "producer": self.walk.group[0].user_name,
            "passed": self.failure is None,
            "steps": list(self.steps),
            "failure": self.failure,
            "from_state": self.state,
            "first": None if self.first is None else self.first.as_dict(),
            "replay": self.replay,
        }


@dataclass(frozen=True)
class ModelCoverage:
    """What the walks covered of the composed model's enabled transitions and pairs."""

    part: str
    variant: str | None
    transitions: int
    pairs: int
    covered: Coverage
    walks: int  # the walks of the model's variant: those that count

    def as_dict(self) -> dict[str, object]:
        return {
            "part": self.part,
            "variant": self.variant,
            "walks": self.walks,
            "transitions": self.transitions,
            "covered_transitions": len(self.covered.transitions),
            "pairs": self.pairs,
            "covered_pairs": len(self.covered.pairs),
            "divergences": self.covered.divergences,
        }

    def __str__(self) -> str:
        walks = f"{self.walks} walk{'s' if self.walks != 1 else ''}"
        variant = "the shipped parameters" if self.variant is None else f"variant {self.variant}"
        d = self.covered.divergences
        return (
            f"the {walks} of {variant} covered {len(self.covered.transitions):,}/"
            f"{self.transitions:,} transitions and {len(self.covered.pairs):,}/{self.pairs:,}"
            f" pairs of the {'-'.join(self.part.split())} model"
            + (f" ({d} step{'s' if d != 1 else ''} ended where it did not predict)" if d else "")
        )


@dataclass(frozen=True)
class WalksReport:
    results: tuple[WalkResult, ...]
    asked: int  # walks asked for
    budget_spent: bool  # the time budget ended the run before every walk ran
    model: ModelCoverage | None = None  # None: the walks had no model to head by

    @property
    def failed(self) -> list[WalkResult]:
        return [r for r in self.results if r.failure is not None]

    def as_dict(self) -> dict[str, object]:
        return {
            "asked": self.asked,
            "run": len(self.results),
            "budget_spent": self.budget_spent,
            "steps": sum(r.taken for r in self.results),
            "model": None if self.model is None else self.model.as_dict(),
            "failed": [r.as_dict() for r in self.failed],
        }


Compare = Callable[[Observation, Output], None]
"""Raises (any exception, its text the difference) when the target's output differs."""


def make_walk(flow_set: FlowSet, seed: int, number: int) -> Walk:
    """Walk ``number`` of ``seed``: its variant, producers and data class, drawn afresh."""
    rng = random.Random(derive_seed(seed, STREAM, number))
    known = variants(flow_set)
    variant, parameters = known[number % len(known)]
    population = Population(derive_seed(seed, STREAM, number, 1), parameters)
    start = rng.randrange(0, 10_000)
    group = journey_group(population, start)
    outsider = outsider_after(population, group)
    name, change = PRODUCER_CLASSES[number % len(PRODUCER_CLASSES)]
    states = parameters.states
    home = states[(number // len(PRODUCER_CLASSES)) % len(states)]
    group = [
        replace(p, home_state=home) if i == 0 else p for i, p in enumerate(change(group, number))
    ]
    return Walk(number, seed, variant, name, tuple(group), outsider)


def _parameters(flow_set: FlowSet, walk: Walk) -> Parameters:
    return dict(variants(flow_set))[walk.variant]


@dataclass
class _Browser:
    """One open browser of a portal, and what the producer knows of its session."""

    driver: Driver
    screen: Screen
    signed_in_with: str | None = None
    signed_in_before_change: bool = False


class _Browsers:
    """One portal's open browsers: its probe drives the active one."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.open = [_Browser(probe.driver, probe.screen)]
        self.active = 0

    def go(self, act: Action) -> Observation:
        """Open one more browser, or go to an open one: the screen it shows now."""
        k, probe = self.probe.knowledge, self.probe
        self.open[self.active] = _Browser(
            probe.driver, probe.screen, k.signed_in_with, k.signed_in_before_change
        )
        if act is OPEN_ANOTHER:
            driver = probe.target.open_browser()
            self.open.append(_Browser(driver, driver.screen()))
            self.active = len(self.open) - 1
        else:
            self.active = int(act.key.rsplit("_", 1)[1]) - 1
        browser = self.open[self.active]
        probe.driver = browser.driver
        probe.screen = browser.driver.screen()
        k.signed_in_with = browser.signed_in_with
        k.signed_in_before_change = browser.signed_in_before_change
        return Observation(probe.screen)


class _Lockstep:
    """The reference and the target, one probe each, stepped together."""

    def __init__(self, flow_set: FlowSet, walk: Walk, target: Target) -> None:
        parameters = self.parameters = _parameters(flow_set, walk)
        self.reference = InProcessTarget(flow_set, parameters, hash_iterations=1)
        self.fired: list[str] = []
        self.reference.portal.on_fired(lambda t: self.fired.append(t.name))
        self.want = Probe(self.reference, walk.group, walk.outsider, parameters, flow_set)
        self.got = Probe(target, walk.group, walk.outsider, parameters, flow_set)
        self.wants, self.gots = _Browsers(self.want), _Browsers(self.got)
        self.target = target
        self.user_name = walk.group[0].user_name
        self.shown: Output | None = None  # what the flows showed and sent at the last step

    def enabled(self, act: Action) -> bool:
        """Whether the walk can take ``act`` now (as the flows' portal stands)."""
        if act is OPEN_ANOTHER:
            return len(self.wants.open) < BROWSERS
        if act in BROWSER_ACTIONS:
            n = int(act.key.rsplit("_", 1)[1]) - 1
            return n < len(self.wants.open) and n != self.wants.active
        return self.want.enabled(act)

    def step(self, act: Action) -> tuple[Output, Output]:
        """``act`` on both portals: what the flows show and send, what the target does."""
        self.fired.clear()
        if act in BROWSER_ACTIONS:
            self.shown = self.wants.go(act)
            return self.shown, self.gots.go(act)
        want = self.shown = self.want.step(act)
        assert isinstance(want, Observation)
        # A served portal may send its mail after its page: wait for as many as the flows send.
        got = self.got.step(act, expect=len(want.emails)) if self.got.enabled(act) else DISABLED
        return want, got

    def account(self) -> tuple[object, ...]:
        """What a change elsewhere is: the password changed, the account (un)locked."""
        view = self.reference.portal.view(self.user_name)
        return () if view is None else (view.password_changes, view.lockout_state)

    def others(self) -> list[int]:
        """The open browsers other than the active one, numbered from 1."""
        return [n + 1 for n in range(len(self.wants.open)) if n != self.wants.active]

    def state(self) -> tuple[object, ...]:
        """Where the walk is, as the guidance tells states apart: the screen, the lock
        and failures, and how many cycles have passed (temporary passwords emailed,
        password changes, up to three each), so a second and third cycle count as new;
        and how many browsers are open."""
        view = self.reference.portal.view(self.user_name)
        lock = None if view is None else (view.lockout_state, view.failed_attempts)
        changes = 0 if view is None else min(view.password_changes, 3)
        emailed = min(len(self.want.knowledge.temporary_passwords), 3)
        browsers = (len(self.wants.open), self.wants.active)
        return (self.want.screen.name, lock, emailed, changes, browsers)

    def key(self) -> Hashable:
        """The conformance model's key of the reference's state (its active browser's)."""
        return state_key(self.reference, self.want, self.parameters)

    def describe(self) -> str:
        """Where the walk stands, as a person reads it."""
        view = self.reference.portal.view(self.user_name)
        parts = [f"on {self.want.screen.title or self.want.screen.name}"]
        if view is not None:
            failures = view.failed_attempts
            parts.append(
                ("locked" if view.locked else "not locked")
                + f", {failures} consecutive failure{'s' if failures != 1 else ''}"
            )
            if view.password_changes:
                parts.append(f"the password changed {view.password_changes} time(s)")
        emailed = len(self.want.knowledge.temporary_passwords)
        if emailed:
            parts.append(f"{emailed} temporary password(s) emailed")
        if len(self.wants.open) > 1:
            parts.append(f"in browser {self.wants.active + 1} of {len(self.wants.open)} open")
        return "; ".join(parts)

    def hide(self, text: str) -> str:
        """``text`` with every password either side has seen hidden."""
        return mask(text, self.want.secrets | self.got.secrets)

    def close(self) -> None:
        close = getattr(self.target, "close", None)
        if callable(close):
            close()


def _choose(
    rng: random.Random,
    enabled: Sequence[Action],
    state: tuple[object, ...],
    tried: set[tuple[tuple[object, ...], str]],
    taken: set[str],
) -> Action:
    """Something new from this state first, then something new in the walk, then any."""
    for fresh in (
        [a for a in enabled if (state, a.key) not in tried],
        [a for a in enabled if a.key not in taken],
        list(enabled),
    ):
        if fresh:
            return fresh[rng.randrange(len(fresh))]
    raise AssertionError("no action enabled")  # every screen offers one


class _Guide:
    """The walk's next action: after a change of the account (a password changed, a
    lock or unlock) each other open browser in turn takes its next step, so that its
    screen is compared with the flows'; else, where the reference is in a state of the
    composed model (``course``), a step toward the walk's share of its transitions and
    pairs not yet covered; else (outside the model, or the share covered) what the walk
    has not done yet."""

    def __init__(
        self, walk: Walk, steps: int, course: Course | None = None, steer: bool = True
    ) -> None:
        self.rng = random.Random(derive_seed(walk.seed, STREAM, walk.number, 2))
        self.tried: set[tuple[tuple[object, ...], str]] = set()
        self.taken: list[str] = []
        self.left = steps
        self.pending: list[str | None] = []  # a browser to go to, or None: any next step
        self.account: tuple[object, ...] | None = None
        self.course = course
        self.steer = steer and course is not None

    def __call__(self, lockstep: _Lockstep) -> Action | None:
        if self.course is not None:
            took = self.taken[-1] if self.taken else None
            self.course.arrive(lockstep.key(), took, lockstep.shown)
        account = lockstep.account()
        if self.account is not None and account != self.account and not self.pending:
            back = lockstep.wants.active + 1
            visits = [x for n in lockstep.others() for x in (f"switch_to_browser_{n}", None)]
            self.pending = [*visits, f"switch_to_browser_{back}"] if visits else []
        self.account = account
        if self.left <= 0:
            return None
        self.left -= 1
        enabled = [a for a in WALK_ACTIONS if lockstep.enabled(a)]
        state = lockstep.state()
        act: Action | None = None
        while self.pending and act is None:
            key = self.pending.pop(0)
            if key is None:  # the visited browser's own next step
                act = _choose(self.rng, [a for a in enabled if a not in BROWSER_ACTIONS],
                              state, self.tried, set(self.taken))  # fmt: skip
            elif lockstep.enabled(_BY_KEY[key]):
                act = _BY_KEY[key]
        if act is None and self.steer:
            assert self.course is not None
            key = self.course.heading(lambda k: lockstep.enabled(_BY_KEY[k]))
            act = None if key is None else _BY_KEY[key]
        if act is None:
            act = _choose(self.rng, enabled, state, self.tried, set(self.taken))
        self.tried.add((state, act.key))
        self.taken.append(act.key)
        return act


_BY_KEY = {a.key: a for a in WALK_ACTIONS}


def _replaying(steps: Sequence[str]) -> Callable[[_Lockstep], Action | None]:
    """The next of ``steps`` the walk allows then (the others are skipped)."""
    left = iter(steps)

    def next_action(lockstep: _Lockstep) -> Action | None:
        for key in left:
            if lockstep.enabled(_BY_KEY[key]):
                return _BY_KEY[key]
        return None

    return next_action


@dataclass
class _Trace:
    """What one run of a walk did: its steps, what the flows fired and showed at each,
    and where it first parted from them."""

    keys: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    expected: list[Observation] = field(default_factory=list)
    failure: str | None = None
    first: FirstDifference | None = None
    state: str = ""


def _run(
    flow_set: FlowSet,
    walk: Walk,
    make_target: Callable[[Parameters], Target],
    compare: Compare,
    next_action: Callable[[_Lockstep], Action | None],
) -> _Trace:
    trace = _Trace()
    lockstep = _Lockstep(flow_set, walk, make_target(_parameters(flow_set, walk)))
    try:
        start = Observation(lockstep.got.screen)
        said = _difference(lockstep, compare, Observation(lockstep.want.screen), start)
        if said is not None:
            trace.failure = f"step 0 (open the portal): {said}"
            trace.first = FirstDifference(0, said, lockstep.got.screen.title)
            trace.state = "the portal just opened"
            return trace
        while (act := next_action(lockstep)) is not None:
            state = lockstep.describe()
            want, got = lockstep.step(act)
            assert isinstance(want, Observation)
            trace.keys.append(act.key)
            trace.expected.append(want)
            trace.steps.append(
                Step(act.key, want.screen.name, want.screen.messages, (), tuple(lockstep.fired))
            )
            if got == DISABLED:
                said = f"the producer cannot {act.description} on {lockstep.got.screen.name}"
            else:
                said = _difference(lockstep, compare, want, got)
            if said is not None:
                trace.failure = f"step {len(trace.keys)} ({act.description}): {said}"
                seen = got if isinstance(got, Observation) else None
                trace.first = FirstDifference(
                    len(trace.keys),
                    said,
                    seen.screen.title if seen else "",
                    seen.screen.messages if seen else (),
                    tuple(e.subject for e in seen.emails) if seen else (),
                )
                trace.state = state
                return trace
    except Exception as error:  # a broken portal may raise: that is a finding too
        said = lockstep.hide(f"the portal raised {error!r}")
        trace.failure = f"step {len(trace.keys)}: {said}"
        trace.first = FirstDifference(len(trace.keys), said)
        trace.state = lockstep.describe()
    finally:
        lockstep.close()
    return trace


def _difference(
    lockstep: _Lockstep, compare: Compare, want: Observation, got: Output
) -> str | None:
    """What ``compare`` says differs, every password either side has seen hidden."""
    try:
        compare(want, got)
    except Exception as difference:
        return lockstep.hide(str(difference))
    return None


def run_walk(
    flow_set: FlowSet,
    walk: Walk,
    make_target: Callable[[Parameters], Target],
    compare: Compare,
    steps: int = STEPS,
    guidance: Guidance | None = None,
    steer: bool = True,
) -> WalkResult:
    """One walk of ``steps`` steps; a failing one shrunk to its shortest failing form.
    With ``guidance`` of the walk's variant, the walk heads for its share of the model's
    transitions and pairs (unless not ``steer``: then it only counts what it covered)."""
    course = None
    if guidance is not None and guidance.variant == walk.variant:
        index = walk.number // len(variants(flow_set))  # the walks of one variant in turn
        course = Course(guidance, guidance.share(derive_seed(walk.seed, STREAM, 0, 3), index))
    guide = _Guide(walk, steps, course, steer)
    trace = _run(flow_set, walk, make_target, compare, guide)
    coverage = None if course is None else course.coverage()
    if trace.failure is None:
        return WalkResult(walk, tuple(trace.keys), None, len(trace.keys), coverage=coverage)
    shrunk = _shrink(flow_set, walk, make_target, compare, trace)
    journey = Journey(
        (),
        tuple(shrunk.steps),
        walk.variant,
        number=walk.number,
        part=f"random walk {walk.number} of seed {walk.seed}, {walk.producer_class}",
        expected=tuple(shrunk.expected),
    )
    return WalkResult(
        walk, tuple(shrunk.keys), shrunk.failure, len(trace.keys), journey, shrunk.first,
        shrunk.state, coverage,
    )  # fmt: skip


def _shrink(
    flow_set: FlowSet,
    walk: Walk,
    make_target: Callable[[Parameters], Target],
    compare: Compare,
    failed: _Trace,
) -> _Trace:
    """The shortest form of the failed walk that still fails, found by dropping chunks
    of steps, halving the chunk each round (delta debugging), within SHRINK_REPLAYS."""

    def replay(steps: Sequence[str]) -> _Trace:
        return _run(flow_set, walk, make_target, compare, _replaying(steps))

    best = replay(failed.keys)
    if best.failure is None:  # not reproducible: keep the walk as it ran
        said = "(did not fail again when replayed: the portal is not deterministic)"
        return replace(failed, failure=f"{failed.failure} {said}")
    replays = 1
    chunk = max(1, len(best.keys) // 2)
    while chunk >= 1 and replays < SHRINK_REPLAYS:
        start = 0
        while start < len(best.keys) and replays < SHRINK_REPLAYS:
            shorter = replay(best.keys[:start] + best.keys[start + chunk :])
            replays += 1
            if shorter.failure is not None:
                best = shorter
            else:
                start += chunk
        chunk //= 2
    return best


def run_walks(
    flow_set: FlowSet,
    seed: int,
    make_target: Callable[[Parameters], Target],
    compare: Compare,
    walks: int,
    budget: float | None = None,
    steps: int = STEPS,
    workers: int = 1,
    model: tuple[str, ConformanceModel] | None = None,
    steer: bool = True,
) -> WalksReport:
    """Walks 1 to ``walks`` of ``seed``, in ``workers`` processes, none started after
    ``budget`` seconds; the results in walk order (the same for any ``workers`` when the
    budget is not spent). ``model``: a part's name and composed model; the walks of its
    variant head for their shares of its transitions and pairs (only count what they
    covered unless ``steer``), and the report says how much of it they covered."""
    deadline = None if budget is None else time.monotonic() + budget
    guidance = None if model is None else Guidance(model[1])
    _RUN.clear()
    _RUN.update(flow_set=flow_set, seed=seed, maker=make_target, compare=compare, steps=steps)
    _RUN.update(guidance=guidance, steer=steer)
    size = max(1, -(-walks // (4 * max(1, workers))))
    chunks = [(n, min(n + size, walks + 1), deadline) for n in range(1, walks + 1, size)]
    try:
        done = [r for chunk in map_in_processes(_run_chunk, chunks, workers) for r in chunk]
    finally:
        _RUN.clear()
    covered = None
    if model is not None and guidance is not None:
        counted = [r.coverage for r in done if r.coverage is not None]
        covered = ModelCoverage(
            model[0],
            guidance.variant,
            len(guidance.transitions),
            len(guidance.pairs),
            functools.reduce(operator.or_, counted, Coverage()),
            len(counted),
        )
    return WalksReport(tuple(done), walks, len(done) < walks, covered)


# What the walks of one run share; set before the worker processes fork.
_RUN: dict[str, Any] = {}


def _run_chunk(bounds: tuple[int, int, float | None]) -> list[WalkResult]:
    first, stop, deadline = bounds
    out: list[WalkResult] = []
    for number in range(first, stop):
        if deadline is not None and time.monotonic() >= deadline:
            break
        walk = make_walk(_RUN["flow_set"], _RUN["seed"], number)
        run = functools.partial(run_walk, _RUN["flow_set"], walk, _RUN["maker"], _RUN["compare"])
        out.append(run(_RUN["steps"], _RUN["guidance"], _RUN["steer"]))
    return out


_STEP = re.compile(r"^step \d+( \(.*?\))?: ")


def walk_departures(
    results: Sequence[WalkResult], flow_set: FlowSet
) -> list[tuple[Departure, list[WalkResult]]]:
    """The failed walks as departures (issue 23's form), shortest witness first. Walks
    are one departure when the flows expect the same at their first differing step and
    the target gave the same instead, whatever action and step showed it."""
    groups: dict[tuple[object, ...], list[WalkResult]] = {}
    for r in results:
        if r.first is None:
            continue
        want = r.journey.expected[r.first.step - 1] if r.first.step else None
        expected = (
            (want.screen.name, want.screen.messages, tuple(e.subject for e in want.emails))
            if isinstance(want, Observation)
            else ()
        )
        line = _STEP.sub("", (r.failure or "").splitlines()[0], count=1)
        first = r.first
        key = (*expected, first.got_screen, first.got_messages, first.got_emails, line)
        groups.setdefault(key, []).append(r)
    out = [(_departure(members, flow_set), members) for members in groups.values()]
    return sorted(out, key=lambda d: (d[0].first.step, d[0].witness.number))


def _departure(members: Sequence[WalkResult], flow_set: FlowSet) -> Departure:
    r = min(members, key=lambda m: (len(m.steps), m.walk.number))
    assert r.first is not None
    steps = [m.journey.steps[m.first.step - 1] for m in members if m.first and m.first.step]
    return build_departure(
        r.journey, r.first, steps, flow_set, r.producer, r.state, len(members),
        len({m.state for m in members}), (r.journey.part,), _BY_KEY.__getitem__,
    )  # fmt: skip


def format_walk_departure(
    number: int,
    departure: Departure,
    members: Sequence[WalkResult],
    expected: str = "the flows",
    got: str = "the portal",
) -> str:
    """A walk departure as `rpp verify` prints it: issue 23's form, counted in walks,
    with the shrunk witness walk and the command that replays it."""
    lines = format_departure(number, departure, expected, got).splitlines()
    walks = f"{len(members)} walk{'s' if len(members) != 1 else ''}"
    lines[0] = f"WALK DEPARTURE {number}: {departure.description} ({walks})"
    witness = min(members, key=lambda m: (len(m.steps), m.walk.number))
    lines.append(f"  replay: {witness.replay}")
    return "\n".join(lines)
