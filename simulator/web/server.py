"""The served portal's server: :class:`~simulator.asgi.server.AsgiServer` (uvicorn in a
background thread), under the name the portal's callers use."""

from __future__ import annotations

from simulator.asgi.server import AsgiServer as PortalServer

__all__ = ["PortalServer"]
