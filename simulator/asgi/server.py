"""Serving an ASGI app on a real socket: uvicorn in a background thread (the served
portal's and the mailbox's HTTP servers alike).

Promises:

- ``with AsgiServer(app, host, port) as server:`` binds the listening socket in the
  calling thread (so a port in use raises :class:`OSError` there, before any thread
  starts), runs uvicorn on it in one background thread, and returns once uvicorn
  accepts connections; ``server.url`` is then where to reach it (port 0 picks a free
  port; a wildcard host is reached over loopback).
- Leaving the block (or :meth:`AsgiServer.stop`) asks uvicorn to shut down,
  waits for its thread to end and closes the socket, so no thread or listening
  socket outlives the block; a second stop does nothing.
- :class:`SecurityHeadersMiddleware` sets the given headers on every HTTP response.
- Each connection is bounded by ``limits`` (:mod:`simulator.asgi.limits`: header
  size, time to send headers and body, idle time, connections at once and per
  client); the HTTP parser's 400s carry ``security_headers``.
- The client address and scheme an app sees are the socket's, unless
  ``forwarded_allow_ips`` names the proxies (uvicorn's ``--forwarded-allow-ips``
  syntax: addresses, networks, ``*``) whose ``X-Forwarded-For`` and
  ``X-Forwarded-Proto`` are believed: behind a TLS proxy the app then sees https.
  uvicorn leaves the process's logging configuration alone (``log_config=None``)
  and announces no ``Server`` header.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType

import uvicorn
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.asgi.limits import ConnectionLimits, RefusalLog, bounded_protocol

__all__ = ["AsgiServer", "SecurityHeadersMiddleware"]

_WILDCARD_TO_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


class AsgiServer:
    """A running uvicorn server for ``app`` on ``host``:``port``."""

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_log: bool = False,
        start_timeout: float = 10.0,
        stop_timeout: float = 10.0,
        limits: ConnectionLimits | None = None,
        security_headers: Mapping[str, str] | None = None,
        forwarded_allow_ips: str | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.access_log = access_log
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.limits = limits if limits is not None else ConnectionLimits()
        self.security_headers = dict(security_headers or {})
        self.forwarded_allow_ips = forwarded_allow_ips
        self.refusals = RefusalLog()
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The port listened on; ``RuntimeError`` when not running."""
        if self._port is None:
            raise RuntimeError("the server is not running: start it or use `with`")
        return self._port

    @property
    def url(self) -> str:
        """The server's base URL, without a trailing slash (``http://127.0.0.1:8000``)."""
        host = _WILDCARD_TO_LOOPBACK.get(self.host, self.host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> AsgiServer:
        """Bind, start uvicorn and wait until it accepts connections."""
        if self._thread is not None:
            raise RuntimeError(f"the server is already running at {self.url}")
        listener = _bind(self.host, self.requested_port)
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=self.access_log,
            proxy_headers=self.forwarded_allow_ips is not None,
            forwarded_allow_ips=self.forwarded_allow_ips,
            server_header=False,
            lifespan="off",
            # h11 parses HTTP: it bounds what it buffers of a request's head (httptools
            # reads a header of any size). The event loop stays asyncio's, since
            # uvloop's would be set for the whole process.
            http=bounded_protocol(self.limits, self.security_headers, self.refusals),
            h11_max_incomplete_event_size=self.limits.max_header_bytes,
            loop="asyncio",
            # Longer than a client's keep-alive (httpx: 5 s), so the client always closes
            # an idle connection first and never sends on one the server just closed.
            timeout_keep_alive=self.limits.idle_seconds,
            timeout_graceful_shutdown=max(1, int(self.stop_timeout / 2)),
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [listener]},
            name=f"rpp-http-{listener.getsockname()[1]}",
            daemon=True,
        )
        self._socket, self._server, self._thread = listener, server, thread
        self._port = int(listener.getsockname()[1])
        thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start on {self.host}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Shut uvicorn down, join its thread and close the socket (idempotent)."""
        server, thread, listener = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        self._port = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(self.stop_timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(self.stop_timeout)
        if listener is not None:
            listener.close()

    def __enter__(self) -> AsgiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` and listening; OSError when it cannot be.

    getaddrinfo gives proto IPPROTO_TCP, so asyncio sets TCP_NODELAY on each connection."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listener = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            # Rebind at once after a restart (TIME_WAIT); on POSIX this never lets two
            # servers listen on one port (on Windows it would).
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(128)
    except BaseException:
        listener.close()
        raise
    return listener


class SecurityHeadersMiddleware:
    """ASGI middleware: every HTTP response gets ``headers`` (set, not appended)."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str]) -> None:
        self.app = app
        self.headers = dict(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
