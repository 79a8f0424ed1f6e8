"""What every response of the served portal carries, and who counts as local.

Promises:

- :class:`SecurityHeadersMiddleware` sets :data:`SECURITY_HEADERS` on every HTTP
  response that passes through it, replacing any value a handler set: no caching
  (``no-store``: the guide tells producers to clear their cache), a Content Security
  Policy that allows only this origin's scripts, styles and form targets and no
  inline script, no framing, no MIME sniffing, no referrer.
- :func:`is_loopback` is True only for a literal loopback address (127.0.0.0/8, ::1,
  or an IPv4-mapped 127 address); a host name, a missing client or anything else is
  not loopback.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp

from simulator.asgi.hosts import is_loopback
from simulator.asgi.server import SecurityHeadersMiddleware as _HeadersMiddleware

__all__ = ["SECURITY_HEADERS", "SecurityHeadersMiddleware", "is_loopback"]

SECURITY_HEADERS: Mapping[str, str] = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware(_HeadersMiddleware):
    """ASGI middleware: every HTTP response gets :data:`SECURITY_HEADERS`."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, SECURITY_HEADERS)
