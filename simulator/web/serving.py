"""The flows served as ``rpp serve`` serves them, as a library: the portal on a real
socket, its mail over SMTP (to a given server, or to an embedded mailbox).

Promises:

- ``with serving(flow_set, ...) as served:`` starts everything and stops it all,
  joining its threads, when the block ends; ``served.url`` is the portal,
  ``served.mailbox_url`` its embedded mailbox's Mailpit-shaped API (None when mail
  goes to ``smtp``), ``served.server`` the running server.
- With ``test_api`` the portal mounts the loopback-only test endpoints, runs on the
  wall clock plus what the test API advanced (so an email's Date is when it was sent)
  and hashes passwords with the harness's cost; without,
  it runs on the wall clock with the production cost.
- A port that cannot be listened on raises :class:`OSError` (the portal's) or
  :class:`~simulator.mail.service.CannotListen` (the mailbox's), nothing left running.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from simulator.asgi.hosts import trusted_hosts
from simulator.asgi.server import AsgiServer
from simulator.mail.mailbox import SmtpTransport
from simulator.mail.service import MailboxService
from simulator.portal.clock import Clock
from simulator.portal.passwords import DEFAULT_HASH_ITERATIONS, HARNESS_HASH_ITERATIONS
from simulator.web.app import create_app, served_portal
from simulator.web.clock import AdvancedWallClock, SystemClock
from simulator.web.security import SECURITY_HEADERS
from specs.model import FlowSet

__all__ = ["MAILBOX_HOST", "Served", "serving"]

MAILBOX_HOST = "127.0.0.1"  # the embedded mailbox listens on loopback only


@dataclass(frozen=True)
class Served:
    server: AsgiServer
    url: str
    mailbox_url: str | None
    mail: str  # where the mail goes, for people


@contextmanager
def serving(
    flow_set: FlowSet,
    host: str = "127.0.0.1",
    port: int = 0,
    smtp: tuple[str, int] | None = None,
    mailbox_port: int = 0,
    test_api: bool = True,
    forwarded_allow_ips: str | None = None,
) -> Iterator[Served]:
    """Serve ``flow_set`` (see the module's promises)."""
    # The test clock runs on with the wall clock: an email's Date is when it was sent.
    clock: Clock = AdvancedWallClock() if test_api else SystemClock()
    with ExitStack() as stack:
        mailbox_url = None
        if smtp is not None:
            transport = SmtpTransport(*smtp)
            mail = f"sent over SMTP to {smtp[0]}:{smtp[1]}"
        else:
            box = stack.enter_context(
                MailboxService(host=MAILBOX_HOST, smtp_port=0, http_port=mailbox_port)
            )
            transport = SmtpTransport(box.smtp_host, box.smtp_port)
            mailbox_url = box.http_url
            mail = f"{box.http_url} (SMTP {box.smtp_host}:{box.smtp_port})"
        app = create_app(
            flow_set,
            transport=transport,
            clock=clock,
            test_api=test_api,
            hash_iterations=HARNESS_HASH_ITERATIONS if test_api else DEFAULT_HASH_ITERATIONS,
            allowed_hosts=trusted_hosts(host),
        )
        stack.callback(served_portal(app).close)  # after the server has stopped
        server = stack.enter_context(
            AsgiServer(
                app,
                host,
                port,
                security_headers=SECURITY_HEADERS,
                forwarded_allow_ips=forwarded_allow_ips,
            )
        )
        yield Served(server, server.url, mailbox_url, mail)
