"""``rpp mutate [--flows DIR] [--operator NAME ...] [--workers N] [--json FILE] [--check]``.

Exit 0 when it ran (and, with ``--check``, when every survivor is listed as
equivalent); 1 with ``--check`` when a survivor is not listed; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from specs import atomic
from specs.errors import UsageError
from specs.loader import DEFAULT_FLOWS_DIR
from specs.mutation.operators import OPERATORS

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from specs.mutation.run import EQUIVALENTS_FILE

    parser.add_argument(
        "--flows", default=str(DEFAULT_FLOWS_DIR), metavar="DIR", help="the flows to mutate"
    )
    parser.add_argument(
        "--operator",
        action="append",
        default=[],
        choices=list(OPERATORS),
        metavar="NAME",
        help=f"only this operator (repeatable): {', '.join(OPERATORS)}",
    )
    parser.add_argument(
        "--mutant",
        action="append",
        default=[],
        metavar="ID",
        help="only the mutants whose id starts with this (repeatable)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, metavar="N", help="pytest processes (default: cores)"
    )
    parser.add_argument(
        "--equivalents",
        default=str(EQUIVALENTS_FILE),
        metavar="FILE",
        help="the mutants listed as equivalent, each with its reason",
    )
    parser.add_argument("--json", metavar="FILE", help="write every mutant's outcome here")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a survivor is not listed as equivalent (for CI)",
    )


def run(args: argparse.Namespace) -> int:
    from specs.mutation.run import render
    from specs.mutation.run import run as mutate

    flows = Path(args.flows)
    if not flows.is_dir():
        raise UsageError(f"--flows {args.flows}: not a directory")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: expected at least 1")
    # Before the mutants run, not after.
    refusal = atomic.file_refusal(Path(args.json)) if args.json else None
    if refusal:
        raise UsageError(f"--json {args.json}: {refusal}")
    outcome = mutate(
        flows,
        workers=args.workers,
        operators=args.operator,
        only=args.mutant,
        equivalents_file=Path(args.equivalents),
    )
    for line in render(outcome):
        print(line)
    if args.json:
        # Whole or not at all: a temporary file beside it, then renamed onto it.
        atomic.write_text(
            Path(args.json), json.dumps(outcome.as_dict(), indent=2, ensure_ascii=False) + "\n"
        )
        print(f"written: {args.json}")
    if args.check and outcome.unexplained:
        print(
            f"rpp mutate --check: {len(outcome.unexplained)} survivors not listed in"
            f" {args.equivalents}: add a scenario that kills each, or list it with its reason"
        )
        return 1
    return 0
