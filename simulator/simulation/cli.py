"""``rpp simulate``: options in, report out.

Exit codes: 0 the run finished and every invariant holds; 1 an invariant is broken,
the flows or the scenario file are invalid (``file:line:column: message``), the
Dask scheduler cannot be reached or used, a worker was lost, the report could not be
written (the earlier one is left as it was), or ``--explain`` found the engine and the
real machines disagreeing; 2 a usage error (an unknown scenario name, a bad option
value, an ``--out`` that is not a new, empty or earlier report directory, an unknown
user name to explain); 130 Ctrl-C, 143 SIGTERM (workers stopped, no report written).
Bad input never ends in a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import time
from pathlib import Path
from typing import Any

from simulator.population import AGENT_UNIQUE_ID_SPACE
from simulator.simulation.run import process_age
from simulator.simulation.scenario import (
    MAX_HOURS,
    LoadScenario,
    UnknownScenario,
    load_scenario,
)
from simulator.simulation.workers import SCHEDULER_SCHEMES
from specs.errors import UsageError
from specs.loader import load_flows
from specs.processes import signals_stop

__all__ = ["MAX_DAYS", "run"]

MAX_DAYS = MAX_HOURS // 24


def _usage(message: str) -> Exception:
    """A usage error (exit 2)."""
    return UsageError(message)


def _with_faults(scenario: LoadScenario, loss: float | None, delay: float | None) -> LoadScenario:
    email = scenario.email
    if loss is not None:
        email = dataclasses.replace(email, loss_rate=loss)
    if delay is not None:
        email = dataclasses.replace(email, extra_delay_minutes=delay)
    return dataclasses.replace(scenario, email=email)


def _check_options(args: argparse.Namespace) -> None:
    """Raise the usage error of the first bad option, before anything is simulated."""
    if not 1 <= args.producers <= AGENT_UNIQUE_ID_SPACE:
        raise _usage(
            f"--producers must be from 1 to {AGENT_UNIQUE_ID_SPACE:,}, got {args.producers}"
        )
    _check_workers(args)
    if not Path(args.flows).is_dir():
        raise _usage(f"--flows {args.flows}: no such directory")
    if args.scheduler is not None:
        scheme, separator, rest = args.scheduler.partition("://")
        if not separator or scheme not in SCHEDULER_SCHEMES or not rest:
            raise _usage(
                "--scheduler must be a Dask scheduler's address, tcp://HOST:PORT or"
                f" tls://HOST:PORT, got {args.scheduler!r}"
            )
    if args.mail_loss is not None and not 0 <= args.mail_loss <= 1:
        raise _usage(f"--mail-loss must be a rate from 0 to 1, got {args.mail_loss}")
    if args.mail_delay is not None and not 0 <= args.mail_delay <= 7 * 24 * 60:
        raise _usage(f"--mail-delay must be 0 to 10080 minutes, got {args.mail_delay}")
    if args.days is not None and not 1 <= args.days <= MAX_DAYS:
        raise _usage(f"--days must be from 1 to {MAX_DAYS}, got {args.days}")
    if args.sweep is not None and args.explain is not None:
        raise _usage("--sweep runs many variants; --explain follows one producer of one run")
    if args.explain is not None and not args.explain.strip():
        raise _usage("--explain needs a user name, got an empty one")
    if args.explain is None:
        from simulator.simulation.run import ReportError, check_out

        try:
            check_out(Path(args.out))
        except ReportError as error:
            raise _usage(str(error)) from None


def _check_workers(args: argparse.Namespace) -> None:
    """``--workers``: 1 to what the machine holds (`worker_limit`), and not with
    ``--scheduler`` (the cluster has its own workers); None becomes the default."""
    from simulator.simulation.workers import worker_limit

    if args.workers is not None and args.scheduler is not None:
        raise _usage(
            "--workers is for local worker processes; with --scheduler the Dask cluster's"
            " own workers run the shards (start more with `dask worker`)"
        )
    if args.workers is None:
        return  # chosen from the work's size and the CPUs free (run.choose_workers)
    limit, rule = worker_limit()
    if not 1 <= args.workers <= limit:
        raise _usage(
            f"--workers must be from 1 to {limit} on this machine ({rule}), got {args.workers}"
        )


def run(args: argparse.Namespace) -> int:
    """The ``rpp simulate`` command (see the module docstring for exit codes).

    Raises the CLI's UsageError for bad options and SpecError for invalid flows or
    scenario files; ``rpp``'s main reports both.
    """
    started = process_age()
    began = time.perf_counter()
    _check_options(args)
    flow_set = load_flows([Path(args.flows)])
    try:
        scenario = load_scenario(args.scenario)
    except UnknownScenario as error:
        raise _usage(str(error)) from None
    scenario = _with_faults(scenario, args.mail_loss, args.mail_delay)
    if args.days is not None:
        scenario = dataclasses.replace(scenario, hours=args.days * 24)
    sweep = None
    if args.sweep is not None:
        from simulator.simulation.sweep import SweepError, parse_sweep

        try:
            sweep = parse_sweep(args.sweep, scenario)
        except SweepError as error:
            raise _usage(str(error)) from None
    before = {
        "starting_python_and_imports": started,
        "options_flows_and_scenario": round(time.perf_counter() - began, 4),
    }

    if args.explain is not None:
        from simulator.simulation.explain import ProducerNotFound, explain
        from simulator.simulation.plan import build_plan

        plan = build_plan(flow_set, scenario, args.seed, args.producers)
        try:
            agreed = explain(flow_set, plan, args.explain)
        except ProducerNotFound as error:
            raise _usage(str(error)) from None
        return 0 if agreed else 1

    from simulator.simulation.run import simulate, write_report

    out = Path(args.out)
    try:
        with signals_stop():
            if sweep is not None:
                from simulator.simulation.sweep_run import run_sweep

                return run_sweep(sweep, flow_set, scenario, args, before)
            simulation = simulate(
                flow_set,
                scenario,
                args.producers,
                args.seed,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=None,
            )
            simulation.run_info["seconds"] = {**before, **simulation.run_info["seconds"]}
            written = write_report(simulation, out, pictures=not args.no_pictures)
    except KeyboardInterrupt as error:
        signum = getattr(error, "signum", signal.SIGINT)
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(
            f"rpp simulate: stopped by {name}; workers stopped, no report written"
            f" ({out} is as it was)",
            file=sys.stderr,
        )
        return 128 + signum
    print_summary(simulation)
    print(f"report: {written[0]}, " + ", ".join(path.name for path in written[1:]))
    return 0 if simulation.invariants_hold else 1


def print_summary(simulation: Any) -> None:
    """What ``rpp simulate`` prints of a finished run (a `run.Simulation`)."""
    summary: dict[str, Any] = simulation.summary
    seconds: float = simulation.seconds
    s: dict[str, dict[str, object]] = summary
    events = s["events_processed"]["total"]
    assert isinstance(events, int)
    where = (
        f"on {simulation.scheduler}"
        if simulation.scheduler
        else simulation.workers_chosen
        or f"{simulation.workers} worker{'s' if simulation.workers != 1 else ''}"
    )
    if not simulation.compiled:
        where += ", loop uncompiled (a small run)"
    print(
        f"simulated {summary['producers']:,} producers, {s['scenario']['name']}"
        f" ({s['scenario']['hours']} h from {s['scenario']['start']}), seed {summary['seed']},"
        f" {where}: {events:,} events in {seconds:.1f} s"
    )
    lockouts = s["lockouts"]
    locked = s["time_locked_out_minutes"]["ended_lockouts"]
    assert isinstance(locked, dict)
    print(
        f"visits {s['visits']['started']:,}; login attempts {s['logins']['attempts']:,}"
        f" ({s['logins']['failed']:,} failed); lock-outs {lockouts['total']:,}"
        f" ({lockouts['by_attack']:,} by attack, {lockouts['accounts_still_locked_at_end']:,}"
        f" still locked at the end); minutes locked out p50/p90/p99:"
        f" {locked['p50']}/{locked['p90']}/{locked['p99']}"
    )
    emails = s["emails"]
    folders = emails["by_folder"]
    assert isinstance(folders, dict)
    print(
        f"emails {emails['sent']:,} sent: {folders['inbox']:,} inbox, {folders['spam']:,} spam,"
        f" {folders['lost']:,} lost, {folders['queued_at_end']:,} still queued"
    )
    calls = s["producer_services_calls"]
    by_number = calls["by_number"]
    assert isinstance(by_number, dict)
    top = sorted(by_number.items(), key=lambda item: (-item[1], item[0]))[:4]
    print(
        f"Producer Services calls {calls['total']:,}"
        + (": " + ", ".join(f"{number} {count:,}" for number, count in top) if top else "")
    )
    examples: dict[str, list[str]] = summary["examples_for_explain"]
    named = [f"{what.replace('_', ' ')}: {names[0]}" for what, names in examples.items() if names]
    if named:
        print("to follow one producer, --explain USER; for example " + "; ".join(named))
    invariants = s["invariants"]
    broken = [name for name, check in invariants.items() if not check["holds"]]  # type: ignore[index]
    if broken:
        for name in broken:
            print(f"INVARIANT BROKEN {name}: {invariants[name]['detail']}")  # type: ignore[index]
    else:
        print(f"invariants: all {len(invariants)} hold")
