"""Conformance-test generation for deterministic Mealy machines: W-method and Wp-method.

The W-method (Chow 1978) and the Wp-method (Fujiwara et al. 1991) derive a finite set of input
sequences from a specification Mealy machine.  Running every sequence on a black-box implementation
and comparing its outputs with the specification's outputs is a *complete* test:

**Fault domain.**  Let ``n`` be the number of states of the *minimal* machine equivalent to the
specification and ``k = extra_states >= 0``.  The suite detects every implementation that is not
equivalent to the specification, provided the implementation is a deterministic, input-complete
Mealy machine over the same input alphabet with at most ``n + k`` states (and can be reset to its
initial state before each sequence).  Implementations with more states may go undetected.

Suites are always computed on the minimal machine (``MealyMachine.minimize``).  Every suite is
returned *prefix-free* (a sequence that is a proper prefix of another is dropped: running the longer
one observes the same outputs) and sorted deterministically by length, then lexicographically by
the position of each input in ``machine.inputs``.  Suite size grows like ``n^2 * |inputs|^(k+1)``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise, product
from typing import Generic, TypeVar

__all__ = ["MealyMachine", "run", "w_method_suite", "wp_method_suite"]

S = TypeVar("S", bound=Hashable)
In = TypeVar("In", bound=Hashable)
Out = TypeVar("Out", bound=Hashable)

Word = tuple[In, ...]


@dataclass(frozen=True, eq=False)
class MealyMachine(Generic[S, In, Out]):
    """A deterministic, input-complete Mealy machine restricted to its reachable states.

    Build instances with :meth:`explore`.  ``states`` lists the reachable states in breadth-first
    discovery order (``states[0] == initial``; successors are visited in ``inputs`` order), and
    ``transitions[(state, input)] == (next_state, output)``.  States, inputs and outputs must be
    hashable; ``None`` should not be used as a state (``start=None`` means "the initial state").
    """

    initial: S
    inputs: tuple[In, ...]
    states: tuple[S, ...]
    transitions: Mapping[tuple[S, In], tuple[S, Out]]

    @classmethod
    def explore(
        cls,
        initial: S,
        inputs: Sequence[In],
        step: Callable[[S, In], tuple[S, Out]] | Mapping[tuple[S, In], tuple[S, Out]],
        *,
        max_states: int = 10_000,
    ) -> MealyMachine[S, In, Out]:
        """Discover the states reachable from ``initial`` breadth first, in ``inputs`` order.

        ``step`` is either a function ``step(state, input) -> (next_state, output)`` or a mapping
        with the same meaning.  Raises ``ValueError`` if the inputs are empty or repeated, if a
        mapping lacks a reachable transition, or if more than ``max_states`` states are found.
        """
        alphabet = tuple(inputs)
        if not alphabet or len(set(alphabet)) != len(alphabet):
            raise ValueError("inputs must be non-empty and pairwise distinct")
        states: list[S] = [initial]
        seen = {initial}
        transitions: dict[tuple[S, In], tuple[S, Out]] = {}
        queue = deque([initial])
        while queue:
            state = queue.popleft()
            for a in alphabet:
                if isinstance(step, Mapping):
                    if (state, a) not in step:
                        raise ValueError(f"no transition for state {state!r} on input {a!r}")
                    target, out = step[(state, a)]
                else:
                    target, out = step(state, a)
                transitions[(state, a)] = (target, out)
                if target not in seen:
                    if len(states) >= max_states:
                        raise ValueError(f"more than max_states={max_states} reachable states")
                    seen.add(target)
                    states.append(target)
                    queue.append(target)
        return cls(initial, alphabet, tuple(states), transitions)

    @property
    def num_states(self) -> int:
        """Number of (reachable) states."""
        return len(self.states)

    def run(self, sequence: Iterable[In], start: S | None = None) -> tuple[Out, ...]:
        """Outputs produced by ``sequence`` from ``start`` (default: the initial state)."""
        state = self.initial if start is None else start
        outputs: list[Out] = []
        for a in sequence:
            state, out = self.transitions[(state, a)]
            outputs.append(out)
        return tuple(outputs)

    def reach(self, sequence: Iterable[In], start: S | None = None) -> S:
        """State reached by ``sequence`` from ``start`` (default: the initial state)."""
        state = self.initial if start is None else start
        for a in sequence:
            state = self.transitions[(state, a)][0]
        return state

    @cached_property
    def _levels(self) -> list[dict[S, int]]:
        """Moore partition refinement: ``levels[j][s]`` is the block of ``s`` under the equivalence
        "same outputs on every input word of length <= j + 1"; the last level is the fixpoint."""
        outs = {s: tuple(self.transitions[(s, a)][1] for a in self.inputs) for s in self.states}
        levels = [_number(self.states, outs)]
        while True:
            prev = levels[-1]
            sig = {
                s: (prev[s], tuple(prev[self.transitions[(s, a)][0]] for a in self.inputs))
                for s in self.states
            }
            nxt = _number(self.states, sig)
            if len(set(nxt.values())) == len(set(prev.values())):
                return levels
            levels.append(nxt)

    def equivalence_classes(self) -> list[tuple[S, ...]]:
        """Classes of equivalent states (same outputs on every input word), each in ``states``
        order, the classes ordered by their first state."""
        final = self._levels[-1]
        classes: dict[int, list[S]] = {}
        for s in self.states:
            classes.setdefault(final[s], []).append(s)
        return [tuple(c) for c in classes.values()]

    def minimize(self) -> MealyMachine[S, In, Out]:
        """The minimal equivalent machine; each class is represented by its first state."""
        rep = {s: c[0] for c in self.equivalence_classes() for s in c}

        def step(s: S, a: In) -> tuple[S, Out]:
            target, out = self.transitions[(s, a)]
            return rep[target], out

        return MealyMachine.explore(self.initial, self.inputs, step, max_states=len(self.states))

    def separating_sequence(self, s: S, t: S) -> Word[In] | None:
        """A shortest input word on which ``s`` and ``t`` produce different outputs, or ``None``
        if they are equivalent.  Among shortest words, inputs earlier in ``inputs`` are preferred
        at each position (greedily, from the front)."""
        levels = self._levels
        if levels[-1][s] == levels[-1][t]:
            return None
        depth = next(j for j, lev in enumerate(levels) if lev[s] != lev[t])
        word: list[In] = []
        for j in range(depth, -1, -1):  # invariant: s and t first differ at level j
            for a in self.inputs:
                (s2, o1), (t2, o2) = self.transitions[(s, a)], self.transitions[(t, a)]
                if o1 != o2 if j == 0 else levels[j - 1][s2] != levels[j - 1][t2]:
                    break
            else:  # pragma: no cover - impossible by construction of the levels
                raise AssertionError("partition refinement is inconsistent")
            word.append(a)
            s, t = s2, t2
        return tuple(word)

    def state_cover(self) -> dict[S, Word[In]]:
        """A shortest access sequence for every state (BFS in ``inputs`` order), in ``states``
        order.  The initial state gets the empty word."""
        cover: dict[S, Word[In]] = {self.initial: ()}
        queue = deque([self.initial])
        while queue:
            state = queue.popleft()
            for a in self.inputs:
                target = self.transitions[(state, a)][0]
                if target not in cover:
                    cover[target] = (*cover[state], a)
                    queue.append(target)
        return {s: cover[s] for s in self.states}

    def characterization_set(self) -> list[Word[In]]:
        """A W set: for every pair of inequivalent states some word in it yields different outputs.

        Built greedily: while two inequivalent states respond identically to the words chosen so
        far, add a shortest separating sequence of the first such pair (``states`` order).  Holds at
        most ``n - 1`` words (``n`` = number of classes); empty iff all states are equivalent.
        Sorted by length, then by input order.
        """
        final = self._levels[-1]
        chosen: list[Word[In]] = []
        response: dict[S, tuple[tuple[Out, ...], ...]] = {s: () for s in self.states}
        while True:
            groups: dict[tuple[tuple[Out, ...], ...], list[S]] = {}
            for s in self.states:
                groups.setdefault(response[s], []).append(s)
            pair = next(
                ((g[0], t) for g in groups.values() for t in g if final[t] != final[g[0]]), None
            )
            if pair is None:
                return sorted(chosen, key=self._key)
            word = self.separating_sequence(*pair)
            assert word is not None
            chosen.append(word)
            response = {s: (*response[s], self.run(word, s)) for s in self.states}

    def state_identifiers(self) -> dict[S, list[Word[In]]]:
        """Per-state identifiers for the Wp-method: for each state a subset of
        :meth:`characterization_set` distinguishing it from every inequivalent state.

        Greedy and deterministic: for each other state in ``states`` order not yet distinguished,
        add the first word of W (in W's order) that distinguishes the two.
        """
        w_set = self.characterization_set()
        final = self._levels[-1]
        resp = {s: [self.run(w, s) for w in w_set] for s in self.states}
        result: dict[S, list[Word[In]]] = {}
        for s in self.states:
            ids: list[int] = []
            for t in self.states:
                if final[t] == final[s] or any(resp[s][i] != resp[t][i] for i in ids):
                    continue
                ids.append(next(i for i in range(len(w_set)) if resp[s][i] != resp[t][i]))
            result[s] = [w_set[i] for i in sorted(ids)]
        return result

    @cached_property
    def _index(self) -> dict[In, int]:
        return {a: i for i, a in enumerate(self.inputs)}

    def _key(self, word: Word[In]) -> tuple[int, tuple[int, ...]]:
        """Sort key: length, then position of each input in ``inputs``."""
        return len(word), tuple(self._index[a] for a in word)


def _number(states: Sequence[S], signature: Mapping[S, Hashable]) -> dict[S, int]:
    """Number the distinct signatures in order of first occurrence."""
    ids: dict[Hashable, int] = {}
    return {s: ids.setdefault(signature[s], len(ids)) for s in states}


def run(machine: MealyMachine[S, In, Out], sequence: Iterable[In]) -> tuple[Out, ...]:
    """Outputs of ``machine`` on ``sequence`` from its initial state."""
    return machine.run(sequence)


def _words(alphabet: Sequence[In], max_len: int) -> Iterator[Word[In]]:
    """All words of length 0..max_len, shortest first, in input order."""
    for n in range(max_len + 1):
        yield from product(alphabet, repeat=n)


def _finish(machine: MealyMachine[S, In, Out], words: Iterable[Word[In]]) -> list[Word[In]]:
    """Drop duplicates and proper prefixes of other words; sort by length, then input order."""
    lex = sorted(set(words), key=lambda w: machine._key(w)[1])
    # In lexicographic order a word that prefixes any other word prefixes its successor.
    kept = [w for w, nxt in pairwise(lex) if nxt[: len(w)] != w] + lex[-1:]
    return sorted(kept, key=machine._key)


def _check(extra_states: int) -> None:
    if extra_states < 0:
        raise ValueError("extra_states must be >= 0")


def w_method_suite(machine: MealyMachine[S, In, Out], extra_states: int) -> list[Word[In]]:
    """W-method suite ``Q . inputs^{0..k+1} . W`` on the minimal machine (``k = extra_states``).

    ``Q`` is the state cover and ``W`` the characterization set (``{()}`` if the minimal machine
    has a single state).  Complete for implementations with at most ``n + k`` states, ``n`` being
    the number of states of the minimal machine (see the module docstring).  Prefix-free; sorted by
    length, then by input order.
    """
    _check(extra_states)
    m = machine.minimize()
    w_set = m.characterization_set() or [()]
    middles = list(_words(m.inputs, extra_states + 1))
    cover = m.state_cover().values()
    return _finish(m, (q + x + w for q in cover for x in middles for w in w_set))


def wp_method_suite(machine: MealyMachine[S, In, Out], extra_states: int) -> list[Word[In]]:
    """Wp-method suite (Fujiwara et al. 1991) on the minimal machine, ``k = extra_states``.

    Phase 1: ``Q . inputs^{<=k} . W`` (for ``k = 0`` simply ``Q . W``).
    Phase 2: ``P . inputs^{<=k}``, each word ``u`` followed by the identifiers
    (:meth:`MealyMachine.state_identifiers`) of the specification state ``u`` reaches, where ``P``
    is the transition cover ``Q . inputs``.  Same fault domain as the W-method; the suite's raw
    words are a subset of the W-method's, so it is never larger.  Prefix-free; sorted by length,
    then by input order.
    """
    _check(extra_states)
    m = machine.minimize()
    w_set = m.characterization_set() or [()]
    ids = m.state_identifiers()
    middles = list(_words(m.inputs, extra_states))
    cover = list(m.state_cover().values())
    phase1 = (q + x + w for q in cover for x in middles for w in w_set)
    transition_cover = [(*q, a) for q in cover for a in m.inputs]
    phase2 = (
        u + w
        for p in transition_cover
        for x in middles
        for u in [p + x]
        for w in ids[m.reach(u)] or [()]
    )
    return _finish(m, [*phase1, *phase2])
