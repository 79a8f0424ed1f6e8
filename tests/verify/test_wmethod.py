"""Tests for wmethod: W-method and Wp-method conformance-test suites for Mealy machines."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.verify.wmethod import MealyMachine, run, w_method_suite, wp_method_suite

Table = dict[tuple[int, str], tuple[int, int]]
Machine = MealyMachine[int, str, int]
SuiteFn = Callable[[Machine, int], list[tuple[str, ...]]]
SUITES: list[SuiteFn] = [w_method_suite, wp_method_suite]

# A 4-state machine over three inputs.
THREE_INPUTS: Table = {
    (0, "a"): (1, 0), (0, "b"): (0, 1), (0, "c"): (2, 0),
    (1, "a"): (2, 0), (1, "b"): (0, 1), (1, "c"): (3, 1),
    (2, "a"): (3, 0), (2, "b"): (1, 0), (2, "c"): (0, 0),
    (3, "a"): (0, 1), (3, "b"): (3, 1), (3, "c"): (1, 1),
}  # fmt: skip

# Textbook overlapping "1011" sequence detector; state = length of the matched prefix.
DETECTOR: Table = {
    (0, "0"): (0, 0), (0, "1"): (1, 0),
    (1, "0"): (2, 0), (1, "1"): (1, 0),
    (2, "0"): (0, 0), (2, "1"): (3, 0),
    (3, "0"): (2, 0), (3, "1"): (1, 1),
}  # fmt: skip

# Saturating counter: "a" counts up to 2 (output "x"), "b" reports the count and resets.
COUNTER: Table = {
    (0, "a"): (1, 0), (1, "a"): (2, 0), (2, "a"): (2, 0),
    (0, "b"): (0, 0), (1, "b"): (0, 1), (2, "b"): (0, 2),
}  # fmt: skip


def build(table: Mapping[tuple[int, str], tuple[int, int]], inputs: str) -> Machine:
    return MealyMachine.explore(0, list(inputs), table)


SPECS = {"three_inputs": (THREE_INPUTS, "abc"), "detector": (DETECTOR, "01")}


def equivalent(m1: Machine, m2: Machine) -> bool:
    """Product-automaton BFS from the two initial states."""
    seen = {(m1.initial, m2.initial)}
    queue = deque(seen)
    while queue:
        s, t = queue.popleft()
        for a in m1.inputs:
            (s2, o1), (t2, o2) = m1.transitions[(s, a)], m2.transitions[(t, a)]
            if o1 != o2:
                return False
            if (s2, t2) not in seen:
                seen.add((s2, t2))
                queue.append((s2, t2))
    return True


def detects(spec: Machine, impl: Machine, suite: list[tuple[str, ...]]) -> bool:
    return any(run(spec, w) != run(impl, w) for w in suite)


def mutants(table: Table, inputs: str) -> Iterator[Table]:
    """Every machine obtained by changing exactly one output or one transition target."""
    states = sorted({s for s, _ in table})
    outputs = sorted({o for _, o in table.values()})
    for key, (target, out) in table.items():
        for o in outputs:
            if o != out:
                yield {**table, key: (target, o)}
        for t in states:
            if t != target:
                yield {**table, key: (t, out)}


# --- basic construction -----------------------------------------------------------------------


def test_explore_is_bfs_in_input_order_and_validates() -> None:
    m = MealyMachine.explore(0, ["a", "b"], lambda s, a: ((s + (1 if a == "b" else 2)) % 5, 0))
    assert m.states == (0, 2, 1, 4, 3)
    with pytest.raises(ValueError, match="max_states"):
        MealyMachine.explore(0, ["a"], lambda s, a: (s + 1, 0), max_states=10)
    with pytest.raises(ValueError, match="no transition"):
        MealyMachine.explore(0, ["a", "b"], {(0, "a"): (0, 1)})
    with pytest.raises(ValueError, match="distinct"):
        MealyMachine.explore(0, ["a", "a"], {(0, "a"): (0, 1)})


def test_minimize_merges_equivalent_states() -> None:
    # DETECTOR with state 0 duplicated as 10 (reached from 2 on "0").
    table = {**DETECTOR, (2, "0"): (10, 0), (10, "0"): (0, 0), (10, "1"): (1, 0)}
    m = build(table, "01")
    assert m.num_states == 5
    assert m.states == (0, 1, 2, 10, 3)
    assert m.equivalence_classes() == [(0, 10), (1,), (2,), (3,)]
    small = m.minimize()
    assert small.num_states == 4
    assert equivalent(small, m)
    assert m.separating_sequence(0, 10) is None
    # The suite only depends on the minimal machine, not on redundant states or their names.
    for suite in SUITES:
        assert suite(m, 1) == suite(build(DETECTOR, "01"), 1)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_state_cover_reaches_every_state_by_a_shortest_word(name: str) -> None:
    m = build(*SPECS[name])
    cover = m.state_cover()
    assert list(cover) == list(m.states)
    assert cover[m.initial] == ()
    for s, word in cover.items():
        assert m.reach(word) == s
        # shortest: no shorter word reaches s
        shorter = {m.reach(w) for w in _all_words(m.inputs, len(word) - 1)}
        assert s not in shorter


def _all_words(inputs: tuple[str, ...], max_len: int) -> Iterator[tuple[str, ...]]:
    frontier: list[tuple[str, ...]] = [()]
    for _ in range(max_len + 1):
        yield from frontier
        frontier = [(*w, a) for w in frontier for a in inputs]


@pytest.mark.parametrize("name", [*sorted(SPECS), "counter"])
def test_characterization_set_and_identifiers(name: str) -> None:
    table, inputs = {**SPECS, "counter": (COUNTER, "ab")}[name]
    m = build(table, inputs)
    w_set = m.characterization_set()
    assert 0 < len(w_set) < m.num_states
    assert w_set == sorted(w_set, key=lambda w: (len(w), [inputs.index(a) for a in w]))
    ids = m.state_identifiers()
    for s, t in combinations(m.states, 2):
        sep = m.separating_sequence(s, t)
        assert sep is not None
        assert m.run(sep, s) != m.run(sep, t)
        # shortest: every shorter word gives equal outputs
        assert all(m.run(w, s) == m.run(w, t) for w in _all_words(m.inputs, len(sep) - 1))
        assert any(m.run(w, s) != m.run(w, t) for w in w_set)
        assert any(m.run(w, s) != m.run(w, t) for w in ids[s])
    for s in m.states:
        assert set(ids[s]) <= set(w_set)


def test_detector_needs_long_separating_sequences() -> None:
    m = build(DETECTOR, "01")
    assert m.separating_sequence(0, 1) == ("0", "1", "1")
    assert m.characterization_set() == [("1", "1"), ("0", "1", "1")]


def test_single_state_machine() -> None:
    m = MealyMachine.explore("s", ["x", "y"], lambda s, a: (s, a.upper()))
    assert m.characterization_set() == []
    assert m.state_identifiers() == {"s": []}
    # W = {()}: the suite is every word of length k + 1 (shorter ones are prefixes).
    assert w_method_suite(m, 1) == [("x", "x"), ("x", "y"), ("y", "x"), ("y", "y")]
    assert wp_method_suite(m, 1) == w_method_suite(m, 1)


# --- suite shape ------------------------------------------------------------------------------


@pytest.mark.parametrize("suite_fn", SUITES)
@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("k", [0, 1, 2])
def test_suite_is_prefix_free_sorted_and_deterministic(
    suite_fn: SuiteFn, name: str, k: int
) -> None:
    table, inputs = SPECS[name]
    suite = suite_fn(build(table, inputs), k)
    assert suite == suite_fn(build(table, inputs), k)
    # insertion order of the table does not matter
    assert suite == suite_fn(build(dict(reversed(table.items())), inputs), k)
    assert suite == sorted(suite, key=lambda w: (len(w), [inputs.index(a) for a in w]))
    assert len(set(suite)) == len(suite)
    for u, v in combinations(suite, 2):
        assert v[: len(u)] != u


@pytest.mark.parametrize("name", [*sorted(SPECS), "counter"])
@pytest.mark.parametrize("k", [0, 1, 2])
def test_wp_suite_is_no_larger(name: str, k: int) -> None:
    table, inputs = {**SPECS, "counter": (COUNTER, "ab")}[name]
    m = build(table, inputs)
    w_suite, wp_suite = w_method_suite(m, k), wp_method_suite(m, k)
    assert len(wp_suite) <= len(w_suite)
    assert sum(map(len, wp_suite)) <= sum(map(len, w_suite))
    # every Wp test is a prefix of some W test
    assert all(any(v[: len(u)] == u for v in w_suite) for u in wp_suite)


def test_negative_extra_states_rejected() -> None:
    for suite_fn in SUITES:
        with pytest.raises(ValueError):
            suite_fn(build(DETECTOR, "01"), -1)


# --- fault detection --------------------------------------------------------------------------


@pytest.mark.parametrize("suite_fn", SUITES)
@pytest.mark.parametrize("name", sorted(SPECS))
def test_k0_suite_kills_every_single_fault_mutant(suite_fn: SuiteFn, name: str) -> None:
    table, inputs = SPECS[name]
    spec = build(table, inputs)
    assert spec.minimize().num_states == 4
    suite = suite_fn(spec, 0)
    killed = survived_equivalent = 0
    for mutant_table in mutants(table, inputs):
        mutant = build(mutant_table, inputs)
        if equivalent(spec, mutant):
            assert not detects(spec, mutant, suite)
            survived_equivalent += 1
        else:
            assert detects(spec, mutant, suite), mutant_table
            killed += 1
    n_transitions = len(table)
    assert killed + survived_equivalent == n_transitions * (1 + 3)  # 2 outputs, 4 targets
    assert killed > 0


def test_fourth_repetition_fault_needs_one_extra_state() -> None:
    spec = build(COUNTER, "ab")
    assert spec.minimize().num_states == 3
    # Like the spec, but a 4th consecutive "a" (state 3) outputs 1 instead of 0.
    faulty = build(
        {**COUNTER, (2, "a"): (3, 0), (3, "a"): (3, 1), (3, "b"): (0, 2)},
        "ab",
    )
    assert faulty.minimize().num_states == 4
    assert not equivalent(spec, faulty)
    for suite_fn in SUITES:
        assert not detects(spec, faulty, suite_fn(spec, 0))
        assert detects(spec, faulty, suite_fn(spec, 1))


# --- property: completeness on the fault domain (at most n + k states) -------------------------


@st.composite
def spec_and_impl(draw: st.DrawFn) -> tuple[Machine, Machine, int]:
    """A random minimal spec (n <= 5 states) and an implementation with at most n + k states:
    the spec plus up to k copies of its states, each made reachable by redirecting a transition
    to it, followed by one to three random output/target mutations."""
    inputs = "ab"
    n_raw = draw(st.integers(1, 5))
    state = st.integers(0, n_raw - 1)
    spec_table: Table = {
        (s, a): (draw(state), draw(st.integers(0, 1))) for s in range(n_raw) for a in inputs
    }
    spec = build(spec_table, inputs).minimize()
    index = {s: i for i, s in enumerate(spec.states)}  # renumber in BFS order, initial = 0
    spec_table = {(index[s], a): (index[t], o) for (s, a), (t, o) in spec.transitions.items()}
    n, k = spec.num_states, draw(st.integers(0, 2))
    impl_table = dict(spec_table)
    for copy in range(n, n + draw(st.integers(0, k))):
        original = draw(st.integers(0, n - 1))
        for a in inputs:
            impl_table[(copy, a)] = spec_table[(original, a)]
        source = (draw(st.integers(0, copy - 1)), draw(st.sampled_from(inputs)))
        impl_table[source] = (copy, impl_table[source][1])
    size = len(impl_table) // len(inputs)
    keys = sorted(impl_table)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(keys))
        target, out = impl_table[key]
        if draw(st.booleans()):
            impl_table[key] = (draw(st.integers(0, size - 1)), out)
        else:
            impl_table[key] = (target, draw(st.integers(0, 2)))
    impl = build(impl_table, inputs)
    assert impl.num_states <= n + k
    return build(spec_table, inputs), impl, k


@settings(max_examples=500, deadline=None, derandomize=True)
@given(spec_and_impl())
def test_suites_are_complete_for_at_most_n_plus_k_states(
    case: tuple[Machine, Machine, int],
) -> None:
    spec, impl, k = case
    expected = not equivalent(spec, impl)
    for suite_fn in SUITES:
        assert detects(spec, impl, suite_fn(spec, k)) == expected


# --- Wp phase 1 is needed, with its Σ^{<=k} middle (regressions found by random search) -------


def wp_variant(spec: Machine, k: int, phase1_depth: int | None) -> list[tuple[str, ...]]:
    """Wp built from the public API, with phase 1 = Q . Σ^{<=phase1_depth} . W (None: no phase 1)."""
    w_set = spec.characterization_set()
    ids = spec.state_identifiers()
    cover = list(spec.state_cover().values())
    phase1 = [
        q + x + w
        for q in cover
        for x in _all_words(spec.inputs, -1 if phase1_depth is None else phase1_depth)
        for w in w_set
    ]
    transition_cover = [(*q, a) for q in cover for a in spec.inputs]
    phase2 = [
        p + x + w
        for p in transition_cover
        for x in _all_words(spec.inputs, k)
        for w in ids[spec.reach(p + x)]
    ]
    return phase1 + phase2


def test_wp_without_phase1_is_incomplete() -> None:
    table: Table = {
        (0, "a"): (1, 1), (0, "b"): (2, 1), (0, "c"): (0, 1),
        (1, "a"): (0, 1), (1, "b"): (0, 1), (1, "c"): (2, 1),
        (2, "a"): (0, 0), (2, "b"): (0, 1), (2, "c"): (1, 0),
    }  # fmt: skip
    spec, impl = build(table, "abc"), build({**table, (2, "b"): (2, 1)}, "abc")
    assert spec.num_states == impl.num_states == 3
    assert not equivalent(spec, impl)
    assert not detects(spec, impl, wp_variant(spec, 0, phase1_depth=None))
    assert detects(spec, impl, wp_variant(spec, 0, phase1_depth=0))
    assert detects(spec, impl, wp_method_suite(spec, 0))


def test_wp_phase1_needs_the_middle_part_when_k_positive() -> None:
    table: Table = {
        (0, "a"): (0, 1), (0, "b"): (1, 0),
        (1, "a"): (2, 1), (1, "b"): (1, 1),
        (2, "a"): (1, 1), (2, "b"): (1, 0),
    }  # fmt: skip
    impl_table: Table = {
        **table, (0, "b"): (3, 0), (1, "a"): (1, 1), (3, "a"): (2, 1), (3, "b"): (1, 1)
    }  # fmt: skip
    spec, impl = build(table, "ab"), build(impl_table, "ab")
    assert (spec.num_states, impl.num_states) == (3, 4)
    assert not equivalent(spec, impl)
    assert not detects(spec, impl, wp_variant(spec, 1, phase1_depth=0))  # phase 1 = Q . W only
    assert detects(spec, impl, wp_variant(spec, 1, phase1_depth=1))
    assert detects(spec, impl, wp_method_suite(spec, 1))
    assert detects(spec, impl, w_method_suite(spec, 1))
