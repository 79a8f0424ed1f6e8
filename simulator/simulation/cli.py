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
from simulator.simulation.scenario import LoadScenario, UnknownScenario, load_scenario
from specs.errors import UsageError
from specs.loader import load_flows

__all__ = ["run"]


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
    if args.workers < 1:
        raise _usage(f"--workers must be at least 1, got {args.workers}")
    if args.seed < 0:
        raise _usage(f"--seed must be 0 or more, got {args.seed}")
    if not Path(args.flows).is_dir():
        raise _usage(f"--flows {args.flows}: no such directory")
    if args.scheduler is not None and "://" not in args.scheduler:
        raise _usage(f"--scheduler must be an address like tcp://HOST:PORT, got {args.scheduler!r}")
    if args.mail_loss is not None and not 0 <= args.mail_loss <= 1:
        raise _usage(f"--mail-loss must be a rate from 0 to 1, got {args.mail_loss}")
    if args.mail_delay is not None and not 0 <= args.mail_delay <= 7 * 24 * 60:
        raise _usage(f"--mail-delay must be 0 to 10080 minutes, got {args.mail_delay}")
    if args.explain is not None and not args.explain.strip():
        raise _usage("--explain needs a user name, got an empty one")
    if args.explain is None:
        _check_out(Path(args.out))


def _check_out(out: Path) -> None:
    """``--out`` must be a directory or a path one can be made at (checked before a run)."""
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                shown = "" if path == out else f" ({path} is a file)"
                raise _usage(f"--out {out}: not a directory{shown}")
            return


def run(args: argparse.Namespace) -> int:
    """The ``rpp simulate`` command (see the module docstring for exit codes).

    Raises the CLI's UsageError for bad options and SpecError for invalid flows or
    scenario files; ``rpp``'s main reports both.
    """
    _check_options(args)
    flow_set = load_flows([Path(args.flows)])
    try:
        scenario = load_scenario(args.scenario)
    except UnknownScenario as error:
        raise _usage(str(error)) from None
    scenario = _with_faults(scenario, args.mail_loss, args.mail_delay)

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
    written = write_report(simulation, out)
    _print_summary(simulation.summary, simulation.seconds, simulation.workers, simulation.scheduler)
    print(f"report: {written[0]}, " + ", ".join(path.name for path in written[1:]))
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
