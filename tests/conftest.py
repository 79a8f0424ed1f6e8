"""Shared fixtures. Step definitions for features/ are registered here too (once), and
the options choosing where the features run (``--target``, ``--decisions``, ``--mailbox``, ``--browser``:
see tests/bdd/targets.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from specs import DEFAULT_FLOWS_DIR, FlowSet, load_flows
from specs.guide import default_guide_path
from tests.steps import STEP_MODULES

GUIDE_DIR = default_guide_path().parent

# The target and world fixtures, every step module, the coverage gate, the binding of the
# feature files (its step lookup error hook), the reports' names and masks, and
# --cucumber-report: registered once here.
pytest_plugins = [
    "tests.bdd.targets",
    "tests.bdd.world",
    *STEP_MODULES,
    "tests.bdd.binding",
    "tests.bdd.reports",
    "tests.bdd.coverage",
    "tests.bdd.cucumber",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Where the features run (tests/bdd/targets.py reads these); in-process without them.
    (Defined here, not imported: this runs before the plugins above are imported.)"""
    group = parser.getgroup("rpp-features", "where the features of features/ run")
    group.addoption(
        "--target",
        metavar="URL|serve|MODULE:CALLABLE",
        help="run the features against a portal served with `rpp serve --test-api` at URL"
        " (needs --mailbox), `serve`: serve the flows under test for this session, or a"
        " team's target factory MODULE:CALLABLE (docs/targets.md), its texts held to the"
        " guide's authority (env $RPP_TARGET; default: in-process)",
    )
    group.addoption(
        "--decisions",
        metavar="FILE",
        help="the team's decisions file for --target MODULE:CALLABLE: its behaviour readings"
        " set the flows' parameters, its texts are checked exactly (env $RPP_DECISIONS)",
    )
    group.addoption(
        "--mailbox",
        metavar="URL",
        help="the Mailpit API holding the mail of --target URL (env $RPP_MAILBOX)",
    )
    group.addoption(
        "--browser",
        action="store_true",
        default=None,
        help="drive the portal of --target in headless Chromium; screenshots go to"
        " reports/screens/ (env $RPP_BROWSER=1)",
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    from tests.bdd.targets import TargetChoice
    from tests.bdd.world import features_flows_dir, guide_not_read, load_features_flows

    lines = [f"features run: {TargetChoice.of(config).describe()}"]
    if guide_not_read(load_features_flows(str(features_flows_dir()))):
        lines.append(
            f"guide: {default_guide_path()} not read (set RPP_GUIDE): the guide IDs are those"
            " the flows cite; the tests that read the guide itself fail saying so"
        )
    return lines


def pytest_configure(config: pytest.Config) -> None:
    """Feature tags are markers: the sections, GUIDE.md's IDs and portal.yaml's decisions
    (of the flows under test), so --strict-markers rejects a misspelt tag."""
    from specs import SpecError
    from tests.bdd.tags import register_markers
    from tests.bdd.targets import FACTORY, TargetChoice, load_factory
    from tests.bdd.world import features_flows_dir, load_features_flows

    choice = TargetChoice.of(config)  # a usage error names the option to change, first

    try:
        flow_set = load_features_flows(str(features_flows_dir()))
    except SpecError as error:
        raise pytest.UsageError(f"the flows under test do not load:\n{error}") from None
    register_markers(config, flow_set)
    if choice.is_factory:  # an adapter that does not import, or a bad decisions file
        config.stash[FACTORY] = load_factory(choice, flow_set)


@pytest.fixture(scope="session")
def flow_set() -> FlowSet:
    return load_flows()


@pytest.fixture
def flows_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped flows, for tests that break them."""
    target = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, target)
    return target


@pytest.fixture(scope="session")
def exploration(flow_set: FlowSet) -> Any:
    """`rpp verify`'s models and suite of the shipped flows, built once per test run."""
    from simulator.verify.suite import explore

    return explore(flow_set, workers=2)


@pytest.fixture
def one_hash_iteration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every password hashed with one PBKDF2 iteration: a portal is verified for its
    behaviour, not its hashing cost (as verify's reference is); the harness's 1,000
    iterations were half the time of verifying a portal in the tests."""
    from simulator.portal.passwords import PasswordHash

    of = PasswordHash.of.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(PasswordHash, "of", classmethod(lambda cls, p, _: of(cls, p, 1)))
