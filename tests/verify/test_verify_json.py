"""`rpp verify --json FILE` is written whole or not at all, and checked before the run."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
EARLIER = {"seed": 0, "passed": True, "journeys": ["an earlier report, larger than 4 KiB"] * 200}


def test_a_write_fault_leaves_the_earlier_json_as_it_was(tmp_path: Path) -> None:
    report = tmp_path / "verify.json"
    earlier = json.dumps(EARLIER, indent=2) + "\n"
    report.write_text(earlier, encoding="utf-8")

    def small_files() -> None:  # ulimit -f 4: a write past 4 KiB fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(
        [
            sys.executable, "-m", "simulator.cli", "verify", "--workers", "1",
            "--part", "signed in", "--extra-states", "0", "--json", str(report),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=small_files,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rpp verify: File too large" in done.stderr and "Traceback" not in done.stderr
    assert "journeys passed" in done.stdout  # the run finished; only the write failed
    assert report.read_text(encoding="utf-8") == earlier
    assert [p.name for p in tmp_path.iterdir()] == ["verify.json"]  # no temporary left


def test_a_json_where_nothing_can_be_written_is_refused_before_the_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", "--json", "/proc/rpp-verify.json"]) == 2
    captured = capsys.readouterr()
    assert "--json /proc/rpp-verify.json: cannot write in /proc" in captured.err
    assert "journeys passed" not in captured.out
