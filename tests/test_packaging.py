"""The wheel carries the shipped flows and scenarios, and an installed copy finds them.

The wheel is built from a copy of the sources (so the checkout gets no build/ or
egg-info) as pip builds it (an isolated build: setuptools from the package index), installed with
``pip install --target`` into a temporary directory and run from elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from specs.guide import default_guide_path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "specs", "simulator", "flows")


def test_the_wheel_carries_and_finds_the_flows_and_scenarios(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = subprocess.run(
        [*pip, "wheel", str(source), "-w", str(tmp_path / "wheel"), "--no-deps",
         "-v"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert "absent from the `packages` configuration" not in built.stdout + built.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for flow in (ROOT / "flows").glob("*.yaml"):
        assert f"flows/{flow.name}" in names
    for scenario in (ROOT / "simulator" / "scenarios").glob("*.yaml"):
        assert f"simulator/scenarios/{scenario.name}" in names

    target = tmp_path / "installed"
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    env = {**os.environ, "PYTHONPATH": str(target), "RPP_GUIDE": str(default_guide_path())}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in (["validate"], ["simulate", "--help"]):
        ran = subprocess.run(
            [sys.executable, "-m", "simulator.cli", *args],
            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import specs.loader as l, simulator.simulation.scenario as s;"
         " print(l.DEFAULT_FLOWS_DIR); print(s.SCENARIO_DIR);"
         " print(' '.join(s.shipped_scenarios()))"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    flows_dir, scenario_dir, shipped = probe.stdout.splitlines()
    assert Path(flows_dir).is_relative_to(target) and Path(scenario_dir).is_relative_to(target)
    assert shipped.split() == sorted(
        p.stem for p in (ROOT / "simulator" / "scenarios").glob("*.yaml")
    )
