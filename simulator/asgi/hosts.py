"""Which Host names a server answers: the DNS-rebinding guard of the servers on loopback.

Promises:

- :func:`trusted_hosts` gives, for a server listening on a loopback address (any
  127.x, ``::1``, ``::ffff:127.x``, or ``localhost``), the names it answers to:
  ``localhost`` and every loopback address literal; None (any name) for any other
  host, which is reached by names it cannot know.
- :class:`HostCheckMiddleware` answers 400 (plain text) to a request whose ``Host``
  is missing, malformed or not allowed, before the app sees it. ``Host`` is parsed
  as RFC 3986 writes it (``[::1]:8000``, ``localhost:8000``); an address literal
  matches an allowed one when both are loopback addresses (``[::1]``,
  ``[0:0::1]``, ``[::ffff:127.0.0.1]``, ``127.0.0.2``), a name matches
  case-insensitively. Placed inside the security-headers middleware, its 400 carries
  them too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["LOOPBACK_NAMES", "HostCheckMiddleware", "host_name", "is_loopback", "trusted_hosts"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "::ffff:127.0.0.1")
"""Shown in messages; any loopback literal matches (see :func:`is_loopback`)."""

_REFUSED = "Bad Request: this server does not answer to that Host name.\n"


def is_loopback(host: str | None) -> bool:
    """True when ``host`` is a literal loopback address (127.0.0.0/8, ::1, or an
    IPv4-mapped 127 address, brackets allowed); a name or anything else is not."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def trusted_hosts(host: str) -> list[str] | None:
    """The Host names a server listening on ``host`` accepts (see the promises)."""
    if host.lower() == "localhost" or is_loopback(host):
        return [*LOOPBACK_NAMES]
    return None


def host_name(header: str) -> str | None:
    """The name of a ``Host`` header without its port, lower-case, brackets removed
    from an IPv6 literal; None when it is not a well-formed Host."""
    value = header.strip().lower()
    if value.startswith("["):
        literal, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return literal if ":" in literal else None
    name, _, port = value.partition(":")
    if not name or (port and not port.isdigit()) or ":" in port:
        return None
    return name


def _allowed(name: str, allowed: Sequence[str]) -> bool:
    if name in allowed:
        return True
    return is_loopback(name) and any(is_loopback(a) for a in allowed)


class HostCheckMiddleware:
    """ASGI middleware: 400 unless the request's Host is one of ``allowed_hosts``."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = [a.lower() for a in allowed_hosts]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            name = host_name(Headers(scope=scope).get("host", ""))
            if name is None or not _allowed(name, self.allowed):
                await PlainTextResponse(_REFUSED, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)
