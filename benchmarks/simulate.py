"""Time `rpp simulate` at a million producers against a naive baseline.

1. Runs ``rpp simulate --producers 1000000`` (default scenario, 2 workers) as a
   separate process, end to end (interpreter start, flows, simulation, report), and
   prints its wall time, events per second (overall and per worker, from the
   report's run.json) and peak memory (the rpp process plus each worker's peak).
2. In this process, runs the naive baseline: the same scenario on 20,000 producers,
   each with its own `transitions` machines in a real portal (accounts, browser
   sessions, forms, emails, a mailbox) on one heap of events; checks that the
   compiled engine counts exactly the same for those 20,000 producers; prints the
   wall time per producer of each and their ratio.

The machine is shared and noisy: ``--repeat`` runs step 1 several times and prints
every run and the median. Run: ``.venv/bin/python -m benchmarks.simulate``.
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
from simulator.simulation.engine import run_shard
from simulator.simulation.plan import build_plan
from simulator.simulation.reference import run_reference
from simulator.simulation.scenario import load_scenario
from simulator.simulation.table import compile_table
from specs import load_flows

ROOT = Path(__file__).resolve().parents[1]
GIB = 1 << 30
TARGET_SECONDS = 20.0
TARGET_MEMORY = 1.5 * GIB
TARGET_RATIO = 50.0
TARGET_EVENTS_PER_WORKER = 1_000_000


def run_cli(producers: int, workers: int, scenario: str, seed: int) -> dict[str, Any]:
    """One end-to-end `rpp simulate` in a child process: its run.json plus wall time."""
    with tempfile.TemporaryDirectory() as out:
        command = [
            sys.executable, "-m", "simulator.cli", "simulate",
            "--producers", str(producers), "--workers", str(workers),
            "--scenario", scenario, "--seed", str(seed), "--out", out,
        ]  # fmt: skip
        began = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(
                f"rpp simulate failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
        info: dict[str, Any] = json.loads((Path(out) / "run.json").read_text(encoding="utf-8"))
    info["wall_seconds"] = wall
    info["stdout"] = done.stdout
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive", type=int, default=20_000, help="producers of the baseline")
    parser.add_argument("--scenario", default="normal-day")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the simulator (median)")
    args = parser.parse_args()

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
        rates = ", ".join(
            f"{w['events_per_second']:,.0f}/s busy ({w['events_per_cpu_second']:,.0f}/s of CPU)"
            for w in per_worker
        )
        print(
            f"  run {attempt}: wall {info['wall_seconds']:.2f} s (simulation"
            f" {info['simulation_seconds']:.2f} s), {info['events']:,} events,"
            f" {info['events'] / info['wall_seconds']:,.0f} events/s of wall time;"
            f" per worker {rates}; peak memory {memory / GIB:.2f} GiB"
            f" (rpp {info['peak_rss_bytes']['this_process'] / GIB:.2f} +"
            f" workers {info['peak_rss_bytes']['local_workers'] / GIB:.2f})"
        )
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
    checks = [
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
    for text, ok in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {text}")


if __name__ == "__main__":
    main()
