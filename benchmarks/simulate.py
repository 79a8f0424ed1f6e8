"""Time `rpp simulate` at a million producers, at month scale and on a small
population with long chains of events, each against a baseline in the same run.

1. Runs ``rpp simulate --producers 1000000`` (default scenario, 2 workers) as a
   separate process, end to end (interpreter start, flows, simulation, report), and
   prints its wall time, events per second (overall and per worker, from the
   report's run.json) and peak memory (the rpp process plus each worker's peak).
2. In this process, runs the naive baseline: the same scenario on 20,000 producers,
   each with its own `transitions` machines in a real portal (accounts, browser
   sessions, forms, emails, a mailbox) on one heap of events; checks that the
   compiled engine counts exactly the same for those 20,000 producers; prints the
   wall time per producer of each and their ratio.
3. Month scale: ``rpp simulate --producers 10000000`` over 30 days
   (``benchmarks/scenarios/month.yaml``: the normal day, every day), 2 workers, end to
   end; its worker CPU per event against step 1's (the cost of a day does not grow
   with the days before it). ``--month-workers-check`` runs it again on one worker
   and compares the two summary.json files byte for byte.
4. A small population: the give-up storm (``benchmarks/scenarios/give-up-storm.yaml``:
   locked out every day, giving up and coming straight back a thousand times) on 20
   producers, in this process on one core; its CPU per event against the same engine
   on a large shard in this process (200,000 producers of month.yaml: the cost of an
   event must not depend on how many producers there are) and against step 3's, and
   the naive baseline on one storm producer, which must count the same as the engine.
   The compiled loop is loaded (or compiled) first, and that time printed apart.

The machine is shared and noisy: ``--repeat`` runs step 1 several times and prints
every run and the median; the per-event figures are in CPU seconds of the process
that did the work. Run: ``.venv/bin/python -m benchmarks.simulate``
(``--parts day,month,small`` chooses the steps).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from simulator.population import Population
from simulator.simulation.engine import prepare_engine, run_shard
from simulator.simulation.plan import build_plan
from simulator.simulation.reference import run_reference
from simulator.simulation.scenario import load_scenario
from simulator.simulation.table import compile_table
from specs import load_flows

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
GIB = 1 << 30
TARGET_SECONDS = 20.0
TARGET_MEMORY = 1.5 * GIB
TARGET_RATIO = 50.0
TARGET_EVENTS_PER_WORKER = 1_000_000
TARGET_MONTH_SECONDS = 60.0
TARGET_SMALL_RATIO = 2.0
"""The small population's CPU per event at most this times a large shard's."""


def run_cli(producers: int, workers: int, scenario: str, seed: int) -> dict[str, Any]:
    """One end-to-end `rpp simulate` in a child process: its run.json plus wall time."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report"
        command = [
            sys.executable, "-m", "simulator.cli", "simulate",
            "--producers", str(producers), "--workers", str(workers),
            "--scenario", scenario, "--seed", str(seed), "--out", str(out),
        ]  # fmt: skip
        began = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(
                f"rpp simulate failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
        info: dict[str, Any] = json.loads((out / "run.json").read_text(encoding="utf-8"))
        info["summary"] = (out / "summary.json").read_bytes()
    info["wall_seconds"] = wall
    info["stdout"] = done.stdout
    return info


def cpu_per_event(info: dict[str, Any]) -> float:
    """Nanoseconds of worker CPU per event of an `rpp simulate` run."""
    cpu = sum(w["cpu_seconds"] for w in info["per_worker"].values())
    return float(cpu / max(1, info["events"]) * 1e9)


def describe_run(info: dict[str, Any]) -> str:
    per_worker = info["per_worker"].values()
    rates = ", ".join(
        f"{w['events_per_second']:,.0f}/s busy ({w['events_per_cpu_second']:,.0f}/s of CPU)"
        for w in per_worker
    )
    memory = info["peak_rss_bytes"]
    return (
        f"wall {info['wall_seconds']:.2f} s (simulation {info['simulation_seconds']:.2f} s),"
        f" {info['events']:,} events, {info['events'] / info['wall_seconds']:,.0f} events/s of"
        f" wall time; per worker {rates}; peak memory {memory['total'] / GIB:.2f} GiB"
        f" (rpp {memory['this_process'] / GIB:.2f} + workers {memory['local_workers'] / GIB:.2f})"
    )


def report(checks: list[tuple[str, bool]]) -> None:
    for text, ok in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {text}")


def day(args: argparse.Namespace) -> float:
    """Steps 1 and 2; the worker CPU per event (ns) of the simulator's runs."""
    print(f"rpp simulate --producers {args.producers:,} --workers {args.workers}"
          f" --scenario {args.scenario}  ({os.cpu_count()} CPUs here, shared)")  # fmt: skip
    runs = []
    for attempt in range(1, args.repeat + 1):
        info = run_cli(args.producers, args.workers, args.scenario, args.seed)
        per_worker = info["per_worker"].values()
        slowest = min(w["events_per_second"] for w in per_worker)
        slowest_cpu = min(w["events_per_cpu_second"] for w in per_worker)
        memory = info["peak_rss_bytes"]["total"]
        runs.append((info["wall_seconds"], memory, slowest, slowest_cpu, info))
        print(f"  run {attempt}: {describe_run(info)}")
    wall = statistics.median(r[0] for r in runs)
    memory = max(r[1] for r in runs)
    per_worker_rate = statistics.median(r[2] for r in runs)
    per_worker_cpu_rate = statistics.median(r[3] for r in runs)
    info = runs[0][4]
    print(info["stdout"].rstrip())
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(f"  largest single process of those runs: {children_peak / GIB:.2f} GiB")

    print(f"\nnaive baseline: {args.naive:,} producers, each driven through its own transitions"
          " machines on a real portal, one heap of events")  # fmt: skip
    flow_set = load_flows()
    scenario = load_scenario(args.scenario)
    plan = build_plan(flow_set, scenario, args.seed, args.naive)
    population = Population(args.seed, flow_set.portal.parameters, lines=plan.lines)
    began = time.perf_counter()
    naive = run_reference(flow_set, plan, population, range(args.naive))
    naive_wall = time.perf_counter() - began
    naive_events = sum(v for k, v in naive.counters.items() if k.startswith("events_"))
    compiled = run_shard(plan, compile_table(flow_set), population, 0, args.naive)
    differences = naive.same_as(compiled)
    print(
        f"  wall {naive_wall:.2f} s, {naive_events:,} events ({naive_events / naive_wall:,.0f}/s)"
        f"; the compiled engine counts the same for these producers:"
        f" {'yes' if not differences else 'NO: ' + '; '.join(differences)}"
    )

    ours = wall / args.producers * 1e6
    theirs = naive_wall / args.naive * 1e6
    busy = sum(w["busy_seconds"] for w in info["per_worker"].values())
    ratio = theirs / ours
    print(f"\nper producer: simulator {ours:.2f} µs of wall time ({busy / args.producers * 1e6:.2f} µs"
          f" of worker time), naive {theirs:.1f} µs: the simulator is {ratio:.0f}x faster"
          f" per producer ({theirs / (busy / args.producers * 1e6):.0f}x per worker-second)")  # fmt: skip
    report(
        [
            (f"wall time {wall:.2f} s < {TARGET_SECONDS:g} s", wall < TARGET_SECONDS),
            (
                f"peak memory {memory / GIB:.2f} GiB < {TARGET_MEMORY / GIB:g} GiB",
                memory < TARGET_MEMORY,
            ),
            (f"{ratio:.0f}x >= {TARGET_RATIO:g}x faster per producer", ratio >= TARGET_RATIO),
            (
                f"{per_worker_rate:,.0f} events per busy second per worker (median of the slowest"
                f" worker) >= {TARGET_EVENTS_PER_WORKER:,}",
                per_worker_rate >= TARGET_EVENTS_PER_WORKER,
            ),
            (
                f"{per_worker_cpu_rate:,.0f} events per CPU second per worker (the same, counting"
                f" only the worker's own CPU time: the cores are shared) >= {TARGET_EVENTS_PER_WORKER:,}",
                per_worker_cpu_rate >= TARGET_EVENTS_PER_WORKER,
            ),
            ("compiled engine == naive baseline", not differences),
        ]
    )
    return statistics.median(cpu_per_event(r[4]) for r in runs)


def month(args: argparse.Namespace, day_cost: float | None) -> float:
    """Step 3; the worker CPU per event (ns)."""
    scenario = str(SCENARIOS / "month.yaml")
    print(f"\nmonth scale: rpp simulate --producers {args.month_producers:,} --workers"
          f" {args.workers} --scenario {Path(scenario).relative_to(ROOT)} (30 days)")  # fmt: skip
    info = run_cli(args.month_producers, args.workers, scenario, args.seed)
    print(f"  {describe_run(info)}")
    cost = cpu_per_event(info)
    wall, memory = info["wall_seconds"], info["peak_rss_bytes"]["total"]
    slowest_cpu = min(w["events_per_cpu_second"] for w in info["per_worker"].values())
    line = f"  worker CPU per event: {cost:.0f} ns over 30 days"
    if day_cost is not None:
        line += f", {day_cost:.0f} ns over the one day of step 1 ({cost / day_cost:.2f}x)"
    print(line)
    checks = []
    if args.month_workers_check:
        single = run_cli(args.month_producers, 1, scenario, args.seed)
        print(f"  again with 1 worker: {describe_run(single)}")
        same = single["summary"] == info["summary"]
        checks.append(
            (f"summary.json of 1 and {args.workers} workers byte for byte the same", same)
        )
    report(
        [
            *checks,
            (f"wall time {wall:.2f} s <= {TARGET_MONTH_SECONDS:g} s", wall <= TARGET_MONTH_SECONDS),
            (
                f"peak memory {memory / GIB:.2f} GiB <= {TARGET_MEMORY / GIB:g} GiB",
                memory <= TARGET_MEMORY,
            ),
            (
                f"{slowest_cpu:,.0f} events per CPU second of the slowest worker"
                f" >= {TARGET_EVENTS_PER_WORKER:,}",
                slowest_cpu >= TARGET_EVENTS_PER_WORKER,
            ),
        ]
    )
    return cost


def _timed_shard(
    flow_set: Any, scenario_path: Path, seed: int, producers: int
) -> tuple[Any, int, float, float]:
    """One shard of ``producers`` in this process: result, events, wall and CPU seconds."""
    scenario = load_scenario(str(scenario_path))
    plan = build_plan(flow_set, scenario, seed, producers)
    population = Population(seed, flow_set.portal.parameters, lines=plan.lines)
    table = compile_table(flow_set)
    began, cpu = time.perf_counter(), time.process_time()
    result = run_shard(plan, table, population, 0, producers)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    events = sum(v for k, v in result.counters.items() if k.startswith("events_"))
    return result, events, wall, cpu


def small(args: argparse.Namespace, month_cost: float | None) -> None:
    """Step 4."""
    flow_set = load_flows()
    storm = SCENARIOS / "give-up-storm.yaml"
    scenario = load_scenario(str(storm))
    producers = args.small_producers
    print(f"\nsmall population: {producers} producers, {scenario.name} over"
          f" {scenario.hours // 24} days, in this process")  # fmt: skip
    began = time.process_time()
    prepare_engine()
    print(
        f"  compiled loop loaded from numba's cache (or compiled): {time.process_time() - began:.2f} s of CPU"
    )
    _, events, wall, cpu = _timed_shard(flow_set, storm, args.seed, producers)
    cost = cpu / events * 1e9
    print(f"  {events:,} events: wall {wall:.3f} s, CPU {cpu:.3f} s: {events / cpu:,.0f} events"
          f" per CPU second ({events / wall:,.0f} per second of wall time), {cost:.0f} ns each")  # fmt: skip
    _, large_events, _, large_cpu = _timed_shard(
        flow_set, SCENARIOS / "month.yaml", args.seed, args.small_baseline_producers
    )
    large_cost = large_cpu / large_events * 1e9
    print(f"  baseline, the same engine on one shard of {args.small_baseline_producers:,} producers"
          f" (month.yaml): {large_events:,} events, CPU {large_cpu:.3f} s:"
          f" {large_events / large_cpu:,.0f} events per CPU second, {large_cost:.0f} ns each;"
          f" the small population costs {cost / large_cost:.2f}x per event")  # fmt: skip
    if month_cost is not None:
        print(f"  against {month_cost:.0f} ns per event with {args.month_producers:,} producers"
              f" (step 3, worker processes): {cost / month_cost:.2f}x the cost per event")  # fmt: skip
    table = compile_table(flow_set)
    one = build_plan(flow_set, scenario, args.seed, 1)
    population = Population(args.seed, flow_set.portal.parameters, lines=one.lines)
    began = time.perf_counter()
    naive = run_reference(flow_set, one, population, range(1))
    naive_wall = time.perf_counter() - began
    naive_events = sum(v for k, v in naive.counters.items() if k.startswith("events_"))
    differences = naive.same_as(run_shard(one, table, population, 0, 1))
    print(f"  naive baseline, one storm producer: {naive_events:,} events in {naive_wall:.2f} s"
          f" ({naive_events / naive_wall:,.0f}/s); {events / cpu / (naive_events / naive_wall):,.0f}x"
          f" slower than the engine; the engine counts the same:"
          f" {'yes' if not differences else 'NO: ' + '; '.join(differences)}")  # fmt: skip
    report(
        [
            (
                f"{events / cpu:,.0f} events per CPU second on {producers} producers"
                f" >= {TARGET_EVENTS_PER_WORKER:,}",
                events / cpu >= TARGET_EVENTS_PER_WORKER,
            ),
            (
                f"{cost / large_cost:.2f}x a large shard's CPU per event <= {TARGET_SMALL_RATIO:g}x",
                cost / large_cost <= TARGET_SMALL_RATIO,
            ),
            ("compiled engine == naive baseline", not differences),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive", type=int, default=20_000, help="producers of the baseline")
    parser.add_argument("--scenario", default="normal-day")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the simulator (median)")
    parser.add_argument("--month-producers", type=int, default=10_000_000)
    parser.add_argument("--small-producers", type=int, default=20)
    parser.add_argument(
        "--small-baseline-producers",
        type=int,
        default=200_000,
        help="producers of step 4's large shard (month.yaml)",
    )
    parser.add_argument(
        "--month-workers-check",
        action="store_true",
        help="run the month again on 1 worker and compare the summaries",
    )
    parser.add_argument(
        "--parts", default="day,month,small", help="steps to run: day (1-2), month (3), small (4)"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if not parts <= {"day", "month", "small"}:
        parser.error(f"--parts: expected day, month and/or small, found {args.parts}")
    day_cost = day(args) if "day" in parts else None
    month_cost = month(args, day_cost) if "month" in parts else None
    if "small" in parts:
        small(args, month_cost)


if __name__ == "__main__":
    main()
