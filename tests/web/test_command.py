"""`rpp serve`: usage errors say what to change; the server runs until SIGINT or
SIGTERM and then stops cleanly."""

from __future__ import annotations

import argparse
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from simulator.mail.mailbox import Mailbox
from simulator.mail.smtp_sink import SmtpSink
from simulator.web.command import add_arguments, run
from specs.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]

# What `rpp serve` does, as simulator/cli.py wires it (usage errors: exit 2).
SERVE = """
import argparse, sys
from specs.errors import UsageError
from simulator.web.command import add_arguments, run
parser = argparse.ArgumentParser(prog="rpp serve")
add_arguments(parser)
try:
    sys.exit(run(parser.parse_args(sys.argv[1:])))
except UsageError as error:
    print(f"rpp serve: {error}", file=sys.stderr)
    sys.exit(2)
"""


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--test-api", "--host", "0.0.0.0"], "loopback"),
        (["--test-api", "--host", "10.0.0.7"], "loopback"),
        (["--test-api", "--host", "portal.example"], "loopback"),
        (["--smtp", "mailhost"], "HOST:PORT"),
        (["--smtp", "mailhost:0"], "HOST:PORT"),
        (["--smtp", ":25"], "HOST:PORT"),
        (["--port", "70000"], "0 to 65535"),
        (["--port", "-1"], "0 to 65535"),
        (["--flows", "/no/such/flows", "--smtp", "127.0.0.1:25"], "no such directory"),
    ],
)
def test_usage_errors_say_what_to_change(argv: list[str], says: str) -> None:
    with pytest.raises(UsageError, match=says):
        run(_args(*argv))


def test_a_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"port {port} on 127.0.0.1 is already in use"):
            run(_args("--port", str(port), "--smtp", "127.0.0.1:25"))


class Served:
    """``rpp serve`` in a child process, its output read line by line (by a thread, so
    a line already buffered is never waited for)."""

    def __init__(self, *argv: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, *argv],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, start: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if line.startswith(start):
                return line
        self.process.kill()
        _, err = self.process.communicate()
        raise AssertionError(f"no line starting {start!r}; got {self.lines}\nstderr: {err}")

    def stop(self, signum: int) -> tuple[int, str, str]:
        """Send ``signum``; the exit code, the rest of the output and the error output."""
        self.process.send_signal(signum)
        assert self.process.stderr is not None
        code = self.process.wait(timeout=20)
        self._reader.join(timeout=5)
        rest = []
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                rest.append(line)
        self.lines += rest
        return code, "\n".join(rest), self.process.stderr.read()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_runs_until_a_signal_and_stops_cleanly(signum: int) -> None:
    with SmtpSink(Mailbox()) as sink:
        served = Served("--port", "0", "--test-api", "--smtp", f"127.0.0.1:{sink.port}")
        try:
            portal_line = served.wait_for("rpp serve: portal:")
            url = portal_line.split()[-1].rstrip("/")
            served.wait_for("rpp serve: Ctrl-C to stop")
            assert any("test API" in line for line in served.lines)
            assert any(f"SMTP to 127.0.0.1:{sink.port}" in line for line in served.lines)
            assert httpx.get(f"{url}/", timeout=10).status_code == 200
            producer = {
                "user_name": "ada",
                "agent_unique_id": "111222333",
                "email": "ada@example.com",
                "password": "Abc123",
            }
            assert httpx.post(f"{url}/test/producers", json=producer, timeout=10).status_code == 201
        finally:
            code, out, err = served.stop(signum)
    assert code == 0, err
    assert "rpp serve: stopped" in out
    assert "Traceback" not in err
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/", timeout=2)


def test_serve_on_a_port_in_use_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", SERVE, "--port", str(port), "--smtp", "127.0.0.1:25"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert "already in use" in result.stderr and "Traceback" not in result.stderr


def test_serve_without_smtp_starts_the_embedded_mailbox() -> None:
    served = Served("--port", "0", "--mailbox-port", "0")
    try:
        url = served.wait_for("rpp serve: portal:").split()[-1].rstrip("/")
        mailbox_line = served.wait_for("rpp serve: mailbox:")
        assert "http://127.0.0.1:" in mailbox_line
        assert httpx.get(f"{url}/", timeout=10).status_code == 200
        assert httpx.post(f"{url}/test/reset", timeout=10).status_code == 404
    finally:
        code, _, err = served.stop(signal.SIGTERM)
    assert code == 0, err
