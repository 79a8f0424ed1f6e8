"""One simulation from start to report: plan, shards, merge, summary, files.

`simulate` returns a :class:`Simulation` (the merged result, the summary and how
the run went); `write_report` writes ``summary.json``, ``timeline.csv``, the
pictures (``timeline.png``, ``lockout-minutes.png``, ``emails.png``) and
``run.json`` into a directory.
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.simulation.engine import DEFAULT_BUCKET_SECONDS
from simulator.simulation.plan import Plan, build_plan
from simulator.simulation.report import summarise, write_summary, write_timeline_csv
from simulator.simulation.results import ShardResult, merge
from simulator.simulation.scenario import LoadScenario
from simulator.simulation.table import CompiledTable, compile_table
from simulator.simulation.workers import (
    Progress,
    ShardRun,
    describe,
    peak_rss_bytes,
    run_tasks,
    shard_tasks,
)
from specs.model import FlowSet

__all__ = ["Simulation", "simulate", "write_report"]


@dataclass
class Simulation:
    plan: Plan
    scenario: LoadScenario
    table: CompiledTable
    merged: ShardResult
    summary: dict[str, Any]
    runs: list[ShardRun]
    workers: int
    scheduler: str | None
    seconds: float  # wall time of the simulation (not of writing the report)
    run_info: dict[str, Any] = field(default_factory=dict)

    @property
    def invariants_hold(self) -> bool:
        return all(check["holds"] for check in self.summary["invariants"].values())

    @property
    def events(self) -> int:
        return int(self.summary["events_processed"]["total"])


def simulate(
    flow_set: FlowSet,
    scenario: LoadScenario,
    producers: int,
    seed: int = 0,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool | None = False,
    bucket_seconds: int = DEFAULT_BUCKET_SECONDS,
) -> Simulation:
    """Simulate ``producers`` producers of ``seed`` under ``scenario`` and the flows.

    ``progress``: True draws a bar on stderr, None draws it only on a terminal.
    Raises SchedulerError when ``scheduler`` cannot be reached.
    """
    began = time.perf_counter()
    parameters = flow_set.portal.parameters
    plan = build_plan(flow_set, scenario, seed, producers)
    table = compile_table(flow_set)
    tasks = shard_tasks(plan, table, parameters, workers, bucket_seconds)
    bar = Progress(len(tasks), enabled=progress)
    try:
        runs = run_tasks(tasks, workers, scheduler, bar)
    finally:
        bar.close()
    merged = merge([run.result for run in runs])
    summary = summarise(plan, scenario, parameters, merged)
    seconds = time.perf_counter() - began
    simulation = Simulation(
        plan, scenario, table, merged, summary, runs, workers, scheduler, seconds
    )
    simulation.run_info = _run_info(simulation)
    return simulation


def _run_info(simulation: Simulation) -> dict[str, Any]:
    per_worker = describe(simulation.runs)
    local_workers = (
        sum(entry["peak_rss_bytes"] for name, entry in per_worker.items() if not _is_self(name))
        if simulation.scheduler is None
        else 0
    )
    own = peak_rss_bytes()
    return {
        "producers": simulation.plan.producers,
        "scenario": simulation.scenario.name,
        "workers": simulation.workers,
        "scheduler": simulation.scheduler,
        "shards": len(simulation.runs),
        "simulation_seconds": round(simulation.seconds, 3),
        "events": simulation.events,
        "events_per_second": round(simulation.events / simulation.seconds, 1)
        if simulation.seconds
        else None,
        "per_worker": per_worker,
        "peak_rss_bytes": {
            "this_process": own,
            "local_workers": local_workers,
            "total": own + local_workers,
        },
        "largest_waited_child_rss_bytes": peak_rss_bytes(resource.RUSAGE_CHILDREN),
    }


def _is_self(worker: str) -> bool:
    import os

    return worker.endswith(f":{os.getpid()}")


def write_report(simulation: Simulation, out: Path) -> list[Path]:
    """Write the report files into ``out`` (made if missing); the paths written."""
    from simulator.simulation.plots import write_plots  # matplotlib only when drawing

    out.mkdir(parents=True, exist_ok=True)
    summary, timeline, run = (out / name for name in ("summary.json", "timeline.csv", "run.json"))
    write_summary(simulation.summary, summary)
    write_timeline_csv(simulation.plan, simulation.merged, timeline)
    title = (
        f"{simulation.scenario.name}: {simulation.plan.producers:,} producers,"
        f" seed {simulation.plan.seed}"
    )
    pictures = write_plots(simulation.plan, simulation.merged, title, out)
    # Peak memory once the report is drawn too: this process at its largest plus each
    # local worker's peak (an upper bound on the process tree's peak).
    own = peak_rss_bytes()
    memory = simulation.run_info["peak_rss_bytes"]
    memory["this_process"] = own
    memory["total"] = own + memory["local_workers"]
    run.write_text(
        json.dumps(simulation.run_info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return [summary, timeline, *pictures, run]
