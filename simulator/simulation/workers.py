"""Running shards: in this process, in local worker processes, or on a Dask cluster.

A shard is a contiguous range of producers (`Population.shard_range`). What a shard
computes depends only on its producers (their random streams are derived from the
seed and each producer's index), so any split, any number of workers and any
cluster give the same merged result. Each shard run also reports how long it took
and the worker's peak memory, for ``run.json`` and the benchmark (never for the
summary).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import socket
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, TextIO

from simulator.population import Population
from simulator.simulation.engine import DEFAULT_BUCKET_SECONDS, run_shard
from simulator.simulation.errors import SimulationError
from simulator.simulation.plan import Plan
from simulator.simulation.results import ShardResult
from simulator.simulation.table import CompiledTable
from specs.model import Parameters

__all__ = [
    "SHARD_TARGET",
    "Progress",
    "SchedulerError",
    "ShardRun",
    "ShardTask",
    "describe",
    "peak_rss_bytes",
    "run_task",
    "run_tasks",
    "shard_tasks",
]

SHARD_TARGET = 500_000
"""Producers per shard (about); at least one shard per worker."""


class SchedulerError(SimulationError, RuntimeError):
    """The Dask scheduler could not be reached or used."""


@dataclass(frozen=True)
class ShardTask:
    """What a worker needs to simulate one shard (all of it pickles small)."""

    shard: int
    start: int
    stop: int
    plan: Plan
    table: CompiledTable
    parameters: Parameters
    bucket_seconds: int = DEFAULT_BUCKET_SECONDS


@dataclass
class ShardRun:
    """A shard's result and how its run went (timings are not part of any summary)."""

    shard: int
    result: ShardResult
    seconds: float  # wall time from start to end of the shard
    cpu_seconds: float  # CPU time of the worker process meanwhile
    worker: str
    peak_rss: int  # bytes: the worker process's peak resident set


def peak_rss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    """The peak resident set size of this process (or of its largest waited-for child)."""
    return resource.getrusage(who).ru_maxrss * 1024  # Linux reports KiB


_POPULATIONS: dict[tuple[int, Parameters, tuple[str, ...]], Population] = {}


def run_task(task: ShardTask) -> ShardRun:
    """Simulate one shard (in whatever process runs it)."""
    began = time.perf_counter()
    cpu = time.process_time()
    key = (task.plan.seed, task.parameters, task.plan.lines)
    population = _POPULATIONS.get(key)
    if population is None:
        population = _POPULATIONS[key] = Population(
            task.plan.seed, task.parameters, lines=task.plan.lines
        )
    result = run_shard(
        task.plan, task.table, population, task.start, task.stop, task.bucket_seconds
    )
    return ShardRun(
        task.shard,
        result,
        time.perf_counter() - began,
        time.process_time() - cpu,
        f"{os.uname().nodename}:{os.getpid()}",
        peak_rss_bytes(),
    )


def shard_tasks(
    plan: Plan,
    table: CompiledTable,
    parameters: Parameters,
    workers: int,
    bucket_seconds: int = DEFAULT_BUCKET_SECONDS,
) -> list[ShardTask]:
    """The shards for ``workers`` workers: about `SHARD_TARGET` producers each, at
    least one per worker (and never an empty one)."""
    size = plan.producers
    count = max(1, min(size, max(workers, math.ceil(size / SHARD_TARGET))))
    tasks = []
    for shard in range(count):
        span = Population.shard_range(shard, count, size)
        if len(span):
            tasks.append(
                ShardTask(shard, span.start, span.stop, plan, table, parameters, bucket_seconds)
            )
    return tasks


class Progress:
    """A one-line progress bar on a terminal; silent otherwise."""

    def __init__(
        self, total: int, stream: TextIO | None = None, enabled: bool | None = None
    ) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.began = time.perf_counter()
        self.draw()

    def draw(self) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * self.done // max(1, self.total)
        elapsed = time.perf_counter() - self.began
        self.stream.write(
            f"\rsimulating [{'#' * filled}{'.' * (width - filled)}]"
            f" {self.done}/{self.total} shards {elapsed:5.1f} s"
        )
        self.stream.flush()

    def advance(self) -> None:
        self.done += 1
        self.draw()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _start_method() -> str:
    """spawn (a clean interpreter per worker, whatever threads this process runs),
    unless the main module cannot be re-imported (``python -`` from stdin): then fork."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return "fork" if path is not None and not os.path.isfile(path) else "spawn"


def _local(tasks: Sequence[ShardTask], workers: int, tick: Callable[[], None]) -> list[ShardRun]:
    if workers == 1 or len(tasks) == 1:
        runs = []
        for task in tasks:
            runs.append(run_task(task))
            tick()
        return runs
    context = multiprocessing.get_context(_start_method())
    runs = []
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        futures = [pool.submit(run_task, task) for task in tasks]
        for future in as_completed(futures):
            runs.append(future.result())
            tick()
    return runs


def _probe(address: str) -> None:
    """Fail fast on a TCP address nobody listens on (Dask would retry for seconds)."""
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as error:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address}: {error.strerror or error}"
        ) from None


def _dask(tasks: Sequence[ShardTask], address: str, tick: Callable[[], None]) -> list[ShardRun]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as error:  # pragma: no cover - dask[distributed] is a dependency
        raise SchedulerError(f"dask.distributed is not installed: {error}") from None
    _probe(address)
    try:
        client = Client(address, timeout=10, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    try:
        futures = client.map(run_task, list(tasks), pure=False)
        runs: list[ShardRun] = []
        for future in dask_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
            runs.append(future.result())
            tick()
        return runs
    finally:
        client.close()  # type: ignore[no-untyped-call]


def run_tasks(
    tasks: Sequence[ShardTask],
    workers: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[ShardRun]:
    """Run every shard (locally with ``workers`` processes, or on the Dask cluster at
    ``scheduler``); the runs in shard order. Raises SchedulerError for a cluster that
    cannot be reached."""

    def tick() -> None:
        if progress is not None:
            progress.advance()

    runs = _dask(tasks, scheduler, tick) if scheduler else _local(tasks, workers, tick)
    return sorted(runs, key=lambda run: run.shard)


def describe(runs: Sequence[ShardRun]) -> dict[str, Any]:
    """Per worker: shards, events, busy (wall) and CPU seconds, and events per second
    of each (on a shared machine the CPU figure is the worker's own speed)."""
    workers: dict[str, dict[str, Any]] = {}
    for run in runs:
        entry = workers.setdefault(
            run.worker,
            {
                "shards": 0,
                "events": 0,
                "busy_seconds": 0.0,
                "cpu_seconds": 0.0,
                "peak_rss_bytes": 0,
            },
        )
        entry["shards"] += 1
        entry["events"] += sum(v for k, v in run.result.counters.items() if k.startswith("events_"))
        entry["busy_seconds"] += run.seconds
        entry["cpu_seconds"] += run.cpu_seconds
        entry["peak_rss_bytes"] = max(entry["peak_rss_bytes"], run.peak_rss)
    for entry in workers.values():
        entry["events_per_second"] = (
            entry["events"] / entry["busy_seconds"] if entry["busy_seconds"] else 0.0
        )
        entry["events_per_cpu_second"] = (
            entry["events"] / entry["cpu_seconds"] if entry["cpu_seconds"] else 0.0
        )
    return workers
