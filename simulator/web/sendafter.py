"""Answer first, send after: the served portal's mail leaves once its answer is out.

Promises:

- :class:`SendMailAfterAnswer` runs the app, then (the response sent, or the app
  failed) sends what waits in the outbox on a worker thread. A click that emails a
  producer and one that does not are answered after the same work, so the time of the
  answer does not tell whether a user name, address or Agent Unique ID is known
  (issue 28: recovery answered in 8 ms against 2 ms when the mail went first).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from simulator.mail.outbox import Outbox

__all__ = ["SendMailAfterAnswer"]


class SendMailAfterAnswer:
    """ASGI middleware: after each HTTP request, send the mail ``outbox`` holds."""

    def __init__(self, app: ASGIApp, outbox: Outbox) -> None:
        self.app = app
        self.outbox = outbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and self.outbox.waiting:
                await run_in_threadpool(self.outbox.flush)
