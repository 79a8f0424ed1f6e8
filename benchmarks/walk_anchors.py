"""The walks against the anchors issue 24 names: AALpy's random-walk and state-prefix
equivalence oracles, at the same budget of steps, on every portal beyond the suite.

A benchmark of strength, not time: for each broken portal of
``tests/verify/beyond_portals.py`` (and the shipped flows as the control, which every
strategy must pass), which strategies find a difference from the flows and after how
many steps. Every strategy drives the same lockstep of the flows' own portal (the
reference) and the target (:class:`simulator.verify.walks._Lockstep`), compares each
step as ``rpp verify`` does (:func:`simulator.verify.command.compare_observation`), and
spends the same budget:

- **A step is one action taken on the portals.** An action the screen does not offer
  is disabled on both sides (the same "disabled" output, nothing sent): free, as in the
  walks, which never pick one. AALpy's oracles do draw them; what they drew is printed.
- **The same producers.** AALpy's query ``q`` (after each of its resets) runs on the
  portal pair of walk ``q`` of the seed: its producers, data class and parameter
  variant, as our walk ``q`` (the state-prefix oracle's model is the base variant's, so
  its queries take the base variant's walks only).
- **Seeded.** AALpy draws from Python's global ``random``, seeded before each oracle
  runs; the walks from their own seed. The same seed gives the same table.

The strategies:

- ``aalpy-rw-15``: ``RandomWalkEqOracle`` over the across-parts model's 15 inputs; the
  flows' portal stands as the hypothesis (AALpy duck-types a deterministic one).
- ``aalpy-rw-all``: the same over the walks' whole alphabet.
- ``aalpy-sp-15``: ``StatePrefixEqOracle`` over the 15 inputs, its hypothesis an AALpy
  ``MealyMachine`` built from the across-parts model's minimal machine, each state's
  prefix its access word of the model's state cover; its walks per state fitted to the
  budget so that every state is a root, and a new round (a fresh oracle) while budget
  is left.
- ``aalpy-sp-all``: the same prefixes, the suffixes over the walks' whole alphabet (the
  flows' portal as the hypothesis, given the model's states and prefixes).
- ``walks``: ``rpp verify``'s walks (:func:`simulator.verify.walks.run_walk`, 60 steps
  each), walk 1, 2, ... of the seed until one fails (steps counted to its failure).

Run: ``.venv/bin/python -m benchmarks.walk_anchors [--budget 12000] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from aalpy.automata import MealyMachine as AalpyMealy
from aalpy.automata import MealyState
from aalpy.base import SUL
from aalpy.oracles import RandomWalkEqOracle, StatePrefixEqOracle

from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Target
from simulator.population import derive_seed
from simulator.verify.command import compare_observation
from simulator.verify.guidance import Guidance
from simulator.verify.journeys import ACROSS_PARTS, PARTS
from simulator.verify.model import DISABLED, ConformanceModel, Observation
from simulator.verify.suite import explore, imap_in_processes, variants
from simulator.verify.walks import STEPS, WALK_ACTIONS, Walk, _Lockstep, make_walk, run_walk
from specs import load_flows
from specs.model import FlowSet, Parameters
from tests.verify.beyond_portals import BEYOND_THE_SUITE

__all__ = ["STRATEGIES", "Layout", "Outcome", "Row", "format_table", "main", "measure", "summary"]

STREAM = 2401  # the derive_seed stream of AALpy's draws here (no other stream uses it)
RESET_PROB = 0.09  # AALpy's default: a query of 11 inputs on average
WALK_LEN = 12  # AALpy's default suffix of the state-prefix oracle
DRAWS_PER_STEP = 50  # an oracle that draws this many inputs per budget step stops

STRATEGIES: tuple[tuple[str, str], ...] = (
    ("aalpy-rw-15", "AALpy RandomWalkEqOracle, the across-parts model's 15 inputs"),
    ("aalpy-rw-all", "AALpy RandomWalkEqOracle, the walks' whole alphabet"),
    ("aalpy-sp-15", "AALpy StatePrefixEqOracle, the across-parts model's 15 inputs"),
    ("aalpy-sp-all", "AALpy StatePrefixEqOracle, the model's prefixes, whole-alphabet suffixes"),
    ("walks", "rpp verify's walks (60 steps each), the whole alphabet, the model's guidance"),
)

SAME = "as the flows"
"""The output of a step the target took as the flows' portal did."""

Maker = Callable[[FlowSet, Parameters], Target]


@dataclass(frozen=True)
class Difference:
    """The output of a step where the target departed from the flows."""

    text: str


@dataclass(frozen=True)
class Outcome:
    """One strategy on one portal: the steps to its first difference (None: survived)."""

    steps: int | None  # steps (portal actions) until the difference
    spent: int  # steps taken in all
    drawn: int  # inputs drawn (AALpy counts disabled ones; the walks never pick them)
    seconds: float
    difference: str = ""
    false_alarm: bool = False  # the oracle's hypothesis, not the target, was wrong

    @property
    def cell(self) -> str:
        if self.false_alarm:
            return "FALSE ALARM"
        return "survived" if self.steps is None else f"{self.steps:,}"


@dataclass(frozen=True)
class Row:
    portal: str
    kind: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)


class _BudgetSpent(Exception):
    """The SUL has taken the budget's steps."""


class LockstepSUL(SUL):  # type: ignore[misc]
    """AALpy's system under learning: the target in lockstep with the flows' portal.

    A step's output is :data:`DISABLED` when the flows' screen does not offer the
    action (nothing is done), :data:`SAME` when the target did as the flows, else a
    :class:`Difference`, compared as ``rpp verify`` compares. After a difference every
    step outputs it again (a run stops at its first difference)."""

    def __init__(
        self,
        flow_set: FlowSet,
        make: Maker,
        seed: int,
        numbers: Iterator[int],
        budget: int,
    ) -> None:
        super().__init__()
        self.flow_set, self.make, self.seed, self.numbers = flow_set, make, seed, numbers
        self.budget = budget
        self.by_key = {a.key: a for a in WALK_ACTIONS}
        self.lockstep: _Lockstep | None = None
        self.taken = 0  # portal actions, over every query
        self.drawn = 0
        self.expected: str = SAME  # what the flows alone gave at the last step
        self.difference: Difference | None = None
        self.at: int | None = None  # self.taken when the difference showed

    def pre(self) -> None:
        self._close()
        walk = walk_of(self.flow_set, self.seed, next(self.numbers))
        parameters = dict(variants(self.flow_set))[walk.variant]
        self.lockstep = _Lockstep(self.flow_set, walk, self.make(self.flow_set, parameters))
        want = Observation(self.lockstep.want.screen)
        self._compare(want, Observation(self.lockstep.got.screen), "open the portal")

    def post(self) -> None:
        self._close()

    def step(self, letter: str) -> object:
        self.drawn += 1
        if self.difference is not None:
            return self.difference
        if self.drawn > DRAWS_PER_STEP * self.budget:
            raise _BudgetSpent
        lockstep, act = self.lockstep, self.by_key[letter]
        assert lockstep is not None
        if not lockstep.enabled(act):
            self.expected = DISABLED
            return DISABLED
        if self.taken >= self.budget:
            raise _BudgetSpent
        self.taken += 1
        self.expected = SAME
        try:
            want, got = lockstep.step(act)
        except Exception as error:  # a broken portal may raise: a finding, as in the walks
            return self._found(f"{act.description}: the portal raised {error!r}")
        assert isinstance(want, Observation)
        if got == DISABLED:
            return self._found(f"the producer cannot {act.description} on the target")
        self._compare(want, got, act.description)
        return self.difference or SAME

    def _compare(self, want: Observation, got: object, doing: str) -> None:
        try:
            compare_observation(want, got)  # type: ignore[arg-type]
        except Exception as difference:
            self._found(f"{doing}: {difference}")

    def _found(self, text: str) -> Difference:
        assert self.lockstep is not None
        self.difference = Difference(self.lockstep.hide(text).splitlines()[0])
        self.at = self.taken
        return self.difference

    def _close(self) -> None:
        if self.lockstep is not None:
            self.lockstep.close()
            self.lockstep = None


class FlowsHypothesis:
    """The flows' portal as AALpy's hypothesis, duck-typed: at each step it outputs
    what the reference of the SUL's lockstep gave (AALpy steps it after the SUL)."""

    def __init__(self, sul: LockstepSUL) -> None:
        self.sul = sul

    def reset_to_initial(self) -> None:
        """The SUL's reset builds a fresh reference: nothing to do here."""

    def step(self, letter: str) -> str:
        return self.sul.expected


class FlowsWithModelStates(FlowsHypothesis):
    """The flows' portal as the hypothesis, with the across-parts model's states and
    their prefixes (what the state-prefix oracle walks from): its suffixes may then
    take any action of the walks' alphabet, which the model does not have."""

    def __init__(self, sul: LockstepSUL, model: ConformanceModel) -> None:
        super().__init__(sul)
        machine = model_hypothesis(model)
        self.states, self.initial_state = machine.states, machine.initial_state


def model_hypothesis(model: ConformanceModel) -> AalpyMealy:
    """The across-parts model's minimal machine as an AALpy MealyMachine: its outputs
    :data:`DISABLED` or :data:`SAME`, each state's prefix its access word."""
    machine = model.minimal
    states = {s: MealyState(f"s{i}") for i, s in enumerate(machine.states)}
    for (s, a), (t, out) in machine.transitions.items():
        states[s].transitions[a] = states[t]
        states[s].output_fun[a] = DISABLED if out == DISABLED else SAME
    for s, word in machine.state_cover().items():
        states[s].prefix = tuple(word)
    return AalpyMealy(states[machine.initial], list(states.values()))


def _aalpy(
    name: str,
    flow_set: FlowSet,
    make: Maker,
    model: ConformanceModel,
    seed: int,
    budget: int,
) -> Outcome:
    inputs = list(model.inputs)
    every = [a.key for a in WALK_ACTIONS]
    # The portal pairs of the walks the budget gives ours, in turn, one per query.
    numbers = range(1, max(1, budget // STEPS) + 1)
    if name.startswith("aalpy-sp"):  # the model is the base variant's: its walks only
        known = len(variants(flow_set))
        numbers = range(known, max(numbers.stop, known + 1), known)
    sul = LockstepSUL(flow_set, make, seed, itertools.cycle(numbers), budget)
    random.seed(derive_seed(seed, STREAM, [s for s, _ in STRATEGIES].index(name)))
    start = time.perf_counter()
    hypothesis: object
    if name.startswith("aalpy-sp"):
        if name == "aalpy-sp-15":
            hypothesis, alphabet = model_hypothesis(model), inputs
        else:
            hypothesis, alphabet = FlowsWithModelStates(sul, model), every

        def oracle() -> object:
            each = walks_per_state(model, budget)
            return StatePrefixEqOracle(alphabet, sul, walks_per_state=each, walk_len=WALK_LEN)
    else:
        hypothesis = FlowsHypothesis(sul)
        alphabet = inputs if name == "aalpy-rw-15" else every

        def oracle() -> object:
            return RandomWalkEqOracle(
                alphabet, sul, num_steps=DRAWS_PER_STEP * budget, reset_prob=RESET_PROB
            )

    cex = None
    try:
        # A state-prefix oracle done with every state before the budget is spent starts
        # another round (a fresh oracle: every state a root again), so it gets the budget.
        while cex is None and sul.taken < budget:
            before = sul.drawn
            cex = oracle().find_cex(hypothesis)  # type: ignore[attr-defined]
            if sul.drawn == before:
                break
    except _BudgetSpent:
        cex = None
    finally:
        sul.post()
    seconds = time.perf_counter() - start
    if cex is None:
        return Outcome(None, sul.taken, sul.drawn, seconds)
    if sul.difference is None:  # the hypothesis mispredicted the flows: not a kill
        return Outcome(None, sul.taken, sul.drawn, seconds, "", false_alarm=True)
    return Outcome(sul.at, sul.taken, sul.drawn, seconds, sul.difference.text)


_WALKS: dict[tuple[int, int], Walk] = {}


def walk_of(flow_set: FlowSet, seed: int, number: int) -> Walk:
    """Walk ``number`` of ``seed`` (made once: Faker's producers take 30 ms a walk)."""
    if (seed, number) not in _WALKS:
        _WALKS[(seed, number)] = make_walk(flow_set, seed, number)
    return _WALKS[(seed, number)]


def walks_per_state(model: ConformanceModel, budget: int) -> int:
    """Walks from each state so that the state-prefix oracle's tests (prefix and
    suffix) roughly fill the budget: every state is a root at least once."""
    cover = model.minimal.state_cover()
    per_test = statistics.fmean(len(w) for w in cover.values()) + WALK_LEN
    return max(1, round(budget / (len(cover) * per_test)))


def _walks(
    flow_set: FlowSet, make: Maker, seed: int, budget: int, guidance: Guidance | None = None
) -> Outcome:
    def target(parameters: Parameters) -> Target:
        return make(flow_set, parameters)

    start = time.perf_counter()
    spent = 0
    for number in range(1, budget // STEPS + 1):
        walk = make_walk(flow_set, seed, number)
        result = run_walk(flow_set, walk, target, compare_observation, guidance=guidance)
        if result.failure is not None:
            steps = spent + result.taken
            seconds = time.perf_counter() - start
            return Outcome(steps, steps, steps, seconds, result.failure.splitlines()[0])
        spent += result.taken
    return Outcome(None, spent, spent, time.perf_counter() - start)


def _reference(flow_set: FlowSet, parameters: Parameters) -> Target:
    return InProcessTarget(flow_set, parameters, hash_iterations=1)


_JOB: dict[str, object] = {}  # what the forked workers share: set before they fork


def _row(index: int) -> Row:
    flow_set, model = _JOB["flow_set"], _JOB["model"]
    seed, budget, names = _JOB["seed"], _JOB["budget"], _JOB["strategies"]
    assert isinstance(flow_set, FlowSet) and isinstance(model, ConformanceModel)
    assert isinstance(seed, int) and isinstance(budget, int) and isinstance(names, tuple)
    portals = _JOB["portals"]
    assert isinstance(portals, list)
    portal, kind, make = portals[index]
    outcomes: dict[str, Outcome] = {}
    for name in names:
        if name == "walks":
            outcomes[name] = _walks(flow_set, make, seed, budget, Guidance(model))
        else:
            outcomes[name] = _aalpy(name, flow_set, make, model, seed, budget)
    return Row(portal, kind, outcomes)


def across_parts_model(flow_set: FlowSet) -> ConformanceModel:
    """The across-parts part's model of the shipped parameters (the base variant)."""
    composed = explore(flow_set, extra_states=0, part_names=[ACROSS_PARTS]).composed()
    assert composed is not None
    return composed[1]


def measure(
    flow_set: FlowSet,
    portals: Sequence[tuple[str, str, Maker]],
    seed: int = 0,
    budget: int = 200 * STEPS,
    strategies: Sequence[str] | None = None,
    model: ConformanceModel | None = None,
    workers: int = 1,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Each strategy on each portal (id, kind, maker) at ``budget`` steps, in portal
    order, the same for any number of ``workers``; ``on_row`` is called with each row
    as it is done."""
    model = model or across_parts_model(flow_set)
    strategies = strategies or [name for name, _ in STRATEGIES]
    _JOB.update(
        flow_set=flow_set,
        model=model,
        seed=seed,
        budget=budget,
        strategies=tuple(strategies),
        portals=list(portals),  # the makers are local functions: forked, never pickled
    )
    rows: list[Row] = []
    try:
        for row in imap_in_processes(_row, list(range(len(portals))), workers):
            rows.append(row)
            if on_row is not None:
                on_row(row)
        return rows
    finally:
        _JOB.clear()


@dataclass(frozen=True)
class Layout:
    """The table's columns: wide enough for every portal's id and class."""

    width: int
    kinds: int
    names: tuple[str, ...]

    @classmethod
    def of(cls, portals: Sequence[tuple[str, str]], names: Sequence[str]) -> Layout:
        width = max([len(p) for p, _ in portals] + [6])
        return cls(width, max([len(k) for _, k in portals] + [5]), tuple(names))

    def head(self) -> str:
        cells = "  ".join(f"{n:>{max(len(n), 11)}}" for n in self.names)
        line = f"{'portal':<{self.width}}  {'class':<{self.kinds}}  {cells}"
        return f"{line}\n{'-' * len(line)}"

    def line(self, row: Row) -> str:
        cells = "  ".join(f"{row.outcomes[n].cell:>{max(len(n), 11)}}" for n in self.names)
        return f"{row.portal:<{self.width}}  {row.kind:<{self.kinds}}  {cells}"


def summary(rows: Sequence[Row], budget: int) -> str:
    """Per strategy: portals killed of the broken ones, the median steps to kill, the
    wall seconds, steps and inputs drawn; then which portals one side alone killed."""
    names = list(rows[0].outcomes) if rows else []
    broken = [r for r in rows if r.kind != CONTROL]
    lines = [f"summary at {budget:,} steps per strategy and portal ({len(broken)} broken):"]
    for n in names:
        killed = [s for r in broken if (s := r.outcomes[n].steps) is not None]
        median = f"{statistics.median(killed):,.0f}" if killed else "-"
        seconds = sum(r.outcomes[n].seconds for r in rows)
        drawn = sum(r.outcomes[n].drawn for r in rows)
        spent = sum(r.outcomes[n].spent for r in rows)
        alarms = sum(r.outcomes[n].false_alarm for r in rows)
        lines.append(
            f"  {n:<12} killed {len(killed):>2}/{len(broken)}, median steps to kill {median:>6},"
            f" {seconds:7.1f} s wall, {spent:,} steps ({drawn:,} inputs drawn)"
            + (f", {alarms} FALSE ALARMS" if alarms else "")
        )
    anchors = [n for n in names if n != "walks"]
    if "walks" in names and anchors:
        by_anchor = [
            r.portal
            for r in broken
            if r.outcomes["walks"].steps is None
            and any(r.outcomes[n].steps is not None for n in anchors)
        ]
        by_walks = [
            r.portal
            for r in broken
            if r.outcomes["walks"].steps is not None
            and all(r.outcomes[n].steps is None for n in anchors)
        ]
        lines.append(
            f"  killed by an AALpy oracle, not by the walks: {', '.join(by_anchor) or 'none'}"
        )
        lines.append(f"  killed by the walks alone: {', '.join(by_walks) or 'none'}")
    return "\n".join(lines)


def format_table(rows: Sequence[Row], budget: int) -> str:
    """The table (portal, class, steps to kill per strategy) and the summary."""
    layout = Layout.of([(r.portal, r.kind) for r in rows], list(rows[0].outcomes) if rows else [])
    return "\n".join([layout.head(), *map(layout.line, rows), "", summary(rows, budget)])


CONTROL = "control"


def beyond_portals() -> list[tuple[str, str, Maker]]:
    """The shipped flows (the control), then every portal beyond the suite."""
    return [
        ("the shipped flows", CONTROL, _reference),
        *((p.id, kind, p.make) for kind, p in BEYOND_THE_SUITE),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200 * STEPS, help="steps per strategy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes (portals in each)")
    parser.add_argument("--portal", action="append", help="only these portals (by id)")
    parser.add_argument(
        "--strategy",
        action="append",
        choices=[name for name, _ in STRATEGIES],
        help="only these strategies (default: all)",
    )
    args = parser.parse_args(argv)
    flow_set = load_flows()
    start = time.perf_counter()
    model = across_parts_model(flow_set)
    built = time.perf_counter() - start
    portals = [p for p in beyond_portals() if not args.portal or p[0] in args.portal]
    print(
        f"seed {args.seed}, {args.budget:,} steps per strategy and portal (a step: one action"
        " taken on the portals; a disabled action costs none)"
    )
    (part,) = [p for p in PARTS if p.name == ACROSS_PARTS]
    print(
        f"across-parts model: {model.minimal.num_states} minimal states over"
        f" {len(part.inputs)} inputs ({built:.1f} s to build);"
        f" the walks' whole alphabet: {len(WALK_ACTIONS)} actions"
    )
    names = args.strategy or [name for name, _ in STRATEGIES]
    for name, what in STRATEGIES:
        if name in names:
            print(f"  {name:<12} {what}")
    print(
        f"  (AALpy: reset probability {RESET_PROB}; state prefix: walks of {WALK_LEN},"
        f" {walks_per_state(model, args.budget)} per state, deepest states first;"
        " the walks' seconds include shrinking the failing walk, AALpy's cex is not shrunk)\n"
    )
    layout = Layout.of([(p, k) for p, k, _ in portals], names)
    print(layout.head())
    rows = measure(
        flow_set,
        portals,
        args.seed,
        args.budget,
        strategies=names,
        model=model,
        workers=args.workers,
        on_row=lambda row: print(layout.line(row), flush=True),
    )
    print()
    print(summary(rows, args.budget))


if __name__ == "__main__":
    main()
