"""`rpp simulate` under faults: a write fault, kill -9 in the middle of writing,
SIGTERM and Ctrl-C of a running simulation, a killed worker, a scheduler that is not
Dask, and ``--out`` places a report must not go.

Each fault ends with a message and exit 1 or 2 (130/143 for the signals), within a
subprocess timeout (never a timing assertion), with no process left behind and
never a report that mixes two runs: the earlier report is there, byte for byte, or
the new one is, whole.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

from simulator.cli import main
from simulator.population import Population
from simulator.simulation.engine import run_shard
from simulator.simulation.examples import OUTCOMES, PER_OUTCOME
from simulator.simulation.plan import build_plan
from simulator.simulation.run import ReportError, simulate, write_report
from simulator.simulation.scenario import load_scenario
from simulator.simulation.table import compile_table
from specs.model import FlowSet
from tests.child_processes import WAIT, rpp, started_processes

__all__ = ["started_processes"]  # the fixture, used by name

ROOT = Path(__file__).resolve().parents[2]
REPORT_FILES = {
    "summary.json",
    "timeline.csv",
    "timeline.png",
    "lockout-minutes.png",
    "emails.png",
    "run.json",
}
BIG = "40000000"  # producers: with `_month`, a 2-worker run lasts about a minute, far beyond the signal


def _month(tmp_path: Path) -> str:
    """normal-day stretched over 30 days (a long run, stopped long before its end)."""
    shipped = ROOT / "simulator" / "scenarios" / "normal-day.yaml"
    text = shipped.read_text(encoding="utf-8")
    assert "\n  hours: 24\n" in text
    path = tmp_path / "month.yaml"
    path.write_text(text.replace("\n  hours: 24\n", "\n  hours: 720\n"), encoding="utf-8")
    return str(path)


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator.cli", "simulate", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def _run(*args: str, timeout: float = 300, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(*args),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def _start(started: list[subprocess.Popen[str]], *args: str) -> subprocess.Popen[str]:
    return rpp(started, "simulate", *args)


def _workers(pid: int, count: int, cpu_seconds: float = 0.0) -> list[psutil.Process]:
    """Wait (up to 120 s) until ``pid`` has ``count`` pool workers that each used
    ``cpu_seconds`` of CPU; those workers."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            children = psutil.Process(pid).children(recursive=True)
            workers = [
                child
                for child in children
                if "spawn_main" in " ".join(child.cmdline())
                and child.cpu_times().user >= cpu_seconds
            ]
        except psutil.NoSuchProcess:
            workers = []
        if len(workers) >= count:
            return workers
        time.sleep(0.05)
    raise AssertionError(f"rpp {pid} did not start {count} busy workers")


def _gone(processes: list[psutil.Process], timeout: float = WAIT) -> list[psutil.Process]:
    """The processes still alive after ``timeout`` seconds (empty: all ended)."""
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _report(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def _earlier_report(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "report"
    done = _run("--producers", "2000", "--workers", "1", "--seed", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    report = _report(out)
    assert set(report) == REPORT_FILES
    return out, report


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if ".tmp-" in p.name)


def _one_run(out: Path) -> None:
    """``out`` is a whole report of one run: every file, and summary.json's seed and
    producers are those of run.json."""
    assert {p.name for p in out.iterdir()} == REPORT_FILES
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert (summary["producers"], summary["scenario"]["name"]) == (
        run["producers"],
        run["scenario"],
    )


# -- writing the report -------------------------------------------------------------------


def test_a_write_fault_leaves_the_earlier_report_as_it_was(tmp_path: Path) -> None:
    out, before = _earlier_report(tmp_path)

    def small_files() -> None:  # ulimit -f 4: a write past 4 KiB fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = _run(
        "--producers", "2000", "--workers", "1", "--seed", "2", "--out", str(out),
        preexec_fn=small_files,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "could not write the report to" in done.stderr
    assert "File too large" in done.stderr and "Traceback" not in done.stderr
    assert _report(out) == before
    assert not (tmp_path / "report.previous").exists()
    assert _leftovers(out) == []


def test_kill_9_while_writing_leaves_the_earlier_report_and_no_mix(
    tmp_path: Path, started_processes: list[subprocess.Popen[str]]
) -> None:
    out, before = _earlier_report(tmp_path)
    process = _start(
        started_processes, "--producers", "2000", "--workers", "1", "--seed", "2", "--out", str(out)
    )
    deadline = time.monotonic() + WAIT
    while not _leftovers(out) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert _leftovers(out), "the report was not staged in a temporary directory"
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT)
    assert _report(out) == before
    assert not (tmp_path / "report.previous").exists()
    # The next run removes what the killed one left, and keeps the earlier report.
    done = _run("--producers", "2000", "--workers", "1", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert _leftovers(out) == []
    assert _report(tmp_path / "report.previous") == before
    _one_run(out)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["seed"] == 3


def test_a_failure_while_drawing_leaves_the_earlier_report(
    flow_set: FlowSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulation = simulate(flow_set, load_scenario("normal-day"), 500, seed=4, workers=1)
    out = tmp_path / "report"
    write_report(simulation, out)
    before = _report(out)

    def broken(*args: object) -> list[Path]:
        raise ValueError("mathtext: unknown symbol")

    monkeypatch.setattr("simulator.simulation.plots.write_plots", broken)
    with pytest.raises(ReportError, match="could not draw the report's pictures"):
        write_report(simulation, out)
    assert _report(out) == before
    assert _leftovers(out) == []


def test_a_second_run_keeps_the_first_as_previous(tmp_path: Path) -> None:
    out, before = _earlier_report(tmp_path)
    done = _run("--producers", "2000", "--workers", "1", "--seed", "5", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert _report(tmp_path / "report.previous") == before
    _one_run(out)
    assert "report: " + str(out / "summary.json") in done.stdout


# -- where a report may go (refused before anything is simulated) -------------------------


def _refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["simulate", "--producers", "100", *args]) == 2
    captured = capsys.readouterr()
    assert "simulated" not in captured.out and "Traceback" not in captured.err
    return captured.err


def test_out_at_the_root_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--out /: the root directory" in _refused(["--out", "/"], capsys)


def test_out_in_a_directory_of_other_things_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    err = _refused(["--out", str(tmp_path)], capsys)
    assert "neither empty nor an earlier report" in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_out_where_nothing_can_be_written_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(["--out", "/proc/rpp-report"], capsys)
    assert "--out /proc/rpp-report: cannot write in /proc" in err


def test_a_previous_that_is_not_a_report_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "report.previous").mkdir()
    (tmp_path / "report.previous" / "keep.txt").write_text("mine", encoding="utf-8")
    err = _refused(["--out", str(tmp_path / "report")], capsys)
    assert "report.previous (where the earlier report is kept) exists and is not a report" in err
    assert (tmp_path / "report.previous" / "keep.txt").read_text(encoding="utf-8") == "mine"


# -- stopping a run -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "code", "said"),
    [("SIGTERM", 143, "stopped by SIGTERM"), ("Ctrl-C", 130, "stopped by Ctrl-C")],
)
def test_a_signal_stops_the_run_and_every_worker(
    how: str, code: int, said: str, tmp_path: Path, started_processes: list[subprocess.Popen[str]]
) -> None:
    out = tmp_path / "report"
    process = _start(
        started_processes, "--producers", BIG, "--scenario", _month(tmp_path), "--workers", "2",
        "--out", str(out),
    )  # fmt: skip
    workers = _workers(process.pid, 2, cpu_seconds=1.0)
    everyone = psutil.Process(process.pid).children(recursive=True)
    if how == "SIGTERM":
        os.kill(process.pid, signal.SIGTERM)
    else:  # Ctrl-C at a terminal: SIGINT to the whole foreground process group
        os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == code, err
    assert said in err and "Traceback" not in err
    assert len(workers) == 2 and _gone(everyone) == []
    assert not out.exists() and _leftovers(out) == []


def test_kill_9_of_rpp_ends_its_workers(
    tmp_path: Path, started_processes: list[subprocess.Popen[str]]
) -> None:
    process = _start(
        started_processes, "--producers", BIG, "--scenario", _month(tmp_path), "--workers", "2",
        "--out", str(tmp_path / "report"),
    )  # fmt: skip
    _workers(process.pid, 2)
    everyone = psutil.Process(process.pid).children(recursive=True)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT)
    assert _gone(everyone) == []


def test_a_killed_worker_fails_the_run_naming_its_shard(
    tmp_path: Path, started_processes: list[subprocess.Popen[str]]
) -> None:
    out = tmp_path / "report"
    process = _start(
        started_processes, "--producers", BIG, "--scenario", _month(tmp_path), "--workers", "2",
        "--out", str(out),
    )  # fmt: skip
    workers = _workers(process.pid, 2, cpu_seconds=2.0)
    everyone = psutil.Process(process.pid).children(recursive=True)
    workers[0].kill()
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == 1, err
    assert "a worker process" in err and "was lost" in err and "shard" in err
    assert "Traceback" not in err
    assert _gone(everyone) == []
    assert not out.exists()


# -- schedulers ---------------------------------------------------------------------------


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_scheduler_that_is_not_dask_is_refused_with_a_message(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        done = _run(
            "--producers", "1000", "--scheduler", address, "--out", str(tmp_path / "r"),
            timeout=60,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1, done.stderr
    assert f"{address} does not answer as a Dask scheduler" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r").exists()


def test_a_scheduler_that_sends_garbage_is_refused(tmp_path: Path) -> None:
    """A server that speaks first, but not Dask (8 bytes that would mean 3 EiB)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with listener:
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"HTTP/1.0 400 Bad request\r\n\r\n")
                time.sleep(1)

    threading.Thread(target=serve, daemon=True).start()
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    done = _run(
        "--producers", "1000", "--scheduler", address, "--out", str(tmp_path / "r"), timeout=60
    )
    assert done.returncode == 1, done.stderr
    assert "does not answer as a Dask scheduler (it sent b'HTTP/1.0'" in done.stderr


@pytest.mark.parametrize("address", ["foo://bar", "tcp://", "http://127.0.0.1:8786"])
def test_a_scheduler_address_that_is_not_tcp_is_a_usage_error(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "--scheduler must be a Dask scheduler's address" in _refused(
        ["--scheduler", address], capsys
    )


# -- options ------------------------------------------------------------------------------


def test_more_workers_than_the_machine_holds_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _refused(["--workers", "1000"], capsys)
    assert "--workers must be from 1 to" in err and "per core" in err


def test_workers_with_a_scheduler_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], capsys)
    assert "--workers is for local worker processes" in err


@pytest.mark.parametrize("command", ["simulate", "verify"])
@pytest.mark.parametrize("value", ["-1", str(2**32), "1e3"])
def test_one_rule_for_seeds(command: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--seed", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["simulate", "verify", "mutate", "mailbox", "serve"])
def test_help_shows_the_defaults(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # words wrapped
    assert text.count("default") >= 2
    if command == "simulate":
        for shown in (
            "(default: 100000)",
            "(default: normal-day)",
            "(default: 0)",
            "default: chosen",
        ):
            assert shown in text


# -- examples for --explain ---------------------------------------------------------------


def test_the_summary_names_producers_with_each_outcome(flow_set: FlowSet) -> None:
    scenario = load_scenario("mail-outage")
    simulation = simulate(flow_set, scenario, 3000, seed=0, workers=1)
    examples = simulation.summary["examples_for_explain"]
    assert set(examples) == set(OUTCOMES)
    plan = build_plan(flow_set, scenario, 0, 3000)
    table = compile_table(flow_set)
    population = Population(0, flow_set.portal.parameters, lines=plan.lines)
    for outcome, names in examples.items():
        assert 1 <= len(names) <= PER_OUTCOME, outcome
        for name in names:
            producer = population.by_user_name(name, limit=3000)
            assert producer is not None
            counted = run_shard(plan, table, population, producer.index, producer.index + 1)
            assert OUTCOMES[outcome](counted.counters) > 0, (outcome, name)


def test_an_example_can_be_explained(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert main(["simulate", "--producers", "2000", "--workers", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    name = summary["examples_for_explain"]["locked_out_and_reset"][0]
    assert "--explain USER; for example" in capsys.readouterr().out
    assert main(["simulate", "--producers", "2000", "--explain", name]) == 0
    told = capsys.readouterr().out
    assert "lock-out" in told and "counted exactly this" in told


def test_a_scheduler_without_workers_is_reported_within_its_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import distributed

    with distributed.LocalCluster(
        n_workers=0,
        processes=False,
        host="127.0.0.1",
        protocol="tcp://",
        scheduler_port=0,
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        code = main(
            ["simulate", "--producers", "500", "--scheduler", address, "--out", str(tmp_path / "r")]
        )
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"the Dask scheduler at {address} has no worker" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_a_lost_worker_is_blamed_only_for_the_shard_it_was_simulating() -> None:
    """A worker may die after finishing a shard whose result rpp has not read yet:
    that shard is not the one named."""
    from types import SimpleNamespace

    from simulator.simulation.workers import _lost

    tasks = [SimpleNamespace(shard=n, start=n * 10, stop=n * 10 + 10) for n in range(3)]
    dead = SimpleNamespace(pid=4242, exitcode=-signal.SIGKILL)
    alive = SimpleNamespace(pid=4343, exitcode=None)
    started = [-4242, 4242, 4343]  # shard 0 done by the dead worker, 1 in its hands
    said = _lost(tasks, set(), started, [dead, alive])  # type: ignore[arg-type]
    assert "pid 4242" in said and "SIGKILL" in said and "shard 1 " in said, said
    # the pool terminated another worker once this one was lost: this one is named
    ended = SimpleNamespace(pid=4343, exitcode=-signal.SIGTERM)
    said = _lost(tasks, set(), [-4242, 4343, 4242], [dead, ended])  # type: ignore[arg-type]
    assert "pid 4242" in said and "SIGKILL" in said and "shard 2 " in said, said
    assert _lost(tasks, set(), [-4242, 0, 4343], [dead, alive]).endswith(  # type: ignore[arg-type]
        "with shards 0, 1, 2 unfinished; no report was written"
    )
