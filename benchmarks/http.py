"""`rpp verify` over HTTP against in-process, and a load run on the served portal.

The portal is served as `rpp serve --test-api --port 0` in a child process (its own
interpreter, so the server's work does not share this process's GIL), with its
embedded mailbox; the URLs it prints are parsed. Both parts use that one server.

1. **verify**: a fixed sample of the suite's journeys (every k-th of
   ``explore(flow_set).journeys``, so short and long journeys of every part are in
   it) runs in-process (``verify(..., workers=1)``, the default reference target) and
   over HTTP (``make_target=load_target(url, flow_set, mailbox_url)``), one journey
   after another, in chunks of 25 journeys taken in turn (in-process, median of 3,
   then HTTP), so both sides see the same spells of a noisy machine. Prints seconds
   per journey of each, their ratio against the issue's target (HTTP at most 5x
   slower per journey), the HTTP requests per journey (every request this process
   sends, counted at the httpx transport and at the driver's ``wire.send``, split
   into portal pages, test API and mailbox), the CPU seconds of the server and of this process during the HTTP run,
   and a floor: a bare page GET on a kept-alive connection times the requests per
   journey. The in-process run is the baseline, in the same process: compare
   ratios, not absolute times (the machine is shared).
2. **load**: :mod:`benchmarks.http_load` (50 concurrent browsers, 5,000 logins).

Run: ``.venv/bin/python -m benchmarks.http`` (``--part verify`` or ``--part load``
for one part; ``--help`` for the sizes).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from benchmarks.http_load import cpu_seconds, part_load
from simulator.drivers import wire
from simulator.verify.command import JourneyResult, load_target, verify
from simulator.verify.suite import Exploration, explore
from specs import load_flows
from specs.model import FlowSet

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 25  # journeys run in-process then over HTTP, in turn
TARGET_RATIO = 5.0  # the issue: verify over HTTP at most 5x slower per journey
START_TIMEOUT = 60.0  # seconds for `rpp serve` to print its URLs


# -- the served portal ---------------------------------------------------------------


@dataclasses.dataclass
class Served:
    """A running `rpp serve --test-api` child process and the URLs it printed."""

    process: subprocess.Popen[str]
    command: list[str]
    url: str
    mailbox_url: str
    output: list[str]


@contextlib.contextmanager
def serve() -> Iterator[Served]:
    """`rpp serve --test-api --port 0` in a child process, until the block ends (then
    SIGTERM, and SIGKILL if it does not stop within 15 s)."""
    command = [sys.executable, "-m", "simulator.cli", "serve", "--test-api", "--port", "0"]
    command += _free_mailbox_port()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1, start_new_session=True
    )
    assert process.stdout is not None
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:  # drains stdout for the server's whole life
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            if "Ctrl-C to stop" in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, name="rpp-serve-stdout", daemon=True)
    reader.start()
    try:
        if not ready.wait(START_TIMEOUT) or process.poll() is not None:
            raise SystemExit(f"rpp serve did not start: {output!r}")
        url = _printed(output, r"rpp serve: portal:\s+(\S+?)/?$")
        mailbox_url = _printed(output, r"rpp serve: mailbox:\s+(\S+)")
        yield Served(process, command, url, mailbox_url, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(5)


def _free_mailbox_port() -> list[str]:
    """``--mailbox-port 0`` when `rpp serve` has that option (its embedded mailbox
    would otherwise take Mailpit's port 8025, which may be in use)."""
    from simulator.web.command import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    known = {option for action in parser._actions for option in action.option_strings}
    return ["--mailbox-port", "0"] if "--mailbox-port" in known else []


def _printed(lines: list[str], pattern: str) -> str:
    for line in lines:
        found = re.match(pattern, line)
        if found:
            return found.group(1)
    raise SystemExit(f"rpp serve printed no line like {pattern!r}: {lines!r}")


# -- counting requests ---------------------------------------------------------------


class RequestCounter:
    """Counts every HTTP request this process sends (through httpx, or through the HTTP
    driver's :func:`simulator.drivers.wire.send`; each redirect is a request of its own),
    by where it went: while :meth:`counting` is active."""

    def __init__(self, url: str, mailbox_url: str) -> None:
        self.portal_port = urlsplit(url).port
        self.mailbox_port = urlsplit(mailbox_url).port
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _kind(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.port == self.mailbox_port:
            return "mailbox"
        if parts.port == self.portal_port:
            return "test API" if parts.path.startswith("/test/") else "portal pages"
        return "other"

    def _count(self, url: str) -> None:
        kind = self._kind(url)
        with self._lock:
            self.counts[kind] += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        original: Callable[..., httpx.Response] = httpx.HTTPTransport.handle_request
        original_send = wire.send
        counter = self

        def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            counter._count(str(request.url))
            return original(self, request)

        def send(method: str, url: str, **options: Any) -> wire.Answer:
            counter._count(url)
            return original_send(method, url, **options)

        self.counts.clear()
        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
        wire.send = send
        try:
            yield self.counts
        finally:
            httpx.HTTPTransport.handle_request = original  # type: ignore[method-assign]
            wire.send = original_send


# -- part 1: verify over HTTP against in-process --------------------------------------


def subset(exploration: Exploration, numbers: set[int]) -> Exploration:
    """The exploration with only the journeys numbered ``numbers``."""
    parts = [
        dataclasses.replace(p, journeys=[j for j in p.journeys if j.number in numbers])
        for p in exploration.parts
    ]
    return Exploration(parts, exploration.reached)


def sample(exploration: Exploration, size: int) -> Exploration:
    """Every k-th journey of the suite (by number), ``size`` in all: the same journeys
    in every run, spread over every part and every length."""
    journeys = exploration.journeys
    stride = max(1, len(journeys) // size)
    return subset(exploration, {j.number for j in journeys[::stride][:size]})


def round_trip(url: str, repeat: int = 200) -> float:
    """The median seconds of ``GET /`` (one session's login page, rendered each time)
    on one kept-alive connection, sent as the HTTP driver sends (:mod:`simulator.drivers.wire`):
    what a request of a journey costs at the least."""
    times: list[float] = []
    browser = wire.Browser(url)
    browser.request("GET", "/static/portal.css")
    for _ in range(repeat):
        start = time.perf_counter()
        if browser.request("GET", "/").status != 200:
            raise SystemExit(f"GET {url}/ did not answer 200")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def part_verify(flow_set: FlowSet, served: Served, size: int) -> None:
    began = time.perf_counter()
    exploration = explore(flow_set, workers=2)
    chosen = sample(exploration, size)
    journeys = chosen.journeys
    steps = sum(len(j.steps) for j in journeys)
    warm = sample(exploration, 10)
    print(
        f"part 1, verify: {len(journeys)} of the suite's {len(exploration.journeys)} journeys"
        f" (every {len(exploration.journeys) // size}th), {steps} steps,"
        f" {steps / len(journeys):.1f} per journey; models and suites built in"
        f" {time.perf_counter() - began:.1f} s"
    )
    by_part = Counter(j.part for j in journeys)
    print("  sample by part: " + ", ".join(f"{p} {n}" for p, n in sorted(by_part.items())))

    # The sample in chunks; for each, in-process (the default reference target, median
    # of 3) then over HTTP (once: each journey resets the served portal and empties its
    # mailbox), so that both sides of the ratio see the same spells of a noisy machine.
    make_target = load_target(served.url, flow_set, served.mailbox_url)
    verify(flow_set, seed=0, exploration=warm, workers=1)
    verify(flow_set, seed=0, make_target=make_target, exploration=warm, workers=1)
    counter = RequestCounter(served.url, served.mailbox_url)
    local = remote = 0.0
    local_failed: list[JourneyResult] = []
    remote_failed: list[JourneyResult] = []
    cpu_server = cpu_client = 0.0
    numbers = [j.number for j in journeys]
    requests: Counter[str] = Counter()
    for at in range(0, len(numbers), CHUNK):
        chunk = subset(chosen, set(numbers[at : at + CHUNK]))
        times: list[float] = []
        for _ in range(3):
            start = time.perf_counter()
            report = verify(flow_set, seed=0, exploration=chunk, workers=1)
            times.append(time.perf_counter() - start)
        local += statistics.median(times)
        local_failed += report.failed
        server_before, client_before = cpu_seconds(served.process.pid), time.process_time()
        with counter.counting() as counts:
            start = time.perf_counter()
            report = verify(
                flow_set,
                seed=0,
                make_target=make_target,
                exploration=chunk,
                target_name=served.url,
                workers=1,
            )
            remote += time.perf_counter() - start
            requests += counts
        server_after = cpu_seconds(served.process.pid)
        if server_before is not None and server_after is not None:
            cpu_server += server_after - server_before
        cpu_client += time.process_time() - client_before
        remote_failed += report.failed
    total_requests = sum(requests.values())

    n = len(journeys)
    per_local, per_remote = local / n, remote / n
    ratio = per_remote / per_local
    print(
        f"  in-process (reference, workers=1; median of 3 per chunk of {CHUNK}):"
        f" {local:6.2f} s, {per_local * 1000:7.2f} ms per journey; failed {len(local_failed)}"
    )
    print(
        f"  over HTTP  ({served.url}, workers=1):"
        f" {remote:6.2f} s, {per_remote * 1000:7.2f} ms per journey; failed {len(remote_failed)}"
    )
    for result in (local_failed + remote_failed)[:3]:
        print(f"    FAILED {result.journey.name}: {result.failure}")
    print(
        f"  HTTP requests: {total_requests / n:.1f} per journey,"
        f" {total_requests / steps:.1f} per step ("
        + ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(requests.items()))
        + f" per journey); {total_requests / remote:.0f} requests/s"
    )
    print(
        f"  CPU of the HTTP run: server process {cpu_server:.1f} s, this process (driver,"
        f" page reading, verify) {cpu_client:.1f} s, of {remote:.1f} s wall"
    )
    floor = round_trip(served.url)
    per_request = total_requests / n * floor
    print(
        f"  floor: a bare GET of the login page on one kept-alive connection takes"
        f" {floor * 1000:.2f} ms (median of 200); {total_requests / n:.1f} of them are"
        f" {per_request * 1000:.1f} ms, {per_request / per_local:.1f}x the in-process journey"
    )
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(
        f"  ratio: HTTP is {ratio:.1f}x the in-process time per journey;"
        f" target <= {TARGET_RATIO:.0f}x: {verdict}"
    )


# -- main ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http", description=__doc__)
    parser.add_argument("--part", choices=["all", "verify", "load"], default="all")
    parser.add_argument("--journeys", type=int, default=200, help="journeys sampled (200)")
    parser.add_argument("--sessions", type=int, default=50, help="concurrent browsers (50)")
    parser.add_argument("--logins", type=int, default=5000, help="logins in all (5000)")
    parser.add_argument("--seed", type=int, default=0, help="population and plan seed (0)")
    args = parser.parse_args(argv)

    flow_set = load_flows()
    with serve() as served:
        shown = " ".join(served.command[3:])
        print(f"served: `rpp {shown}` in a child process (pid {served.process.pid})")
        print(f"  portal {served.url}, mailbox {served.mailbox_url}")
        if args.part in ("all", "verify"):
            part_verify(flow_set, served, args.journeys)
        if args.part in ("all", "load"):
            counter = RequestCounter(served.url, served.mailbox_url)
            part_load(
                flow_set,
                served.url,
                served.mailbox_url,
                sessions=args.sessions,
                logins=args.logins,
                seed=args.seed,
                counter=counter,
                server_pid=served.process.pid,
            )


if __name__ == "__main__":
    main()
