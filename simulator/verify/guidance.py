"""The walks' guidance by the composed model (issue 24): where a walk stands in the
across-parts model, what of the model it covered, and where it heads next.

- **Where.** A walk's reference is in a state of the model when its state key
  (:func:`simulator.verify.model.state_key`: the screen, the lock and failures, the
  temporary passwords and their age, how the browser signed in; no producer's details,
  so the walk's producers need not be the model's) is one of the model's ``keys``. The
  key is the active browser's: with other browsers open, after a long wait or an action
  outside the model, the walk is in the model again as soon as its key is.
- **Covered.** A step covers the model's transition (state, input) when it starts in
  that state, takes that input, shows and sends what the model says and ends in the
  state the model says; two such steps in a
  row cover the pair. A step that ends elsewhere (state the model did not predict) is
  counted as a divergence and covers nothing.
- **Shares.** The targets are every enabled transition of the explored machine and every
  pair of consecutive ones, each list in an order drawn from the seed; the walk with
  share index ``i`` takes :data:`TRANSITIONS_PER_WALK` transitions from offset
  ``i * TRANSITIONS_PER_WALK`` and :data:`PAIRS_PER_WALK` pairs likewise (cyclically):
  a share depends on the seed, the index and the model only, never on other walks.
- **Heading.** Inside the model a walk heads, by a shortest path in the machine, for the
  nearest target of its share it has not covered yet (share order breaks ties).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from simulator.verify.model import DISABLED, ConformanceModel, Output

__all__ = [
    "PAIRS_PER_WALK",
    "TRANSITIONS_PER_WALK",
    "Course",
    "Coverage",
    "Guidance",
    "Share",
]

TRANSITIONS_PER_WALK = 12
"""Transitions of the model in one walk's share."""
PAIRS_PER_WALK = 12
"""Pairs of consecutive transitions in one walk's share."""

Transition = tuple[int, str]  # (state, input)
Pair = tuple[int, str, str]  # (state, input, the next state's input)


@dataclass(frozen=True)
class Coverage:
    """What of the model one walk (or several, joined) covered."""

    transitions: frozenset[Transition] = frozenset()
    pairs: frozenset[Pair] = frozenset()
    divergences: int = 0  # steps from a model state that did not end where the model says

    def __or__(self, other: Coverage) -> Coverage:
        return Coverage(
            self.transitions | other.transitions,
            self.pairs | other.pairs,
            self.divergences + other.divergences,
        )


@dataclass(frozen=True)
class Share:
    """One walk's targets, in the order it prefers them."""

    transitions: tuple[Transition, ...]
    pairs: tuple[Pair, ...]


class Guidance:
    """The composed model as the walks use it: its states by key, its enabled
    transitions and pairs, and each walk's share of them."""

    def __init__(self, model: ConformanceModel) -> None:
        machine = model.machine
        self.model = model
        self.states: dict[Hashable, int] = {key: n for n, key in enumerate(model.keys)}
        self.next: dict[Transition, int] = {
            (s, a): t for (s, a), (t, out) in machine.transitions.items() if out != DISABLED
        }
        self.output: dict[Transition, Output] = {
            (s, a): out for (s, a), (t, out) in machine.transitions.items() if out != DISABLED
        }
        self.enabled: dict[int, tuple[str, ...]] = {
            s: tuple(a for a in machine.inputs if (s, a) in self.next) for s in machine.states
        }
        self.transitions: tuple[Transition, ...] = tuple(
            (s, a) for s in machine.states for a in self.enabled[s]
        )
        self.pairs: tuple[Pair, ...] = tuple(
            (s, a, b) for s, a in self.transitions for b in self.enabled[self.next[(s, a)]]
        )
        self._orders: dict[int, tuple[list[Transition], list[Pair]]] = {}

    @property
    def variant(self) -> str | None:
        return self.model.variant

    def share(self, seed: int, index: int) -> Share:
        """The share of the walk with ``index``, the targets ordered by ``seed``."""
        if seed not in self._orders:
            rng = random.Random(seed)
            transitions, pairs = list(self.transitions), list(self.pairs)
            rng.shuffle(transitions)
            rng.shuffle(pairs)
            self._orders[seed] = (transitions, pairs)
        transitions, pairs = self._orders[seed]
        return Share(
            _slice(transitions, index, TRANSITIONS_PER_WALK), _slice(pairs, index, PAIRS_PER_WALK)
        )


def _slice(items: list[Transition] | list[Pair], index: int, size: int) -> tuple:  # type: ignore[type-arg]
    if not items:
        return ()
    return tuple(items[(index * size + j) % len(items)] for j in range(min(size, len(items))))


@dataclass
class Course:
    """One walk's course through the model: where it stands, what it covered, and the
    path it follows to its next target."""

    guidance: Guidance
    share: Share
    state: int | None = None  # the model state the walk's reference is in (None: outside)
    transitions: set[Transition] = field(default_factory=set)
    pairs: set[Pair] = field(default_factory=set)
    divergences: int = 0
    _last: Transition | None = None  # the transition the last step covered
    _plan: list[Transition] = field(default_factory=list)
    _aim: Transition | Pair | None = None
    _stuck: tuple[int, int] | None = None  # (state, covered) where no target was reachable
    _diverged: set[Transition] = field(default_factory=set)  # steps the model mispredicted

    def arrive(self, key: Hashable, took: str | None, shown: Output | None = None) -> None:
        """The walk's reference has ``key`` after the step ``took`` (None: it starts),
        having shown and sent ``shown`` (None: not compared with the model's output)."""
        state = self.guidance.states.get(key)
        step = None if self.state is None or took is None else (self.state, took)
        expected = None if step is None else self.guidance.next.get(step)
        said = None if step is None or shown is None else self.guidance.output.get(step)
        if (
            step is not None
            and expected is not None
            and expected == state
            and (said is None or said == shown)
        ):
            self.transitions.add(step)
            if self._last is not None:
                self.pairs.add((*self._last, took))  # type: ignore[arg-type]
            self._last = step
        else:
            if expected is not None:
                self.divergences += 1
                # The model's key misses something here (e.g. the recovery emails of the
                # last hour): heading through this step again would loop on it.
                self._diverged.add(step)  # type: ignore[arg-type]
            self._last = None
        self.state = state

    def coverage(self) -> Coverage:
        return Coverage(frozenset(self.transitions), frozenset(self.pairs), self.divergences)

    def heading(self, enabled: Callable[[str], bool]) -> str | None:
        """The next input on a shortest path to the nearest target of the share not yet
        covered (None: outside the model, or no such target reachable from here)."""
        if self.state is None:
            return None
        if not self._plan or self._plan[0][0] != self.state or self._covered(self._aim):
            self._plan = self._route(self.state)
        if self._plan and enabled(self._plan[0][1]):
            return self._plan.pop(0)[1]
        self._plan = []
        return None

    def _covered(self, target: Transition | Pair | None) -> bool:
        if target is None:
            return True
        if len(target) == 2:
            return target in self.transitions
        return target in self.pairs

    def _targets(self, state: int) -> Iterable[Transition | Pair]:
        for t in self.share.transitions:
            if t[0] == state and t not in self.transitions and t not in self._diverged:
                yield t
        for p in self.share.pairs:
            if p[0] == state and p not in self.pairs and p[:2] not in self._diverged:
                yield p

    def _route(self, start: int) -> list[Transition]:
        """Breadth first from ``start`` to the nearest state where an uncovered target
        of the share starts: the steps there, then the target's own."""
        covered = len(self.transitions) + len(self.pairs) + len(self._diverged)
        if self._stuck == (start, covered):
            return []
        nexts, parent = self.guidance.next, {start: (start, "")}
        queue = deque([start])
        while queue:
            state = queue.popleft()
            aim = next(iter(self._targets(state)), None)
            if aim is not None:
                path: list[Transition] = []
                while state != start:
                    before, a = parent[state]
                    path.append((before, a))
                    state = before
                path.reverse()
                path.append((aim[0], aim[1]))
                if len(aim) == 3:
                    path.append((nexts[(aim[0], aim[1])], aim[2]))
                self._aim = aim
                return path
            for a in self.guidance.enabled[state]:
                there = nexts[(state, a)]
                if there not in parent and (state, a) not in self._diverged:
                    parent[there] = (state, a)
                    queue.append(there)
        self._stuck, self._aim = (start, covered), None
        return []
