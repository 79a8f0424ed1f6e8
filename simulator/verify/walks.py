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

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Target
from simulator.population import Population, Producer, derive_seed
from simulator.verify.journeys import ALPHABET, Action, come_back_after
from simulator.verify.model import DISABLED, Observation, Output, Probe
from simulator.verify.secrets_seen import mask
from simulator.verify.suite import journey_group, map_in_processes, outsider_after, variants
from specs.model import FlowSet, Parameters

__all__ = [
    "LONG_WAITS",
    "PRODUCER_CLASSES",
    "STREAM",
    "Walk",
    "WalkResult",
    "WalksReport",
    "run_walks",
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

WALK_ACTIONS: tuple[Action, ...] = (*ALPHABET, *LONG_WAITS)


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
        }


@dataclass(frozen=True)
class WalksReport:
    results: tuple[WalkResult, ...]
    asked: int  # walks asked for
    budget_spent: bool  # the time budget ended the run before every walk ran

    @property
    def failed(self) -> list[WalkResult]:
        return [r for r in self.results if r.failure is not None]

    def as_dict(self) -> dict[str, object]:
        return {
            "asked": self.asked,
            "run": len(self.results),
            "budget_spent": self.budget_spent,
            "steps": sum(r.taken for r in self.results),
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


class _Lockstep:
    """The reference and the target, one probe each, stepped together."""

    def __init__(self, flow_set: FlowSet, walk: Walk, target: Target) -> None:
        parameters = _parameters(flow_set, walk)
        self.reference = InProcessTarget(flow_set, parameters, hash_iterations=1)
        self.fired: set[str] = set()
        self.reference.portal.on_fired(lambda t: self.fired.add(t.name))
        self.want = Probe(self.reference, walk.group, walk.outsider, parameters, flow_set)
        self.got = Probe(target, walk.group, walk.outsider, parameters, flow_set)
        self.target = target
        self.user_name = walk.group[0].user_name

    def state(self) -> tuple[object, ...]:
        """Where the walk is, as the guidance tells states apart: the screen, the lock
        and failures, and how many cycles have passed (temporary passwords emailed,
        password changes, up to three each), so a second and third cycle count as new."""
        view = self.reference.portal.view(self.user_name)
        lock = None if view is None else (view.lockout_state, view.failed_attempts)
        changes = 0 if view is None else min(view.password_changes, 3)
        emailed = min(len(self.want.knowledge.temporary_passwords), 3)
        return (self.want.screen.name, lock, emailed, changes)

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


def _replay(
    flow_set: FlowSet,
    walk: Walk,
    make_target: Callable[[Parameters], Target],
    compare: Compare,
    steps: Sequence[str],
) -> tuple[str | None, int]:
    """Run ``steps`` in lockstep, skipping those the reference does not allow then; the
    failure (None: none) and the number of steps taken."""
    by_key = {a.key: a for a in WALK_ACTIONS}
    lockstep = _Lockstep(flow_set, walk, make_target(_parameters(flow_set, walk)))
    taken = 0
    try:
        compare(Observation(lockstep.want.screen), Observation(lockstep.got.screen))
        for key in steps:
            act = by_key[key]
            if not lockstep.want.enabled(act):
                continue
            taken += 1
            failure = _step(lockstep, act, compare)
            if failure is not None:
                return f"step {taken} ({act.description}): {failure}", taken
    except Exception as error:  # a broken portal may raise: that is a finding too
        return lockstep.hide(f"step {taken}: the portal raised {error!r}"), taken
    finally:
        lockstep.close()
    return None, taken


def _step(lockstep: _Lockstep, act: Action, compare: Compare) -> str | None:
    want = lockstep.want.step(act)
    assert isinstance(want, Observation)
    # A served portal may send its mail after its page: wait for as many as the flows send.
    expect = len(want.emails)
    got = lockstep.got.step(act, expect=expect) if lockstep.got.enabled(act) else DISABLED
    if got == DISABLED:
        return f"the producer cannot {act.description} on {lockstep.got.screen.name}"
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
) -> WalkResult:
    """One walk of ``steps`` steps; a failing one shrunk to its shortest failing form."""
    rng = random.Random(derive_seed(walk.seed, STREAM, walk.number, 2))
    lockstep = _Lockstep(flow_set, walk, make_target(_parameters(flow_set, walk)))
    tried: set[tuple[tuple[object, ...], str]] = set()
    taken: list[str] = []
    failure: str | None = None
    try:
        compare(Observation(lockstep.want.screen), Observation(lockstep.got.screen))
        for _ in range(steps):
            enabled = [a for a in WALK_ACTIONS if lockstep.want.enabled(a)]
            state = lockstep.state()
            act = _choose(rng, enabled, state, tried, set(taken))
            tried.add((state, act.key))
            taken.append(act.key)
            failure = _step(lockstep, act, compare)
            if failure is not None:
                break
    except Exception as error:  # a broken portal may raise: that is a finding too
        failure = lockstep.hide(f"the portal raised {error!r}")
    finally:
        lockstep.close()
    if failure is None:
        return WalkResult(walk, tuple(taken), None, len(taken))
    shrunk, said = _shrink(flow_set, walk, make_target, compare, tuple(taken))
    return WalkResult(walk, shrunk, said, len(taken))


def _shrink(
    flow_set: FlowSet,
    walk: Walk,
    make_target: Callable[[Parameters], Target],
    compare: Compare,
    steps: tuple[str, ...],
) -> tuple[tuple[str, ...], str]:
    """The shortest form of ``steps`` that still fails, found by dropping chunks of
    steps, halving the chunk each round (delta debugging), within SHRINK_REPLAYS."""
    failure, _ = _replay(flow_set, walk, make_target, compare, steps)
    if failure is None:  # not reproducible: keep the walk as it ran
        return steps, "(did not fail again when replayed: the portal is not deterministic)"
    replays = 1
    chunk = max(1, len(steps) // 2)
    while chunk >= 1 and replays < SHRINK_REPLAYS:
        start = 0
        while start < len(steps) and replays < SHRINK_REPLAYS:
            shorter = steps[:start] + steps[start + chunk :]
            said, _ = _replay(flow_set, walk, make_target, compare, shorter)
            replays += 1
            if said is not None:
                steps, failure = shorter, said
            else:
                start += chunk
        chunk //= 2
    return steps, failure


def run_walks(
    flow_set: FlowSet,
    seed: int,
    make_target: Callable[[Parameters], Target],
    compare: Compare,
    walks: int,
    budget: float | None = None,
    steps: int = STEPS,
    workers: int = 1,
) -> WalksReport:
    """Walks 1 to ``walks`` of ``seed``, in ``workers`` processes, none started after
    ``budget`` seconds; the results in walk order (the same for any ``workers`` when the
    budget is not spent)."""
    deadline = None if budget is None else time.monotonic() + budget
    _RUN.clear()
    _RUN.update(flow_set=flow_set, seed=seed, maker=make_target, compare=compare, steps=steps)
    size = max(1, -(-walks // (4 * max(1, workers))))
    chunks = [(n, min(n + size, walks + 1), deadline) for n in range(1, walks + 1, size)]
    try:
        done = [r for chunk in map_in_processes(_run_chunk, chunks, workers) for r in chunk]
    finally:
        _RUN.clear()
    return WalksReport(tuple(done), walks, len(done) < walks)


# What the walks of one run share; set before the worker processes fork.
_RUN: dict[str, Any] = {}


def _run_chunk(bounds: tuple[int, int, float | None]) -> list[WalkResult]:
    first, stop, deadline = bounds
    out: list[WalkResult] = []
    for number in range(first, stop):
        if deadline is not None and time.monotonic() >= deadline:
            break
        walk = make_walk(_RUN["flow_set"], _RUN["seed"], number)
        out.append(run_walk(_RUN["flow_set"], walk, _RUN["maker"], _RUN["compare"], _RUN["steps"]))
    return out
