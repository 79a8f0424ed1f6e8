"""``rpp simulate --sweep``: every variant simulated in this process, one after the
other (the interpreter, the flows and the compiled loop paid for once), then one
report: ``sweep.csv``, ``sweep.png``, ``run.json`` and each variant's own report
(``summary.json``, ``timeline.csv``, ``run.json``; pictures with ``--sweep-pictures``)
in ``PARAM=VALUE/``, written whole or not at all as a single run's report is."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from simulator.simulation.run import REPORT_MARKER, ReportError, Simulation, simulate, write_files
from simulator.simulation.scenario import LoadScenario
from simulator.simulation.sweep import Sweep, apply, headline_row, write_sweep
from specs.atomic import staged_directory
from specs.model import FlowSet

__all__ = ["run_sweep", "simulate_sweep"]


def simulate_sweep(
    sweep: Sweep,
    flow_set: FlowSet,
    scenario: LoadScenario,
    producers: int,
    seed: int,
    workers: int | None = None,
    scheduler: str | None = None,
) -> list[Simulation]:
    """One simulation per value of ``sweep``, in order, in this process (and its workers)."""
    runs = []
    for value in sweep.values:
        variant_flows, variant = apply(sweep, value, flow_set, scenario)
        runs.append(
            simulate(variant_flows, variant, producers, seed, workers=workers, scheduler=scheduler)
        )
    return runs


def run_sweep(
    sweep: Sweep,
    flow_set: FlowSet,
    scenario: LoadScenario,
    args: argparse.Namespace,
    before: dict[str, Any],
) -> int:
    """Simulate and report a sweep for ``rpp simulate`` (exit 0 when every variant's
    invariants hold, else 1). Raises ReportError when the report cannot be written."""
    began = time.perf_counter()
    runs = simulate_sweep(
        sweep, flow_set, scenario, args.producers, args.seed, args.workers, args.scheduler
    )
    simulated = time.perf_counter()
    out = Path(args.out)
    title = (
        f"{scenario.name}: {args.producers:,} producers, seed {args.seed}, {sweep.parameter} swept"
    )
    try:
        with staged_directory(out) as staging:
            for value, simulation in zip(sweep.values, runs, strict=True):
                variant = staging / sweep.label(value)
                variant.mkdir()
                write_files(simulation, variant, pictures=args.sweep_pictures)
            written = write_sweep(sweep, [s.summary for s in runs], title, staging)
            info = {
                "report": REPORT_MARKER,
                "sweep": {"parameter": sweep.parameter, "values": list(sweep.values)},
                "producers": args.producers,
                "scenario": scenario.name,
                "variants": [sweep.label(value) for value in sweep.values],
                "seconds": {
                    **before,
                    "simulating_the_variants": round(simulated - began, 4),
                    "per_variant": [round(s.seconds + s.loop_seconds, 4) for s in runs],
                    "writing_the_report": round(time.perf_counter() - simulated, 4),
                },
            }
            (staging / "run.json").write_text(
                json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
    except OSError as error:
        raise ReportError(
            f"could not write the sweep to {out}: {error.strerror or error};"
            " the earlier report, if any, is as it was"
        ) from None
    _print_sweep(sweep, runs)
    names = ", ".join(path.name for path in written)
    print(f"report: {out}/ {names}, run.json, and each variant's in {sweep.parameter}=VALUE/")
    return 0 if all(simulation.invariants_hold for simulation in runs) else 1


def _print_sweep(sweep: Sweep, runs: list[Simulation]) -> None:
    first = runs[0]
    print(
        f"swept {sweep.parameter} over {', '.join(sweep.label(v).partition('=')[2] for v in sweep.values)}:"
        f" {first.plan.producers:,} producers, {first.scenario.name}"
        f" ({first.scenario.hours} h), seed {first.plan.seed}"
    )
    header = ["value", "lock-outs", "calls", "resets", "emails/h at peak", "invariants"]
    print("  ".join(f"{h:>16}" for h in header))
    for value, simulation in zip(sweep.values, runs, strict=True):
        row = headline_row(simulation.summary, [])
        held = "all hold" if simulation.invariants_hold else "BROKEN"
        cells = [sweep.label(value).partition("=")[2], *(f"{v:,}" for v in row.values()), held]
        print("  ".join(f"{c:>16}" for c in cells))
