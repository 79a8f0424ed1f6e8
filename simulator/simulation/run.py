"""One simulation from start to report: plan, shards, merge, summary, files.

`simulate` returns a :class:`Simulation` (the merged result, the summary and how
the run went); `write_report` writes ``summary.json``, ``timeline.csv``, the
pictures (``timeline.png``, ``lockout-minutes.png``, ``emails.png``) and
``run.json`` into a directory.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.simulation.engine import DEFAULT_BUCKET_SECONDS, prepare_engine
from simulator.simulation.errors import SimulationError
from simulator.simulation.examples import find_examples
from simulator.simulation.plan import Plan, build_plan
from simulator.simulation.report import summarise, write_summary, write_timeline_csv
from simulator.simulation.results import ShardResult
from simulator.simulation.scenario import LoadScenario
from simulator.simulation.table import CompiledTable, compile_table
from simulator.simulation.workers import (
    ShardRun,
    describe,
    peak_rss_bytes,
    progress_bar,
    run_tasks,
    shard_tasks,
)
from specs.atomic import directory_refusal, staged_directory
from specs.model import FlowSet, Parameters

__all__ = [
    "REPORT_MARKER",
    "ReportError",
    "Simulation",
    "check_out",
    "is_report",
    "simulate",
    "write_report",
]


class ReportError(SimulationError):
    """The report cannot be written where asked (nothing there was changed)."""


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
    loop_seconds: float = 0.0  # loading (or compiling) the compiled loop, before it
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
    loading = time.perf_counter()
    _load_the_loop()
    began = time.perf_counter()
    parameters = flow_set.portal.parameters
    plan = build_plan(flow_set, scenario, seed, producers)
    table = compile_table(flow_set)
    tasks = shard_tasks(plan, table, parameters, workers, bucket_seconds)
    examples = _Examples(plan, table, parameters)  # meanwhile, in this process
    bar = progress_bar(len(tasks), enabled=progress)
    try:
        merged, runs = run_tasks(tasks, workers, scheduler, bar.update)
    finally:
        bar.close()
    summary = summarise(plan, scenario, parameters, merged)
    summary["examples_for_explain"] = examples.result()
    seconds = time.perf_counter() - began
    simulation = Simulation(
        plan, scenario, table, merged, summary, runs, workers, scheduler, seconds, began - loading
    )
    simulation.run_info = _run_info(simulation)
    return simulation


COMPILING_NOTICE_AFTER = 1.0  # seconds of loading the loop after which a terminal is told


def _load_the_loop() -> None:
    """Load the compiled loop here, once, so that the workers load it from numba's
    cache; when that takes long (it is being compiled: once per install or change of
    the loop), a terminal is told why nothing happens yet."""
    notice = threading.Timer(
        COMPILING_NOTICE_AFTER,
        lambda: print(
            "rpp simulate: compiling the simulation loop (once per install, 7 to 8 s of CPU)",
            file=sys.stderr,
            flush=True,
        ),
    )
    notice.daemon = True
    if sys.stderr.isatty():
        notice.start()
    try:
        prepare_engine()
    finally:
        notice.cancel()


class _Examples(threading.Thread):
    """`find_examples` in a thread, while this process waits for the workers."""

    def __init__(self, plan: Plan, table: CompiledTable, parameters: Parameters) -> None:
        super().__init__(name="rpp-examples", daemon=True)
        self._arguments = (plan, table, parameters)
        self._found: dict[str, list[str]] | None = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._found = find_examples(*self._arguments)
        except BaseException as error:  # handed to the caller of result()
            self._error = error

    def result(self) -> dict[str, list[str]]:
        self.join()
        if self._error is not None:
            raise self._error
        assert self._found is not None
        return self._found


def _run_info(simulation: Simulation) -> dict[str, Any]:
    per_worker = describe(simulation.runs)
    # Each worker's peak (local processes, or the Dask cluster's workers).
    workers = sum(
        entry["peak_rss_bytes"] for name, entry in per_worker.items() if not _is_self(name)
    )
    local_workers = workers if simulation.scheduler is None else 0
    dask_workers = workers if simulation.scheduler is not None else 0
    own = peak_rss_bytes()
    return {
        "report": REPORT_MARKER,
        "producers": simulation.plan.producers,
        "scenario": simulation.scenario.name,
        "workers": simulation.workers,
        "scheduler": simulation.scheduler,
        "shards": len(simulation.runs),
        "simulation_seconds": round(simulation.seconds, 3),
        "loop_load_seconds": round(simulation.loop_seconds, 3),
        "events": simulation.events,
        "events_per_second": round(simulation.events / simulation.seconds, 1)
        if simulation.seconds
        else None,
        "per_worker": per_worker,
        "peak_rss_bytes": {
            "this_process": own,
            "local_workers": local_workers,
            "dask_workers": dask_workers,
            "total": own + local_workers + dask_workers,
        },
        "largest_waited_child_rss_bytes": peak_rss_bytes(resource.RUSAGE_CHILDREN),
    }


def _is_self(worker: str) -> bool:
    import os

    return worker.endswith(f":{os.getpid()}")


REPORT_MARKER = "rpp simulate"
"""``run.json``'s ``report`` value: how an earlier report is recognised."""


def is_report(directory: Path) -> bool:
    """Whether ``directory`` holds an earlier ``rpp simulate`` report (its run.json)."""
    try:
        info = json.loads((directory / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and (
        info.get("report") == REPORT_MARKER or "simulation_seconds" in info
    )


def check_out(out: Path) -> None:
    """Refuse an ``--out`` a report cannot replace safely, before anything is simulated
    (the rules of :func:`specs.atomic.directory_refusal`, an earlier report known by its
    run.json). Raises ReportError."""
    refusal = directory_refusal(out, is_report)
    if refusal is not None:
        raise ReportError(f"--out {out}: {refusal}")


def write_report(simulation: Simulation, out: Path) -> list[Path]:
    """Write the report into ``out`` whole or not at all: the files go to a temporary
    directory beside it, which then takes ``out``'s place (an earlier report is kept
    as ``out.previous``). The paths written. Raises ReportError (``out`` untouched)."""
    from simulator.simulation.plots import write_plots  # matplotlib only when drawing

    names = ("summary.json", "timeline.csv", "run.json")
    try:
        with staged_directory(out) as staging:
            summary, timeline, run = (staging / name for name in names)
            write_summary(simulation.summary, summary)
            write_timeline_csv(simulation.plan, simulation.merged, timeline)
            title = (
                f"{simulation.scenario.name}: {simulation.plan.producers:,} producers,"
                f" seed {simulation.plan.seed}"
            )
            pictures = write_plots(simulation.plan, simulation.merged, title, staging)
            # Peak memory once the report is drawn too: this process at its largest plus
            # each local worker's peak (an upper bound on the process tree's peak).
            own = peak_rss_bytes()
            memory = simulation.run_info["peak_rss_bytes"]
            memory["this_process"] = own
            memory["total"] = own + memory["local_workers"] + memory["dask_workers"]
            # run.json last: it marks a complete report.
            run.write_text(
                json.dumps(simulation.run_info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise ReportError(
            f"could not write the report to {out}{where}: {error.strerror or error};"
            " the earlier report, if any, is as it was"
        ) from None
    except Exception as error:  # drawing: a failure in matplotlib must not lose the report
        raise ReportError(
            f"could not draw the report's pictures for {out}: {type(error).__name__}: {error};"
            " the earlier report, if any, is as it was"
        ) from None
    return [out / name for name in (names[0], names[1], *(p.name for p in pictures), names[2])]
