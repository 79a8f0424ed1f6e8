"""benchmarks/walk_anchors.py, the walks against AALpy's equivalence oracles (issue 24),
on two portals at a small budget: the table's shape, the shipped flows passed by every
strategy (no false alarm of a hypothesis), a clearly broken portal found, the same
seed giving the same steps. No timing here: the benchmark prints its wall seconds."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.walk_anchors import (
    CONTROL,
    STRATEGIES,
    beyond_portals,
    format_table,
    measure,
    model_hypothesis,
)
from simulator.verify.model import ConformanceModel
from specs.model import FlowSet

BUDGET = 300  # five walks of 60 steps
BROKEN = "failures-counted-per-address"  # any producer's failure locks every account there


@pytest.fixture(scope="module")
def model(exploration: Any) -> ConformanceModel:
    composed = exploration.composed()
    assert composed is not None
    return composed[1]


def test_two_portals_make_a_table_and_the_broken_one_is_found(
    flow_set: FlowSet, model: ConformanceModel
) -> None:
    portals = [p for p in beyond_portals() if p[1] == CONTROL or p[0] == BROKEN]
    rows = measure(flow_set, portals, seed=0, budget=BUDGET, model=model)
    names = [name for name, _ in STRATEGIES]
    assert [r.portal for r in rows] == ["the shipped flows", BROKEN]
    assert all(list(r.outcomes) == names for r in rows)
    control, broken = rows
    assert all(o.steps is None and not o.false_alarm for o in control.outcomes.values())
    assert all(o.spent == BUDGET for o in control.outcomes.values())
    found = {n: o for n, o in broken.outcomes.items() if o.steps is not None}
    assert found, "no strategy found a portal where a failure counts for the whole address"
    assert all(0 < o.steps <= BUDGET and o.difference for o in found.values())  # type: ignore[operator]

    table = format_table(rows, BUDGET).splitlines()
    head = table[0].split()
    assert head == ["portal", "class", *names]
    assert table[2].startswith("the shipped flows") and table[2].split()[-len(names) :] == [
        "survived"
    ] * len(names)
    assert table[3].startswith(BROKEN)
    summary = table[table.index("") + 2 : table.index("") + 2 + len(names)]
    assert [line.split()[0] for line in summary] == names
    killed = [line.split()[0] for line in summary if "killed  1/1" in line]
    assert killed == list(found)
    assert table[-2].startswith("  killed by an AALpy oracle, not by the walks: ")
    assert table[-1].startswith("  killed by the walks alone: ")

    again = measure(flow_set, portals[1:], seed=0, budget=BUDGET, model=model)
    assert [o.steps for o in again[0].outcomes.values()] == [
        o.steps for o in broken.outcomes.values()
    ]


def test_the_state_prefix_hypothesis_is_the_models_minimal_machine(model: ConformanceModel) -> None:
    """Each AALpy state's prefix reaches it, and its outputs say which actions the
    model's state offers."""
    hypothesis = model_hypothesis(model)
    assert len(hypothesis.states) == model.minimal.num_states
    for state in hypothesis.states:
        hypothesis.reset_to_initial()
        for letter in state.prefix:
            hypothesis.step(letter)
        assert hypothesis.current_state is state
    offered = {out for s in hypothesis.states for out in s.output_fun.values()}
    assert offered == {"-", "as the flows"}
