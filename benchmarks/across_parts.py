"""What each alphabet of the across-parts part costs, and what it adds (issue 24).

1. **costs**: for each candidate alphabet (the shipped one, marked ``*``, and the others it was chosen
from), in this process: the part's model and suite built alone (explored and minimal
states, journeys, steps, seconds), the suite run on the reference portal in one process
(seconds), and the minimal states none of whose explored states' keys (the screen, the
account, what the producer knows) any other part's model builds. The first row is the
baseline: build and run times are also printed as ratios to it. The other parts' models
are built once, in two processes. The machine is shared: compare ratios, not seconds.
2. **kills**: for each broken portal of the class "across parts"
   (tests/verify/beyond_portals.py), which parts' suites kill it (``stop_after=1``, each
   part alone) and with which journey: the figures of tests/verify/test_across_parts.py.

Run: ``.venv/bin/python -m benchmarks.across_parts`` (``--part costs|kills``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace

from simulator.drivers.protocol import Target
from simulator.verify.command import verify
from simulator.verify.journeys import ACROSS_PARTS, PARTS
from simulator.verify.suite import Exploration, explore, only_here
from specs import load_flows
from specs.model import FlowSet, Parameters
from tests.verify.beyond_portals import BEYOND_THE_SUITE
from tests.verify.broken_portals import BrokenPortal

SHIPPED = next(part for part in PARTS if part.name == ACROSS_PARTS)
_FIRST = (
    "log_in",
    "log_in_wrong_password",
    "log_in_wrong_password_in_another_browser",
    "log_in_temporary_password",
    "click_reset_password",
    "reset_password_with_email",
    "confirm_request",
    "click_forgot_user_name",
    "forgot_user_name",
    "wait_temporary_password_lifetime",
    "select_state",
    "click_edit_profile",
    "update_password",
    "close_browser",
    "change_password_in_another_browser",
)
RESET_ELSEWHERE = "reset_password_in_another_browser"
CANDIDATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("first (15 inputs)", _FIRST),
    ("+ reset in another browser", (*_FIRST, RESET_ELSEWHERE)),
    (
        "+ reset elsewhere, a minute under the lifetime",
        (*_FIRST, RESET_ELSEWHERE, "wait_just_under_temporary_password_lifetime"),
    ),
    (
        "+ reset elsewhere, the temporary password as Current",
        (*_FIRST, RESET_ELSEWHERE, "update_password_temporary_as_current"),
    ),
    (
        "+ reset elsewhere, a wrong Current Password",
        (*_FIRST, RESET_ELSEWHERE, "update_password_wrong_current"),
    ),
)


def part_costs(flow_set: FlowSet) -> None:
    others = [part for part in PARTS if part.name != ACROSS_PARTS]
    start = time.perf_counter()
    rest = explore(flow_set, workers=2, parts=others)
    print(f"the other {len(others)} parts' models: {time.perf_counter() - start:.1f} s")
    rest_models = [p.model for p in rest.parts if p.model.variant is None]
    candidates = list(CANDIDATES)
    if all(SHIPPED.inputs != inputs for _, inputs in candidates):
        candidates.append(("shipped", SHIPPED.inputs))
    header = ("alphabet", "inputs", "explored", "states", "only here", "journeys", "steps")
    print(f"{header[0]:<55}" + "".join(f"{h:>10}" for h in header[1:]) + "   build s    run s")
    base: tuple[float, float] | None = None
    for name, inputs in candidates:
        part = replace(SHIPPED, inputs=inputs)
        start = time.perf_counter()
        built = explore(flow_set, workers=1, parts=[part])
        build = time.perf_counter() - start
        (model,) = built.parts
        start = time.perf_counter()
        report = verify(flow_set, seed=0, exploration=built, workers=1)
        run = time.perf_counter() - start
        assert not report.failed, f"{name}: the shipped flows fail their own suite"
        base = base or (build, run)
        mark = "*" if inputs == SHIPPED.inputs else " "
        cells = (
            len(inputs),
            model.model.machine.num_states,
            model.model.minimal.num_states,
            "/".join(map(str, only_here(model.model, rest_models))),
            len(model.journeys),
            sum(len(j.steps) for j in model.journeys),
        )
        print(
            f"{mark}{name:<54}"
            + "".join(f"{c:>10}" for c in cells)
            + f"  {build:5.1f} {build / base[0]:4.1f}x {run:5.1f} {run / base[1]:4.1f}x"
        )


def part_kills(flow_set: FlowSet) -> None:
    exploration = explore(flow_set, workers=2)
    for kind, portal in BEYOND_THE_SUITE:
        if kind != ACROSS_PARTS:
            continue
        print(f"{portal.id}: {portal.description}")
        for part in exploration.parts:
            start = time.perf_counter()
            report = verify(
                flow_set,
                0,
                _maker(flow_set, portal),
                exploration=Exploration([part], exploration.reached),
                stop_after=1,
                workers=2,
            )
            name = f"{part.part.name} ({part.model.variant or 'shipped'})"
            seconds = time.perf_counter() - start
            if report.failed:
                journey = report.failed[0].journey
                actions = ", ".join(s.action for s in journey.steps)
                print(f"  killed by {name}: journey {journey.name}: {actions} ({seconds:.0f} s)")
            else:
                print(f"  not by {name}: {len(report.results)} journeys passed ({seconds:.0f} s)")


def _maker(flow_set: FlowSet, portal: BrokenPortal) -> Callable[[Parameters], Target]:
    return lambda parameters: portal.make(flow_set, parameters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("costs", "kills"), action="append")
    args = parser.parse_args()
    flow_set = load_flows()
    for part in args.part or ("costs", "kills"):
        {"costs": part_costs, "kills": part_kills}[part](flow_set)


if __name__ == "__main__":
    main()
