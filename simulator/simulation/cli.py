"""``rpp simulate``: options in, report out.

Exit codes: 0 the run finished and every invariant holds; 1 an invariant is broken,
the flows or the scenario file are invalid (``file:line:column: message``), the
Dask scheduler cannot be reached, or ``--explain`` found the engine and the real
machines disagreeing; 2 a usage error (an unknown scenario name, a bad option value,
an unknown user name to explain). Bad input never ends in a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from simulator.population import AGENT_UNIQUE_ID_SPACE
from simulator.simulation.scenario import Scenario, UnknownScenario, load_scenario
from specs.errors import SpecError
from specs.loader import load_flows

__all__ = ["run"]


def _usage(message: str) -> int:
    print(f"rpp simulate: {message}", file=sys.stderr)
    return 2


def _with_faults(scenario: Scenario, loss: float | None, delay: float | None) -> Scenario:
    email = scenario.email
    if loss is not None:
        email = dataclasses.replace(email, loss_rate=loss)
    if delay is not None:
        email = dataclasses.replace(email, extra_delay_minutes=delay)
    return dataclasses.replace(scenario, email=email)


def _check_options(args: argparse.Namespace) -> str | None:
    if not 1 <= args.producers <= AGENT_UNIQUE_ID_SPACE:
        return f"--producers must be from 1 to {AGENT_UNIQUE_ID_SPACE:,}, got {args.producers}"
    if args.workers < 1:
        return f"--workers must be at least 1, got {args.workers}"
    if args.seed < 0:
        return f"--seed must be 0 or more, got {args.seed}"
    if not Path(args.flows).is_dir():
        return f"--flows {args.flows}: no such directory"
    if args.scheduler is not None and "://" not in args.scheduler:
        return f"--scheduler must be an address like tcp://HOST:PORT, got {args.scheduler!r}"
    loss = getattr(args, "mail_loss", None)
    if loss is not None and not 0 <= loss <= 1:
        return f"--mail-loss must be a rate from 0 to 1, got {loss}"
    delay = getattr(args, "mail_delay", None)
    if delay is not None and not 0 <= delay <= 7 * 24 * 60:
        return f"--mail-delay must be 0 to 10080 minutes, got {delay}"
    return None


def _print_spec_error(error: SpecError) -> int:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    count = len(error.problems)
    print(f"invalid: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    """The ``rpp simulate`` command (see the module docstring for exit codes)."""
    problem = _check_options(args)
    if problem:
        return _usage(problem)
    try:
        flow_set = load_flows([Path(args.flows)])
        scenario = load_scenario(args.scenario)
    except UnknownScenario as error:
        return _usage(str(error))
    except SpecError as error:
        return _print_spec_error(error)
    scenario = _with_faults(
        scenario, getattr(args, "mail_loss", None), getattr(args, "mail_delay", None)
    )

    if args.explain:
        from simulator.simulation.explain import ProducerNotFound, explain
        from simulator.simulation.plan import build_plan

        plan = build_plan(flow_set, scenario, args.seed, args.producers)
        try:
            agreed = explain(flow_set, plan, args.explain)
        except ProducerNotFound as error:
            return _usage(str(error))
        return 0 if agreed else 1

    from simulator.simulation.run import simulate, write_report
    from simulator.simulation.workers import SchedulerError

    try:
        simulation = simulate(
            flow_set,
            scenario,
            args.producers,
            args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=None,
        )
    except SchedulerError as error:
        print(f"rpp simulate: {error}", file=sys.stderr)
        return 1
    out = Path(args.out)
    write_report(simulation, out)
    _print_summary(simulation.summary, simulation.seconds, simulation.workers, simulation.scheduler)
    print(f"report: {out / 'summary.json'}, timeline.csv, timeline.png, run.json")
    return 0 if simulation.invariants_hold else 1


def _print_summary(
    summary: dict[str, object], seconds: float, workers: int, scheduler: str | None
) -> None:
    s: dict[str, dict[str, object]] = summary  # type: ignore[assignment]
    events = s["events_processed"]["total"]
    assert isinstance(events, int)
    where = f"on {scheduler}" if scheduler else f"{workers} worker{'s' if workers != 1 else ''}"
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
    invariants = s["invariants"]
    broken = [name for name, check in invariants.items() if not check["holds"]]  # type: ignore[index]
    if broken:
        for name in broken:
            print(f"INVARIANT BROKEN {name}: {invariants[name]['detail']}")  # type: ignore[index]
    else:
        print(f"invariants: all {len(invariants)} hold")
