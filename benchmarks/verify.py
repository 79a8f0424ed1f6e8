"""Time of the default `rpp verify` (build every part's model, generate the suites, run
every journey on the reference portal, in two processes), against the 30 s budget.

Baseline, measured in the same process: the same number of steps of the alphabet run
on the reference portal with no model and no comparison (the bare cost of driving the
portal), so the ratio says what the models and oracles add. The machines here are
shared and noisy: compare ratios, not absolute times.
Run: ``.venv/bin/python -m benchmarks.verify``.
"""

from __future__ import annotations

import time

from simulator.drivers.in_process import InProcessTarget
from simulator.population import Population
from simulator.verify.command import verify
from simulator.verify.model import Probe
from simulator.verify.suite import explore, journey_group, outsider_after
from specs import load_flows


def main() -> None:
    flow_set = load_flows()
    start = time.perf_counter()
    exploration = explore(flow_set, workers=2)
    built = time.perf_counter() - start
    report = verify(flow_set, seed=0, exploration=exploration, workers=2)
    total = time.perf_counter() - start
    steps = sum(len(r.journey.steps) for r in report.results)

    population = Population(0, flow_set.portal.parameters)
    parameters = flow_set.portal.parameters
    base_start = time.perf_counter()
    done = 0
    index = 0
    while done < steps:
        group = journey_group(population, index)
        outsider = outsider_after(population, group)
        index = outsider.index + 1
        target = InProcessTarget(flow_set, parameters, hash_iterations=1)
        probe = Probe(target, group, outsider, parameters, flow_set)
        for key in ("log_in_wrong_password", "log_in", "select_state", "click_edit_profile"):
            probe.step(key)
            done += 1
        for key in ("update_password", "back_to_profile_page", "close_browser"):
            probe.step(key)
            done += 1
    baseline = time.perf_counter() - base_start

    print(f"rpp verify (2 workers): {total:6.1f} s  (models and suites {built:.1f} s),")
    print(f"  {len(report.results)} journeys, {steps} steps, passed={report.passed}; budget 30 s")
    print(f"baseline, {done} bare steps in one process: {baseline:6.1f} s")
    print(f"ratio: {total / baseline:.2f}x the bare steps")


if __name__ == "__main__":
    main()
