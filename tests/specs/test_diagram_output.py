"""`rpp diagram` writes whole or not at all, and only where a picture belongs (issue 28):
a full disk leaves the earlier picture as it was, a FIFO or a device node is refused
(never blocked on, never replaced), and `-o /` is refused."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["diagram", *args]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


def test_a_fifo_is_refused_not_blocked_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "login.mmd"
    os.mkfifo(fifo)
    err = _refused(capsys, "-m", "login", "-o", str(fifo))
    assert "is a FIFO, not a regular file" in err
    assert fifo.is_fifo()


def test_a_device_node_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, "-m", "login", "-f", "mermaid", "-o", "/dev/null")
    assert "is a character device, not a regular file" in err


def test_every_diagram_into_the_root_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "-o /: the root directory" in _refused(capsys, "-o", "/")


def test_a_full_disk_leaves_the_earlier_picture_whole(tmp_path: Path) -> None:
    picture = tmp_path / "login.svg"
    earlier = "<svg>an earlier picture</svg>\n"
    picture.write_text(earlier, encoding="utf-8")

    def small_files() -> None:  # ulimit -f 1: a write past 1 KiB fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    done = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "diagram", "-m", "login", "-o", str(picture)],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=small_files,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "File too large" in done.stderr and "Traceback" not in done.stderr
    assert picture.read_text(encoding="utf-8") == earlier
    assert [p.name for p in tmp_path.iterdir()] == ["login.svg"]  # no temporary left
