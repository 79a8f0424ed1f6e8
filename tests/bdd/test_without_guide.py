"""A copy of the checkout that is not beside ``shared/`` runs its features without
``$RPP_GUIDE``: the guide IDs are those the flows cite, the run says the guide was not
read, and every scenario runs; what needs the guide itself says so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("pyproject.toml", "specs", "simulator", "flows", "features", "tests")
TIMEOUT_SECONDS = 300


def test_a_copy_without_the_guide_runs_its_features(tmp_path: Path) -> None:
    copy = tmp_path / "checkout"  # no shared/ beside it
    copy.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    for name in ("RPP_GUIDE", "RPP_FEATURES", "RPP_FLOWS", "RPP_TARGET", "RPP_BROWSER"):
        env.pop(name, None)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]  # with its header
    result = subprocess.run(
        [*command, "tests/test_features.py"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "not read (set RPP_GUIDE)" in out
    assert "guide IDs: those the flows cite" in out and "coverage gate passed" in out
    # What needs the guide itself says so.
    validate = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "validate"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert validate.returncode == 1
    assert "cannot read the guide's ID list" in validate.stdout + validate.stderr
    assert "set RPP_GUIDE" in validate.stdout + validate.stderr
