"""The conformance suite `rpp verify` runs: for each part of the guide (and each
verification variant of portal.yaml it applies to), the model of the flows over the
part's actions and a Wp-method suite over it.

**Fault domain.** Each part's suite is complete for that part's alphabet: every
portal that differs from the flows on some sequence of the part's actions, and whose
behaviour over those actions is a deterministic machine with at most ``n + k`` states
(``n``: the part's minimal model, ``k``: ``extra_states``), fails at least one journey.
Journeys run from a fresh portal each; an action a screen does not offer is left out.
The part "across parts" is one such part over the actions through which the others share
the account; :func:`only_here` counts what each part's model builds that no other does.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

from simulator.population import Population, Producer
from simulator.verify.journeys import ACROSS_PARTS, PARTS, Journey, Part, Step
from simulator.verify.model import DISABLED, ConformanceModel, Observation, build_model
from simulator.verify.wmethod import wp_method_suite
from specs import processes
from specs.model import FlowSet, Parameters

__all__ = [
    "MODEL_SEED",
    "Exploration",
    "PartModel",
    "explore",
    "imap_in_processes",
    "journey_group",
    "map_in_processes",
    "only_here",
    "outsider_after",
    "variants",
]

J = TypeVar("J")
R = TypeVar("R")

MODEL_SEED = 0  # the producers the models are built with (outputs name them by role)


def variants(flow_set: FlowSet) -> list[tuple[str | None, Parameters]]:
    """The shipped parameters, then each verification variant of portal.yaml."""
    base = flow_set.portal.parameters
    out: list[tuple[str | None, Parameters]] = [(None, base)]
    for variant in flow_set.portal.variants:
        out.append((variant.name, replace(base, **variant.parameters)))  # type: ignore[arg-type]
    return out


def journey_group(population: Population, start: int) -> list[Producer]:
    """The first two producers from ``start`` on who share an email address, and only
    they (so the username email must list both user names): the producer first. Every
    journey has a group of the same shape, so the models' outputs fit every journey."""
    index = start
    while True:
        group = population.email_group(index)
        if len(group) == 2 and group.start == index:
            return [population.producer(i) for i in group]
        index = max(group.stop, index + 1)


def outsider_after(population: Population, group: list[Producer]) -> Producer:
    """The next producer after ``group`` with an email address of their own."""
    index = group[-1].index + 1
    while len(population.email_group(index)) != 1:
        index += 1
    return population.producer(index)


@dataclass
class PartModel:
    """One part's model for one variant, and the suite generated from it."""

    part: Part
    model: ConformanceModel
    extra_states: int
    journeys: list[Journey]
    # The minimal states and transitions no other part's model of the variant builds
    # (:func:`only_here`); None: not every part was built.
    alone: tuple[int, int] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "part": self.part.name,
            "checks": self.part.checks,
            "variant": self.model.variant,
            "inputs": len(self.part.inputs),
            "states": self.model.minimal.num_states,
            "explored_states": self.model.machine.num_states,
            "states_in_no_other_part": None if self.alone is None else self.alone[0],
            "transitions_in_no_other_part": None if self.alone is None else self.alone[1],
            "extra_states": self.extra_states,
            "complete_for": (
                f"every portal with at most {self.model.minimal.num_states + self.extra_states}"
                f" states over these {len(self.part.inputs)} actions"
            ),
            "journeys": len(self.journeys),
            "steps": sum(len(j.steps) for j in self.journeys),
        }


@dataclass
class Exploration:
    """Every part's model and suite, and which transitions of the flows they walk."""

    parts: list[PartModel]
    reached: set[str]

    @property
    def journeys(self) -> list[Journey]:
        """Every part's journeys, by number: the shortest first."""
        return sorted((j for p in self.parts for j in p.journeys), key=lambda j: j.number)

    def composed(self) -> tuple[str, ConformanceModel] | None:
        """The composed model the walks head by: the across-parts part's name and model
        of the shipped parameters (None when it was not built, e.g. ``--part`` without it)."""
        for built in self.parts:
            if built.part.name == ACROSS_PARTS and built.model.variant is None:
                return built.part.name, built.model
        return None


_Job = tuple[FlowSet, str | None, Parameters, Part]


def _build(job: _Job) -> ConformanceModel:
    flow_set, variant, parameters, part = job
    population = Population(MODEL_SEED, flow_set.portal.parameters)
    group = journey_group(population, 0)
    outsider = outsider_after(population, group)
    return build_model(flow_set, variant, parameters, group, outsider, inputs=part.inputs)


def explore(
    flow_set: FlowSet,
    extra_states: int | None = None,
    workers: int = 1,
    part_names: Collection[str] | None = None,
    parts: Sequence[Part] = PARTS,
) -> Exploration:
    """Build the model of every part of ``parts`` (or of those named in ``part_names``) and
    variant (in ``workers`` processes), and its Wp-method suite for ``extra_states`` more
    states (default: each part's own). The result does not depend on ``workers``."""
    jobs: list[_Job] = [
        (flow_set, variant, parameters, part)
        for variant, parameters in variants(flow_set)
        for part in parts
        if part.applies(variant, parameters) and (not part_names or part.name in part_names)
    ]
    built = dict(enumerate(map_in_processes(_build, jobs, workers)))
    extra = {i: jobs[i][3].extra_states if extra_states is None else extra_states for i in built}
    words = {i: _words(built[i], extra[i]) for i in built}
    # Shortest journeys first, whatever their part (the smaller part first among equals):
    # most broken portals fail on a short journey, so a run that stops early stops soon.
    order = sorted(built, key=lambda i: (len(words[i]), i))
    queue = sorted(
        (
            (rank, position, word)
            for rank, i in enumerate(order)
            for position, word in enumerate(words[i])
        ),
        key=lambda item: (len(item[2]), item[0], item[1]),
    )
    numbers = {(rank, position): n for n, (rank, position, _) in enumerate(queue, 1)}
    alone = _alone(built, [job[1] for job in jobs]) if not part_names else {}
    models: list[PartModel] = []
    reached: set[str] = set()
    for rank, i in enumerate(order):
        part, model = jobs[i][3], built[i]
        reached |= {name for names in model.fired.values() for name in names}
        journeys = [
            _journey(model, part, word, numbers[(rank, position)])
            for position, word in enumerate(words[i])
        ]
        models.append(PartModel(part, model, extra[i], journeys, alone.get(i)))
    return Exploration(models, reached)


def _alone(
    built: dict[int, ConformanceModel], variant_of: list[str | None]
) -> dict[int, tuple[int, int]]:
    return {
        i: only_here(model, [built[j] for j in built if j != i and variant_of[j] == variant_of[i]])
        for i, model in built.items()
    }


def only_here(model: ConformanceModel, others: Iterable[ConformanceModel]) -> tuple[int, int]:
    """The minimal states and transitions of ``model`` that none of ``others`` builds: a
    state none of whose explored states' keys (the screen, the account, what the producer
    knows) another model has; a transition (a state and an action it offers) no other
    model takes from a state with one of those keys. The combinations only it tests."""
    seen: set[Hashable] = set()
    taken: set[tuple[Hashable, str]] = set()
    for other in others:
        seen.update(other.keys)
        taken.update(
            (other.keys[state], a)
            for (state, a), (_, out) in other.machine.transitions.items()
            if out != DISABLED
        )
    states = transitions = 0
    for members in model.machine.equivalence_classes():
        states += not any(model.keys[state] in seen for state in members)
        for a in model.inputs:
            offered = [s for s in members if model.machine.transitions[(s, a)][1] != DISABLED]
            transitions += bool(offered) and not any((model.keys[s], a) in taken for s in offered)
    return states, transitions


def _in_processes(function: Callable[[J], R], jobs: Sequence[J], workers: int) -> Iterator[R]:
    """Each job's result in order, from forked workers (a target factory need not be
    importable by name) that end with rpp: however the caller stops (Ctrl-C, SIGTERM,
    an error, closing this iterator early), every worker is terminated at once; none is
    waited for to finish its job."""
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        min(workers, len(jobs)),
        mp_context=context,
        initializer=processes.worker_started,
        initargs=(os.getpid(),),
    )
    finished = False
    try:
        futures = [pool.submit(function, job) for job in jobs]
        for future in futures:
            yield future.result()
        finished = True
    finally:
        if not finished:
            # No future is cancelled: the pool's own thread fails every pending one when
            # it sees its workers gone (cancelling first makes that thread raise).
            processes.stop(list((getattr(pool, "_processes", None) or {}).values()))
            manager = getattr(pool, "_executor_manager_thread", None)
            if manager is not None:
                manager.join(10.0)
        pool.shutdown(wait=finished)


def imap_in_processes(function: Callable[[J], R], jobs: Sequence[J], workers: int) -> Iterator[R]:
    """Like :func:`map_in_processes`, yielding each result in order as it comes; the
    workers are stopped when the caller stops early."""
    if workers <= 1 or len(jobs) <= 1:
        yield from map(function, jobs)
        return
    yield from _in_processes(function, jobs, workers)


def map_in_processes(function: Callable[[J], R], jobs: Sequence[J], workers: int) -> list[R]:
    """``function`` over ``jobs`` in order, in ``workers`` forked processes when > 1
    (forked: a target factory need not be importable by name)."""
    if workers <= 1 or len(jobs) <= 1:
        return [function(job) for job in jobs]
    return list(_in_processes(function, jobs, workers))


def _words(model: ConformanceModel, extra_states: int) -> list[tuple[str, ...]]:
    """The Wp-method suite of the minimal model, disabled actions left out, prefix-free."""
    words: set[tuple[str, ...]] = set()
    for word in wp_method_suite(model.minimal, extra_states):
        outputs = model.minimal.run(word)
        enabled = tuple(a for a, out in zip(word, outputs, strict=True) if out != DISABLED)
        if enabled:
            words.add(enabled)
    ordered = sorted(words, key=lambda w: (len(w), w))
    kept: list[tuple[str, ...]] = []
    prefixes: set[tuple[str, ...]] = set()
    for word in reversed(ordered):  # longest first: a prefix of a kept word is dropped
        if word in prefixes:
            continue
        kept.append(word)
        prefixes.update(word[:i] for i in range(1, len(word)))
    return sorted(kept, key=lambda w: (len(w), w))


def _journey(model: ConformanceModel, part: Part, word: tuple[str, ...], number: int) -> Journey:
    outputs = model.expected(word)
    fired = model.fired_by(word)
    steps: list[Step] = []
    for a, out, names in zip(word, outputs, fired, strict=True):
        assert isinstance(out, Observation)
        steps.append(
            Step(
                action=a,
                screen=out.screen.name,
                messages=out.screen.messages,
                emails=tuple(e.subject for e in out.emails),
                transitions=names,
            )
        )
    covers = tuple(dict.fromkeys(n for names in fired for n in names))
    return Journey(
        covers=covers,
        steps=tuple(steps),
        variant=model.variant,
        part=part.name,
        number=number,
        expected=tuple(o for o in outputs if isinstance(o, Observation)),
    )
