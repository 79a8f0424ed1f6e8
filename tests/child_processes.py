"""Starting rpp as a child process and watching its workers, for the tests that stop a
run with a signal (`rpp verify`, `rpp simulate`). Every wait is bounded far above the
normal and says what it waited for: a busy machine makes a test slow, not wrong."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

__all__ = ["WAIT", "busy_children", "rpp", "started_processes", "still_running"]

ROOT = Path(__file__).resolve().parents[1]
WAIT = 180.0
"""Seconds any wait here allows: far above the normal (a second or two), so only a hang
fails, not a loaded machine."""


@pytest.fixture
def started_processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts, each in its own session; whatever is left of one (its
    process group) is killed afterwards, so a failing test leaves nothing behind."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=WAIT)


def _ctrl_c_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def rpp(started: list[subprocess.Popen[str]], *args: str) -> subprocess.Popen[str]:
    """``rpp ARGS`` in a session of its own (its group gets a terminal's Ctrl-C)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # A shell runs a job in the background with Ctrl-C ignored, and a child inherits
        # that: rpp is started as from a terminal, Ctrl-C at its default.
        preexec_fn=_ctrl_c_default,
    )
    started.append(process)
    return process


def busy_children(pid: int, count: int, cpu_seconds: float) -> list[psutil.Process]:
    """Wait until ``pid`` has ``count`` child processes that each used ``cpu_seconds``
    of CPU; those children."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            children = [
                child
                for child in psutil.Process(pid).children(recursive=True)
                if child.cpu_times().user >= cpu_seconds
            ]
        except psutil.NoSuchProcess:
            children = []
        if len(children) >= count:
            return children
        time.sleep(0.05)
    raise AssertionError(
        f"waited {WAIT:g} s for rpp (pid {pid}) to have {count} workers each past"
        f" {cpu_seconds:g} s of CPU"
    )


def still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """The processes still alive after waiting up to :data:`WAIT` seconds for them."""
    _, alive = psutil.wait_procs(processes, timeout=WAIT)
    return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
