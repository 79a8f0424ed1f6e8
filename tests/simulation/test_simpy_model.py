"""The SimPy model of benchmarks/simpy_side_by_side.py counts what `rpp simulate`
counts, within statistical noise: the side-by-side timings compare two simulations
of the same thing.

For each count, Welch's t-test on `SEEDS` seeded runs of each (the runs of one seed
share nothing with the other side's: different random streams), at a family-wise
false-alarm rate of `FALSE_ALARM` (Bonferroni over the counts): a correct pair fails
this test once in a thousand sets of seeds. A count that is constant on both sides
(emails lost: the scenario loses none) must be equal."""

from __future__ import annotations

import statistics

import pytest
from scipy.stats import ttest_ind

from benchmarks.simpy_side_by_side import COUNTS, rpp_counts, scenario_for, simulate_simpy
from simulator.simulation.run import simulate
from specs.model import FlowSet

SEEDS = 10
PRODUCERS = 2_000
DAYS = 7
FALSE_ALARM = 1e-3


def _runs(flow_set: FlowSet) -> tuple[list[dict[str, int]], list[dict[str, int]]]:
    scenario = scenario_for(DAYS)
    parameters = flow_set.portal.parameters
    simpy_runs = [simulate_simpy(scenario, parameters, PRODUCERS, seed) for seed in range(SEEDS)]
    rpp_runs = [
        rpp_counts(simulate(flow_set, scenario, PRODUCERS, seed).merged.counters)
        for seed in range(100, 100 + SEEDS)
    ]
    return simpy_runs, rpp_runs


def mismatches(simpy_runs: list[dict[str, int]], rpp_runs: list[dict[str, int]]) -> list[str]:
    """The counts whose means differ beyond noise (empty when none does)."""
    alpha = FALSE_ALARM / len(COUNTS)
    out = []
    for name in COUNTS:
        a = [run[name] for run in simpy_runs]
        b = [run[name] for run in rpp_runs]
        if len(set(a)) == 1 and len(set(b)) == 1:
            if a[0] != b[0]:
                out.append(f"{name}: SimPy always {a[0]}, rpp always {b[0]}")
            continue
        p_value = ttest_ind(a, b, equal_var=False).pvalue
        if p_value < alpha:
            out.append(
                f"{name}: SimPy mean {statistics.mean(a):.1f}, rpp mean {statistics.mean(b):.1f}"
                f" (Welch p = {p_value:.2g} < {alpha:.2g})"
            )
    return out


Runs = tuple[list[dict[str, int]], list[dict[str, int]]]


@pytest.fixture(scope="module")
def runs(flow_set: FlowSet) -> Runs:
    return _runs(flow_set)


def test_the_simpy_model_counts_what_rpp_counts(runs: Runs) -> None:
    simpy_runs, rpp_runs = runs
    assert simpy_runs[0]["lockouts"] > 50  # the runs are large enough to say something
    problems = mismatches(simpy_runs, rpp_runs)
    assert not problems, "\n".join(problems)


def test_the_comparison_sees_a_model_that_locks_out_too_often(runs: Runs) -> None:
    """What the test reads when one side is off: rpp's lock-outs doubled. (At this
    size it cannot see a few percent: 10 runs of 14,000 producer-days lock out about
    75 accounts each, give or take 10; a 50% error is at p = 6e-4, above the bar.)"""
    simpy_runs, rpp_runs = runs
    inflated = [{**run, "lockouts": run["lockouts"] * 2} for run in rpp_runs]
    problems = mismatches(simpy_runs, inflated)
    assert [p.partition(":")[0] for p in problems] == ["lockouts"], problems
