"""``rpp report [--out DIR] [--reports DIR] [--simulation DIR] [--flows DIR]``: the flows'
living documentation as one HTML page, ``DIR/index.html`` (default ``reports/site``).

Exit 0 when the page was written (whatever the runs it shows found), 1 when an input
file is not what its writer writes (the message names the file), 2 for a usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from specs import atomic
from specs.errors import UsageError
from specs.loader import DEFAULT_FLOWS_DIR, load_flows_dir
from specs.report.build import Inputs, build
from specs.report.inputs import (
    read_features,
    read_mutation,
    read_names_by_key,
    read_simulation,
    read_verify,
)
from specs.report.page import PAGE, write_page
from specs.scenarios import features_dir, scenarios_by_guide_id

__all__ = ["add_arguments", "is_site", "read_inputs", "run"]

TITLE_MARK = "<title>rpp report:"
"""How an earlier site is recognised: its page's title (index.html.j2)."""

ROOT = Path(__file__).resolve().parents[2]
# The file names the writers use inside the reports directory.
FILES = {
    "verify": "verify.json",
    "features": "cucumber.json",
    "scenarios": "scenarios.json",
    "transitions": "transitions.json",
    "mutation": "mutate.json",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--flows",
        default=str(DEFAULT_FLOWS_DIR),
        metavar="DIR",
        help="the flows to document (default: the shipped flows/)",
    )
    parser.add_argument(
        "--out",
        default="reports/site",
        metavar="DIR",
        help="where index.html goes (default: reports/site)",
    )
    parser.add_argument(
        "--reports",
        default="reports",
        metavar="DIR",
        help="where the runs left their files: verify.json, cucumber.json, scenarios.json,"
        " transitions.json, mutate.json (each optional; default: reports)",
    )
    parser.add_argument(
        "--simulation",
        metavar="DIR",
        help="an `rpp simulate --out` directory (default: REPORTS/simulation, if present)",
    )


def _features_prefix() -> str:
    """How Cucumber JSON's ``uri`` (relative to the project) starts for a feature file."""
    try:
        return features_dir().resolve().relative_to(ROOT).as_posix() + "/"
    except ValueError:
        return ""


def read_inputs(reports: Path, simulation: Path | None = None) -> Inputs:
    """Every file the report reads from ``reports`` (and the simulation directory)."""
    simulation = simulation if simulation is not None else reports / "simulation"
    paths = {key: str(reports / name) for key, name in FILES.items()}
    paths["simulation"] = str(simulation)
    features = read_features(reports / FILES["features"], _features_prefix())
    return Inputs(
        verify=read_verify(reports / FILES["verify"]),
        features=features,
        scenarios=read_names_by_key(reports / FILES["scenarios"]),
        transitions=read_names_by_key(reports / FILES["transitions"]),
        mutation=read_mutation(reports / FILES["mutation"]),
        simulation=read_simulation(simulation),
        tagged=scenarios_by_guide_id(features_dir()) if features is None else {},
        paths=paths,
    )


def is_site(directory: Path) -> bool:
    """Whether ``directory`` holds an earlier ``rpp report`` site (its index.html)."""
    try:
        with (directory / PAGE).open(encoding="utf-8", errors="replace") as page:
            head = page.read(4096)
    except OSError:
        return False
    return TITLE_MARK in head


def run(args: argparse.Namespace) -> int:
    reports = Path(args.reports)
    if reports.exists() and not reports.is_dir():
        raise UsageError(f"--reports {args.reports}: not a directory")
    simulation = Path(args.simulation) if args.simulation else None
    if simulation is not None and not (simulation / "summary.json").is_file():
        raise UsageError(
            f"--simulation {args.simulation}: no summary.json there (an `rpp simulate --out`"
            " directory holds one)"
        )
    out = Path(args.out)
    refusal = atomic.directory_refusal(out, is_site)
    if refusal:
        raise UsageError(f"--out {args.out}: {refusal}")
    flow_set = load_flows_dir(args.flows, "--flows")
    content = build(flow_set, read_inputs(reports, simulation))
    # The site appears whole or not at all; the earlier one is kept as OUT.previous.
    with atomic.staged_directory(out) as staging:
        write_page(content, staging)
    print(f"wrote {out / PAGE}")
    for what, how in content.missing:
        print(f"  not in the report: {what} ({how})")
    return 0
