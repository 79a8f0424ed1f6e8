"""Running shards: in this process, in local worker processes, or on a Dask cluster.

A shard is a contiguous range of producers (`Population.shard_range`). What a shard
computes depends only on its producers (their random streams are derived from the
seed and each producer's index), so any split, any number of workers and any
cluster give the same merged result. Each shard run also reports how long it took
and the worker's peak memory, for ``run.json`` and the benchmark (never for the
summary).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import resource
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TextIO

from simulator.population import Population
from simulator.simulation.engine import DEFAULT_BUCKET_SECONDS, prepare_engine, run_shard
from simulator.simulation.errors import SimulationError
from simulator.simulation.plan import Plan
from simulator.simulation.results import Merger, ShardResult
from simulator.simulation.table import CompiledTable
from specs.model import Parameters
from specs.processes import stop as stop_processes
from specs.processes import worker_started

__all__ = [
    "SCHEDULER_SCHEMES",
    "SCHEDULER_TIMEOUT",
    "SHARD_TARGET",
    "SchedulerError",
    "ShardRun",
    "ShardTask",
    "cores",
    "describe",
    "peak_rss_bytes",
    "population_of",
    "progress_bar",
    "run_task",
    "run_tasks",
    "shard_tasks",
    "worker_limit",
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
    compiled: bool = True  # False: the same loop uncompiled (a small run, one process)


@dataclass
class ShardRun:
    """A shard's result and how its run went (timings are not part of any summary)."""

    shard: int
    result: ShardResult | None  # None once merged
    seconds: float  # wall time from start to end of the shard
    cpu_seconds: float  # CPU time of the worker process meanwhile
    worker: str
    peak_rss: int  # bytes: the worker process's peak resident set
    events: int = 0  # events the shard processed


def peak_rss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    """The peak resident set size of this process (or of its largest waited-for child)."""
    return resource.getrusage(who).ru_maxrss * 1024  # Linux reports KiB


_POPULATIONS: dict[tuple[int, Parameters, tuple[str, ...]], Population] = {}
_POPULATIONS_LOCK = threading.Lock()


def population_of(seed: int, parameters: Parameters, lines: tuple[str, ...]) -> Population:
    """The population of ``seed``, made once per process (Faker's name pools cost tens of
    ms each time): the run, its shards and its examples share it."""
    key = (seed, parameters, lines)
    with _POPULATIONS_LOCK:
        population = _POPULATIONS.get(key)
        if population is None:
            population = _POPULATIONS[key] = Population(seed, parameters, lines=lines)
        return population


def run_task(task: ShardTask) -> ShardRun:
    """Simulate one shard (in whatever process runs it)."""
    if _STARTED is not None:
        _STARTED[task.shard] = os.getpid()
    began = time.perf_counter()
    cpu = time.process_time()
    population = population_of(task.plan.seed, task.parameters, task.plan.lines)
    result = run_shard(
        task.plan,
        task.table,
        population,
        task.start,
        task.stop,
        task.bucket_seconds,
        compiled=task.compiled,
    )
    if _STARTED is not None:
        # Done here, even if its result has not reached rpp yet when this worker dies:
        # a lost worker is then blamed only for the shard it was still simulating.
        _STARTED[task.shard] = -os.getpid()
    return ShardRun(
        task.shard,
        result,
        time.perf_counter() - began,
        time.process_time() - cpu,
        f"{os.uname().nodename}:{os.getpid()}",
        peak_rss_bytes(),
        sum(v for k, v in result.counters.items() if k.startswith("events_")),
    )


def shard_tasks(
    plan: Plan,
    table: CompiledTable,
    parameters: Parameters,
    workers: int,
    bucket_seconds: int = DEFAULT_BUCKET_SECONDS,
    compiled: bool = True,
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
                ShardTask(
                    shard, span.start, span.stop, plan, table, parameters, bucket_seconds, compiled
                )
            )
    return tasks


class _NoBar:
    """No progress bar (not on a terminal): updates are ignored."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, stream: TextIO | None = None, enabled: bool | None = None) -> Any:
    """A tqdm bar of ``total`` shards on ``stream`` (stderr): shown when ``enabled``,
    or, when None, only on a terminal (silent otherwise: no lines in a log)."""
    stream = stream or sys.stderr
    if enabled is False or (enabled is None and not stream.isatty()):
        return _NoBar()
    from tqdm import tqdm  # only a run that draws it pays for the import

    return tqdm(
        total=total,
        desc="simulating",
        unit="shard",
        file=stream,
        disable=None if enabled is None else not enabled,
        dynamic_ncols=True,
    )


def _start_method() -> str:
    """spawn (a clean interpreter per worker, whatever threads this process runs),
    unless the main module cannot be re-imported (``python -`` from stdin): then fork."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return "fork" if path is not None and not os.path.isfile(path) else "spawn"


# --- how many local workers a machine holds ---------------------------------------

WORKERS_PER_CORE = 4
WORKER_MEMORY_BYTES = 512 * 2**20
"""Memory set aside per local worker: a worker simulating a shard of `SHARD_TARGET`
producers over 30 days of normal-day peaks at about 176 MiB with the compiled loop
(measured; 490 MB with the numpy engine before it), so this leaves room for longer
periods and other scenarios."""


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _available_memory() -> int | None:
    """MemAvailable of /proc/meminfo in bytes (None where there is none)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def worker_limit() -> tuple[int, str]:
    """The most local workers this machine holds, and the rule in words: at most
    `WORKERS_PER_CORE` per core this process may run on, and one per
    `WORKER_MEMORY_BYTES` of available memory (never fewer than 1)."""
    count = cores()
    by_cores = WORKERS_PER_CORE * count
    memory = _available_memory()
    by_memory = by_cores if memory is None else max(1, memory // WORKER_MEMORY_BYTES)
    rule = f"{WORKERS_PER_CORE} per core, {count} core{'s' if count != 1 else ''}"
    if memory is not None:
        rule += (
            f"; one per {WORKER_MEMORY_BYTES // 2**20} MiB of the"
            f" {memory / 2**30:.1f} GiB available"
        )
    return max(1, min(by_cores, by_memory)), rule


# --- local worker processes -------------------------------------------------------

_STARTED: Any = None  # in a worker: shard -> pid of the worker simulating it (-pid: done)


def _worker_init(parent: int, started: Any) -> None:
    """A worker: dies with rpp, leaves Ctrl-C to rpp (which stops it), records which
    shard it works on (so a lost worker's shard can be named), and loads the compiled
    loop once, as it imports its modules (not in its first shard's time)."""
    global _STARTED
    worker_started(parent)
    _STARTED = started
    prepare_engine()


def _lost(
    tasks: Sequence[ShardTask], finished: set[int], started: Any, processes: Sequence[Any]
) -> str:
    """The message for a worker that died: which one, how, and the shard it was on
    (or, when that is not known, the shards left unfinished)."""
    dead = {p.pid: p.exitcode for p in processes if p.exitcode is not None and p.exitcode != 0}
    unfinished = [task for task in tasks if task.shard not in finished]
    # The pool terminates the other workers (SIGTERM) once one is lost: blame one of
    # those only when no worker died otherwise.
    terminated = -signal.SIGTERM
    ordered = sorted(unfinished, key=lambda task: dead.get(started[task.shard]) == terminated)
    for task in ordered:
        pid = started[task.shard]  # -pid once simulated, 0 if not started
        if pid > 0 and pid in dead:
            code = dead[pid]
            how = (
                f"killed by {signal.Signals(-code).name}"
                if code < 0 and -code in signal.valid_signals()
                else f"exit status {code}"
            )
            return (
                f"a worker process (pid {pid}) was lost ({how}) while simulating shard"
                f" {task.shard} (producers {task.start:,} to {task.stop - 1:,}); no report"
                " was written"
            )
    shards = ", ".join(str(task.shard) for task in unfinished) or "none"
    return (
        "a worker process was lost (terminated abruptly) with shards"
        f" {shards} unfinished; no report was written"
    )


def _local(tasks: Sequence[ShardTask], workers: int, done: Callable[[ShardRun], None]) -> None:
    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            done(run_task(task))
        return
    context = multiprocessing.get_context(_start_method())
    started = context.RawArray("q", max(task.shard for task in tasks) + 1)
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=context,
        initializer=_worker_init,
        initargs=(os.getpid(), started),
    )
    processes: list[Any] = []
    finished: set[int] = set()
    try:
        futures = [pool.submit(run_task, task) for task in tasks]
        processes = list(getattr(pool, "_processes", {}).values())
        for future in as_completed(futures):
            run = future.result()
            finished.add(run.shard)
            done(run)
    except BrokenProcessPool:
        processes = processes or list(getattr(pool, "_processes", {}).values())
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(1.0)
        raise SimulationError(_lost(tasks, finished, started, processes)) from None
    except BaseException:  # Ctrl-C, SIGTERM, a shard's error: stop every worker now
        stop_processes(processes or list(getattr(pool, "_processes", {}).values()))
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- a Dask cluster ---------------------------------------------------------------

SCHEDULER_TIMEOUT = 10.0
"""Seconds to reach a Dask scheduler, see its handshake and find a worker."""

SCHEDULER_SCHEMES = ("tcp", "tls")


def _probe(address: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """Fail fast, with a message, on a TCP address where no Dask scheduler answers:
    nobody listening, or a server that does not open with Dask's handshake (a Dask
    scheduler speaks first: an 8-byte length, then a small message)."""
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme != "tcp" or not port.isdigit():
        return
    try:
        connection = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    except OSError as error:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address}: {error.strerror or error}"
        ) from None
    with connection:
        head = b""
        try:
            connection.settimeout(timeout / 2)
            while len(head) < 8:
                chunk = connection.recv(8 - len(head))
                if not chunk:
                    break
                head += chunk
        except OSError:
            pass
    length = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
    if not 0 < length <= 2**20:
        said = f" (it sent {head!r})" if head else f" (no answer within {timeout / 2:g} s)"
        raise SchedulerError(
            f"{address} does not answer as a Dask scheduler{said}; start one with"
            " `dask scheduler` and name its tcp://HOST:PORT"
        )


def _dask(
    tasks: Sequence[ShardTask],
    address: str,
    done: Callable[[ShardRun], None],
    timeout: float = SCHEDULER_TIMEOUT,
) -> None:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as error:  # pragma: no cover - dask[distributed] is a dependency
        raise SchedulerError(f"dask.distributed is not installed: {error}") from None
    _probe(address, timeout)
    try:
        client = Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except Exception as error:  # Dask raises OSError, TimeoutError, ValueError, ...
        raise SchedulerError(
            f"cannot use the Dask scheduler at {address}: {type(error).__name__}: {error}"
        ) from None
    futures: list[Any] = []
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except Exception:
            raise SchedulerError(
                f"the Dask scheduler at {address} has no worker (none joined within"
                f" {timeout:g} s); start one with `dask worker {address}`"
            ) from None
        futures = client.map(run_task, list(tasks), pure=False)
        shard_of = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in dask_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
            try:
                run = future.result()
            except Exception as error:
                task = shard_of[future.key]
                raise SchedulerError(
                    f"shard {task.shard} (producers {task.start:,} to {task.stop - 1:,}) failed"
                    f" on the Dask cluster at {address}: {type(error).__name__}: {error}"
                ) from None
            done(run)
    finally:
        with contextlib.suppress(Exception):
            client.cancel(futures)  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            client.close(timeout=timeout)  # type: ignore[no-untyped-call]


def run_tasks(
    tasks: Sequence[ShardTask],
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[], object] | None = None,
) -> tuple[ShardResult, list[ShardRun]]:
    """Run every shard (locally with ``workers`` processes, or on the Dask cluster at
    ``scheduler``), merging each result as it arrives (a shard's result is dropped once
    merged; ``progress`` is called then). The merged result and the runs in shard order
    (without their results).

    Raises SchedulerError for a cluster that cannot be reached or used, SimulationError
    for a lost worker; on Ctrl-C or SIGTERM (KeyboardInterrupt) every local worker is
    stopped before it propagates."""
    merger = Merger()
    runs: list[ShardRun] = []

    def done(run: ShardRun) -> None:
        assert run.result is not None
        merger.add(run.result)
        run.result = None
        runs.append(run)
        if progress is not None:
            progress()

    if scheduler:
        _dask(tasks, scheduler, done)
    else:
        _local(tasks, workers, done)
    return merger.result(), sorted(runs, key=lambda run: run.shard)


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
        entry["events"] += run.events
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
