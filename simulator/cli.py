"""The ``rpp`` command: validate, diagram, paths, trace, verify, simulate, serve, mailbox,
mutate, report.

Exit codes (contract): 0 success, 1 invalid flows or a failed check, 2 usage.
Bad input never ends in a traceback: spec problems are printed as
``file:line:column: message``. Commands import their machinery lazily so
``rpp validate`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from simulator.drivers import MAIL_WAIT
from simulator.verify import WALK_BUDGET, WALKS
from specs import atomic, processes
from specs.errors import RppError, SpecError, UsageError
from specs.loader import DEFAULT_FLOWS_DIR, load_flows, load_flows_dir
from specs.model import FlowSet
from specs.scenarios import FEATURES_ENV, features_dir

__all__ = ["SEED_MAX", "main", "seed"]

Command = Callable[[argparse.Namespace], int]

SEED_MAX = 2**32 - 1
"""Seeds are 0 to 2**32-1 in every command that takes one (verify, simulate)."""


def load_flows_option(args: argparse.Namespace) -> FlowSet:
    """The flows named by ``--flows`` (a usage error when it is not a directory)."""
    return load_flows_dir(args.flows, "--flows")


def cmd_validate(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [DEFAULT_FLOWS_DIR]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    flow_set = load_flows(paths)
    transitions = len(flow_set.transitions())
    print(
        f"valid: {len(flow_set.flows)} flows, {transitions} transitions,"
        f" {len(flow_set.guide_ids)} guide IDs all cited"
    )
    return 0


def _check_machine(args: argparse.Namespace, flow_set: FlowSet) -> None:
    if args.machine and args.machine not in flow_set.flows:
        raise UsageError(f"no machine '{args.machine}' (machines: {', '.join(flow_set.flows)})")


def _write(target: Path, data: bytes, option: str) -> None:
    """``data`` into ``target`` whole or not at all (the earlier file intact on a full
    disk); never into a FIFO, a device node or a directory."""
    refusal = atomic.file_refusal(target)
    if refusal:
        raise UsageError(f"{option}: {target} {refusal}")
    atomic.write_bytes(target, data)


def cmd_diagram(args: argparse.Namespace) -> int:
    from specs.diagram import FORMATS, OVERVIEW, SUFFIXES, diagram_names, draw

    flow_set = load_flows_option(args)
    names = diagram_names(flow_set)
    if args.machine and args.machine not in names:
        raise UsageError(
            f"no machine '{args.machine}' (machines: {', '.join(flow_set.flows)}; or {OVERVIEW})"
        )
    output = Path(args.output) if args.output else None
    by_suffix = {suffix: fmt for fmt, suffix in SUFFIXES.items()}
    to_file = output is not None and args.machine and not output.is_dir()
    if to_file and output is not None:
        # the suffix says what the file holds: none, another, or one --format contradicts
        # would leave a file its reader cannot open for what it is (a FIFO or a device
        # node is no such file: the write refuses it, saying what it is)
        guessed = by_suffix.get(output.suffix)
        special = output.exists() and not output.is_file()
        if not special and (guessed is None or (args.format and args.format != guessed)):
            expected = SUFFIXES[args.format] if args.format else " ".join(by_suffix)
            said = f"--format {args.format} writes {expected}" if args.format else expected
            raise UsageError(
                f"-o {output}: its suffix {output.suffix or '(none)'} does not say the"
                f" diagram's format ({said}); name the file so, or give -o DIR"
            )
    elif output is not None and not output.exists() and output.suffix in by_suffix:
        raise UsageError(
            f"-o {output}: a file name, but without --machine -o names a directory"
            " (add --machine NAME for one diagram)"
        )
    guessed = by_suffix.get(output.suffix) if to_file and output else None
    fmt = args.format or guessed or FORMATS[0]
    if args.machine:
        data = draw(flow_set, args.machine, fmt)
        if output is None:
            if fmt == "png" and sys.stdout.isatty():
                raise UsageError("PNG is binary: give -o FILE rather than print it to a terminal")
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            target = output / f"{args.machine}{SUFFIXES[fmt]}" if output.is_dir() else output
            _write(target, data, f"-o {output}")
        return 0
    if output is None:
        raise UsageError(
            "one document per diagram: give -o DIR for every one, or --machine NAME for one"
        )
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output}: not a directory (without --machine, -o names a directory)")
    if output.resolve() == Path(output.resolve().anchor):
        raise UsageError(f"-o {output}: the root directory; name a directory for the diagrams")
    output.mkdir(parents=True, exist_ok=True)
    for name in names:
        _write(output / f"{name}{SUFFIXES[fmt]}", draw(flow_set, name, fmt), f"-o {output}")
    print(f"wrote {', '.join(name + SUFFIXES[fmt] for name in names)} to {output}")
    return 0


def cmd_paths(args: argparse.Namespace) -> int:
    from specs.paths import shortest_paths

    flow_set = load_flows_option(args)
    _check_machine(args, flow_set)
    paths = shortest_paths(flow_set, args.machine)
    if args.json:
        print(json.dumps([p.as_dict() for p in paths], indent=2))
        return 0
    current = None
    for p in paths:
        if p.transition.machine != current:
            current = p.transition.machine
            total = len(flow_set.flows[current].transitions)
            print(f"{current} ({total} transitions)")
        steps = " -> ".join(f"{s.trigger}{s.guard}" for s in p.steps)
        print(f"  {p.transition.id}: {steps}")
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    from specs.scenarios import feature_trace
    from specs.trace import trace

    if not Path(args.features).is_dir():
        raise UsageError(f"--features {args.features}: no such directory")
    flow_set = load_flows_option(args)
    found = feature_trace(Path(args.features))
    entries = trace(flow_set, found.scenarios, found.undefined_scenarios)
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], indent=2, ensure_ascii=False))
    else:
        for e in entries:
            print(f"{e.guide_id}: {e.description}")
            print(f"  implemented by: {', '.join(e.implemented_by) or 'NOTHING'}")
            print(f"  checked by: {'; '.join(e.scenarios) or 'NO SCENARIO YET'}")
            if e.undefined:
                print(f"  UNDEFINED (does not run): {'; '.join(e.undefined)}")
    # Problems go to stderr, so --json stays one JSON document on stdout.
    if found.undefined_steps:
        print(
            f"undefined steps ({len(found.undefined_steps)}; their scenarios fail, the others"
            " run; features/STEPS.md lists the steps):",
            file=sys.stderr,
        )
        for step in found.undefined_steps:
            print(f"  {step}", file=sys.stderr)
    for problem in found.unreadable:
        print(f"does not parse (none of its scenarios runs): {problem}", file=sys.stderr)
    return 1 if args.strict and not found.complete else 0


def _lazy(target: str) -> Command:
    module, _, name = target.partition(":")

    def run(args: argparse.Namespace) -> int:
        command: Command = getattr(importlib.import_module(module), name)
        return command(args)

    return run


class _DefaultsShown(argparse.HelpFormatter):
    """Every option's default in ``--help``: appended as ``(default: X)`` unless its
    help already says what the default is, or it has none (None, False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text.lower()
            or default is None
            or default is False
            or default is argparse.SUPPRESS
            or (isinstance(default, list) and not default)
            or action.nargs == 0
            or not (action.option_strings or action.nargs in ("?", "*"))
        ):
            return action.help
        return f"{text} (default: %(default)s)"


def seed(text: str) -> int:
    """An argparse type: a seed, 0 to `SEED_MAX` (the one rule for every command)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be from 0 to {SEED_MAX} (2**32-1), got {value}")
    return value


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``rpp`` parser; given the ``command`` about to run, the options of the
    commands whose modules are costly to import (mutate, report) are added only for
    that command (a small simulation should not pay for importing the report)."""
    parser = argparse.ArgumentParser(
        formatter_class=_DefaultsShown,
        prog="rpp",
        description="Retail Producer Portal flows: validate, draw, trace, verify, simulate,"
        " serve them as a web portal with a mailbox.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    class _Sub:
        """Subcommand parsers, each showing its defaults in --help."""

        @staticmethod
        def add_parser(name: str, **kwargs: object) -> argparse.ArgumentParser:
            made: argparse.ArgumentParser = commands.add_parser(
                name,
                formatter_class=_DefaultsShown,
                **kwargs,  # type: ignore[arg-type]
            )
            return made

    sub = _Sub()

    def flows_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--flows",
            default=str(DEFAULT_FLOWS_DIR),
            metavar="DIR",
            help="flow directory (default: the shipped flows/)",
        )

    p = sub.add_parser("validate", help="check flow files; exit 0 valid, 1 invalid")
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="flow files or directories (default: flows/)"
    )
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser(
        "diagram",
        help="draw each machine and the overview (Mermaid, Graphviz dot, SVG or PNG)",
        description="One document per diagram: each machine, and `overview` (every flow"
        " composed, one region per model). SVG and PNG are drawn by Graphviz's dot.",
    )
    flows_option(p)
    p.add_argument("--machine", "-m", metavar="NAME", help="one diagram: a machine or `overview`")
    p.add_argument(
        "--format",
        "-f",
        choices=("mermaid", "dot", "svg", "png"),
        help="default: from the suffix of -o FILE (.mmd .dot .svg .png), else mermaid",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="with --machine: a file (or a directory) instead of stdout; without it: a"
        " directory that gets <name>.mmd/.dot/.svg/.png for every diagram",
    )
    p.set_defaults(run=cmd_diagram)

    p = sub.add_parser("paths", help="every transition and a shortest trigger sequence to it")
    flows_option(p)
    p.add_argument("--machine", "-m", help="one machine (default: all)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_paths)

    p = sub.add_parser("trace", help="guide ID -> transitions, texts and scenarios")
    flows_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--features",
        default=str(features_dir()),
        metavar="DIR",
        help="the feature files (every *.feature under DIR, as the test run binds them) whose"
        f" @GUIDE-ID tags name the scenarios (default: ${FEATURES_ENV} or features/)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a scenario has an undefined step or a feature file does not parse",
    )
    p.set_defaults(run=cmd_trace)

    p = sub.add_parser(
        "verify", help="run the flows' conformance suite on a portal, with Faker producers"
    )
    flows_option(p)
    p.add_argument(
        "--seed", type=seed, default=0, help=f"population seed, 0 to {SEED_MAX} (default 0)"
    )
    p.add_argument("--json", metavar="FILE", help="write the report as JSON")
    p.add_argument(
        "--target",
        default="reference",
        metavar="TARGET",
        help="the portal under test: reference (default), flows:DIR (the portal of other"
        " flows), MODULE:CALLABLE (a factory CALLABLE(parameters) -> Target), or"
        " http://HOST:PORT (a portal served with `rpp serve --test-api`)",
    )
    p.add_argument(
        "--decisions",
        default=None,
        metavar="guide|strict|FILE",
        help="what verify holds the portal to: strict (the flows' screens and emails exactly;"
        " the default for reference and flows:DIR), guide (what the guide fixes; decided"
        " elements that differ are listed, not failed; the default for MODULE:CALLABLE and"
        " http://), or a team's decisions file (guide, plus its readings of silent"
        " behaviour, its own texts checked exactly and its accepted departures)",
    )
    p.add_argument(
        "--mailbox",
        metavar="URL",
        help="with --target http://...: the portal's mail API (`rpp mailbox`, Mailpit)",
    )
    p.add_argument(
        "--browser",
        action="store_true",
        help="with --target http://...: drive headless Chromium instead of plain HTTP",
    )
    p.add_argument(
        "--mail-wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --target http://...: how long to wait for an email the flows send"
        f" (a portal may send it after it shows the page; default {MAIL_WAIT:g} s)",
    )
    p.add_argument(
        "--part",
        action="append",
        metavar="NAME",
        help="run only this part's journeys (repeatable; default: every part)",
    )
    p.add_argument(
        "--extra-states",
        type=int,
        default=None,
        metavar="K",
        help="complete for portals with up to K more states than each model (default: each"
        " part's own, 0 or 1, what fits the time budget)",
    )
    p.add_argument(
        "--show",
        type=int,
        default=None,
        metavar="N",
        help="departures to print (default: all; --json holds every one)",
    )
    p.add_argument(
        "--emit-features",
        metavar="DIR",
        help="write each departure as a Gherkin scenario in DIR (departures.feature): it"
        " passes on these flows and fails on the portal that departed",
    )
    p.add_argument(
        "--walks",
        type=int,
        default=WALKS,
        metavar="N",
        help="after the suite, up to N long seeded random walks over the whole alphabet,"
        f" in lockstep with the flows (beyond the suite's fault domain; default {WALKS},"
        " 0: none)",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=WALK_BUDGET,
        metavar="SECONDS",
        help=f"stop starting walks after this many seconds (default {WALK_BUDGET:g}; the"
        " walks run are named, so a failure replays exactly)",
    )
    p.add_argument(
        "--max-failures",
        type=int,
        default=None,
        metavar="N",
        help="stop after N failed journeys, shortest first (default: run them all)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="processes to build and run the suite in (default: 2, or 1 on one core)",
    )
    p.set_defaults(run=_lazy("simulator.verify.command:run"))

    p = sub.add_parser(
        "simulate", help="simulate many producers logging in, locking out and recovering"
    )
    flows_option(p)
    p.add_argument("--producers", type=int, default=100_000, metavar="N", help="population size")
    p.add_argument(
        "--scenario",
        default="normal-day",
        metavar="NAME|FILE",
        help="a shipped scenario or a YAML file",
    )
    p.add_argument(
        "--seed",
        type=seed,
        default=0,
        help=f"seed of the population and behaviour, 0 to {SEED_MAX}",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="W",
        help="local worker processes (default: chosen from the run's estimated events and"
        " the CPUs free, and printed; at most 4 per core and one per 512 MiB of available"
        " memory; not with --scheduler)",
    )
    p.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="simulate N days (1 to 31) of the scenario instead of its own period",
    )
    p.add_argument(
        "--sweep",
        metavar="PARAM=V1,V2,...",
        help="run one variant per value of a flow parameter (lockout_threshold,"
        " auto_unlock_after_minutes, temporary_password_valid_minutes) or a number of the"
        " scenario (mistype_rate, behaviour.after_lockout.give_up, ...); values, or a range"
        " LOW..HIGH[/STEP]; writes sweep.csv, sweep.png and each variant's report",
    )
    p.add_argument(
        "--no-pictures",
        action="store_true",
        help="leave the report's pictures out (no matplotlib: the quickest report)",
    )
    p.add_argument(
        "--sweep-pictures",
        action="store_true",
        help="draw each variant's own pictures too (a sweep draws sweep.png only by default)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="an existing Dask scheduler, tcp://HOST:PORT (its workers run the shards;"
        " 10 s to answer)",
    )
    p.add_argument(
        "--out",
        default="out/simulation",
        metavar="DIR",
        help="report directory: a new or empty one, or an earlier report, which is kept"
        " as DIR.previous (default: out/simulation)",
    )
    p.add_argument("--explain", metavar="USER", help="replay one producer on the real machines")
    p.add_argument(
        "--mail-loss",
        type=float,
        metavar="RATE",
        help="fault: share of emails that never arrive (overrides the scenario)",
    )
    p.add_argument(
        "--mail-delay",
        type=float,
        metavar="MINUTES",
        help="fault: extra minutes before every email arrives (overrides the scenario)",
    )
    p.set_defaults(run=_lazy("simulator.simulation.cli:run"))

    from simulator.mail import command as mailbox_command
    from simulator.web import command as serve_command

    p = sub.add_parser(
        "serve", help="serve the flows as a web portal (HTML pages, cookies, CSRF, SMTP mail)"
    )
    serve_command.add_arguments(p)
    p.set_defaults(run=_lazy("simulator.web.command:run"))

    p = sub.add_parser(
        "mailbox", help="a real SMTP sink with a Mailpit-shaped HTTP API and an HTML inbox"
    )
    mailbox_command.add_arguments(p)
    p.set_defaults(run=_lazy("simulator.mail.command:run"))

    p = sub.add_parser(
        "mutate", help="mutation score of the features against the flows (--check for CI)"
    )
    if command in (None, "mutate"):
        from specs.mutation import command as mutate_command

        mutate_command.add_arguments(p)
    p.set_defaults(run=_lazy("specs.mutation.command:run"))

    p = sub.add_parser(
        "report",
        help="the living documentation: one HTML page of the flows, what checks them and"
        " the last runs",
        description="Writes OUT/index.html, which works from file:// with no server: per"
        " guide ID what implements and checks it, each machine's diagram coloured by what"
        " covered it, the last rpp verify, feature run, rpp mutate and simulation.",
    )
    if command in (None, "report"):
        from specs.report import command as report_command

        report_command.add_arguments(p)
    p.set_defaults(run=_lazy("specs.report.command:run"))

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    command = next((w for w in words if not w.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    # A file-size limit (ulimit -f) then fails a write with EFBIG, which is reported,
    # instead of killing rpp mid-write.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        # SIGTERM and SIGHUP stop a run as Ctrl-C does: workers stopped, nothing half-written.
        with processes.signals_stop():
            code: int = args.run(args)
    except SpecError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        print(f"invalid: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return 1
    except UsageError as error:
        print(f"rpp {args.command}: {error}", file=sys.stderr)
        return 2
    except RppError as error:  # every other error the project reports: its message
        print(f"rpp {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as error:
        signum = getattr(error, "signum", signal.SIGINT)
        how = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(f"rpp {args.command}: stopped by {how}", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        return 0
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(f"rpp {args.command}: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
