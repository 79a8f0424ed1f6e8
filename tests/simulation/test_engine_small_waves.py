"""The engine on few producers with long chains of events (a give-up storm, an attack
wave of many attempts, visits that outlast a day), held to the reference that drives
each producer through the real portal machines; its memory does not grow with the
events a scenario makes. No timing here: `benchmarks.simulate` measures speed."""

from __future__ import annotations

import dataclasses
import itertools
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from simulator.population import Population
from simulator.simulation.engine import run_shard
from simulator.simulation.plan import build_plan
from simulator.simulation.reference import run_reference
from simulator.simulation.results import ShardResult, merge
from simulator.simulation.scenario import LoadScenario, load_scenario
from simulator.simulation.table import compile_table
from specs.model import FlowSet

BENCHMARK_SCENARIOS = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios"

# Locked out at every visit, giving up and coming straight back GIVE_UPS times; every
# visit lasts longer than the gap to the next one when COME_BACK is in hours.
STORM = """\
name: storm
period: {start: "2026-11-03T00:00", hours: HOURS}
arrivals:
  visit_share_per_day: 1.0
  by_hour: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
behaviour:
  mistype_rate: 1.0
  forgot_user_name_rate: 0.05
  after_lockout: {give_up: 100, reset: 1, call_producer_services: 1}
  give_up_at_most: GIVE_UPS
  come_back_after_hours: COME_BACK
  max_calls: 3
email:
  delivery_minutes: {minimum: 0.1, mean: 1.0}
  spam_rate: 0.2
  loss_rate: 0.1
ATTACK"""

ATTACK = """\
attack: {start_hour: 1, hours: 40, target_share: 0.7, attempts_per_target: ATTEMPTS,
         spacing_seconds: 1}
"""


def _scenario(tmp_path: Path, name: str = "storm", **fields: str) -> LoadScenario:
    text = STORM
    values = {"HOURS": "48", "GIVE_UPS": "200", "COME_BACK": "[0, 0]", "ATTACK": ""} | fields
    for field, value in values.items():
        text = text.replace(field, value)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(str(path))


def _flows_with(flow_set: FlowSet, **changes: Any) -> FlowSet:
    parameters = dataclasses.replace(flow_set.portal.parameters, **changes)
    return dataclasses.replace(
        flow_set, portal=dataclasses.replace(flow_set.portal, parameters=parameters)
    )


def _both(
    flows: FlowSet, scenario: LoadScenario, producers: int, seed: int = 2
) -> tuple[ShardResult, ShardResult]:
    plan = build_plan(flows, scenario, seed, producers)
    population = Population(seed, flows.portal.parameters, lines=plan.lines)
    engine = run_shard(plan, compile_table(flows), population, 0, producers)
    reference = run_reference(flows, plan, population, range(producers))
    return engine, reference


def _events(result: ShardResult) -> int:
    return sum(v for k, v in result.counters.items() if k.startswith("events_"))


@pytest.mark.parametrize("producers", [1, 2, 5])
def test_a_give_up_storm_of_a_few_producers_counts_what_the_machines_do(
    flow_set: FlowSet, tmp_path: Path, producers: int
) -> None:
    engine, reference = _both(flow_set, _scenario(tmp_path), producers)
    assert engine.same_as(reference) == []
    assert engine.counters["gave_up_for_now"] > 40 * producers  # a storm indeed
    assert _events(engine) > 80 * producers


def test_the_shipped_benchmark_storm_agrees_with_the_machines(flow_set: FlowSet) -> None:
    """The scenario `benchmarks.simulate` times, on one producer over its 31 days."""
    engine, reference = _both(
        flow_set, load_scenario(str(BENCHMARK_SCENARIOS / "give-up-storm.yaml")), 1
    )
    assert engine.same_as(reference) == []
    assert engine.counters["gave_up_for_now"] >= 1000 * 20


def test_visits_that_outlast_the_next_planned_one_skip_it_as_the_machines_do(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    """Coming back 20 to 30 hours later, a producer is still in the last visit when
    the next day's visit is due: that visit is skipped, in the engine as in the reference."""
    scenario = _scenario(tmp_path, HOURS="168", GIVE_UPS="3", COME_BACK="[20, 30]")
    engine, reference = _both(flow_set, scenario, 12)
    assert engine.same_as(reference) == []
    planned = 12 * 7  # everybody plans a visit every day
    assert 0 < engine.counters["visits"] < planned


@pytest.mark.parametrize("auto_unlock", [None, 30])
def test_an_attack_of_many_attempts_per_target_counts_what_the_machines_do(
    flow_set: FlowSet, tmp_path: Path, auto_unlock: int | None
) -> None:
    flows = _flows_with(flow_set, auto_unlock_after_minutes=auto_unlock)
    scenario = _scenario(
        tmp_path, GIVE_UPS="2", COME_BACK="[1, 3]", ATTACK=ATTACK.replace("ATTEMPTS", "300")
    )
    engine, reference = _both(flows, scenario, 20)
    assert engine.same_as(reference) == []
    assert engine.counters["attack_attempts"] > 300 * 5


@pytest.mark.parametrize(
    "name", ["normal-day", "forced-reset", "credential-stuffing", "mail-outage"]
)
def test_one_to_three_producers_count_what_the_machines_do(flow_set: FlowSet, name: str) -> None:
    scenario = load_scenario(name)
    for producers, seed in itertools.product((1, 2, 3), (0, 7)):
        engine, reference = _both(flow_set, scenario, producers, seed)
        assert engine.same_as(reference) == [], (producers, seed)


def test_a_storm_does_not_depend_on_the_split_into_shards(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    scenario = _scenario(tmp_path, ATTACK=ATTACK.replace("ATTEMPTS", "50"))
    plan = build_plan(flow_set, scenario, 4, 30)
    table = compile_table(flow_set)
    population = Population(4, flow_set.portal.parameters, lines=plan.lines)
    whole = run_shard(plan, table, population, 0, 30)
    for bounds in ([0, 1, 30], [0, 7, 8, 29, 30]):
        parts = [run_shard(plan, table, population, a, b) for a, b in itertools.pairwise(bounds)]
        assert merge(parts).same_as(whole) == []


def _peak_bytes(flows: FlowSet, scenario: LoadScenario, producers: int) -> tuple[int, int]:
    plan = build_plan(flows, scenario, 1, producers)
    table = compile_table(flows)
    population = Population(1, flows.portal.parameters, lines=plan.lines)
    tracemalloc.start()
    try:
        result = run_shard(plan, table, population, 0, producers)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, _events(result)


def test_memory_does_not_grow_with_the_attempts_of_an_attack(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    """100 times the attempts per target (25 times the events)
    take about the same memory: attempts are made one after the other, not all at once."""
    peaks = {}
    for attempts in (10, 1000):
        scenario = _scenario(
            tmp_path,
            name=f"attack{attempts}",
            HOURS="24",
            GIVE_UPS="1",
            COME_BACK="[1, 2]",
            ATTACK=ATTACK.replace("ATTEMPTS", str(attempts)),
        )
        peaks[attempts] = _peak_bytes(flow_set, scenario, 2000)
    (small, small_events), (large, large_events) = peaks[10], peaks[1000]
    assert large_events > 20 * small_events
    # the old engine emitted every attempt up front: 16 bytes each, over 20 MB here
    assert large < 1.5 * small + (1 << 20), (small, large)
