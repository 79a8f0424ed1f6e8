"""One simulation from start to report: plan, shards, merge, summary, files.

`simulate` returns a :class:`Simulation` (the merged result, the summary and how
the run went); `write_report` writes ``summary.json``, ``timeline.csv``, the
pictures (``timeline.png``, ``lockout-minutes.png``, ``emails.png``) and
``run.json`` into a directory.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.population import Population
from simulator.simulation.engine import DEFAULT_BUCKET_SECONDS, prepare_engine, run_shard
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
    population_of,
    progress_bar,
    run_tasks,
    shard_tasks,
    worker_limit,
)
from specs.atomic import directory_refusal, staged_directory
from specs.model import FlowSet, Parameters

__all__ = [
    "REPORT_MARKER",
    "ReportError",
    "Simulation",
    "check_out",
    "choose_loop",
    "choose_workers",
    "is_report",
    "process_age",
    "simulate",
    "write_files",
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
    compiled: bool = True  # False: the loop ran uncompiled (a small run: no numba)
    workers_chosen: str | None = None  # why, when rpp chose the number of workers
    phases: dict[str, float] = field(default_factory=dict)  # seconds, for run.json

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
    workers: int | None = 1,
    scheduler: str | None = None,
    progress: bool | None = False,
    bucket_seconds: int = DEFAULT_BUCKET_SECONDS,
    compiled: bool | None = None,
) -> Simulation:
    """Simulate ``producers`` producers of ``seed`` under ``scenario`` and the flows.

    ``workers`` None: chosen from the work's size and the CPUs free (`choose_workers`).
    ``compiled`` None: the compiled loop unless the run is small enough to cost less
    uncompiled than loading numba (`choose_loop`); the summary is the same either way.
    ``progress``: True draws a bar on stderr, None draws it only on a terminal.
    Raises SchedulerError when ``scheduler`` cannot be reached.
    """
    began = time.perf_counter()
    phases: dict[str, float] = {}
    parameters = flow_set.portal.parameters
    plan = build_plan(flow_set, scenario, seed, producers)
    table = compile_table(flow_set)
    population = population_of(seed, parameters, plan.lines)
    mark = _phase(phases, "plan_and_table", began)
    if compiled is None:
        compiled = scheduler is not None or choose_loop(plan, table, population)
        mark = _phase(phases, "choosing_the_loop", mark)
    loop_seconds = 0.0
    if compiled:
        _load_the_loop()
        loop_seconds = time.perf_counter() - mark
        mark = _phase(phases, "loading_the_compiled_loop", mark)
    chosen = None
    if workers is None:
        workers, chosen = (
            (1, None) if scheduler else choose_workers(plan, table, population, compiled)
        )
        mark = _phase(phases, "choosing_workers", mark)
    tasks = shard_tasks(plan, table, parameters, workers, bucket_seconds, compiled)
    examples = _Examples(plan, table, parameters, compiled)  # meanwhile, in this process
    bar = progress_bar(len(tasks), enabled=progress)
    try:
        merged, runs = run_tasks(tasks, workers, scheduler, bar.update)
    finally:
        bar.close()
    mark = _phase(phases, "simulating", mark)
    summary = summarise(plan, scenario, parameters, merged)
    mark = _phase(phases, "summary", mark)
    summary["examples_for_explain"] = examples.result()
    mark = _phase(phases, "waiting_for_examples", mark)
    seconds = time.perf_counter() - began - loop_seconds
    simulation = Simulation(
        plan, scenario, table, merged, summary, runs, workers, scheduler, seconds, loop_seconds
    )
    simulation.compiled = compiled
    simulation.workers_chosen = chosen
    simulation.phases = phases
    simulation.run_info = _run_info(simulation)
    return simulation


def _phase(phases: dict[str, float], name: str, since: float) -> float:
    """Record the seconds since ``since`` as phase ``name``; now."""
    now = time.perf_counter()
    phases[name] = round(now - since, 4)
    return now


UNCOMPILED_EVENTS = 40_000
"""Estimated events up to which a run takes the uncompiled loop: at 4 to 9 us of CPU an
event (measured with the shipped scenarios) that is at most about 0.3 s, against 0.4 s
of CPU for importing numba and loading the compiled loop from its cache; a smaller run
skips that cost altogether."""
_SAMPLE = 128  # producers run uncompiled to estimate the whole run's events
_SAMPLE_LIMIT = 100_000  # producer-days above which the compiled loop is taken unsampled


def _events(result_counters: dict[str, int]) -> int:
    return sum(v for k, v in result_counters.items() if k.startswith("events_"))


def choose_loop(plan: Plan, table: CompiledTable, population: Population) -> bool:
    """Whether to run the compiled loop (True) or the same loop uncompiled: uncompiled
    when the first `_SAMPLE` producers, run uncompiled, put the whole run at most at
    `UNCOMPILED_EVENTS` events. (The choice is a function of the plan alone, and
    both loops give the same result.)"""
    if plan.producers * plan.days > _SAMPLE_LIMIT:
        return True
    sample = min(plan.producers, _SAMPLE)
    counters = run_shard(plan, table, population, 0, sample, compiled=False).counters
    return _events(counters) * plan.producers / sample > UNCOMPILED_EVENTS


EVENTS_PER_EXTRA_WORKER = 100_000_000
"""Estimated events a run needs for each worker process beyond the first: a worker
costs 1 to 1.5 s to start (a fresh interpreter, numpy, numba, the loop from the cache),
which the other half of 100 million events at 45 ns each (2.2 s) repays with margin."""
_EVENT_SAMPLE = 2_000  # producers run compiled to estimate the events of the whole run


def free_cpus() -> tuple[int, str]:
    """CPUs this process may run on that are not busy (the 1-minute load average
    taken from them; at least 1), and how that was found, in words."""
    from simulator.simulation.workers import cores

    total = cores()
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average (not Linux)
        return total, f"{total} CPUs, load unknown"
    free = max(1, min(total, int(total - load + 0.5)))
    return free, f"{free} of {total} CPUs free (load {load:.1f})"


def choose_workers(
    plan: Plan, table: CompiledTable, population: Population, compiled: bool
) -> tuple[int, str]:
    """Local workers for this run, and why: one (in this process) unless the run is
    estimated (from its first producers) at `EVENTS_PER_EXTRA_WORKER` events per extra
    worker, and never more than the CPUs free or `worker_limit` allows."""
    if not compiled:
        return 1, "1 worker (a small run: this process)"
    sample = min(plan.producers, _EVENT_SAMPLE)
    counters = run_shard(plan, table, population, 0, sample).counters
    per_producer = _events(counters) / sample
    events = per_producer * plan.producers
    wanted = 1 + int(events // EVENTS_PER_EXTRA_WORKER)
    free, cpus = free_cpus()
    limit, _ = worker_limit()
    workers = max(1, min(wanted, free, limit))
    return workers, (
        f"{workers} worker{'s' if workers != 1 else ''} (about {events / 1e6:,.1f} million"
        f" events; {cpus})"
    )


def process_age() -> float | None:
    """Seconds since this process started (Linux's /proc; None elsewhere): what the
    interpreter and the imports cost before any of rpp's own timing starts."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rpartition(")")[2].split()
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        return round(uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"), 3)
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return None


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

    def __init__(
        self, plan: Plan, table: CompiledTable, parameters: Parameters, compiled: bool
    ) -> None:
        super().__init__(name="rpp-examples", daemon=True)
        self._arguments = (plan, table, parameters, compiled)
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
        "workers_chosen": simulation.workers_chosen,
        "loop": "compiled" if simulation.compiled else "uncompiled",
        "scheduler": simulation.scheduler,
        "shards": len(simulation.runs),
        "simulation_seconds": round(simulation.seconds, 3),
        "loop_load_seconds": round(simulation.loop_seconds, 3),
        "seconds": dict(simulation.phases),
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


def write_report(simulation: Simulation, out: Path, pictures: bool = True) -> list[Path]:
    """Write the report into ``out`` whole or not at all: the files go to a temporary
    directory beside it, which then takes ``out``'s place (an earlier report is kept
    as ``out.previous``). The paths written. Raises ReportError (``out`` untouched).
    ``pictures`` False leaves the PNGs out (and matplotlib unimported)."""
    try:
        with staged_directory(out) as staging:
            written = write_files(simulation, staging, pictures)
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
    return [out / path.name for path in written]


def write_files(simulation: Simulation, directory: Path, pictures: bool = True) -> list[Path]:
    """The report's files written into ``directory`` (an existing one), run.json last;
    the paths written. Timings of each part go into run.json's ``seconds``."""
    began = time.perf_counter()
    names = ("summary.json", "timeline.csv", "run.json")
    summary, timeline, run = (directory / name for name in names)
    write_summary(simulation.summary, summary)
    write_timeline_csv(simulation.plan, simulation.merged, timeline)
    phases = simulation.run_info.setdefault("seconds", {})
    mark = _phase(phases, "writing_summary_and_timeline", began)
    drawn: list[Path] = []
    if pictures:
        from simulator.simulation.plots import write_plots  # matplotlib only when drawing

        mark = _phase(phases, "importing_matplotlib", mark)
        title = (
            f"{simulation.scenario.name}: {simulation.plan.producers:,} producers,"
            f" seed {simulation.plan.seed}"
        )
        drawn = write_plots(simulation.plan, simulation.merged, title, directory)
        mark = _phase(phases, "drawing_pictures", mark)
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
    return [summary, timeline, *drawn, run]
