"""`rpp verify` stops with its workers, whatever stops it (issue 28): SIGTERM, a
terminal's Ctrl-C to the whole group, SIGINT to rpp alone, SIGHUP or ``kill -9``. No
worker is left behind holding the caller's pipes, no worker prints a traceback, and the
exit status says which signal it was."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import psutil
import pytest

from tests.child_processes import WAIT, busy_children, rpp, started_processes, still_running

__all__ = ["started_processes"]  # the fixture, used by name


def _verify(started: list[subprocess.Popen[str]], tmp_path: Path) -> subprocess.Popen[str]:
    return rpp(started, "verify", "--workers", "2", "--json", str(tmp_path / "verify.json"))


@pytest.mark.parametrize(
    ("how", "code", "said"),
    [
        ("SIGTERM", 143, "stopped by SIGTERM"),
        ("SIGHUP", 129, "stopped by SIGHUP"),
        ("Ctrl-C", 130, "stopped by Ctrl-C"),
        ("SIGINT to rpp alone", 130, "stopped by Ctrl-C"),
    ],
)
def test_a_signal_stops_verify_and_every_worker(
    how: str,
    code: int,
    said: str,
    tmp_path: Path,
    started_processes: list[subprocess.Popen[str]],
) -> None:
    process = _verify(started_processes, tmp_path)
    workers = busy_children(process.pid, 2, cpu_seconds=0.5)
    everyone = psutil.Process(process.pid).children(recursive=True)
    if how == "Ctrl-C":  # a terminal sends SIGINT to the whole foreground group
        os.killpg(process.pid, signal.SIGINT)
    elif how == "SIGINT to rpp alone":
        os.kill(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, getattr(signal, how))
    try:
        _, err = process.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"rpp verify did not end within {WAIT:g} s of {how}") from None
    assert process.returncode == code, err
    assert said in err and "Traceback" not in err, err
    assert len(workers) == 2 and still_running(everyone) == []
    assert not (tmp_path / "verify.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_kill_9_of_verify_ends_its_workers(
    tmp_path: Path, started_processes: list[subprocess.Popen[str]]
) -> None:
    process = _verify(started_processes, tmp_path)
    busy_children(process.pid, 2, cpu_seconds=0.5)
    everyone = psutil.Process(process.pid).children(recursive=True)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT)  # returns once no worker holds the pipes
    assert still_running(everyone) == []
