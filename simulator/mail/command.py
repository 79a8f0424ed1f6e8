"""`rpp mailbox`: a real SMTP sink for the portal under test to send to, with a
Mailpit-shaped read API and a plain HTML inbox, until Ctrl-C.

Promises:

- Prints where to send mail (the SMTP host and port) and where to read it (the HTTP
  URL, whose ``/api/v1`` a :class:`~simulator.mail.mailpit.MailpitReader` reads), then
  serves until SIGINT or SIGTERM, stops both servers cleanly and returns 0.
- A port that cannot be listened on, or an option out of range, is a
  :class:`~specs.errors.UsageError` saying what to change (exit 2, no traceback).
- The defaults are Mailpit's ports (SMTP 1025, HTTP 8025), so a client set up for a
  team's Mailpit reads this one unchanged; port 0 picks a free port.
- Serving on an address other than loopback prints a warning: the mail can be read and
  deleted by anyone who reaches it, without a password.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from specs.errors import UsageError

if TYPE_CHECKING:
    from simulator.mail.service import MailboxService

__all__ = [
    "DEFAULT_HTTP_PORT",
    "DEFAULT_MAX_TOTAL_BYTES",
    "DEFAULT_SMTP_PORT",
    "add_arguments",
    "run",
    "serve",
]

DEFAULT_SMTP_PORT = 1025  # Mailpit's
DEFAULT_MAX_TOTAL_BYTES = 256 * 1024 * 1024  # raw mail held by `rpp mailbox`
DEFAULT_HTTP_PORT = 8025  # Mailpit's
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `rpp mailbox`."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--smtp-port",
        type=int,
        default=DEFAULT_SMTP_PORT,
        metavar="N",
        help=f"SMTP port (default: {DEFAULT_SMTP_PORT}; 0: any free port)",
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        metavar="N",
        help=f"HTTP port of the inbox and API (default: {DEFAULT_HTTP_PORT}; 0: any free port)",
    )
    parser.add_argument(
        "--max-messages",
        type=int,
        default=10_000,
        metavar="N",
        help="messages held before SMTP answers 452 (default: 10000)",
    )
    parser.add_argument(
        "--max-message-bytes",
        type=int,
        default=1_048_576,
        metavar="N",
        help="largest message accepted; larger ones get 552 (default: 1048576)",
    )
    parser.add_argument(
        "--max-total-bytes",
        type=int,
        default=DEFAULT_MAX_TOTAL_BYTES,
        metavar="N",
        help="bytes of mail held before SMTP answers 452"
        f" (default: {DEFAULT_MAX_TOTAL_BYTES}, 256 MiB)",
    )


def _service(args: argparse.Namespace) -> MailboxService:
    # Imported here: `rpp` builds every command's options at start, and the servers'
    # libraries (uvicorn, Starlette, aiosmtpd) take a while to import.
    from simulator.mail.service import MailboxService

    for option, port in (("--smtp-port", args.smtp_port), ("--http-port", args.http_port)):
        if not 0 <= port <= 65535:
            raise UsageError(f"{option} {port}: expected 0 (any free port) to 65535")
    for option, value in (
        ("--max-messages", args.max_messages),
        ("--max-message-bytes", args.max_message_bytes),
        ("--max-total-bytes", args.max_total_bytes),
    ):
        if value < 1:
            raise UsageError(f"{option} {value}: expected a number of at least 1")
    return MailboxService(
        host=args.host,
        smtp_port=args.smtp_port,
        http_port=args.http_port,
        max_messages=args.max_messages,
        max_message_bytes=args.max_message_bytes,
        max_total_bytes=args.max_total_bytes,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    args: argparse.Namespace,
    stop: threading.Event,
    out: TextIO | None = None,
    ready: Callable[[MailboxService], None] | None = None,
) -> int:
    """Run the service of ``args`` until ``stop`` is set; ``ready`` is called with the
    running service. Raises :class:`UsageError` when it cannot start."""
    from simulator.mail.service import CannotListen

    out = out if out is not None else sys.stdout
    service = _service(args)
    try:
        service.start()
    except CannotListen as error:
        raise UsageError(str(error)) from None
    try:
        print(f"rpp mailbox: SMTP on {service.smtp_host}:{service.smtp_port}", file=out)
        print(f"rpp mailbox: inbox and Mailpit API v1 at {service.http_url}", file=out)
        if not _is_loopback(args.host):
            print(
                f"rpp mailbox: warning: anyone who can reach {args.host} can read and delete"
                " this mail (there is no password)",
                file=out,
            )
        print("rpp mailbox: press Ctrl-C to stop", file=out, flush=True)
        if ready is not None:
            ready(service)
        stop.wait()
    finally:
        service.stop()
    held = service.mailbox.delivery_count()
    print(f"rpp mailbox: stopped ({held} message(s) were held)", file=out, flush=True)
    return 0


@contextmanager
def _stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` while inside (only the main thread can listen)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, handle) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run(args: argparse.Namespace) -> int:
    """`rpp mailbox`: serve until SIGINT or SIGTERM; 0 once stopped cleanly."""
    stop = threading.Event()
    with _stopped_by_signals(stop):
        return serve(args, stop)
