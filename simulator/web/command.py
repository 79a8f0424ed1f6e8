"""`rpp serve`: the flows served as a web portal, until Ctrl-C or SIGTERM.

Promises:

- Loads the flows of ``--flows`` (exit 1 with every problem placed when invalid, like
  every command), serves them on ``--host``:``--port`` (127.0.0.1:8000; port 0 picks a
  free one) and prints the portal's URL, then the mailbox's.
- Mail goes over SMTP to ``--smtp HOST:PORT``; without it an embedded mailbox
  (:class:`simulator.mail.service.MailboxService`) is started on 127.0.0.1 and its
  web address printed.
- ``--test-api`` mounts the loopback-only test endpoints, runs the portal on the wall
  clock plus what the test API advanced (tests move it ahead; an email's Date is when
  it was sent) and hashes
  passwords at the harness's cost; it is refused on a host that is not loopback.
  Without it the clock is the wall clock and hashing has a production-like cost.
- ``--forwarded-allow-ips IPS`` (a TLS proxy in front): the addresses or networks
  (comma-separated, ``*`` for any) whose ``X-Forwarded-Proto`` and ``X-Forwarded-For``
  are believed, so that the portal sees https (its cookie is then Secure) and the
  producer's address; without it they are ignored.
- Usage errors exit 2 with one line saying what to change: a bad ``--port``,
  ``--smtp`` or ``--flows``, ``--test-api`` on a non-loopback host, a port in use.
- SIGINT or SIGTERM stops the server and the mailbox cleanly and returns 0; a server
  that dies on its own returns 1.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from contextlib import ExitStack
from types import FrameType

from specs.errors import UsageError
from specs.loader import DEFAULT_FLOWS_DIR, load_flows_dir

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``rpp serve`` (``--flows`` included)."""
    parser.add_argument(
        "--flows",
        default=str(DEFAULT_FLOWS_DIR),
        metavar="DIR",
        help="flow directory (default: the shipped flows/)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free)"
    )
    parser.add_argument(
        "--smtp",
        metavar="HOST:PORT",
        help="send mail to this SMTP server (default: start an embedded mailbox)",
    )
    parser.add_argument(
        "--mailbox-port",
        type=int,
        default=8025,
        metavar="N",
        help="without --smtp: the embedded mailbox's HTTP port (default 8025, Mailpit's;"
        " 0: any free)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="behind a TLS proxy: the proxy addresses (comma-separated; '*': any) whose"
        " X-Forwarded-Proto/-For are believed, so cookies are Secure over https"
        " (default: none, the headers are ignored)",
    )
    parser.add_argument(
        "--test-api",
        action="store_true",
        help="mount the loopback-only /test/ endpoints (register producers, advance the"
        " simulated clock, reset); loopback --host only",
    )


def _smtp_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--smtp {value}: expected HOST:PORT, such as 127.0.0.1:1025")
    return host, int(port)


def _loopback_host(host: str) -> bool:
    from simulator.web.security import is_loopback

    return host.lower() == "localhost" or is_loopback(host)


def _listen_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use: stop what holds it, or pick another --port (0: any free port)"
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (ports below 1024 need privileges): pick another --port"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"--host {host} is not an address of this machine"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """The ``rpp serve`` command; serves until SIGINT/SIGTERM (or ``stop`` is set)."""
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: takes 0 to 65535 (0: any free port)")
    smtp = _smtp_address(args.smtp) if args.smtp else None
    if args.test_api and not _loopback_host(args.host):
        raise UsageError(
            f"--test-api with --host {args.host}: the test API registers accounts and moves"
            " the clock without a password, so it is served only on a loopback host"
            " (127.0.0.1, ::1 or localhost)"
        )
    if smtp is None and not 0 <= args.mailbox_port <= 65535:
        raise UsageError(f"--mailbox-port {args.mailbox_port}: takes 0 to 65535")
    # The web machinery loads here, not when the rpp command line is parsed.
    from simulator.mail.service import CannotListen
    from simulator.web.serving import serving

    flow_set = load_flows_dir(args.flows, "--flows")
    stop = stop if stop is not None else threading.Event()

    with ExitStack() as stack:
        _stop_on_signals(stop, stack)
        try:
            served = stack.enter_context(
                serving(
                    flow_set,
                    args.host,
                    args.port,
                    smtp,
                    args.mailbox_port,
                    args.test_api,
                    forwarded_allow_ips=args.forwarded_allow_ips,
                )
            )
        except CannotListen as error:
            raise UsageError(
                f"the embedded mailbox cannot listen on port {args.mailbox_port}: another"
                " mailbox (rpp mailbox, Mailpit) may have it; pick another --mailbox-port"
                " (0: any free port) or send to it with --smtp HOST:PORT"
            ) from error
        except OSError as error:
            raise UsageError(_listen_problem(args.host, args.port, error)) from None
        except ValueError as error:  # flows whose fields cannot be posted as a form
            raise UsageError(f"--flows {args.flows}: cannot be served: {error}") from None
        server = served.server
        mail_line = f"mailbox: {served.mail}" if served.mailbox_url else f"mail:    {served.mail}"
        print(f"rpp serve: portal:  {server.url}/")
        print(f"rpp serve: {mail_line}")
        if args.test_api:
            print(
                "rpp serve: test API: POST /test/producers, /test/clock, /test/reset, /test/fired"
                " (loopback only); the clock is the wall clock plus what /test/clock advanced"
            )
        print("rpp serve: Ctrl-C to stop", flush=True)
        while not stop.wait(0.25):
            if not server.running:
                print("rpp serve: the server stopped unexpectedly", file=sys.stderr)
                return 1
    print("rpp serve: stopped", flush=True)
    return 0


def _stop_on_signals(stop: threading.Event, stack: ExitStack) -> None:
    """Make SIGINT and SIGTERM set ``stop`` until ``stack`` closes (main thread only:
    Python delivers signals there)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.signal(signum, handle)
        stack.callback(signal.signal, signum, previous)
