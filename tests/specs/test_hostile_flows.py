"""Hostile paths and environment for the flow commands: FIFOs, devices, sockets and
directories where a flow file or the guide belongs.

Each runs the real ``rpp`` in a child process limited to 2 s of CPU and 200 MB (as
tests/specs/test_loader_corpus.py does) with a wall-clock timeout that only guards
against a hang: a FIFO nobody writes to uses no CPU while a reader waits on it. Each
must end with exit 1 or 2, a message naming the file, and no traceback.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from specs import DEFAULT_FLOWS_DIR

ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 2
MEMORY_BYTES = 200 * 1024 * 1024
HANG_TIMEOUT = 60  # wall-clock seconds: only a guard against a hang; CPU is the bound


@dataclass(frozen=True)
class Setup:
    """What a case runs: ``rpp ARGS`` with ``ENV``, and the file the message must name."""

    args: list[str]
    named: str
    env: dict[str, str]


Make = Callable[[Path], Setup]


def _flows(tmp: Path) -> Path:
    flows = tmp / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    return flows


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def validate_fifo(tmp: Path) -> Setup:
    path = _fifo(tmp / "flow.yaml")
    return Setup(["validate", str(path)], str(path), {})


def validate_dev_zero(tmp: Path) -> Setup:
    return Setup(["validate", "/dev/zero"], "/dev/zero", {})


def validate_fifo_in_a_directory(tmp: Path) -> Setup:
    path = _fifo(_flows(tmp) / "extra.yaml")
    return Setup(["validate", str(path.parent)], str(path), {})


def validate_fifo_named_among_good_files(tmp: Path) -> Setup:
    flows = _flows(tmp)
    path = _fifo(tmp / "login.yaml")  # given beside the real portal.yaml: it stands in
    return Setup(["validate", str(flows / "portal.yaml"), str(path)], str(path), {})


def validate_device_for_portal(tmp: Path) -> Setup:
    portal = _flows(tmp) / "portal.yaml"
    portal.unlink()
    portal.symlink_to("/dev/urandom")
    return Setup(["validate", str(portal.parent)], str(portal), {})


def validate_socket(tmp: Path) -> Setup:
    path = _flows(tmp) / "extra.yaml"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))  # left bound: the file stays a socket for the child
    server.close()
    return Setup(["validate", str(path.parent)], str(path), {})


def validate_directory_named_yaml(tmp: Path) -> Setup:
    path = _flows(tmp) / "extra.yaml"
    path.mkdir()
    return Setup(["validate", str(path.parent)], str(path), {})


def paths_with_a_fifo_in_flows(tmp: Path) -> Setup:
    path = _fifo(_flows(tmp) / "extra.yaml")
    return Setup(["paths", "--flows", str(path.parent)], str(path), {})


def trace_with_a_fifo_in_flows(tmp: Path) -> Setup:
    path = _fifo(_flows(tmp) / "extra.yaml")
    return Setup(["trace", "--flows", str(path.parent)], str(path), {})


def guide_a_fifo(tmp: Path) -> Setup:
    path = _fifo(tmp / "GUIDE.md")
    return Setup(["validate"], str(path), {"RPP_GUIDE": str(path)})


def guide_dev_zero(tmp: Path) -> Setup:
    return Setup(["validate"], "/dev/zero", {"RPP_GUIDE": "/dev/zero"})


def flows_option_a_fifo(tmp: Path) -> Setup:
    path = _fifo(tmp / "flows")
    return Setup(["paths", "--flows", str(path)], str(path), {})


def mutate_equivalents_a_fifo(tmp: Path) -> Setup:
    path = _fifo(tmp / "equivalents.yaml")
    return Setup(["mutate", "--equivalents", str(path)], str(path), {})


def mutate_equivalents_an_alias_bomb(tmp: Path) -> Setup:
    path = tmp / "equivalents.yaml"
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")  # 9**10 strings expanded
    return Setup(["mutate", "--equivalents", str(path)], str(path), {})


def mutate_equivalents_base_60(tmp: Path) -> Setup:
    path = tmp / "equivalents.yaml"
    path.write_text("- id: " + "1:" * 400_000 + "1\n  reason: x\n", encoding="utf-8")
    return Setup(["mutate", "--equivalents", str(path)], str(path), {})


CASES: dict[str, Make] = {
    f.__name__.replace("_", "-"): f
    for f in (
        validate_fifo,
        validate_dev_zero,
        validate_fifo_in_a_directory,
        validate_fifo_named_among_good_files,
        validate_device_for_portal,
        validate_socket,
        validate_directory_named_yaml,
        paths_with_a_fifo_in_flows,
        trace_with_a_fifo_in_flows,
        guide_a_fifo,
        guide_dev_zero,
        flows_option_a_fifo,
        mutate_equivalents_a_fifo,
        mutate_equivalents_an_alias_bomb,
        mutate_equivalents_base_60,
    )
}


def _limits() -> None:  # runs in the child, before it starts Python
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


@pytest.mark.parametrize("make", list(CASES.values()), ids=list(CASES))
def test_a_special_file_is_refused_without_waiting(make: Make, tmp_path: Path) -> None:
    setup = make(tmp_path)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "simulator.cli", *setup.args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="backslashreplace",
            preexec_fn=_limits,
            timeout=HANG_TIMEOUT,
            cwd=ROOT,
            env={**os.environ, **setup.env},
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`rpp {' '.join(setup.args)}` hung for {HANG_TIMEOUT} s")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    err = result.stderr
    if result.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        pytest.fail(f"more than {CPU_SECONDS} s of CPU")
    assert "Traceback" not in err, err[-3000:]
    assert result.returncode in (1, 2), f"exit {result.returncode}\n{err[-2000:]}"
    assert cpu < CPU_SECONDS, f"{cpu:.2f} s of CPU"
    assert setup.named in err, f"{setup.named} is not named in:\n{err[:2000]}"
    if result.returncode == 1:
        assert re.search(rf"^{re.escape(setup.named)}:\d+:\d+: ", err, re.MULTILINE), err[:2000]
