"""What one HTTP connection may cost a server: the bounds uvicorn leaves open.

Promises:

- :class:`ConnectionLimits` holds the bounds; :func:`bounded_protocol` makes a
  uvicorn HTTP protocol class (h11's, with its header-size bound) that enforces them
  for one server:

  - request line and headers over ``max_header_bytes`` are refused with 400 (h11
    stops buffering there: nothing larger is held);
  - request line and headers must arrive within ``header_seconds`` of the
    connection's first byte being awaited (a new connection, or the next request on
    a kept-alive one), and the body within ``body_seconds`` of the headers; a
    connection that is slower is closed;
  - an idle kept-alive connection is closed after ``idle_seconds`` (uvicorn's
    keep-alive timeout);
  - at most ``max_connections`` open at once (1,000, or a quarter of the process's
    file descriptors when fewer), and ``max_connections_per_client`` from one client
    address; a connection past either is closed at once, before
    anything is read.
- Every 400 of the HTTP parser carries the server's security headers.
- A refusal is logged (logger ``rpp.http``, WARNING) once per kind, and then at most
  once a minute with how many there were meanwhile: a flood of refused connections
  costs a few log lines, never a traceback per connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

__all__ = ["ConnectionLimits", "RefusalLog", "bounded_protocol"]

_log = logging.getLogger("rpp.http")


def _connection_cap(wanted: int = 1_000) -> int:
    """``wanted``, or a quarter of the process's file descriptors when that is fewer (two
    servers and their clients share them: accept() must never run out)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):  # no such limit here (Windows)
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft // 4))


@dataclass(frozen=True)
class ConnectionLimits:
    """The bounds on one server's connections (see the module's promises); at most
    1,000 connections, fewer when the process may open fewer than 4,000 files."""

    max_header_bytes: int = 16 * 1024
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    idle_seconds: int = 30
    max_connections: int = field(default_factory=_connection_cap)
    max_connections_per_client: int = 100

    def __post_init__(self) -> None:
        if min(self.max_header_bytes, self.max_connections, self.max_connections_per_client) < 1:
            raise ValueError("connection limits must be at least 1")
        if min(self.header_seconds, self.body_seconds, self.idle_seconds) <= 0:
            raise ValueError("connection time limits must be positive")


class RefusalLog:
    """Logs each kind of refusal once, then at most once per ``every`` seconds with a
    count; thread-safe."""

    def __init__(self, logger: logging.Logger = _log, every: float = 60.0) -> None:
        self.logger = logger
        self.every = every
        self.counts: Counter[str] = Counter()
        self._last: dict[str, tuple[float, int]] = {}  # kind -> (when logged, count then)
        self._lock = threading.Lock()

    def note(self, kind: str, detail: str) -> None:
        """Count one refusal of ``kind``; log it when its kind is due."""
        with self._lock:
            self.counts[kind] += 1
            now, count = time.monotonic(), self.counts[kind]
            last = self._last.get(kind)
            if last is not None and now - last[0] < self.every:
                return
            self._last[kind] = (now, count)
        if last is None:
            self.logger.warning(
                "refused: %s (%s); more of these are counted, logged once a minute", kind, detail
            )
        else:
            self.logger.warning("refused: %s: %d more in the last minute", kind, count - last[1])


def bounded_protocol(
    limits: ConnectionLimits, headers: Mapping[str, str], refusals: RefusalLog
) -> type[H11Protocol]:
    """A uvicorn HTTP protocol class enforcing ``limits`` for one server, whose parser
    400s carry ``headers``; its refusals go to ``refusals``."""
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    per_client: Counter[str] = Counter()  # only touched on the server's event loop
    open_connections: set[int] = set()

    class BoundedProtocol(H11Protocol):
        def __init__(
            self,
            config: Config,
            server_state: ServerState,
            app_state: dict[str, Any],
            _loop: asyncio.AbstractEventLoop | None = None,
        ) -> None:
            super().__init__(config, server_state, app_state, _loop)
            self._deadline: asyncio.TimerHandle | None = None
            self._phase = "headers"  # headers, body, handling, idle
            self._cycle_seen: object = None
            self._counted: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            client = self.client[0] if self.client else "?"
            if len(open_connections) >= limits.max_connections:
                refusals.note("too many connections", f"at most {limits.max_connections} at once")
                transport.abort()
                return
            if per_client[client] >= limits.max_connections_per_client:
                refusals.note(
                    "too many connections from one client",
                    f"at most {limits.max_connections_per_client}; {client}",
                )
                transport.abort()
                return
            per_client[client] += 1
            open_connections.add(id(self))
            self._counted = client
            self._arm(limits.header_seconds, "headers")

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._counted is not None:
                per_client[self._counted] -= 1
                if per_client[self._counted] <= 0:
                    del per_client[self._counted]
                open_connections.discard(id(self))
                self._counted = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._phase == "idle":
                self._arm(limits.header_seconds, "headers")
            super().data_received(data)
            self._track()

        def on_response_complete(self) -> None:
            self._disarm()
            self._phase = "idle"  # uvicorn's keep-alive timeout bounds the idle time
            super().on_response_complete()
            self._track()

        def send_400_response(self, msg: str) -> None:
            self._disarm()
            if self.conn.their_state is h11.ERROR:
                refusals.note("malformed or oversized HTTP request", msg)
            event = h11.Response(
                status_code=400,
                headers=[
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"connection", b"close"),
                    *extra,
                ],
                reason=b"Bad Request",
            )
            body = b"Bad Request: not a well-formed HTTP request within the server's limits.\n"
            try:
                output = self.conn.send(event)
                output = (output or b"") + (self.conn.send(h11.Data(data=body)) or b"")
                output += self.conn.send(h11.EndOfMessage()) or b""
                self.transport.write(output)
            except h11.LocalProtocolError:  # a response had already begun
                pass
            self.transport.close()

        def _track(self) -> None:
            """Follow the request's progress: headers in, then its body in."""
            cycle = self.cycle
            if cycle is None or cycle is self._cycle_seen or self.transport.is_closing():
                if self._phase == "body" and cycle is not None and not cycle.more_body:
                    self._disarm()
                    self._phase = "handling"
                return
            self._cycle_seen = cycle
            if cycle.more_body:
                self._arm(limits.body_seconds, "body")
            else:
                self._disarm()
                self._phase = "handling"

        def _arm(self, seconds: float, phase: str) -> None:
            self._disarm()
            self._phase = phase
            self._deadline = self.loop.call_later(seconds, self._too_slow, phase)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self, phase: str) -> None:
            self._deadline = None
            seconds = limits.header_seconds if phase == "headers" else limits.body_seconds
            refusals.note(
                f"request {phase} too slow", f"closed after {seconds:g} s without the whole {phase}"
            )
            self.transport.close()

    return BoundedProtocol
