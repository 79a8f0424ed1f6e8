"""Shared fixtures. Step definitions for features/ are registered here too (once)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from specs import DEFAULT_FLOWS_DIR, FlowSet, load_flows
from specs.guide import default_guide_path
from tests.steps import STEP_MODULES

GUIDE_DIR = default_guide_path().parent

# The world fixtures, every step module, and the coverage gate: registered once here.
pytest_plugins = ["tests.bdd.world", *STEP_MODULES, "tests.bdd.coverage"]


def pytest_configure(config: pytest.Config) -> None:
    """Feature tags are markers: the sections, GUIDE.md's IDs and portal.yaml's decisions
    (of the flows under test), so --strict-markers rejects a misspelt tag."""
    from specs import SpecError
    from tests.bdd.tags import register_markers
    from tests.bdd.world import features_flows_dir, load_features_flows

    try:
        flow_set = load_features_flows(str(features_flows_dir()))
    except SpecError as error:
        raise pytest.UsageError(f"the flows under test do not load:\n{error}") from None
    register_markers(config, flow_set)


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
