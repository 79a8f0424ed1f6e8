"""Shared fixtures. Step definitions for features/ are registered here too (once)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specs import DEFAULT_FLOWS_DIR, FlowSet, load_flows

GUIDE_DIR = Path(__file__).resolve().parents[2] / "shared" / "guide"


@pytest.fixture(scope="session")
def flow_set() -> FlowSet:
    return load_flows()


@pytest.fixture
def flows_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped flows, for tests that break them."""
    target = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, target)
    return target
